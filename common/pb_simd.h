/* pb_simd.h: how the batch loops are compiled.  A loop over the lanes of a
 * structure-of-arrays batch is a function of its own whose arrays are
 * restrict parameters (GCC 12 does not vectorise a loop over offsets of one
 * pointer), compiled for AVX-512, AVX2 and the baseline, the variant chosen
 * at load time (GCC target_clones; under valgrind, which has no AVX-512,
 * the AVX2 one).  IEEE arithmetic without contraction (C11 mode:
 * -ffp-contract=off, no fma) rounds alike in every variant and in the
 * scalar code, so a result never depends on the variant that computed it.
 * GCC vectorises these loops at -O3 (CMakeLists.txt compiles the batch
 * files so in every build type); at -O2 its "very cheap" cost model leaves
 * loops of unknown trip count scalar. */
#ifndef PB_COMMON_PB_SIMD_H
#define PB_COMMON_PB_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PB_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), noinline))
#else
#define PB_SIMD_CLONES
#endif

#endif
