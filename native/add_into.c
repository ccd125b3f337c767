/*
 * Sum of the data-parallel workers' gradient slots (src/train/grad-worker.ts), in C.
 *
 * Why: the slots live in a SharedArrayBuffer, and V8's loop over Float32Arrays on shared memory ran at
 * ~3.5 ns per value (19–27 ms per step for 6.1M parameters, every worker, every step); this loop takes
 * 6.5 ms. Float32 additions in the same order as the JavaScript loop: the same sums, bit for bit.
 * (The Adam update itself was tried here too: no faster than V8's loop over ordinary Float32Arrays,
 * ~11 ms, so it stays in src/train/adam.ts.)
 */
#include "add_into.h"

__attribute__((target("avx2"))) void add_into(float *restrict out, const float *restrict x, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] += x[i];
}
