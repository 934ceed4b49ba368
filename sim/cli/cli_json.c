/* cli_json.c: JSON helpers of the commands (cli_json.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_json.h"

json_t *cli_json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *cli_json_row(const void *row, const h5_column cols[], size_t n_cols)
{
    const char *base = row;
    json_t *o = json_object();

    for (size_t i = 0; o && i < n_cols; i++) {
        const char *p = base + cols[i].offset;
        json_t *v = NULL;
        switch (cols[i].kind) {
        case H5W_STR:
            v = json_stringn(p, strnlen(p, cols[i].size));
            break;
        case H5W_F64: {
            double d;
            memcpy(&d, p, sizeof d);
            v = cli_json_num(d);
            break;
        }
        case H5W_I64: {
            long long x;
            memcpy(&x, p, sizeof x);
            v = json_integer((json_int_t)x);
            break;
        }
        case H5W_U8:
            v = json_integer((json_int_t)(unsigned char)*p);
            break;
        default:
            continue;
        }
        json_object_set_new(o, cols[i].name, v);
    }
    return o;
}

int cli_json_print(json_t *doc)
{
    int rc;

    if (!doc)
        return -1;
    rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
    if (rc == 0)
        putchar('\n');
    json_decref(doc);
    return rc;
}
