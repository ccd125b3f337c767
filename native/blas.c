/*
 * nmt-blas: OpenBLAS's sgemm for matrices that live in a WebAssembly heap.
 *
 * Why by hand: TensorFlow.js's wasm backend multiplies with XNNPACK's 128-bit SIMD kernels (about
 * 23 GFLOP/s on one core here), while OpenBLAS uses the CPU's AVX2/AVX-512 units (several times more).
 * No maintained npm package multiplies in place inside a wasm heap, so this addon takes the heap's
 * ArrayBuffer and byte offsets, and calls cblas_sgemm on pointers into it: no copies.
 *
 *   sgemm(heap, transA, transB, M, N, K, aOffset, bOffset, cOffset, batch, strideA, strideB, strideC)
 *     for i in [0, batch): C_i[M×N] = op(A_i) op(B_i), row-major, strides in floats (0 broadcasts).
 *   setThreads(n), threads(), config()
 *
 * and, for products with a few rows against a reused matrix (small_gemm.c):
 *   smallGemmAvailable()                     true when this CPU has the instructions the kernels need
 *   pack(heap, bOffset, K, N)                copy B [K×N] out of the heap into a packed matrix (an external)
 *   packedInfo(packed)                       { k, n, dtype: 'float16' | 'float32', bytes }
 *   gemmPacked(heap, packed, M, aOffset, cOffset)   C[M×N] = A[M×K] · B
 *
 * and the training loss and search's row statistics (softmax_xent.c):
 *   softmaxXent(heap, N, V, zOffset, targetsOffset, weightsOffset, lossOffset, gradOffset, smoothing)
 *   rowStats(heap, B, V, zOffset, skipOffset|-1, stats)   stats: a Float32Array [3B] of (max, index, log Σ exp)
 * and tanh(heap, n, xOffset, outOffset) (vector_math.c);
 * and, on Float32Arrays (not the heap), addInto(out, x): out += x (add_into.c);
 * and the training cells (cells.c), offsets in bytes, -1 for an absent optional array:
 *   lstmForward(heap, B, H, xw, hw, c, h, m|-1, hOut, cOut, acts)
 *   lstmBackward(heap, B, H, acts, c, m|-1, dh|-1, dc|-1, dz, dhPrev, dcPrev)
 *   gruForward(heap, B, H, width, offset, gy, gc, sp, s, sOut, acts)
 *   gruBackward(heap, B, H, width, offset, acts, s, ds, dgx, dsp, dsPrev)
 */
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>

#include "small_gemm.h"
#include "softmax_xent.h"
#include "vector_math.h"
#include "add_into.h"
#include "cells.h"

/* OpenBLAS's own entry points (declared in its cblas.h on Debian; declared here for other layouts). */
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "ERR_NMT_BLAS", message);
  return NULL;
}

static int get_int64(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int heap_of(napi_env env, napi_value v, void **heap, size_t *bytes) {
  bool is_ab = false;
  napi_is_arraybuffer(env, v, &is_ab);
  return is_ab && napi_get_arraybuffer_info(env, v, heap, bytes) == napi_ok;
}

/*
 * The common start of the functions that work on the wasm heap: exactly `argc` arguments, the heap
 * first, then `count` integers from argument `first` (0-based). On a mismatch it throws, naming the
 * function, and returns 0.
 */
static int heap_call(napi_env env, napi_callback_info info, const char *name, size_t argc, napi_value *argv,
                     void **heap, size_t *heap_bytes, size_t first, size_t count, int64_t *ints) {
  size_t got = argc;
  char message[160];
  napi_get_cb_info(env, info, &got, argv, NULL, NULL);
  if (got != argc) {
    snprintf(message, sizeof message, "%s expects %zu arguments", name, argc);
  } else if (!heap_of(env, argv[0], heap, heap_bytes)) {
    snprintf(message, sizeof message, "%s: argument 1 must be an ArrayBuffer (the wasm heap)", name);
  } else {
    for (size_t i = 0; i < count; i++)
      if (!get_int64(env, argv[first + i], &ints[i])) {
        snprintf(message, sizeof message, "%s: arguments %zu-%zu must be numbers", name, first + 1, first + count);
        fail(env, message);
        return 0;
      }
    return 1;
  }
  fail(env, message);
  return 0;
}

static napi_value sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  void *heap = NULL;
  size_t heap_bytes = 0;
  int64_t v[10];
  if (!heap_call(env, info, "sgemm", 13, argv, &heap, &heap_bytes, 3, 10, v)) return NULL;
  bool trans_a = false, trans_b = false;
  napi_get_value_bool(env, argv[1], &trans_a);
  napi_get_value_bool(env, argv[2], &trans_b);
  const int64_t M = v[0], N = v[1], K = v[2], a_off = v[3], b_off = v[4], c_off = v[5];
  const int64_t batch = v[6], stride_a = v[7], stride_b = v[8], stride_c = v[9];
  if (M < 0 || N < 0 || K < 0 || batch < 0 || stride_a < 0 || stride_b < 0 || stride_c < 0)
    return fail(env, "sgemm: negative size");
  if (a_off % 4 || b_off % 4 || c_off % 4) return fail(env, "sgemm: offsets must be multiples of 4 bytes");
  /* Every matrix must lie inside the heap: a wrong offset must throw, not write past the buffer. */
  const int64_t last = batch > 0 ? batch - 1 : 0;
  const int64_t hb = (int64_t)heap_bytes;
  if (batch > 0 && (a_off + 4 * (last * stride_a + M * K) > hb || b_off + 4 * (last * stride_b + K * N) > hb ||
                    c_off + 4 * (last * stride_c + M * N) > hb))
    return fail(env, "sgemm: a matrix runs past the end of the heap");
  float *a = (float *)((char *)heap + a_off);
  float *b = (float *)((char *)heap + b_off);
  float *c = (float *)((char *)heap + c_off);
  const int lda = trans_a ? (int)M : (int)K;
  const int ldb = trans_b ? (int)K : (int)N;
  for (int64_t i = 0; i < batch; i++) {
    if (M == 0 || N == 0) break;
    if (K == 0) {
      for (int64_t j = 0; j < M * N; j++) c[i * stride_c + j] = 0.0f;
      continue;
    }
    if (M == 1) {
      /* One row: sgemv reads B once; sgemm would first copy all of B into its packed layout. */
      if (trans_b)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)N, (int)K, 1.0f, b + i * stride_b, (int)K, a + i * stride_a,
                    1, 0.0f, c + i * stride_c, 1);
      else
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)K, (int)N, 1.0f, b + i * stride_b, (int)N, a + i * stride_a,
                    1, 0.0f, c + i * stride_c, 1);
      continue;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, 1.0f, a + i * stride_a, lda, b + i * stride_b, ldb, 0.0f,
                c + i * stride_c, (int)N);
  }
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 1 || !get_int64(env, argv[0], &n) || n < 1 || n > 256)
    return fail(env, "setThreads expects a thread count from 1 to 256");
  openblas_set_num_threads((int)n);
  return NULL;
}

static napi_value threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out);
  return out;
}


/* ---- few-row products against a packed matrix (small_gemm.c) ---- */

static void free_packed(napi_env env, void *data, void *hint) {
  (void)hint;
  int64_t unused;
  napi_adjust_external_memory(env, -(int64_t)small_gemm_packed_bytes((packed_matrix *)data), &unused);
  small_gemm_free((packed_matrix *)data);
}

static packed_matrix *packed_of(napi_env env, napi_value v) {
  napi_valuetype type;
  void *data = NULL;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external) return NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (packed_matrix *)data;
}

static napi_value small_gemm_available_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_get_boolean(env, small_gemm_available() != 0, &out);
  return out;
}

static napi_value pack(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  void *heap = NULL;
  size_t heap_bytes = 0;
  int64_t v[3];
  if (!heap_call(env, info, "pack", 4, argv, &heap, &heap_bytes, 1, 3, v)) return NULL;
  if (!small_gemm_available()) return fail(env, "pack: this CPU lacks AVX2, FMA or F16C");
  const int64_t off = v[0], k = v[1], n = v[2];
  if (k < 1 || n < 1 || k > (1 << 24) || n > (1 << 24)) return fail(env, "pack: K and N must be from 1 to 2^24");
  if (off < 0 || off % 4) return fail(env, "pack: the offset must be a non-negative multiple of 4 bytes");
  if (off + 4 * k * n > (int64_t)heap_bytes) return fail(env, "pack: the matrix runs past the end of the heap");
  packed_matrix *p = small_gemm_pack((const float *)((char *)heap + off), (int)k, (int)n);
  if (!p) return fail(env, "pack: out of memory");
  int64_t unused;
  napi_adjust_external_memory(env, (int64_t)small_gemm_packed_bytes(p), &unused);
  napi_value out;
  if (napi_create_external(env, p, free_packed, NULL, &out) != napi_ok) {
    small_gemm_free(p);
    return fail(env, "pack: could not create the external");
  }
  return out;
}

static napi_value packed_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  packed_matrix *p = argc == 1 ? packed_of(env, argv[0]) : NULL;
  if (!p) return fail(env, "packedInfo expects a packed matrix");
  napi_value out, k, n, dtype, bytes;
  napi_create_object(env, &out);
  napi_create_int32(env, small_gemm_packed_k(p), &k);
  napi_create_int32(env, small_gemm_packed_n(p), &n);
  napi_create_string_utf8(env, small_gemm_packed_half(p) ? "float16" : "float32", NAPI_AUTO_LENGTH, &dtype);
  napi_create_double(env, (double)small_gemm_packed_bytes(p), &bytes);
  napi_set_named_property(env, out, "k", k);
  napi_set_named_property(env, out, "n", n);
  napi_set_named_property(env, out, "dtype", dtype);
  napi_set_named_property(env, out, "bytes", bytes);
  return out;
}

static napi_value gemm_packed(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  void *heap = NULL;
  size_t heap_bytes = 0;
  int64_t v[3];
  if (!heap_call(env, info, "gemmPacked", 5, argv, &heap, &heap_bytes, 2, 3, v)) return NULL;
  packed_matrix *p = packed_of(env, argv[1]);
  if (!p) return fail(env, "gemmPacked: argument 2 must be a packed matrix");
  const int64_t m = v[0], a_off = v[1], c_off = v[2];
  const int64_t k = small_gemm_packed_k(p), n = small_gemm_packed_n(p);
  if (m < 0 || m > (1 << 24)) return fail(env, "gemmPacked: M must be from 0 to 2^24");
  if (a_off < 0 || c_off < 0 || a_off % 4 || c_off % 4)
    return fail(env, "gemmPacked: offsets must be non-negative multiples of 4 bytes");
  if (a_off + 4 * m * k > (int64_t)heap_bytes || c_off + 4 * m * n > (int64_t)heap_bytes)
    return fail(env, "gemmPacked: a matrix runs past the end of the heap");
  small_gemm((const float *)((char *)heap + a_off), (int)m, p, (float *)((char *)heap + c_off));
  return NULL;
}

static napi_value softmax_xent_js(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  void *heap = NULL;
  size_t heap_bytes = 0;
  int64_t v[7];
  if (!heap_call(env, info, "softmaxXent", 9, argv, &heap, &heap_bytes, 1, 7, v)) return NULL;
  if (!small_gemm_available()) return fail(env, "softmaxXent: this CPU lacks AVX2 or FMA");
  double smoothing = 0;
  if (napi_get_value_double(env, argv[8], &smoothing) != napi_ok || !(smoothing >= 0 && smoothing < 1))
    return fail(env, "softmaxXent: smoothing must be a number in [0, 1)");
  const int64_t n = v[0], vs = v[1], z_off = v[2], t_off = v[3], w_off = v[4], l_off = v[5], g_off = v[6];
  if (n < 0 || vs < 1 || n > (1 << 24) || vs > (1 << 24)) return fail(env, "softmaxXent: bad N or V");
  const int64_t offs[5] = {z_off, t_off, w_off, l_off, g_off};
  const int64_t ends[5] = {z_off + 4 * n * vs, t_off + 4 * n, w_off + 4 * n, l_off + 4 * n, g_off + 4 * n * vs};
  for (int i = 0; i < 5; i++) {
    if (offs[i] < 0 || offs[i] % 4) return fail(env, "softmaxXent: offsets must be non-negative multiples of 4 bytes");
    if (ends[i] > (int64_t)heap_bytes) return fail(env, "softmaxXent: an array runs past the end of the heap");
  }
  char *h = (char *)heap;
  const int bad = softmax_xent((const float *)(h + z_off), (const int32_t *)(h + t_off), (const float *)(h + w_off),
                               (int)n, (int)vs, (float)smoothing, (float *)(h + l_off), (float *)(h + g_off));
  if (bad) {
    char message[160];
    snprintf(message, sizeof message, "softmaxXent: the target of row %d is %d, outside the vocabulary [0, %d)",
             bad - 1, ((const int32_t *)(h + t_off))[bad - 1], (int)vs);
    return fail(env, message);
  }
  return NULL;
}

static napi_value tanh_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  void *heap = NULL;
  size_t heap_bytes = 0;
  int64_t v[3];
  if (!heap_call(env, info, "tanh", 4, argv, &heap, &heap_bytes, 1, 3, v)) return NULL;
  if (!small_gemm_available()) return fail(env, "tanh: this CPU lacks AVX2");
  const int64_t n = v[0], x_off = v[1], o_off = v[2];
  if (n < 0 || x_off < 0 || o_off < 0 || x_off % 4 || o_off % 4)
    return fail(env, "tanh: the count and the offsets must be non-negative, offsets multiples of 4 bytes");
  if (x_off + 4 * n > (int64_t)heap_bytes || o_off + 4 * n > (int64_t)heap_bytes)
    return fail(env, "tanh: an array runs past the end of the heap");
  tanh_f32((const float *)((char *)heap + x_off), (float *)((char *)heap + o_off), (size_t)n);
  return NULL;
}

/* A Float32Array's data and length; 0 when `v` is not one. */
static int float32_array(napi_env env, napi_value v, float **data, size_t *length) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, NULL, NULL) != napi_ok) return 0;
  if (type != napi_float32_array) return 0;
  *data = (float *)raw;
  return 1;
}

static napi_value add_into_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  float *out, *x;
  size_t n_out, n_x;
  if (argc != 2 || !float32_array(env, argv[0], &out, &n_out) || !float32_array(env, argv[1], &x, &n_x))
    return fail(env, "addInto expects two Float32Arrays");
  if (n_out != n_x) return fail(env, "addInto: the arrays differ in length");
  add_into(out, x, n_out);
  return NULL;
}

/*
 * Offsets (bytes) of float arrays in the heap with their lengths (floats): each must be a multiple of 4
 * and end inside the heap; an offset of -1 means absent when `optional` allows it. Returns NULL when all
 * are fine, else the message.
 */
static const char *check_arrays(size_t heap_bytes, const int64_t *offsets, const int64_t *lengths, int count,
                                const int *optional) {
  for (int i = 0; i < count; i++) {
    if (offsets[i] == -1 && optional && optional[i]) continue;
    if (offsets[i] < 0 || offsets[i] % 4) return "offsets must be non-negative multiples of 4 bytes";
    if (lengths[i] < 0 || offsets[i] + 4 * lengths[i] > (int64_t)heap_bytes) return "an array runs past the end of the heap";
  }
  return NULL;
}

/* rowStats(heap, B, V, logitsOffset, skipOffset (-1: none), stats: Float32Array [3B]) */
static napi_value row_stats_js(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  void *heap = NULL;
  size_t heap_bytes = 0;
  int64_t v[4];
  if (!heap_call(env, info, "rowStats", 6, argv, &heap, &heap_bytes, 1, 4, v)) return NULL;
  if (!small_gemm_available()) return fail(env, "rowStats: this CPU lacks AVX2 or FMA");
  const int64_t n = v[0], vs = v[1], z_off = v[2], skip_off = v[3];
  if (n < 0 || vs < 1 || n > (1 << 24) || vs > (1 << 24)) return fail(env, "rowStats: bad B or V");
  float *stats;
  size_t n_stats;
  if (!float32_array(env, argv[5], &stats, &n_stats)) return fail(env, "rowStats: argument 6 must be a Float32Array");
  if ((int64_t)n_stats != 3 * n) return fail(env, "rowStats: the stats array must hold 3 floats per row");
  const int64_t offs[2] = {z_off, skip_off}, lengths[2] = {n * vs, n};
  const int optional[2] = {0, 1};
  const char *bad = check_arrays(heap_bytes, offs, lengths, 2, optional);
  if (bad) {
    char message[160];
    snprintf(message, sizeof message, "rowStats: %s", bad);
    return fail(env, message);
  }
  char *h = (char *)heap;
  softmax_row_stats((const float *)(h + z_off), (int)n, (int)vs, skip_off == -1 ? NULL : (const int32_t *)(h + skip_off),
                    stats);
  return NULL;
}

#define AT(i) (v[i] == -1 ? NULL : (float *)(h + v[i]))

static napi_value cell_call(napi_env env, napi_callback_info info, int which) {
  static const char *names[4] = {"lstmForward", "lstmBackward", "gruForward", "gruBackward"};
  static const size_t ints[4] = {10, 10, 10, 10};
  napi_value argv[12];
  void *heap = NULL;
  size_t heap_bytes = 0;
  int64_t v[11];
  if (!heap_call(env, info, names[which], ints[which] + 1, argv, &heap, &heap_bytes, 1, ints[which], v)) return NULL;
  if (!small_gemm_available()) return fail(env, "training cells: this CPU lacks AVX2 or FMA");
  const int64_t B = v[0], H = v[1];
  if (B < 0 || H < 1 || B > (1 << 20) || H > (1 << 16)) return fail(env, "training cells: bad B or H");
  char *h = (char *)heap;
  const char *bad;
  if (which < 2) {
    /* lstmForward: xw hw c h m hOut cOut acts; lstmBackward: acts c m dh dc dz dhPrev dcPrev */
    const int64_t fwd_len[8] = {B * 4 * H, B * 4 * H, B * H, B * H, B, B * H, B * H, B * 5 * H};
    const int fwd_opt[8] = {0, 0, 0, 0, 1, 0, 0, 0};
    const int64_t bwd_len[8] = {B * 5 * H, B * H, B, B * H, B * H, B * 4 * H, B * H, B * H};
    const int bwd_opt[8] = {0, 0, 1, 1, 1, 0, 0, 0};
    bad = check_arrays(heap_bytes, v + 2, which == 0 ? fwd_len : bwd_len, 8, which == 0 ? fwd_opt : bwd_opt);
    if (bad) return fail(env, bad);
    if (which == 0)
      lstm_forward(AT(2), AT(3), AT(4), AT(5), AT(6), (int)B, (int)H, AT(7), AT(8), AT(9));
    else
      lstm_backward(AT(2), AT(3), AT(4), AT(5), AT(6), (int)B, (int)H, AT(7), AT(8), AT(9));
    return NULL;
  }
  const int64_t width = v[2], offset = v[3];
  if (offset < 0 || width < offset + 3 * H) return fail(env, "training cells: sp must have offset + 3H columns");
  /* gruForward: gy gc sp s sOut acts; gruBackward: acts s ds dgx dsp dsPrev */
  const int64_t fwd_len[6] = {B * 3 * H, B * 3 * H, B * width, B * H, B * H, B * 4 * H};
  const int64_t bwd_len[6] = {B * 4 * H, B * H, B * H, B * 3 * H, B * width, B * H};
  bad = check_arrays(heap_bytes, v + 4, which == 2 ? fwd_len : bwd_len, 6, NULL);
  if (bad) return fail(env, bad);
  if (which == 2)
    gru_forward(AT(4), AT(5), AT(6), (int)width, (int)offset, AT(7), (int)B, (int)H, AT(8), AT(9));
  else
    gru_backward(AT(4), AT(5), AT(6), (int)B, (int)H, (int)width, (int)offset, AT(7), AT(8), AT(9));
  return NULL;
}

static napi_value lstm_forward_js(napi_env env, napi_callback_info info) { return cell_call(env, info, 0); }
static napi_value lstm_backward_js(napi_env env, napi_callback_info info) { return cell_call(env, info, 1); }
static napi_value gru_forward_js(napi_env env, napi_callback_info info) { return cell_call(env, info, 2); }
static napi_value gru_backward_js(napi_env env, napi_callback_info info) { return cell_call(env, info, 3); }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
      {"smallGemmAvailable", NULL, small_gemm_available_js, NULL, NULL, NULL, napi_default, NULL},
      {"pack", NULL, pack, NULL, NULL, NULL, napi_default, NULL},
      {"packedInfo", NULL, packed_info, NULL, NULL, NULL, napi_default, NULL},
      {"gemmPacked", NULL, gemm_packed, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxXent", NULL, softmax_xent_js, NULL, NULL, NULL, napi_default, NULL},
      {"tanh", NULL, tanh_js, NULL, NULL, NULL, napi_default, NULL},
      {"addInto", NULL, add_into_js, NULL, NULL, NULL, napi_default, NULL},
      {"rowStats", NULL, row_stats_js, NULL, NULL, NULL, napi_default, NULL},
      {"lstmForward", NULL, lstm_forward_js, NULL, NULL, NULL, napi_default, NULL},
      {"lstmBackward", NULL, lstm_backward_js, NULL, NULL, NULL, napi_default, NULL},
      {"gruForward", NULL, gru_forward_js, NULL, NULL, NULL, napi_default, NULL},
      {"gruBackward", NULL, gru_backward_js, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
