/* pb_mem.c: huge-page advice for large work arrays (pb_mem.h). */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "pb_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

void pb_mem_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t e = ((uintptr_t)p + bytes) & ~(HUGE_PAGE - 1);

    if (p && e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE); /* a hint: its failure changes nothing */
#else
    (void)p;
    (void)bytes;
#endif
}

void *pb_malloc_large(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);

    pb_mem_advise_huge(p, bytes);
    return p;
}

void *pb_calloc_large(size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size)
        return NULL;
    /* malloc, advice, then the zeros: calloc would touch a reused block
     * before the advice. */
    p = pb_malloc_large(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}
