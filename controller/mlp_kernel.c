/* mlp_kernel.c: one dense layer z = W h + b over a batch of inputs stored as
 * structure of arrays (mlp_kernel.h).
 *
 * Every output is the same sequence of correctly rounded fused
 * multiply-adds, z = fma(W[r][n-1], h[n-1], ... fma(W[r][0], h[0], b[r])),
 * whatever the number of lanes, the lane's position, the tile it falls in or
 * the instruction set: the AVX-512 and AVX2 kernels vectorise across lanes
 * (each vector element is one lane's chain), the scalar kernel runs the
 * chains one by one, and fma() is the IEEE 754 operation in every case (a
 * machine without FMA instructions gets libm's correctly rounded fma).
 * Hence a batched forward pass equals the single-state one bit for bit, and a
 * lane's result does not depend on which other lanes share its batch: the
 * closed-loop engine's rows are the same for any thread count or block. */
#include "mlp_kernel.h"

#include <math.h>

/* One lane at a time, eight rows in flight (eight independent chains). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx512f", "arch=haswell", "default")))
#endif
static void layer_scalar(size_t n_out, size_t n_in, const double *restrict W,
                         const double *restrict b, size_t l0, size_t l1, size_t ld,
                         const double *restrict H, double *restrict Z)
{
    for (size_t l = l0; l < l1; l++) {
        size_t r = 0;
        for (; r + 8 <= n_out; r += 8) {
            const double *w = W + r * n_in;
            double a0 = b[r], a1 = b[r + 1], a2 = b[r + 2], a3 = b[r + 3];
            double a4 = b[r + 4], a5 = b[r + 5], a6 = b[r + 6], a7 = b[r + 7];
            for (size_t j = 0; j < n_in; j++) {
                double h = H[j * ld + l];
                a0 = fma(w[j], h, a0);
                a1 = fma(w[n_in + j], h, a1);
                a2 = fma(w[2 * n_in + j], h, a2);
                a3 = fma(w[3 * n_in + j], h, a3);
                a4 = fma(w[4 * n_in + j], h, a4);
                a5 = fma(w[5 * n_in + j], h, a5);
                a6 = fma(w[6 * n_in + j], h, a6);
                a7 = fma(w[7 * n_in + j], h, a7);
            }
            Z[r * ld + l] = a0;
            Z[(r + 1) * ld + l] = a1;
            Z[(r + 2) * ld + l] = a2;
            Z[(r + 3) * ld + l] = a3;
            Z[(r + 4) * ld + l] = a4;
            Z[(r + 5) * ld + l] = a5;
            Z[(r + 6) * ld + l] = a6;
            Z[(r + 7) * ld + l] = a7;
        }
        for (; r < n_out; r++) {
            const double *w = W + r * n_in;
            double a = b[r];
            for (size_t j = 0; j < n_in; j++)
                a = fma(w[j], H[j * ld + l], a);
            Z[r * ld + l] = a;
        }
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>

/* AVX-512: tiles of eight rows by sixteen lanes (sixteen accumulators) and
 * a last one of eight lanes, the remaining rows one by one over 64, 16 or 8
 * lanes.  Returns the number of lanes done (a multiple of 8). */
__attribute__((target("avx512f"))) static size_t layer_avx512(size_t n_out, size_t n_in,
                                                              const double *restrict W,
                                                              const double *restrict b, size_t nl,
                                                              size_t ld, const double *restrict H,
                                                              double *restrict Z)
{
    size_t nv = nl - nl % 16, n8 = nl - nl % 8, r = 0;

    for (; r + 8 <= n_out; r += 8) {
        const double *w = W + r * n_in;
        if (n8 > nv) { /* the last eight lanes: one vector per row */
            __m512d a0 = _mm512_set1_pd(b[r]), a1 = _mm512_set1_pd(b[r + 1]);
            __m512d a2 = _mm512_set1_pd(b[r + 2]), a3 = _mm512_set1_pd(b[r + 3]);
            __m512d a4 = _mm512_set1_pd(b[r + 4]), a5 = _mm512_set1_pd(b[r + 5]);
            __m512d a6 = _mm512_set1_pd(b[r + 6]), a7 = _mm512_set1_pd(b[r + 7]);
            for (size_t j = 0; j < n_in; j++) {
                __m512d h = _mm512_loadu_pd(H + j * ld + nv);
                a0 = _mm512_fmadd_pd(_mm512_set1_pd(w[j]), h, a0);
                a1 = _mm512_fmadd_pd(_mm512_set1_pd(w[n_in + j]), h, a1);
                a2 = _mm512_fmadd_pd(_mm512_set1_pd(w[2 * n_in + j]), h, a2);
                a3 = _mm512_fmadd_pd(_mm512_set1_pd(w[3 * n_in + j]), h, a3);
                a4 = _mm512_fmadd_pd(_mm512_set1_pd(w[4 * n_in + j]), h, a4);
                a5 = _mm512_fmadd_pd(_mm512_set1_pd(w[5 * n_in + j]), h, a5);
                a6 = _mm512_fmadd_pd(_mm512_set1_pd(w[6 * n_in + j]), h, a6);
                a7 = _mm512_fmadd_pd(_mm512_set1_pd(w[7 * n_in + j]), h, a7);
            }
            _mm512_storeu_pd(Z + r * ld + nv, a0);
            _mm512_storeu_pd(Z + (r + 1) * ld + nv, a1);
            _mm512_storeu_pd(Z + (r + 2) * ld + nv, a2);
            _mm512_storeu_pd(Z + (r + 3) * ld + nv, a3);
            _mm512_storeu_pd(Z + (r + 4) * ld + nv, a4);
            _mm512_storeu_pd(Z + (r + 5) * ld + nv, a5);
            _mm512_storeu_pd(Z + (r + 6) * ld + nv, a6);
            _mm512_storeu_pd(Z + (r + 7) * ld + nv, a7);
        }
        for (size_t l0 = 0; l0 < nv; l0 += 16) {
#define ACC(q) __m512d a##q##0 = _mm512_set1_pd(b[r + q]), a##q##1 = a##q##0
            ACC(0);
            ACC(1);
            ACC(2);
            ACC(3);
            ACC(4);
            ACC(5);
            ACC(6);
            ACC(7);
#undef ACC
            for (size_t j = 0; j < n_in; j++) {
                __m512d h0 = _mm512_loadu_pd(H + j * ld + l0), h1 = _mm512_loadu_pd(H + j * ld + l0 + 8);
#define FMA(q)                                                                                     \
    do {                                                                                           \
        __m512d x = _mm512_set1_pd(w[q * n_in + j]);                                               \
        a##q##0 = _mm512_fmadd_pd(x, h0, a##q##0);                                                 \
        a##q##1 = _mm512_fmadd_pd(x, h1, a##q##1);                                                 \
    } while (0)
                FMA(0);
                FMA(1);
                FMA(2);
                FMA(3);
                FMA(4);
                FMA(5);
                FMA(6);
                FMA(7);
#undef FMA
            }
#define STORE(q)                                                                                   \
    do {                                                                                           \
        _mm512_storeu_pd(Z + (r + q) * ld + l0, a##q##0);                                          \
        _mm512_storeu_pd(Z + (r + q) * ld + l0 + 8, a##q##1);                                      \
    } while (0)
            STORE(0);
            STORE(1);
            STORE(2);
            STORE(3);
            STORE(4);
            STORE(5);
            STORE(6);
            STORE(7);
#undef STORE
        }
    }
    for (; r < n_out; r++) {
        const double *w = W + r * n_in;
        size_t l0 = 0;
        for (; l0 + 64 <= nv; l0 += 64) {
            __m512d a0 = _mm512_set1_pd(b[r]), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
                    a6 = a0, a7 = a0;
            for (size_t j = 0; j < n_in; j++) {
                __m512d x = _mm512_set1_pd(w[j]);
                const double *h = H + j * ld + l0;
                a0 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h), a0);
                a1 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h + 8), a1);
                a2 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h + 16), a2);
                a3 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h + 24), a3);
                a4 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h + 32), a4);
                a5 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h + 40), a5);
                a6 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h + 48), a6);
                a7 = _mm512_fmadd_pd(x, _mm512_loadu_pd(h + 56), a7);
            }
            _mm512_storeu_pd(Z + r * ld + l0, a0);
            _mm512_storeu_pd(Z + r * ld + l0 + 8, a1);
            _mm512_storeu_pd(Z + r * ld + l0 + 16, a2);
            _mm512_storeu_pd(Z + r * ld + l0 + 24, a3);
            _mm512_storeu_pd(Z + r * ld + l0 + 32, a4);
            _mm512_storeu_pd(Z + r * ld + l0 + 40, a5);
            _mm512_storeu_pd(Z + r * ld + l0 + 48, a6);
            _mm512_storeu_pd(Z + r * ld + l0 + 56, a7);
        }
        for (; l0 < nv; l0 += 16) {
            __m512d a0 = _mm512_set1_pd(b[r]), a1 = a0;
            for (size_t j = 0; j < n_in; j++) {
                __m512d x = _mm512_set1_pd(w[j]);
                a0 = _mm512_fmadd_pd(x, _mm512_loadu_pd(H + j * ld + l0), a0);
                a1 = _mm512_fmadd_pd(x, _mm512_loadu_pd(H + j * ld + l0 + 8), a1);
            }
            _mm512_storeu_pd(Z + r * ld + l0, a0);
            _mm512_storeu_pd(Z + r * ld + l0 + 8, a1);
        }
        if (n8 > nv) {
            __m512d a0 = _mm512_set1_pd(b[r]);
            for (size_t j = 0; j < n_in; j++)
                a0 = _mm512_fmadd_pd(_mm512_set1_pd(w[j]), _mm512_loadu_pd(H + j * ld + nv), a0);
            _mm512_storeu_pd(Z + r * ld + nv, a0);
        }
    }
    return n8;
}

/* AVX2 with FMA: tiles of four rows by eight lanes (eight accumulators of
 * the sixteen registers), the remaining rows one by one over 32 lanes. */
__attribute__((target("avx2,fma"))) static size_t layer_avx2(size_t n_out, size_t n_in,
                                                             const double *restrict W,
                                                             const double *restrict b, size_t nl,
                                                             size_t ld, const double *restrict H,
                                                             double *restrict Z)
{
    size_t nv = nl - nl % 8, r = 0;

    for (; r + 4 <= n_out; r += 4) {
        const double *w = W + r * n_in;
        for (size_t l0 = 0; l0 < nv; l0 += 8) {
            __m256d a00 = _mm256_set1_pd(b[r]), a01 = a00;
            __m256d a10 = _mm256_set1_pd(b[r + 1]), a11 = a10;
            __m256d a20 = _mm256_set1_pd(b[r + 2]), a21 = a20;
            __m256d a30 = _mm256_set1_pd(b[r + 3]), a31 = a30;
            for (size_t j = 0; j < n_in; j++) {
                __m256d h0 = _mm256_loadu_pd(H + j * ld + l0), h1 = _mm256_loadu_pd(H + j * ld + l0 + 4);
                __m256d x0 = _mm256_set1_pd(w[j]), x1 = _mm256_set1_pd(w[n_in + j]);
                __m256d x2 = _mm256_set1_pd(w[2 * n_in + j]), x3 = _mm256_set1_pd(w[3 * n_in + j]);
                a00 = _mm256_fmadd_pd(x0, h0, a00);
                a01 = _mm256_fmadd_pd(x0, h1, a01);
                a10 = _mm256_fmadd_pd(x1, h0, a10);
                a11 = _mm256_fmadd_pd(x1, h1, a11);
                a20 = _mm256_fmadd_pd(x2, h0, a20);
                a21 = _mm256_fmadd_pd(x2, h1, a21);
                a30 = _mm256_fmadd_pd(x3, h0, a30);
                a31 = _mm256_fmadd_pd(x3, h1, a31);
            }
            _mm256_storeu_pd(Z + r * ld + l0, a00);
            _mm256_storeu_pd(Z + r * ld + l0 + 4, a01);
            _mm256_storeu_pd(Z + (r + 1) * ld + l0, a10);
            _mm256_storeu_pd(Z + (r + 1) * ld + l0 + 4, a11);
            _mm256_storeu_pd(Z + (r + 2) * ld + l0, a20);
            _mm256_storeu_pd(Z + (r + 2) * ld + l0 + 4, a21);
            _mm256_storeu_pd(Z + (r + 3) * ld + l0, a30);
            _mm256_storeu_pd(Z + (r + 3) * ld + l0 + 4, a31);
        }
    }
    for (; r < n_out; r++) {
        const double *w = W + r * n_in;
        size_t l0 = 0;
        for (; l0 + 32 <= nv; l0 += 32) {
            __m256d a0 = _mm256_set1_pd(b[r]), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
                    a6 = a0, a7 = a0;
            for (size_t j = 0; j < n_in; j++) {
                __m256d x = _mm256_set1_pd(w[j]);
                const double *h = H + j * ld + l0;
                a0 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h), a0);
                a1 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h + 4), a1);
                a2 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h + 8), a2);
                a3 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h + 12), a3);
                a4 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h + 16), a4);
                a5 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h + 20), a5);
                a6 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h + 24), a6);
                a7 = _mm256_fmadd_pd(x, _mm256_loadu_pd(h + 28), a7);
            }
            _mm256_storeu_pd(Z + r * ld + l0, a0);
            _mm256_storeu_pd(Z + r * ld + l0 + 4, a1);
            _mm256_storeu_pd(Z + r * ld + l0 + 8, a2);
            _mm256_storeu_pd(Z + r * ld + l0 + 12, a3);
            _mm256_storeu_pd(Z + r * ld + l0 + 16, a4);
            _mm256_storeu_pd(Z + r * ld + l0 + 20, a5);
            _mm256_storeu_pd(Z + r * ld + l0 + 24, a6);
            _mm256_storeu_pd(Z + r * ld + l0 + 28, a7);
        }
        for (; l0 < nv; l0 += 8) {
            __m256d a0 = _mm256_set1_pd(b[r]), a1 = a0;
            for (size_t j = 0; j < n_in; j++) {
                __m256d x = _mm256_set1_pd(w[j]);
                a0 = _mm256_fmadd_pd(x, _mm256_loadu_pd(H + j * ld + l0), a0);
                a1 = _mm256_fmadd_pd(x, _mm256_loadu_pd(H + j * ld + l0 + 4), a1);
            }
            _mm256_storeu_pd(Z + r * ld + l0, a0);
            _mm256_storeu_pd(Z + r * ld + l0 + 4, a1);
        }
    }
    return nv;
}

/* 2: AVX-512, 1: AVX2 with FMA, 0: neither. */
static int kernel_level(void)
{
    if (__builtin_cpu_supports("avx512f"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
    return 0;
}
#else
static int kernel_level(void)
{
    return 0;
}
/* No vector kernel: every lane goes to layer_scalar. */
#define layer_avx512(n_out, n_in, W, b, nl, ld, H, Z) ((void)(nl), (size_t)0)
#define layer_avx2(n_out, n_in, W, b, nl, ld, H, Z)   ((void)(nl), (size_t)0)
#endif

void mlp_layer_eval(size_t n_out, size_t n_in, const double W[], const double b[], size_t nl,
                    size_t ld, const double H[], double Z[])
{
    /* With a stride of whole vectors, the lanes up to the next multiple of
     * eight are computed too (padding: each lane is its own chain). */
    size_t nc = ld % 8 == 0 ? (nl + 7) / 8 * 8 : nl, done = 0;

    switch (kernel_level()) {
    case 2:
        done = layer_avx512(n_out, n_in, W, b, nc, ld, H, Z);
        break;
    case 1:
        done = layer_avx2(n_out, n_in, W, b, nc, ld, H, Z);
        break;
    default:
        break;
    }
    if (done < nl)
        layer_scalar(n_out, n_in, W, b, done, nl, ld, H, Z);
}
