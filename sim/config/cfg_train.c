/* cfg_train.c: policy.train of a config into sim_train_opts.  Each key is
 * one row of a table (name, kind, where it goes); the values are then
 * checked as a whole by sim_train_opts_validate, whose messages start with
 * the key they concern, so that the error names the key's line. */
#include "cfg_train.h"

#include <libconfig.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

enum key_kind { K_SIZE, K_ULONG, K_DOUBLE, K_BOOL, K_ACT, K_SIZES, K_DOUBLES };

typedef struct train_key {
    const char *name;
    enum key_kind kind;
    size_t off;   /* offset of the field in sim_train_opts */
    size_t count; /* K_SIZES / K_DOUBLES: offset of the count field */
    int max;      /* K_SIZES / K_DOUBLES: capacity; 0 = the plant's nx / nu */
} train_key;

#define OFF(f) offsetof(sim_train_opts, f)
#define NX_CAP -1
#define NU_CAP -2

static const train_key keys[] = {
    {"hidden", K_SIZES, OFF(hidden), OFF(n_hidden), SIM_TRAIN_MAX_HIDDEN},
    {"activation", K_ACT, OFF(act), 0, 0},
    {"alpha", K_DOUBLE, OFF(alpha), 0, 0},
    {"seed", K_ULONG, OFF(seed), 0, 0},
    {"trajectories", K_SIZE, OFF(trajectories), 0, 0},
    {"steps", K_SIZE, OFF(steps), 0, 0},
    {"uniform", K_SIZE, OFF(uniform), 0, 0},
    {"noise", K_DOUBLE, OFF(noise), 0, 0},
    {"dagger_rounds", K_SIZE, OFF(dagger_rounds), 0, 0},
    {"dagger_keep", K_DOUBLE, OFF(dagger_keep), 0, 0},
    {"epochs", K_SIZE, OFF(epochs), 0, 0},
    {"batch", K_SIZE, OFF(batch), 0, 0},
    {"learning_rate", K_DOUBLE, OFF(lr), 0, 0},
    {"learning_rate_final", K_DOUBLE, OFF(lr_final), 0, 0},
    {"validation", K_DOUBLE, OFF(val_fraction), 0, 0},
    {"box", K_DOUBLES, OFF(box), OFF(n_box), NX_CAP},
    {"q", K_DOUBLES, OFF(q), OFF(n_q), NX_CAP},
    {"r", K_DOUBLES, OFF(r), OFF(n_r), NU_CAP},
    {"pin_equilibrium", K_BOOL, OFF(pin_equilibrium), 0, 0},
    {NULL, 0, 0, 0, 0}};

/* "FILE:LINE: policy.train.KEY: " + message. */
static int fail_at(pb_error *err, const config_setting_t *s, const char *file, const char *key,
                   const char *fmt, const char *what)
{
    const char *src = s ? config_setting_source_file(s) : NULL;
    int line = s ? config_setting_source_line(s) : 0;
    char msg[PB_ERRMSG_MAX];

    snprintf(msg, sizeof msg, fmt, what);
    return pb_error_set(err, PB_EINVAL, "%s:%d: policy.train%s%s: %s", src ? src : file, line,
                        key ? "." : "", key ? key : "", msg);
}

static int is_number(const config_setting_t *s)
{
    int ty = config_setting_type(s);
    return ty == CONFIG_TYPE_INT || ty == CONFIG_TYPE_INT64 || ty == CONFIG_TYPE_FLOAT;
}

static int is_integer(const config_setting_t *s)
{
    int ty = config_setting_type(s);
    return ty == CONFIG_TYPE_INT || ty == CONFIG_TYPE_INT64;
}

static int read_key(const train_key *k, const config_setting_t *s, const plant_type *t,
                    const char *file, sim_train_opts *o, pb_error *err)
{
    char *base = (char *)o;
    switch (k->kind) {
    case K_SIZE:
    case K_ULONG: {
        long long v;
        if (!is_integer(s))
            return fail_at(err, s, file, k->name, "%s", "must be an integer");
        v = config_setting_get_int64(s);
        if (v < 0)
            return fail_at(err, s, file, k->name, "%s", "must be >= 0");
        if (k->kind == K_SIZE)
            *(size_t *)(base + k->off) = (size_t)v;
        else
            *(unsigned long *)(base + k->off) = (unsigned long)v;
        return PB_SUCCESS;
    }
    case K_DOUBLE:
        if (!is_number(s))
            return fail_at(err, s, file, k->name, "%s", "must be a number");
        *(double *)(base + k->off) = config_setting_get_float(s);
        if (is_integer(s))
            *(double *)(base + k->off) = (double)config_setting_get_int64(s);
        return PB_SUCCESS;
    case K_BOOL:
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
            return fail_at(err, s, file, k->name, "%s", "must be true or false");
        *(int *)(base + k->off) = config_setting_get_bool(s);
        return PB_SUCCESS;
    case K_ACT: {
        const char *name = config_setting_get_string(s);
        mlp_act a;
        char list[128] = "";
        if (!name)
            return fail_at(err, s, file, k->name, "%s", "must be a string");
        if (mlp_act_parse(name, &a) == PB_SUCCESS) {
            *(mlp_act *)(base + k->off) = a;
            return PB_SUCCESS;
        }
        for (int i = 0; i < MLP_ACT_COUNT; i++) {
            strcat(list, i ? ", " : "");
            strcat(list, mlp_act_name((mlp_act)i));
        }
        {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown activation '%.60s' (one of: %s)", name, list);
            return fail_at(err, s, file, k->name, "%s", msg);
        }
    }
    case K_SIZES:
    case K_DOUBLES: {
        int cap = k->max == NX_CAP ? (int)t->nx : k->max == NU_CAP ? (int)t->nu : k->max;
        int n;
        if (!config_setting_is_aggregate(s) || config_setting_type(s) == CONFIG_TYPE_GROUP)
            return fail_at(err, s, file, k->name, "%s", "must be a list of numbers [a, b, ...]");
        n = config_setting_length(s);
        if (n < 1 || n > cap) {
            char msg[128];
            snprintf(msg, sizeof msg, "has %d entries (expected %s%d)", n,
                     k->max > 0 ? "1 to " : "", cap);
            return fail_at(err, s, file, k->name, "%s", msg);
        }
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (k->kind == K_SIZES) {
                if (!is_integer(e) || config_setting_get_int64(e) < 0)
                    return fail_at(err, e, file, k->name, "%s",
                                   "entries must be integers >= 0");
                ((size_t *)(base + k->off))[i] = (size_t)config_setting_get_int64(e);
            } else {
                if (!is_number(e))
                    return fail_at(err, e, file, k->name, "%s", "entries must be numbers");
                ((double *)(base + k->off))[i] = is_integer(e)
                                                     ? (double)config_setting_get_int64(e)
                                                     : config_setting_get_float(e);
            }
        }
        *(size_t *)(base + k->count) = (size_t)n;
        return PB_SUCCESS;
    }
    }
    return PB_EINTERNAL;
}

int cfg_train_parse(const struct config_setting_t *train, const plant_type *t, const char *file,
                    sim_train_opts *o, pb_error *err)
{
    pb_error verr;
    char key[64];
    size_t klen;
    int n;

    sim_train_opts_init(o);
    if (!train || config_setting_type(train) != CONFIG_TYPE_GROUP)
        return fail_at(err, train, file, NULL, "%s", "must be a group { key = value; ... }");
    n = config_setting_length(train);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(train, (unsigned)i);
        const char *name = config_setting_name(s);
        const train_key *k;
        int rc;
        for (k = keys; k->name; k++)
            if (name && strcmp(k->name, name) == 0)
                break;
        if (!k->name) {
            char list[512] = "";
            for (const train_key *q = keys; q->name; q++) {
                strcat(list, q == keys ? "" : ", ");
                strcat(list, q->name);
            }
            {
                char msg[700];
                snprintf(msg, sizeof msg, "unknown key (known: %s)", list);
                return fail_at(err, s, file, name, "%s", msg);
            }
        }
        if ((rc = read_key(k, s, t, file, o, err)) != PB_SUCCESS)
            return rc;
    }
    if (sim_train_opts_validate(o, t, &verr) == PB_SUCCESS)
        return PB_SUCCESS;
    /* the message starts with the key: point at its line */
    klen = strcspn(verr.msg, ":");
    if (klen >= sizeof key)
        klen = sizeof key - 1;
    memcpy(key, verr.msg, klen);
    key[klen] = '\0';
    {
        const config_setting_t *s = config_setting_get_member(train, key);
        const char *rest = verr.msg[klen] == ':' ? verr.msg + klen + 1 : verr.msg;
        while (*rest == ' ')
            rest++;
        if (!s && strcmp(key, "box") == 0)
            rest = "missing: give the half-widths of the initial tracking-error box, one per "
                   "state";
        return fail_at(err, s ? s : train, file, key, "%s", rest);
    }
}

int cfg_train_load(const char *path, const plant_type *t, sim_train_opts *o, pb_error *err)
{
    config_t cfg;
    const config_setting_t *s;
    struct stat st;
    FILE *f;
    int rc;

    f = fopen(path, "r");
    if (!f)
        return pb_error_set(err, PB_EIO, "%s: cannot open (%s)", path, strerror(errno));
    fclose(f);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) /* libconfig's scanner exits on EISDIR */
        return pb_error_set(err, PB_EIO, "%s: not a regular file", path);
    config_init(&cfg);
    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        rc = pb_error_set(err, PB_EINVAL, "%s:%d: %s",
                          config_error_file(&cfg) ? config_error_file(&cfg) : path,
                          config_error_line(&cfg), config_error_text(&cfg));
        goto destroy;
    }
    s = config_lookup(&cfg, "policy.train");
    if (!s) {
        rc = pb_error_set(err, PB_EINVAL, "%s: policy.train: missing", path);
        goto destroy;
    }
    rc = cfg_train_parse(s, t, path, o, err);
destroy:
    config_destroy(&cfg);
    return rc;
}
