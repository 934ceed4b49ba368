/* pb_mem.h: large work arrays (weights, calibration activations, Hessians)
 * backed by transparent huge pages where the kernel offers them.
 *
 * A first touch of fresh memory costs a page fault per 4 KiB page: 8,192
 * for a 32 MiB array of activations.  bench/prune's `prunebound prune`
 * (1024-wide layers) took 51,000 of them and 1.02 s without the advice
 * below, 9,700 and 0.71 s with it (docs/PERFORMANCE.md).  With
 * MADV_HUGEPAGE the kernel backs each whole 2 MiB page of the block with one
 * huge page, one fault per 2 MiB.  It is a hint: where THP is off (`never` in
 * /sys/kernel/mm/transparent_hugepage/enabled) nothing changes, and the
 * contents are those of malloc and calloc either way. */
#ifndef PB_COMMON_PB_MEM_H
#define PB_COMMON_PB_MEM_H

#include <stddef.h>

/* Advises the whole 2 MiB pages inside [p, p + bytes) as huge (none when the
 * block holds no whole one); the memory around the block is untouched. */
void pb_mem_advise_huge(void *p, size_t bytes);

/* malloc(bytes) and calloc(n, size), advised by pb_mem_advise_huge before
 * their first touch; released with free().  NULL when out of memory (and
 * calloc's n * size overflowing). */
void *pb_malloc_large(size_t bytes);
void *pb_calloc_large(size_t n, size_t size);

#endif
