/* Few-row products against a packed, reused matrix (see small_gemm.c). */
#ifndef NMT_SMALL_GEMM_H
#define NMT_SMALL_GEMM_H

#include <stddef.h>
#include <stdint.h>

typedef struct packed_matrix packed_matrix;

/* 1 when this CPU has AVX2, FMA and F16C (the kernels need all three). */
int small_gemm_available(void);
/* Copy B [k×n] (row-major) into panels; float16 when every value is exactly a float16. NULL: no memory. */
packed_matrix *small_gemm_pack(const float *b, int k, int n);
void small_gemm_free(packed_matrix *p);
size_t small_gemm_packed_bytes(const packed_matrix *p);
int small_gemm_packed_half(const packed_matrix *p);
int small_gemm_packed_k(const packed_matrix *p);
int small_gemm_packed_n(const packed_matrix *p);
/* C [m×n] = A [m×k] · B, row-major, any m ≥ 0. */
void small_gemm(const float *a, int m, const packed_matrix *p, float *c);

#endif
