/* pb_vec.h: sin, cos, exp and tanh over arrays, with glibc's libmvec
 * vector variants when the CPU has them, else libm.  Every element goes
 * through the same function whatever its position in the array (a short
 * tail is padded to a whole vector), so that a value's result never depends
 * on the length of the array it came in: a batched forward pass equals the
 * single-state one bit for bit.
 *
 * Which variant: sin, cos and exp take libmvec's AVX-512 one (eight values
 * per call) on an AVX-512 CPU, its AVX2 one (four) on an AVX2 CPU; tanh
 * takes the AVX2 one on both.  glibc's AVX-512 and AVX2 sin, cos and exp
 * give the same bits (tests/test_norm.c checks them against each other
 * over random bit patterns, the exp thresholds and arguments up to 1e300;
 * its tanh variants do not agree), so results are the same on every x86-64
 * CPU with AVX2, AVX-512 or not, and under valgrind (which has no AVX-512).
 * A CPU without AVX2 takes libm and may differ in the last bits.  All are
 * within 4 ulp of the correctly rounded values (libmvec's documented
 * accuracy).  y may be x. */
#ifndef PB_COMMON_PB_VEC_H
#define PB_COMMON_PB_VEC_H

#include <stddef.h>

void pb_vec_sin(size_t n, const double x[], double y[]);
void pb_vec_cos(size_t n, const double x[], double y[]);
void pb_vec_exp(size_t n, const double x[], double y[]);
void pb_vec_tanh(size_t n, const double x[], double y[]);

/* The variants, for tests. */
enum { PB_VEC_LIBM = 0, PB_VEC_AVX2 = 1, PB_VEC_AVX512 = 2 };

/* The best variant this CPU runs. */
int pb_vec_level(void);

/* The function through the variant `level` (tanh: AVX2 at PB_VEC_AVX512);
 * -1 when the CPU cannot run it, 0 otherwise. */
int pb_vec_sin_at(int level, size_t n, const double x[], double y[]);
int pb_vec_cos_at(int level, size_t n, const double x[], double y[]);
int pb_vec_exp_at(int level, size_t n, const double x[], double y[]);
int pb_vec_tanh_at(int level, size_t n, const double x[], double y[]);

#endif
