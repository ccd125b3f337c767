/*
 * The training loss over the vocabulary, fused (and, at the end, search's row statistics): label-smoothed cross-entropy of logits z [N×V] and its
 * gradient, in one pass over each row (src/model/loss.ts has the formulas and the portable version).
 *
 * Why by hand: on the wasm backend this is a dozen kernels that each walk all N×V values (max, subtract,
 * exp, sum, divide, one-hot, …) with exp in scalar code (~6 ns per value): about a fifth of a training
 * step. Here each row is read once into cache and exp is glibc's vectorised expf (libmvec, 8 lanes).
 *
 *   per row i, with target y, weight w, smoothing e, m = max_v z_v, s = sum_v exp(z_v - m):
 *     loss_i = w (m + log s - (1 - e) z_y - e/V sum_v z_v)
 *     grad_iv = w (exp(z_v - m) / s - e/V - (1 - e) [v = y])
 */
#include "softmax_xent.h"

#include <immintrin.h>
#include <math.h>

/* glibc's AVX2 expf (x86_64 vector function ABI, libmvec): exp of 8 floats. */
extern __m256 _ZGVdN8v_expf(__m256 x);

__attribute__((target("avx2,fma"))) static float hmax(__m256 v) {
  __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_max_ps(x, _mm_movehl_ps(x, x));
  x = _mm_max_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

__attribute__((target("avx2,fma"))) static float hsum(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

__attribute__((target("avx2,fma"))) static void row(const float *z, int v_size, int y, float w, float e,
                                                    float *loss, float *g) {
  const int vec = v_size & ~7;
  /* m = max z; any NaN makes the loss NaN below (exp(NaN) is NaN), which the trainer detects. */
  __m256 mv = _mm256_set1_ps(-INFINITY);
  for (int v = 0; v < vec; v += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(z + v));
  float m = hmax(mv);
  for (int v = vec; v < v_size; v++) m = z[v] > m ? z[v] : m;
  /* g = exp(z - m), s = sum g, sz = sum z */
  const __m256 m8 = _mm256_set1_ps(m);
  __m256 s8 = _mm256_setzero_ps(), sz8 = _mm256_setzero_ps();
  for (int v = 0; v < vec; v += 8) {
    const __m256 x = _mm256_loadu_ps(z + v);
    const __m256 ex = _ZGVdN8v_expf(_mm256_sub_ps(x, m8));
    _mm256_storeu_ps(g + v, ex);
    s8 = _mm256_add_ps(s8, ex);
    sz8 = _mm256_add_ps(sz8, x);
  }
  double s = hsum(s8), sz = hsum(sz8);
  for (int v = vec; v < v_size; v++) {
    g[v] = expf(z[v] - m);
    s += g[v];
    sz += z[v];
  }
  const float uniform = e / (float)v_size;
  *loss = w * (float)(m + log(s) - (1.0 - e) * z[y] - (double)uniform * sz);
  /* g = w (g / s - e/V), then the target's (1 - e) */
  const __m256 scale = _mm256_set1_ps(w / (float)s), shift = _mm256_set1_ps(w * uniform);
  for (int v = 0; v < vec; v += 8) _mm256_storeu_ps(g + v, _mm256_fmsub_ps(_mm256_loadu_ps(g + v), scale, shift));
  for (int v = vec; v < v_size; v++) g[v] = g[v] * (w / (float)s) - w * uniform;
  g[y] -= w * (1.0f - e);
}

int softmax_xent(const float *z, const int32_t *targets, const float *weights, int n, int v_size, float e,
                 float *loss, float *grad) {
  for (int i = 0; i < n; i++)
    if (targets[i] < 0 || targets[i] >= v_size) return i + 1;
  for (int i = 0; i < n; i++)
    row(z + (size_t)i * v_size, v_size, targets[i], weights[i], e, loss + i, grad + (size_t)i * v_size);
  return 0;
}

/*
 * Search's row statistics (greedy's pick, beam's log-softmax): one vector pass for the maximum, one for
 * sum exp(z - max). The JavaScript version (src/backend/wasm/fused-softmax.ts, rowStats) takes ~100-200 us
 * per 8,000-entry row with scalar Math.exp; greedy search calls it at every output step.
 */
__attribute__((target("avx2,fma"))) static void stats_row(const float *z, int v_size, int skip, float *out) {
  const int vec = v_size & ~7;
  __m256 mv = _mm256_set1_ps(-INFINITY);
  for (int v = 0; v < vec; v += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(z + v));
  float top = hmax(mv);
  for (int v = vec; v < v_size; v++) top = z[v] > top ? z[v] : top;
  /* The first index of the maximum among the entries other than skip (as the JavaScript loop finds it). */
  float best = -INFINITY;
  int arg = 0;
  for (int v = 0; v < v_size; v++)
    if (z[v] == top && v != skip) {
      best = top;
      arg = v;
      break;
    }
  if (best != top) /* only the skipped entry holds the maximum (or no entry is a number): scan again */
    for (int v = 0; v < v_size; v++)
      if (z[v] > best && v != skip) {
        best = z[v];
        arg = v;
      }
  const __m256 top8 = _mm256_set1_ps(top);
  __m256 s8 = _mm256_setzero_ps();
  for (int v = 0; v < vec; v += 8) s8 = _mm256_add_ps(s8, _ZGVdN8v_expf(_mm256_sub_ps(_mm256_loadu_ps(z + v), top8)));
  double s = hsum(s8);
  for (int v = vec; v < v_size; v++) s += expf(z[v] - top);
  out[0] = best;
  out[1] = (float)arg;
  out[2] = (float)(top + log(s));
}

void softmax_row_stats(const float *z, int n, int v_size, const int32_t *skip, float *stats) {
  for (int r = 0; r < n; r++) stats_row(z + (size_t)r * v_size, v_size, skip ? skip[r] : -1, stats + 3 * r);
}
