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

/*
 * Search's row statistics of logits z [n×v_size]: per row r, the maximum over the entries other than
 * skip[r] (-1 or skip == NULL: none) and its first index, and log sum_v exp(z_v) over all entries. Written
 * to stats[3r .. 3r+2] as (max, index, log-sum-exp). Needs AVX2 and FMA (small_gemm_available).
 */
void softmax_row_stats(const float *z, int n, int v_size, const int32_t *skip, float *stats);

#endif
