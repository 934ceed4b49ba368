#include "pb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pb_strerror(int code)
{
    switch (code) {
    case PB_SUCCESS:
        return "success";
    case PB_EINVAL:
        return "invalid argument";
    case PB_ENOMEM:
        return "out of memory";
    case PB_EIO:
        return "input/output error";
    case PB_EFORMAT:
        return "malformed file";
    case PB_EDIVERGED:
        return "trajectory diverged";
    case PB_ENUMERIC:
        return "numerical failure";
    case PB_EUNSUPPORTED:
        return "not supported";
    case PB_EINTERRUPTED:
        return "interrupted";
    case PB_EINTERNAL:
        return "internal error";
    default:
        return "unknown error";
    }
}

void pb_error_clear(pb_error *err)
{
    if (err) {
        err->code = PB_SUCCESS;
        err->msg[0] = '\0';
    }
}

int pb_error_set(pb_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int pb_error_prefix(pb_error *err, const char *fmt, ...)
{
    char prefix[PB_ERRMSG_MAX];
    char old[PB_ERRMSG_MAX];
    va_list ap;

    if (!err)
        return PB_EINTERNAL;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation of an overlong message is acceptable; say so to GCC. */
    if (snprintf(err->msg, sizeof err->msg, "%s", prefix) < (int)sizeof err->msg) {
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof err->msg - used, "%s", old);
    }
    return err->code;
}

int pb_exit_code(int code)
{
    switch (code) {
    case PB_SUCCESS:
        return 0;
    case PB_EINVAL:
    case PB_EIO:
    case PB_EFORMAT:
    case PB_EUNSUPPORTED:
        return 2;
    default:
        return 1;
    }
}
