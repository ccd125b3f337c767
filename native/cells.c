/*
 * LSTM and GRU cell steps for training, forward and backward, in C (src/backend/wasm/native-cells.ts).
 *
 * Why: in a training step of the default model the element-wise halves of the 39 cell steps (26 LSTM
 * steps in the encoder, 13 GRU steps in the decoder) were ~2,000 of its ~2,600 kernels: splits, sigmoids,
 * tanhs, products, masking, and twice as many in their gradients, each a few µs of work behind tens of
 * µs of framework overhead. Here each step is one kernel forward and one backward, with the sigmoids and
 * tanhs vectorised (vector_math.c). The formulas are src/model/cells.ts's; test/backend.test.ts compares
 * values and gradients with them on the cpu backend.
 *
 * LSTM, per row (i, f, g, o from the pre-activations xw + hw; keep = the row is padding):
 *   c' = f c + i g,  h' = o tanh(c');  padding rows keep h and c.  acts = [i f g o tanh(c')]
 * GRU, per row (gx = gy + gc, us = columns offset… of sp):
 *   r, z = σ(gx + us),  n = tanh(gx_n + r us_n),  s' = n + z (s − n).  acts = [r z n us_n]
 */
#include "cells.h"

#include <string.h>

#include "vector_math.h"

void lstm_forward(const float *xw, const float *hw, const float *c, const float *h, const float *m, int B, int H,
                  float *h_out, float *c_out, float *acts) {
  for (int b = 0; b < B; b++) {
    const size_t z = (size_t)b * 4 * H, row = (size_t)b * H;
    float *a = acts + (size_t)b * 5 * H;
    if (m && m[b] == 0) {
      memcpy(h_out + row, h + row, sizeof(float) * H);
      memcpy(c_out + row, c + row, sizeof(float) * H);
      memset(a, 0, sizeof(float) * 5 * H);
      continue;
    }
    for (int k = 0; k < 4 * H; k++) a[k] = xw[z + k] + hw[z + k];
    sigmoid_f32(a, a, 2 * (size_t)H);      /* i, f */
    tanh_f32(a + 2 * H, a + 2 * H, H);     /* g */
    sigmoid_f32(a + 3 * H, a + 3 * H, H);  /* o */
    for (int j = 0; j < H; j++) c_out[row + j] = a[H + j] * c[row + j] + a[j] * a[2 * H + j];
    tanh_f32(c_out + row, a + 4 * H, H);   /* tanh(c') */
    for (int j = 0; j < H; j++) h_out[row + j] = a[3 * H + j] * a[4 * H + j];
  }
}

void lstm_backward(const float *acts, const float *c, const float *m, const float *dh, const float *dc, int B, int H,
                   float *dz, float *dh_prev, float *dc_prev) {
  for (int b = 0; b < B; b++) {
    const size_t row = (size_t)b * H;
    const float *a = acts + (size_t)b * 5 * H;
    float *d = dz + (size_t)b * 4 * H;
    if (m && m[b] == 0) {
      memset(d, 0, sizeof(float) * 4 * H);
      for (int j = 0; j < H; j++) {
        dh_prev[row + j] = dh ? dh[row + j] : 0.0f;
        dc_prev[row + j] = dc ? dc[row + j] : 0.0f;
      }
      continue;
    }
    for (int j = 0; j < H; j++) {
      const float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tc = a[4 * H + j];
      const float dhj = dh ? dh[row + j] : 0.0f;
      const float dcn = (dc ? dc[row + j] : 0.0f) + dhj * o * (1 - tc * tc);
      dc_prev[row + j] = dcn * f;
      dh_prev[row + j] = 0.0f; /* h reaches the step only through hw, whose gradient is dz */
      d[j] = dcn * g * i * (1 - i);
      d[H + j] = dcn * c[row + j] * f * (1 - f);
      d[2 * H + j] = dcn * i * (1 - g * g);
      d[3 * H + j] = dhj * tc * o * (1 - o);
    }
  }
}

void gru_forward(const float *gy, const float *gc, const float *sp, int width, int offset, const float *s, int B,
                 int H, float *s_out, float *acts) {
  for (int b = 0; b < B; b++) {
    const size_t g = (size_t)b * 3 * H, us = (size_t)b * width + offset, row = (size_t)b * H;
    float *a = acts + (size_t)b * 4 * H;
    for (int k = 0; k < 2 * H; k++) a[k] = gy[g + k] + gc[g + k] + sp[us + k];
    sigmoid_f32(a, a, 2 * (size_t)H); /* r, z */
    for (int j = 0; j < H; j++) {
      a[3 * H + j] = sp[us + 2 * H + j];
      a[2 * H + j] = gy[g + 2 * H + j] + gc[g + 2 * H + j] + a[j] * a[3 * H + j];
    }
    tanh_f32(a + 2 * H, a + 2 * H, H); /* n */
    for (int j = 0; j < H; j++) {
      const float n = a[2 * H + j];
      s_out[row + j] = n + a[H + j] * (s[row + j] - n);
    }
  }
}

void gru_backward(const float *acts, const float *s, const float *ds, int B, int H, int width, int offset,
                  float *dgx, float *dsp, float *ds_prev) {
  for (int b = 0; b < B; b++) {
    const size_t row = (size_t)b * H;
    const float *a = acts + (size_t)b * 4 * H;
    float *dg = dgx + (size_t)b * 3 * H;
    float *du = dsp + (size_t)b * width;
    memset(du, 0, sizeof(float) * offset); /* the attention's columns: not used by the cell */
    du += offset;
    for (int j = 0; j < H; j++) {
      const float r = a[j], z = a[H + j], n = a[2 * H + j], usn = a[3 * H + j], d = ds[row + j];
      ds_prev[row + j] = d * z;
      const float dpre_n = d * (1 - z) * (1 - n * n);
      const float dpre_r = dpre_n * usn * r * (1 - r);
      const float dpre_z = d * (s[row + j] - n) * z * (1 - z);
      dg[j] = dpre_r;
      dg[H + j] = dpre_z;
      dg[2 * H + j] = dpre_n;
      du[j] = dpre_r;
      du[H + j] = dpre_z;
      du[2 * H + j] = dpre_n * r;
    }
  }
}
