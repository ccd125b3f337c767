/*
 * tanh over a float32 array with glibc's vectorised tanhf (libmvec, 8 lanes).
 * Measured through the tfjs kernel: 0.8 ns per value on [1300, 1024], 1.5 on [100, 256].
 * Why: tanh is in every LSTM cell, attention energy and output layer, and the wasm backend's own Tanh
 * is scalar libm (~16 ns per value); its replacement in src/backend/wasm/tanh.ts (through the
 * vectorised Sigmoid) still costs ~5 ns per value in its JavaScript passes.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <immintrin.h>
#include <math.h>

#include "vector_math.h"

typedef __m256 (*vector_tanhf)(__m256);

/*
 * glibc's AVX2 tanhf (x86_64 vector function ABI, libmvec, linked for expf); within a few ulp of tanh.
 * Looked up at run time: it came with glibc 2.35, and on an older glibc the addon must still load
 * (then the scalar loop does all of it).
 */
static vector_tanhf find_vector_tanhf(void) {
  static int looked = 0;
  static vector_tanhf found = NULL;
  if (!looked) {
    found = (vector_tanhf)dlsym(RTLD_DEFAULT, "_ZGVdN8v_tanhf");
    looked = 1;
  }
  return found;
}

__attribute__((target("avx2,fma"))) void tanh_f32(const float *x, float *out, size_t n) {
  size_t i = 0;
  const vector_tanhf vtanhf = find_vector_tanhf();
  if (vtanhf)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, vtanhf(_mm256_loadu_ps(x + i)));
  for (; i < n; i++) out[i] = tanhf(x[i]);
}

/* glibc's AVX2 expf (libmvec, since glibc 2.22, linked for softmax_xent.c). */
extern __m256 _ZGVdN8v_expf(__m256 x);

/* out = 1 / (1 + exp(-x)); in place allowed. */
__attribute__((target("avx2,fma"))) void sigmoid_f32(const float *x, float *out, size_t n) {
  size_t i = 0;
  const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    const __m256 e = _ZGVdN8v_expf(_mm256_sub_ps(zero, _mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(out + i, _mm256_div_ps(one, _mm256_add_ps(one, e)));
  }
  for (; i < n; i++) out[i] = 1.0f / (1.0f + expf(-x[i]));
}
