/* cfg_internal.h: helpers shared by the cfg*.c files (which alone include
 * libconfig).  Every getter fails with "FILE:LINE: key.path: problem". */
#ifndef PB_SIM_CONFIG_CFG_INTERNAL_H
#define PB_SIM_CONFIG_CFG_INTERNAL_H

#include <libconfig.h>
#include <stddef.h>

#include "cfg.h"

typedef struct cfg_ctx {
    const char *file; /* the config as given, for settings without a source file */
    pb_error *err;
} cfg_ctx;

/* Records where setting s (NULL: the file alone) is, under key path `key`. */
void cfg_where_set(const cfg_ctx *c, const config_setting_t *s, const char *key, cfg_where *w);

/* Sets PB_EINVAL with "FILE:LINE: key: <printf message>" and returns it. */
int cfg_fail(const cfg_ctx *c, const config_setting_t *s, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* "prefix.name" into buf (name alone for an empty prefix); returns buf. */
const char *cfg_key(char *buf, size_t len, const char *prefix, const char *name);

/* Fails on a member of group g whose name is not in the NULL-terminated allowed list. */
int cfg_check_keys(const cfg_ctx *c, const config_setting_t *g, const char *prefix,
                   const char *const allowed[]);

/* Typed members of group g: a missing optional key leaves *v unchanged. */
int cfg_get_group(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                  int required, config_setting_t **out);
int cfg_get_num(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                int required, double lo, double hi, int lo_open, double *v);
int cfg_get_int(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                int required, long long lo, long long hi, long long *v);
int cfg_get_str(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                int required, char *buf, size_t len);
int cfg_get_bool(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                 int *v);
/* An array of numbers: exactly `want` entries, or 1..cap when want is 0. */
int cfg_get_nums(const cfg_ctx *c, const config_setting_t *g, const char *prefix, const char *name,
                 int required, size_t want, size_t cap, double v[], size_t *n);

/* Applies one --set override "key.path=value" to cf (cfg_set.c): the key must
 * exist; the value must have its type (number, boolean, string, or an array
 * [a, b] of numbers for an array).  PB_EINVAL with a message otherwise. */
int cfg_set_apply(const cfg_ctx *c, config_t *cf, const char *assignment);

#endif
