/* fuzz_util.c: scratch input files for the harnesses (fuzz_util.h). */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *fuzz_write_input(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[256];
    const char *dir = getenv("TMPDIR");
    FILE *f;

    snprintf(path, sizeof path, "%s/pbfuzz-%ld%s", dir && dir[0] ? dir : "/tmp", (long)getpid(),
             suffix);
    f = fopen(path, "wb");
    if (!f)
        return NULL;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return NULL;
    }
    if (fclose(f) != 0)
        return NULL;
    return path;
}
