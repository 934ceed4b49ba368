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

#pragma GCC push_options
#pragma GCC target("avx512f")
extern __m512d _ZGVeN8v_sin(__m512d x);
extern __m512d _ZGVeN8v_cos(__m512d x);
extern __m512d _ZGVeN8v_exp(__m512d x);

/* Eight at a time; a tail of fewer than eight is padded with zeros. */
#define VEC_MAP_AVX512(name, vfn)                                                                  \
    static void name(size_t n, const double x[], double y[])                                      \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 8 <= n; i += 8)                                                                 \
            _mm512_storeu_pd(y + i, vfn(_mm512_loadu_pd(x + i)));                                  \
        if (i < n) {                                                                               \
            double t[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};                                \
            memcpy(t, x + i, (n - i) * sizeof *t);                                                 \
            _mm512_storeu_pd(t, vfn(_mm512_loadu_pd(t)));                                          \
            memcpy(y + i, t, (n - i) * sizeof *t);                                                 \
        }                                                                                          \
    }
VEC_MAP_AVX512(vec_sin_avx512, _ZGVeN8v_sin)
VEC_MAP_AVX512(vec_cos_avx512, _ZGVeN8v_cos)
VEC_MAP_AVX512(vec_exp_avx512, _ZGVeN8v_exp)
#undef VEC_MAP_AVX512
#pragma GCC pop_options

/* tanh has no AVX-512 entry here: glibc's AVX-512 tanh differs from its
 * AVX2 one in the last bits (tests/test_norm.c measures both). */
#define vec_tanh_avx512 vec_tanh_avx2

/* The CPU as GCC's cpu model sees it (under valgrind, which has no AVX-512:
 * at most PB_VEC_AVX2). */
static int cpu_level(void)
{
    if (__builtin_cpu_supports("avx512f"))
        return PB_VEC_AVX512;
    return __builtin_cpu_supports("avx2") ? PB_VEC_AVX2 : PB_VEC_LIBM;
}
#else
static int cpu_level(void)
{
    return PB_VEC_LIBM;
}
#define vec_sin_avx2(n, x, y)    ((void)0)
#define vec_cos_avx2(n, x, y)    ((void)0)
#define vec_exp_avx2(n, x, y)    ((void)0)
#define vec_tanh_avx2(n, x, y)   ((void)0)
#define vec_sin_avx512(n, x, y)  ((void)0)
#define vec_cos_avx512(n, x, y)  ((void)0)
#define vec_exp_avx512(n, x, y)  ((void)0)
#define vec_tanh_avx512(n, x, y) ((void)0)
#endif

int pb_vec_level(void)
{
    return cpu_level();
}

#define VEC_DISPATCH(fn)                                                                           \
    int pb_vec_##fn##_at(int level, size_t n, const double x[], double y[])                        \
    {                                                                                              \
        if (level > cpu_level())                                                                   \
            return -1;                                                                             \
        switch (level) {                                                                           \
        case PB_VEC_AVX512:                                                                        \
            vec_##fn##_avx512(n, x, y);                                                            \
            return 0;                                                                              \
        case PB_VEC_AVX2:                                                                          \
            vec_##fn##_avx2(n, x, y);                                                              \
            return 0;                                                                              \
        default:                                                                                   \
            for (size_t i = 0; i < n; i++)                                                         \
                y[i] = fn(x[i]);                                                                   \
            return 0;                                                                              \
        }                                                                                          \
    }                                                                                              \
    void pb_vec_##fn(size_t n, const double x[], double y[])                                       \
    {                                                                                              \
        pb_vec_##fn##_at(cpu_level(), n, x, y);                                                    \
    }
VEC_DISPATCH(sin)
VEC_DISPATCH(cos)
VEC_DISPATCH(exp)
VEC_DISPATCH(tanh)
#undef VEC_DISPATCH
