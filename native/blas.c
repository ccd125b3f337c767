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
 */
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>

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

static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 13) return fail(env, "sgemm expects 13 arguments");
  void *heap = NULL;
  size_t heap_bytes = 0;
  bool is_ab = false;
  napi_is_arraybuffer(env, argv[0], &is_ab);
  if (!is_ab || napi_get_arraybuffer_info(env, argv[0], &heap, &heap_bytes) != napi_ok)
    return fail(env, "sgemm: argument 1 must be an ArrayBuffer (the wasm heap)");
  bool trans_a = false, trans_b = false;
  napi_get_value_bool(env, argv[1], &trans_a);
  napi_get_value_bool(env, argv[2], &trans_b);
  int64_t v[10];
  for (int i = 0; i < 10; i++)
    if (!get_int64(env, argv[3 + i], &v[i])) return fail(env, "sgemm: arguments 4-13 must be numbers");
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
