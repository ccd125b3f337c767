/* LSTM and GRU cell steps for training, forward and backward (see cells.c). Need AVX2 (small_gemm_available). */
#ifndef NMT_CELLS_H
#define NMT_CELLS_H

#include <stddef.h>

/* m (one value per row, 0 = padding) may be NULL; acts is [B, 5H] */
void lstm_forward(const float *xw, const float *hw, const float *c, const float *h, const float *m, int B, int H,
                  float *h_out, float *c_out, float *acts);
/* dh and dc (gradients of h' and c') may be NULL (no gradient reached that output) */
void lstm_backward(const float *acts, const float *c, const float *m, const float *dh, const float *dc, int B, int H,
                   float *dz, float *dh_prev, float *dc_prev);
/* sp is [B, width], the cell reads columns offset … offset + 3H; acts is [B, 4H] */
void gru_forward(const float *gy, const float *gc, const float *sp, int width, int offset, const float *s, int B,
                 int H, float *s_out, float *acts);
void gru_backward(const float *acts, const float *s, const float *ds, int B, int H, int width, int offset,
                  float *dgx, float *dsp, float *ds_prev);

#endif
