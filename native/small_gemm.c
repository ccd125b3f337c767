/*
 * Products with a few rows (one sentence in greedy search, five in a beam) against a weight matrix
 * that is used again and again: C[M×N] = A[M×K] · B[K×N], M ≤ a handful, B packed once.
 *
 * Why by hand: such a product reads all of B to do 2·M·K·N flops, so it is bound by reading B, and
 * neither XNNPACK (128-bit wasm SIMD, 0.53 ms for [1, 256] × [256, 8000]) nor OpenBLAS (0.76 ms: it
 * repacks B at every call) reads it at the machine's speed. Here B is packed once into panels of 16
 * columns (K rows each, contiguous, so the reads stream), stored as float16 when that is exact (a
 * model saved in float16 loads as float32 values that are all float16 numbers: half the bytes, same
 * products), and multiplied with AVX2 + FMA, several panels or rows at once so that the FMAs do not
 * wait on each other. Measured on one core of this machine (Xeon, AVX-512): 0.29 ms for the float32
 * [1, 256] × [256, 8000], 0.15 ms for it in float16.
 *
 * Machines without AVX2/FMA/F16C get small_gemm_available() == 0 and the callers keep XNNPACK.
 */
#include "small_gemm.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define PW 16 /* panel width: two 8-float AVX registers */

struct packed_matrix {
  int k, n, panels;
  int half; /* 1: float16 panels, 0: float32 panels */
  void *data;
};

int small_gemm_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

__attribute__((target("f16c"))) static int exact_in_half(const float *b, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const float back = _cvtsh_ss(_cvtss_sh(b[i], _MM_FROUND_TO_NEAREST_INT));
    if (back != b[i]) return 0; /* also false for NaN */
  }
  return 1;
}

__attribute__((target("f16c"))) packed_matrix *small_gemm_pack(const float *b, int k, int n) {
  packed_matrix *p = malloc(sizeof *p);
  if (!p) return NULL;
  p->k = k;
  p->n = n;
  p->panels = (n + PW - 1) / PW;
  p->half = exact_in_half(b, (size_t)k * n);
  const size_t elems = (size_t)p->panels * k * PW;
  const size_t bytes = elems * (p->half ? 2 : 4);
  p->data = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p->data) {
    free(p);
    return NULL;
  }
  for (int q = 0; q < p->panels; q++)
    for (int r = 0; r < k; r++)
      for (int j = 0; j < PW; j++) {
        const int col = q * PW + j;
        const float v = col < n ? b[(size_t)r * n + col] : 0.0f; /* the last panel is zero-padded */
        const size_t at = ((size_t)q * k + r) * PW + j;
        if (p->half)
          ((uint16_t *)p->data)[at] = _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT);
        else
          ((float *)p->data)[at] = v;
      }
  return p;
}

size_t small_gemm_packed_bytes(const packed_matrix *p) {
  return (size_t)p->panels * p->k * PW * (p->half ? 2 : 4);
}
int small_gemm_packed_half(const packed_matrix *p) { return p->half; }
int small_gemm_packed_k(const packed_matrix *p) { return p->k; }
int small_gemm_packed_n(const packed_matrix *p) { return p->n; }

void small_gemm_free(packed_matrix *p) {
  if (!p) return;
  free(p->data);
  free(p);
}

/* Load row r of a panel (16 values) into two registers, from float32 or float16 storage. */
#define LOAD_F32(base, at, x, y)                       \
  do {                                                 \
    x = _mm256_loadu_ps((const float *)(base) + (at)); \
    y = _mm256_loadu_ps((const float *)(base) + (at) + 8); \
  } while (0)
#define LOAD_F16(base, at, x, y)                                                  \
  do {                                                                            \
    const __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)(base) + (at))); \
    x = _mm256_cvtph_ps(_mm256_castsi256_si128(h));                               \
    y = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));                          \
  } while (0)

/*
 * ROWS rows of A times GROUPS consecutive panels: 2·ROWS·GROUPS accumulators (at most 12 of the 16 AVX
 * registers). One row alone uses four panels at once and few rows two, so that at least eight FMAs are
 * independent (an FMA's latency is 4 cycles, two issue per cycle). The compiler specialises each
 * (ROWS, GROUPS) pair, since both are constants at every call.
 */
#define DEFINE_BLOCK(NAME, LOAD)                                                                      \
  __attribute__((target("avx2,fma,f16c"), always_inline)) static inline void NAME(                    \
      const float *a, int lda, const void *panel, int k, int rows, int groups, float *c, int ldc,    \
      int cols) {                                                                                     \
    __m256 acc[12];                                                                                   \
    for (int i = 0; i < 12; i++) acc[i] = _mm256_setzero_ps();                                        \
    for (int r = 0; r < k; r++) {                                                                     \
      __m256 b[8];                                                                                    \
      for (int g = 0; g < groups; g++) LOAD(panel, ((size_t)g * k + r) * PW, b[2 * g], b[2 * g + 1]); \
      for (int i = 0; i < rows; i++) {                                                                \
        const __m256 x = _mm256_broadcast_ss(a + (size_t)i * lda + r);                                \
        for (int j = 0; j < 2 * groups; j++)                                                          \
          acc[i * 2 * groups + j] = _mm256_fmadd_ps(x, b[j], acc[i * 2 * groups + j]);                \
      }                                                                                               \
    }                                                                                                 \
    for (int i = 0; i < rows; i++)                                                                    \
      for (int g = 0; g < groups; g++) {                                                              \
        float *out = c + (size_t)i * ldc + g * PW;                                                    \
        const int n = cols - g * PW;                                                                  \
        if (n >= PW) {                                                                                \
          _mm256_storeu_ps(out, acc[i * 2 * groups + 2 * g]);                                         \
          _mm256_storeu_ps(out + 8, acc[i * 2 * groups + 2 * g + 1]);                                 \
        } else if (n > 0) {                                                                           \
          float t[PW];                                                                                \
          _mm256_storeu_ps(t, acc[i * 2 * groups + 2 * g]);                                           \
          _mm256_storeu_ps(t + 8, acc[i * 2 * groups + 2 * g + 1]);                                   \
          memcpy(out, t, (size_t)n * sizeof(float));                                                  \
        }                                                                                             \
      }                                                                                               \
  }

DEFINE_BLOCK(block_f32, LOAD_F32)
DEFINE_BLOCK(block_f16, LOAD_F16)

/* All panels for ROWS rows: GROUPS panels at a time, the remainder one by one. */
#define DEFINE_ROWS(NAME, BLOCK, ELEM, ROWS, GROUPS)                                                  \
  __attribute__((target("avx2,fma,f16c"))) static void NAME(const float *a, const packed_matrix *p,  \
                                                            float *c) {                               \
    const ELEM *data = (const ELEM *)p->data;                                                         \
    const size_t panel = (size_t)p->k * PW;                                                           \
    int q = 0;                                                                                        \
    for (; q + GROUPS <= p->panels; q += GROUPS)                                                      \
      BLOCK(a, p->k, data + q * panel, p->k, ROWS, GROUPS, c + q * PW, p->n, p->n - q * PW);         \
    for (; q < p->panels; q++)                                                                        \
      BLOCK(a, p->k, data + q * panel, p->k, ROWS, 1, c + q * PW, p->n, p->n - q * PW);              \
  }

DEFINE_ROWS(rows1_f32, block_f32, float, 1, 4)
DEFINE_ROWS(rows2_f32, block_f32, float, 2, 2)
DEFINE_ROWS(rows3_f32, block_f32, float, 3, 2)
DEFINE_ROWS(rows4_f32, block_f32, float, 4, 1)
DEFINE_ROWS(rows5_f32, block_f32, float, 5, 1)
DEFINE_ROWS(rows6_f32, block_f32, float, 6, 1)
DEFINE_ROWS(rows1_f16, block_f16, uint16_t, 1, 4)
DEFINE_ROWS(rows2_f16, block_f16, uint16_t, 2, 2)
DEFINE_ROWS(rows3_f16, block_f16, uint16_t, 3, 2)
DEFINE_ROWS(rows4_f16, block_f16, uint16_t, 4, 1)
DEFINE_ROWS(rows5_f16, block_f16, uint16_t, 5, 1)
DEFINE_ROWS(rows6_f16, block_f16, uint16_t, 6, 1)

typedef void (*rows_fn)(const float *, const packed_matrix *, float *);
static const rows_fn ROWS_F32[7] = {NULL, rows1_f32, rows2_f32, rows3_f32, rows4_f32, rows5_f32, rows6_f32};
static const rows_fn ROWS_F16[7] = {NULL, rows1_f16, rows2_f16, rows3_f16, rows4_f16, rows5_f16, rows6_f16};

void small_gemm(const float *a, int m, const packed_matrix *p, float *c) {
  const rows_fn *table = p->half ? ROWS_F16 : ROWS_F32;
  /* Six rows at a time: each block of rows reads B once. */
  for (int i = 0; i < m; i += 6) {
    const int rows = m - i < 6 ? m - i : 6;
    table[rows](a + (size_t)i * p->k, p, c + (size_t)i * p->n);
  }
}
