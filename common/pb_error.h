/* pb_error.h: the status codes every prunebound function returns, and the
 * caller-owned error object that carries the message for the user. */
#ifndef PB_COMMON_PB_ERROR_H
#define PB_COMMON_PB_ERROR_H

#include <stddef.h>

/* 0 is success, negative is an error. */
enum pb_status {
    PB_SUCCESS = 0,
    PB_EINVAL = -1,       /* bad argument or bad user input (a value, a key) */
    PB_ENOMEM = -2,       /* an allocation failed */
    PB_EIO = -3,          /* a file could not be opened, read or written */
    PB_EFORMAT = -4,      /* a file was read but its content is malformed */
    PB_EDIVERGED = -5,    /* a trajectory left its state limits or became non-finite */
    PB_ENUMERIC = -6,     /* a numerical method failed (singular matrix, no convergence) */
    PB_EUNSUPPORTED = -7, /* valid input that this version cannot handle */
    PB_EINTERRUPTED = -8, /* stopped by a signal; partial work is kept */
    PB_EINTERNAL = -9     /* a bug or a library failure that should not happen */
};

#define PB_ERRMSG_MAX 1024

/* The message a failing call leaves for the user.  Every function that can
 * fail takes a `pb_error *err`, which may be NULL when the caller only wants
 * the status code. */
typedef struct pb_error {
    int code;
    char msg[PB_ERRMSG_MAX];
} pb_error;

/* A short constant description of a status code ("out of memory"). */
const char *pb_strerror(int code);

/* Clears err (code 0, empty message); err may be NULL. */
void pb_error_clear(pb_error *err);

/* Records code and a printf-style message in err (when err is not NULL) and
 * returns code, so that error paths read `return pb_error_set(err, ...);`.
 * A later call overwrites an earlier one. */
int pb_error_set(pb_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefixes the message already in err with a printf-style context
 * ("configs/x.cfg: " + old message) and returns err->code (or PB_EINTERNAL
 * when err is NULL, since the code is then unknown to the caller). */
int pb_error_prefix(pb_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The process exit code for a status: 0 on success, 2 for bad usage or bad
 * input (EINVAL, EIO, EFORMAT, EUNSUPPORTED), 1 for everything else. */
int pb_exit_code(int code);

#endif
