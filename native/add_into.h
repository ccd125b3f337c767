/* out += x over float32 arrays (see add_into.c). */
#ifndef NMT_ADD_INTO_H
#define NMT_ADD_INTO_H

#include <stddef.h>

void add_into(float *out, const float *x, size_t n);

#endif
