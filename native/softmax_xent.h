/* The fused training loss over the vocabulary (see softmax_xent.c). */
#ifndef NMT_SOFTMAX_XENT_H
#define NMT_SOFTMAX_XENT_H

#include <stdint.h>

/*
 * Label-smoothed cross-entropy of z [n×v_size] against targets [n] with weights [n] and smoothing e:
 * loss [n] (weighted, per row) and grad [n×v_size] (d loss_i / d z_i). Needs AVX2 and FMA
 * (small_gemm_available). Returns 0, or 1 + the first row whose target is outside [0, v_size).
 */
int softmax_xent(const float *z, const int32_t *targets, const float *weights, int n, int v_size, float e,
                 float *loss, float *grad);

#endif
