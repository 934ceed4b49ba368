/* pb_vec.c: the vectorised elementary functions of pb_vec.h over glibc's
 * libmvec (x86-64 vector ABI names, glibc >= 2.35 for tanh). */
#include "pb_vec.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) /* clang ignores the pragmas */
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2")
extern __m256d _ZGVdN4v_sin(__m256d x);
extern __m256d _ZGVdN4v_cos(__m256d x);
extern __m256d _ZGVdN4v_exp(__m256d x);
extern __m256d _ZGVdN4v_tanh(__m256d x);

/* Four at a time; a tail of fewer than four is padded with zeros. */
#define VEC_MAP_AVX2(name, vfn)                                                                    \
    static void name(size_t n, const double x[], double y[])                                      \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 4 <= n; i += 4)                                                                 \
            _mm256_storeu_pd(y + i, vfn(_mm256_loadu_pd(x + i)));                                  \
        if (i < n) {                                                                               \
            double t[4] = {0.0, 0.0, 0.0, 0.0};                                                    \
            memcpy(t, x + i, (n - i) * sizeof *t);                                                 \
            _mm256_storeu_pd(t, vfn(_mm256_loadu_pd(t)));                                          \
            memcpy(y + i, t, (n - i) * sizeof *t);                                                 \
        }                                                                                          \
    }
VEC_MAP_AVX2(vec_sin_avx2, _ZGVdN4v_sin)
VEC_MAP_AVX2(vec_cos_avx2, _ZGVdN4v_cos)
VEC_MAP_AVX2(vec_exp_avx2, _ZGVdN4v_exp)
VEC_MAP_AVX2(vec_tanh_avx2, _ZGVdN4v_tanh)
#undef VEC_MAP_AVX2
#pragma GCC pop_options

/* 1: AVX2, 0: no AVX2 (the CPU as GCC's cpu model sees it).  The AVX2 variant
 * is used on AVX-512 machines too, so that results agree on every x86-64 CPU
 * of the last decade, under valgrind (which has no AVX-512) included. */
#define VEC_LEVEL() (__builtin_cpu_supports("avx2") ? 1 : 0)
#else
#define VEC_LEVEL() 0
#define vec_sin_avx2(n, x, y)    ((void)0)
#define vec_cos_avx2(n, x, y)    ((void)0)
#define vec_exp_avx2(n, x, y)    ((void)0)
#define vec_tanh_avx2(n, x, y)   ((void)0)
#endif

#define VEC_DISPATCH(fn)                                                                           \
    void pb_vec_##fn(size_t n, const double x[], double y[])                                       \
    {                                                                                              \
        if (VEC_LEVEL()) {                                                                         \
            vec_##fn##_avx2(n, x, y);                                                              \
            return;                                                                                \
        }                                                                                          \
        for (size_t i = 0; i < n; i++)                                                             \
            y[i] = fn(x[i]);                                                                       \
    }
VEC_DISPATCH(sin)
VEC_DISPATCH(cos)
VEC_DISPATCH(exp)
VEC_DISPATCH(tanh)
#undef VEC_DISPATCH
