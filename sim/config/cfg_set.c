/* cfg_set.c: `--set key.path=value` overrides applied to a parsed config
 * before validation (libconfig path syntax, list elements as
 * `pruning.[0].method` or `pruning[0].method`).  A key the config has keeps
 * its kind: a number, true/false, a string (quotes optional), or an array
 * [a, b, ...] of numbers for an array.  A key it lacks is added, with the
 * groups on its way, its kind read from the value; validation then refuses
 * it, as in a file, where no such key belongs. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_internal.h"

#define SET_ARRAY_MAX 256

/* Fails with "--set KEY: message". */
static int set_fail(const cfg_ctx *c, const char *key, const char *msg, const char *value)
{
    return pb_error_set(c->err, PB_EINVAL, "%s: --set %s: %s%s%s", c->file, key, msg,
                        value ? " " : "", value ? value : "");
}

/* A whole number (strtod and strtoll agree), or a floating number: 1, 2 or 0. */
static int parse_number(const char *s, double *d, long long *ll)
{
    char *end;

    if (!s[0])
        return 0;
    errno = 0;
    *d = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(*d))
        return 0;
    *ll = strtoll(s, &end, 10);
    if (!*end && errno != ERANGE)
        return 2;
    return 1;
}

/* Trims white space in place. */
static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Replaces every element of array or list s by the numbers of text "[a, b]". */
static int set_array(const cfg_ctx *c, config_setting_t *s, const char *key, char *text)
{
    double v[SET_ARRAY_MAX];
    size_t n = 0;
    char *p, *tok, *save = NULL;
    long long ll;

    if (text[0] != '[' || text[strlen(text) - 1] != ']')
        return set_fail(c, key, "is an array: give [a, b, ...], not", text);
    for (int i = 0; i < config_setting_length(s); i++) {
        int t = config_setting_type(config_setting_get_elem(s, (unsigned)i));
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64 && t != CONFIG_TYPE_FLOAT)
            return set_fail(c, key, "holds entries that are not numbers; cannot override", NULL);
    }
    text[strlen(text) - 1] = '\0';
    p = trim(text + 1);
    if (p[0])
        for (tok = strtok_r(p, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (n == SET_ARRAY_MAX)
                return set_fail(c, key, "too many entries", NULL);
            if (!parse_number(trim(tok), &v[n], &ll))
                return set_fail(c, key, "expects numbers, got", tok);
            n++;
        }
    if (n == 0)
        return set_fail(c, key, "an empty array is not allowed", NULL);
    while (config_setting_length(s) > 0)
        config_setting_remove_elem(s, 0);
    for (size_t i = 0; i < n; i++) {
        config_setting_t *e = config_setting_add(s, NULL, CONFIG_TYPE_FLOAT);
        if (!e || !config_setting_set_float(e, v[i]))
            return set_fail(c, key, "cannot store the value", NULL);
    }
    return PB_SUCCESS;
}

/* Turns integer setting s into a float one holding v (libconfig settings
 * cannot change type in place: for a group member, remove and add; inside an
 * array, rebuild the array as floats). */
static int int_to_float(const cfg_ctx *c, config_setting_t *s, const char *key, double v)
{
    config_setting_t *parent = config_setting_parent(s);
    int pt = parent ? config_setting_type(parent) : CONFIG_TYPE_NONE;

    if (pt == CONFIG_TYPE_GROUP) {
        char name[128];
        config_setting_t *n;
        snprintf(name, sizeof name, "%s", config_setting_name(s));
        if (!config_setting_remove(parent, name))
            return set_fail(c, key, "cannot replace the value", NULL);
        n = config_setting_add(parent, name, CONFIG_TYPE_FLOAT);
        if (!n || !config_setting_set_float(n, v))
            return set_fail(c, key, "cannot store the value", NULL);
        return PB_SUCCESS;
    }
    if (pt == CONFIG_TYPE_ARRAY || pt == CONFIG_TYPE_LIST) {
        double vals[SET_ARRAY_MAX];
        int len = config_setting_length(parent), at = config_setting_index(s);
        if (len > SET_ARRAY_MAX)
            return set_fail(c, key, "the array is too long to override", NULL);
        for (int i = 0; i < len; i++) {
            config_setting_t *e = config_setting_get_elem(parent, (unsigned)i);
            int t = config_setting_type(e);
            if (t == CONFIG_TYPE_INT)
                vals[i] = config_setting_get_int(e);
            else if (t == CONFIG_TYPE_INT64)
                vals[i] = (double)config_setting_get_int64(e);
            else if (t == CONFIG_TYPE_FLOAT)
                vals[i] = config_setting_get_float(e);
            else
                return set_fail(c, key, "is inside a list of mixed values", NULL);
        }
        vals[at] = v;
        while (config_setting_length(parent) > 0)
            config_setting_remove_elem(parent, 0);
        for (int i = 0; i < len; i++) {
            config_setting_t *e = config_setting_add(parent, NULL, CONFIG_TYPE_FLOAT);
            if (!e || !config_setting_set_float(e, vals[i]))
                return set_fail(c, key, "cannot store the value", NULL);
        }
        return PB_SUCCESS;
    }
    return set_fail(c, key, "cannot change this value's type", NULL);
}

/* Adds the key at libconfig path `path`, which the config lacks: every
 * missing group on the way is made (a missing list element is an error),
 * and the value's syntax gives the kind: true or false a boolean, a whole
 * number an integer, another number a float, [a, b, ...] an array of
 * numbers, anything else a string (quotes optional; quoted, always one). */
static int set_add(const cfg_ctx *c, config_t *cf, const char *key, char *path, char *value)
{
    config_setting_t *g = config_root_setting(cf), *s;
    char *name = path, *save = NULL;
    size_t n = strlen(value);
    double d = 0.0;
    long long ll = 0;
    int kind = 0, quoted, type;

    /* The groups on the way; `name` ends as the last component. */
    for (char *part = strtok_r(path, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        name = part;
        if (!*save) /* the last component */
            break;
        if (part[0] == '[') {
            char *end;
            unsigned long i = strtoul(part + 1, &end, 10);
            if (end == part + 1 || strcmp(end, "]") != 0 ||
                config_setting_type(g) != CONFIG_TYPE_LIST ||
                !(s = config_setting_get_elem(g, (unsigned)i)))
                return set_fail(c, key, "no such list element in the config", NULL);
        } else if (!(s = config_setting_get_member(g, part))) {
            if (config_setting_type(g) != CONFIG_TYPE_GROUP ||
                !(s = config_setting_add(g, part, CONFIG_TYPE_GROUP)))
                return set_fail(c, key, "cannot add a group named", part);
        }
        if (!config_setting_is_aggregate(s))
            return set_fail(c, key, "goes through a value that is not a group:", part);
        g = s;
    }
    if (name[0] == '[')
        return set_fail(c, key, "no such list element in the config (--set adds no entries)", NULL);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return set_fail(c, key, "cannot add a named key inside a list or array", NULL);
    if (config_setting_get_member(g, name)) /* there, but the path did not read (a..b) */
        return set_fail(c, key, "is not a key path libconfig reads", NULL);
    quoted = n >= 2 && value[0] == '"' && value[n - 1] == '"';
    if (strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0)
        type = CONFIG_TYPE_BOOL;
    else if (value[0] == '[')
        type = CONFIG_TYPE_ARRAY;
    else if (!quoted && (kind = parse_number(value, &d, &ll)) == 2)
        type = ll >= INT_MIN && ll <= INT_MAX ? CONFIG_TYPE_INT : CONFIG_TYPE_INT64;
    else if (!quoted && kind == 1)
        type = CONFIG_TYPE_FLOAT;
    else
        type = CONFIG_TYPE_STRING;
    /* libconfig's names: a letter or '*', then letters, digits, '-', '_', '*'. */
    s = config_setting_add(g, name, type);
    if (!s)
        return set_fail(c, key, "cannot be added: not a valid key name", NULL);
    switch (type) {
    case CONFIG_TYPE_BOOL:
        config_setting_set_bool(s, tolower((unsigned char)value[0]) == 't');
        return PB_SUCCESS;
    case CONFIG_TYPE_ARRAY:
        return set_array(c, s, key, value);
    case CONFIG_TYPE_INT:
        config_setting_set_int(s, (int)ll);
        return PB_SUCCESS;
    case CONFIG_TYPE_INT64:
        config_setting_set_int64(s, ll);
        return PB_SUCCESS;
    case CONFIG_TYPE_FLOAT:
        config_setting_set_float(s, d);
        return PB_SUCCESS;
    default:
        if (quoted) {
            value[n - 1] = '\0';
            value++;
        }
        return config_setting_set_string(s, value) ? PB_SUCCESS
                                                   : set_fail(c, key, "cannot store", value);
    }
}

int cfg_set_apply(const cfg_ctx *c, config_t *cf, const char *assignment)
{
    char key[256], path[300], buf[1024];
    const char *eq = strchr(assignment, '=');
    config_setting_t *s;
    char *value;
    size_t kl, j = 0;
    double d;
    long long ll;
    int kind;

    if (!eq || eq == assignment)
        return pb_error_set(c->err, PB_EINVAL, "--set %s: expected key.path=value", assignment);
    kl = (size_t)(eq - assignment);
    if (kl >= sizeof key || strlen(eq + 1) >= sizeof buf)
        return pb_error_set(c->err, PB_EINVAL, "--set %s: too long", assignment);
    memcpy(key, assignment, kl);
    key[kl] = '\0';
    snprintf(buf, sizeof buf, "%s", eq + 1);
    value = trim(buf);
    /* "a[1].b" -> libconfig's "a.[1].b" */
    for (size_t i = 0; key[i] && j + 2 < sizeof path; i++) {
        if (key[i] == '[' && i > 0 && key[i - 1] != '.')
            path[j++] = '.';
        path[j++] = key[i];
    }
    path[j] = '\0';
    s = config_lookup(cf, path);
    if (!s)
        return set_add(c, cf, key, path, value);
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
    case CONFIG_TYPE_FLOAT:
        kind = parse_number(value, &d, &ll);
        if (!kind)
            return set_fail(c, key, "expects a number, got", value);
        if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
            return config_setting_set_float(s, d) ? PB_SUCCESS
                                                  : set_fail(c, key, "cannot store", value);
        if (kind == 2)
            return config_setting_set_int64(s, ll) ? PB_SUCCESS
                                                   : set_fail(c, key, "cannot store", value);
        return int_to_float(c, s, key, d);
    case CONFIG_TYPE_BOOL:
        if (strcasecmp(value, "true") == 0)
            config_setting_set_bool(s, 1);
        else if (strcasecmp(value, "false") == 0)
            config_setting_set_bool(s, 0);
        else
            return set_fail(c, key, "expects true or false, got", value);
        return PB_SUCCESS;
    case CONFIG_TYPE_STRING: {
        size_t n = strlen(value);
        if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
            value[n - 1] = '\0';
            value++;
        }
        return config_setting_set_string(s, value) ? PB_SUCCESS
                                                   : set_fail(c, key, "cannot store", value);
    }
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
        return set_array(c, s, key, value);
    default:
        return set_fail(c, key, "is a group: --set takes a number, boolean, string or array", NULL);
    }
}
