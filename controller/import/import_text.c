/* import_text.c: what the text importers (NNet, POLAR) share: a file read
 * whole and walked line by line, numbers parsed with strtod. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_type.h"

int import_text_open(import_text *t, const char *path, pb_error *err)
{
    FILE *f = fopen(path, "rb");
    long size;
    size_t got;

    memset(t, 0, sizeof *t);
    t->path = path;
    if (!f)
        return pb_error_set(err, PB_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return pb_error_set(err, PB_EIO, "%s: cannot read (not a regular file?)", path);
    }
    t->buf = malloc((size_t)size + 1);
    if (!t->buf) {
        fclose(f);
        return pb_error_set(err, PB_ENOMEM, "%s: out of memory reading %ld bytes", path, size);
    }
    got = fread(t->buf, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        import_text_close(t);
        return pb_error_set(err, PB_EIO, "%s: read error", path);
    }
    t->buf[got] = '\0';
    if (memchr(t->buf, '\0', got)) {
        import_text_close(t);
        return pb_error_set(err, PB_EFORMAT, "%s: binary data in a text format", path);
    }
    t->pos = t->buf;
    return PB_SUCCESS;
}

void import_text_close(import_text *t)
{
    free(t->buf);
    t->buf = t->pos = NULL;
}

char *import_text_next_line(import_text *t, const char *comment)
{
    while (t->pos && *t->pos) {
        char *line = t->pos, *end = strchr(line, '\n'), *p;
        if (end) {
            *end = '\0';
            t->pos = end + 1;
        } else {
            t->pos = line + strlen(line);
        }
        t->line++;
        /* Strip a trailing CR and leading blanks. */
        p = line + strlen(line);
        if (p > line && p[-1] == '\r')
            p[-1] = '\0';
        line += strspn(line, " \t");
        if (!*line)
            continue;
        if (comment && strncmp(line, comment, strlen(comment)) == 0)
            continue;
        return line;
    }
    return NULL;
}

int import_text_numbers(import_text *t, char *line, double v[], size_t max, size_t *n,
                        pb_error *err)
{
    char *p = line;

    *n = 0;
    for (;;) {
        char *end;
        double x;
        p += strspn(p, " \t,");
        if (!*p)
            return PB_SUCCESS;
        errno = 0;
        x = strtod(p, &end);
        if (end == p || !isfinite(x) || (*end && !strchr(" \t,", *end)))
            return pb_error_set(err, PB_EFORMAT, "%s:%zu: '%.*s' is not a finite number", t->path,
                                t->line, (int)strcspn(p, " \t,"), p);
        if (*n == max)
            return pb_error_set(err, PB_EFORMAT, "%s:%zu: more than %zu values on the line",
                                t->path, t->line, max);
        v[(*n)++] = x;
        p = end;
    }
}
