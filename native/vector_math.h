/* Elementwise functions over float32 arrays (see vector_math.c). Need AVX2 (small_gemm_available). */
#ifndef NMT_VECTOR_MATH_H
#define NMT_VECTOR_MATH_H

#include <stddef.h>

void tanh_f32(const float *x, float *out, size_t n);
void sigmoid_f32(const float *x, float *out, size_t n);

#endif
