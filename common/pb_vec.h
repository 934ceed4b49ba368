/* pb_vec.h: sin, cos, exp and tanh over arrays, with glibc's libmvec AVX2
 * variants (four values per call) when the CPU has AVX2, else libm.  Every
 * element goes through the same function whatever its position in the array
 * (a short tail is padded to a whole vector), so that a value's result never
 * depends on the length of the array it came in: a batched forward pass
 * equals the single-state one bit for bit.  The AVX2 variant serves AVX-512
 * CPUs too, so results are the same on every x86-64 CPU with AVX2 (and under
 * valgrind); within 4 ulp of the correctly rounded ones (libmvec's documented
 * accuracy).  y may be x. */
#ifndef PB_VEC_H
#define PB_VEC_H

#include <stddef.h>

void pb_vec_sin(size_t n, const double x[], double y[]);
void pb_vec_cos(size_t n, const double x[], double y[]);
void pb_vec_exp(size_t n, const double x[], double y[]);
void pb_vec_tanh(size_t n, const double x[], double y[]);

#endif
