/* test_cfg.c: the config loader (sim/config/cfg.h, cfg_train.h) called
 * directly, without the CLI.
 *
 *  - Every malformed fixture of tests/data/configs is refused with PB_EINVAL
 *    and a message that starts "FILE:LINE: KEY: ".  LINE and KEY come from
 *    the fixture's first line ("# expect: LINE KEY"), and the test checks that
 *    line of the fixture's own text holds that key, so neither is copied from
 *    the loader.  The few fixtures whose fault only shows once a policy or
 *    calibration file is opened (cmd_run.c, after loading) load, and the
 *    loader must have recorded the line and key cmd_run reports them at.
 *  - Every shipped config (configs/, configs/arch, configs/montecarlo,
 *    configs/train) loads, and its fields equal the values written in the
 *    file, read a second time with libconfig directly; absent keys must hold
 *    the defaults stated in docs/CONFIG.md (written below as literals).
 *  - --set overrides change exactly the field named (every other field is
 *    compared), and bad overrides are refused with a message.
 *  - The montecarlo section: refusals with line and key, and its defaults.
 *  - Loading frees what it allocates (the suite runs under valgrind and ASan). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfg_train.h"
#include "mc_study.h"
#include "pb_test.h"
#include "sim_train.h"
#include "spec.h"

/* ---- Defaults stated in docs/CONFIG.md ---- */
#define DOC_METHOD      "rk8pd"
#define DOC_EPSABS      1e-10
#define DOC_EPSREL      1e-10
#define DOC_H0          1e-3
#define DOC_SUBSTEPS    0
#define DOC_MAX_STEPS   100000
#define DOC_CALIB_TRAJ  16
#define DOC_CALIB_NOISE 0.05
#define DOC_TOL         0.05
#define DOC_TAIL        0.25
#define DOC_EPS         0.1
#define DOC_SEED        1

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static double param_of(const plant *p, const char *name)
{
    int i = plant_param_index(p->type, name);
    return i < 0 ? NAN : p->p[i];
}

/* ---- libconfig, read independently of the loader ---- */

/* A number setting (int, int64 or float); 0 when s is not one. */
static int num_of(const config_setting_t *s, double *v)
{
    switch (s ? config_setting_type(s) : CONFIG_TYPE_NONE) {
    case CONFIG_TYPE_INT:
        *v = config_setting_get_int(s);
        return 1;
    case CONFIG_TYPE_INT64:
        *v = (double)config_setting_get_int64(s);
        return 1;
    case CONFIG_TYPE_FLOAT:
        *v = config_setting_get_float(s);
        return 1;
    default:
        return 0;
    }
}

/* The number at path, or def when absent. */
static double num_or(const config_t *cf, const char *path, double def)
{
    double v;
    return num_of(config_lookup(cf, path), &v) ? v : def;
}

static const char *str_or(const config_t *cf, const char *path, const char *def)
{
    const char *s;
    return config_lookup_string(cf, path, &s) ? s : def;
}

static int bool_or(const config_t *cf, const char *path, int def)
{
    int b;
    return config_lookup_bool(cf, path, &b) ? b : def;
}

/* Compares the numbers of array setting s with v[0..n). */
static void check_array(const config_setting_t *s, const double *v, size_t n, const char *what)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(config_setting_length(s), (int)n);
    for (int i = 0; i < config_setting_length(s) && (size_t)i < n; i++) {
        double e = NAN;
        CU_ASSERT(num_of(config_setting_get_elem(s, (unsigned)i), &e));
        if (e != v[i])
            fprintf(stderr, "\n%s[%d]: file %.17g, loaded %.17g", what, i, e, v[i]);
        CU_ASSERT_EQUAL(e, v[i]);
    }
}

/* ---- 1. Malformed fixtures ---- */

/* Fixtures the loader accepts: their fault is found when cmd_run opens the
 * policy or calibration file, or builds the variants (docs/CONFIG.md,
 * "Validation"), and is reported at the line the loader recorded. */
static const char *const after_load[] = {"calibration_missing_file", "policy_dimension",
                                         "policy_missing_file",      "pruning_duplicate",
                                         "pruning_layers",           NULL};

static int is_after_load(const char *name)
{
    for (size_t i = 0; after_load[i]; i++)
        if (strcmp(after_load[i], name) == 0)
            return 1;
    return 0;
}

/* The place the loader recorded for key (NULL if none). */
static const cfg_where *where_of(const cfg_run *r, const char *key)
{
    const cfg_where *w[] = {&r->where_plant, &r->where_policy, &r->where_calib, &r->where_crit};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (strcmp(w[i]->key, key) == 0)
            return w[i];
    for (size_t i = 0; i < r->n_prune; i++)
        if (strcmp(r->prune[i].where.key, key) == 0)
            return &r->prune[i].where;
    for (size_t i = 0; i < r->n_scenarios; i++)
        if (strcmp(r->scenarios[i].where.key, key) == 0)
            return &r->scenarios[i].where;
    return NULL;
}

/* Line n (1-based) of file into buf. */
static int line_of(const char *path, int n, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    int k = 0;
    buf[0] = '\0';
    if (!f)
        return -1;
    while (fgets(buf, (int)len, f) && ++k < n)
        ;
    fclose(f);
    return k == n ? 0 : -1;
}

/* The fixture's own text names the key at that line: "LEAF =" for the key's
 * last component, "PARENT =" for a missing key (reported at its group), or
 * the opening brace of a list entry "name[i]". */
static int text_names_key(const char *text, const char *key)
{
    char leaf[128], parent[128], pat[140];
    const char *dot = strrchr(key, '.');
    size_t kl = strlen(key);

    if (key[kl - 1] == ']') /* a list entry: its line opens the group */
        return text[strspn(text, " \t")] == '{';
    snprintf(leaf, sizeof leaf, "%s", dot ? dot + 1 : key);
    snprintf(pat, sizeof pat, "%s =", leaf);
    if (strstr(text, pat))
        return 1;
    if (!dot)
        return 0;
    snprintf(parent, sizeof parent, "%.*s", (int)(dot - key), key);
    dot = strrchr(parent, '.');
    snprintf(pat, sizeof pat, "%s =", dot ? dot + 1 : parent);
    return strstr(text, pat) != NULL;
}

static void test_malformed_fixtures(void)
{
    char dir[1200];
    DIR *d;
    struct dirent *e;
    int n = 0, n_after = 0;

    snprintf(dir, sizeof dir, "%s/configs", PB_TEST_DATA);
    d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    while ((e = readdir(d))) {
        char path[1600], name[256], key[128], text[512], want[1800];
        const char *dot = strrchr(e->d_name, '.');
        pb_error err = {0};
        cfg_run *r = (cfg_run *)&err; /* must be reset to NULL on failure */
        int line = -1, rc;
        FILE *f;

        if (!dot || strcmp(dot, ".cfg") != 0)
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(dot - e->d_name), e->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        f = fopen(path, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        /* "# expect: 4 syntax error" has a key of two words */
        CU_ASSERT_EQUAL(fscanf(f, "# expect: %d %127[^\n]", &line, key), 2);
        fclose(f);
        CU_ASSERT_EQUAL_FATAL(line_of(path, line, text, sizeof text), 0);
        if (strcmp(key, "syntax error") != 0 && !text_names_key(text, key)) {
            fprintf(stderr, "\n%s: line %d does not name %s: %s", name, line, key, text);
            CU_FAIL("fixture line does not hold its key");
        }

        rc = cfg_run_load(path, NULL, 0, &r, &err);
        if (is_after_load(name)) {
            const cfg_where *w;
            n_after++;
            CU_ASSERT_EQUAL(rc, PB_SUCCESS);
            CU_ASSERT_PTR_NOT_NULL_FATAL(r);
            if (rc == PB_SUCCESS) {
                w = where_of(r, key);
                if (!w)
                    fprintf(stderr, "\n%s: no recorded place for %s", name, key);
                CU_ASSERT_PTR_NOT_NULL(w);
                if (w) {
                    CU_ASSERT_EQUAL(w->line, line);
                    CU_ASSERT_STRING_EQUAL(w->file, path);
                    /* the message cmd_run gives from it */
                    pb_error_set(&err, PB_EINVAL, "problem");
                    CU_ASSERT_EQUAL(cfg_error_at(&err, w), PB_EINVAL);
                    snprintf(want, sizeof want, "%s:%d: %s: problem", path, line, key);
                    CU_ASSERT_STRING_EQUAL(err.msg, want);
                }
            }
            cfg_run_free(r);
            n++;
            continue;
        }
        if (strcmp(key, "syntax error") == 0)
            snprintf(want, sizeof want, "%s:%d: syntax error: ", path, line);
        else
            snprintf(want, sizeof want, "%s:%d: %s: ", path, line, key);
        if (rc != PB_EINVAL || strncmp(err.msg, want, strlen(want)) != 0)
            fprintf(stderr, "\n%s: code %d, expected a message starting '%s', got '%s'", name, rc,
                    want, err.msg);
        CU_ASSERT_EQUAL(rc, PB_EINVAL);
        CU_ASSERT_EQUAL(err.code, PB_EINVAL);
        CU_ASSERT_PTR_NULL(r);
        CU_ASSERT_EQUAL(strncmp(err.msg, want, strlen(want)), 0);
        CU_ASSERT(strlen(err.msg) > strlen(want)); /* says what is wrong */
        n++;
    }
    closedir(d);
    CU_ASSERT(n >= 40);
    CU_ASSERT_EQUAL(n_after, 5); /* every entry of after_load exists */
}

/* ---- 2. Shipped configs against libconfig ---- */

static void check_plant(const config_t *cf, const cfg_run *r)
{
    const plant_type *t = r->plant->type;
    const config_setting_t *ps = config_lookup(cf, "plant.params");

    CU_ASSERT_STRING_EQUAL(t->name, str_or(cf, "plant.name", "?"));
    for (size_t j = 0; j < t->np; j++) {
        const config_setting_t *s = ps ? config_setting_get_member(ps, t->params[j].name) : NULL;
        double want = t->params[j].def; /* docs/CONFIG.md: absent = the type's default */
        const char *str;
        if (s && config_setting_type(s) == CONFIG_TYPE_STRING) {
            str = config_setting_get_string(s);
            CU_ASSERT_STRING_EQUAL(str, "inf");
            want = INFINITY;
        } else if (s) {
            CU_ASSERT(num_of(s, &want));
        }
        CU_ASSERT_EQUAL(r->plant->p[j], want);
    }
}

static void check_simulation(const config_t *cf, const cfg_run *r)
{
    const config_setting_t *dg = config_lookup(cf, "simulation.disturbance");
    size_t nu = r->plant->type->nu;

    CU_ASSERT_EQUAL(r->period, num_or(cf, "simulation.period", NAN));
    CU_ASSERT_EQUAL(r->horizon, num_or(cf, "simulation.horizon", NAN));
    CU_ASSERT_STRING_EQUAL(r->integ.method, str_or(cf, "simulation.integrator.method", DOC_METHOD));
    CU_ASSERT_EQUAL(r->integ.epsabs, num_or(cf, "simulation.integrator.epsabs", DOC_EPSABS));
    CU_ASSERT_EQUAL(r->integ.epsrel, num_or(cf, "simulation.integrator.epsrel", DOC_EPSREL));
    CU_ASSERT_EQUAL(r->integ.h0, num_or(cf, "simulation.integrator.h0", DOC_H0));
    CU_ASSERT_EQUAL((double)r->integ.substeps,
                    num_or(cf, "simulation.integrator.substeps", DOC_SUBSTEPS));
    CU_ASSERT_EQUAL((double)r->integ.max_steps,
                    num_or(cf, "simulation.integrator.max_steps", DOC_MAX_STEPS));
    CU_ASSERT_EQUAL(r->dist.on, dg != NULL);
    if (dg) {
        static const char *const arr[] = {"bias", "amplitude", "frequency", "noise"};
        const double *v[] = {r->dist.bias, r->dist.amplitude, r->dist.frequency, r->dist.noise};
        for (size_t k = 0; k < 4; k++) {
            const config_setting_t *s = config_setting_get_member(dg, arr[k]);
            if (s) {
                check_array(s, v[k], nu, arr[k]);
            } else {
                for (size_t i = 0; i < nu; i++)
                    CU_ASSERT_EQUAL(v[k][i], 0.0);
            }
        }
        CU_ASSERT_EQUAL(r->dist.start, num_or(cf, "simulation.disturbance.start", 0.0));
        CU_ASSERT_EQUAL((double)r->dist.seed,
                        num_or(cf, "simulation.disturbance.seed", num_or(cf, "seed", DOC_SEED)));
    }
}

static void check_reference(const config_t *cf, const cfg_run *r)
{
    const plant_type *t = r->plant->type;
    const config_setting_t *g = config_lookup(cf, "reference"), *s;
    const char *kind = str_or(cf, "reference.type", "setpoint");
    double xeq[PLANT_NX_MAX], ueq[PLANT_NU_MAX];
    size_t nx = t->nx;
    int tracked[PLANT_NX_MAX];

    t->equilibrium(r->plant->p, xeq, ueq);
    CU_ASSERT_STRING_EQUAL(sim_ref_kind_name(r->ref.kind), kind);
    CU_ASSERT_EQUAL(r->ref.nx, nx);
    for (size_t i = 0; i < nx; i++)
        tracked[i] = 1;
    if (strcmp(kind, "setpoint") == 0) {
        s = g ? config_setting_get_member(g, "values") : NULL;
        if (s)
            check_array(s, r->ref.base, nx, "reference.values");
        else
            for (size_t i = 0; i < nx; i++)
                CU_ASSERT_EQUAL(r->ref.base[i], xeq[i]);
    } else if (strcmp(kind, "sine") == 0) {
        check_array(config_setting_get_member(g, "amplitude"), r->ref.amplitude, nx, "amplitude");
        check_array(config_setting_get_member(g, "frequency"), r->ref.frequency, nx, "frequency");
    } else if (strcmp(kind, "circle") == 0 || strcmp(kind, "figure8") == 0) {
        CU_ASSERT_EQUAL(r->ref.radius, num_or(cf, "reference.radius", NAN));
        CU_ASSERT_EQUAL(r->ref.period, num_or(cf, "reference.period", NAN));
    }
    s = g ? config_setting_get_member(g, "track") : NULL;
    if (s) {
        for (size_t i = 0; i < nx; i++)
            tracked[i] = 0;
        for (int i = 0; i < config_setting_length(s); i++)
            tracked[config_setting_get_int_elem(s, i)] = 1;
    }
    if (s || strcmp(kind, "setpoint") == 0)
        for (size_t i = 0; i < nx; i++)
            CU_ASSERT_EQUAL(r->ref.tracked[i], tracked[i]);
}

static void check_policy(const config_t *cf, const cfg_run *r, const char *dir)
{
    const char *input = str_or(cf, "policy.input", "error"), *file;
    char want[2 * CFG_PATH_MAX];

    CU_ASSERT_EQUAL(r->input, strcmp(input, "state") == 0 ? SIM_INPUT_STATE : SIM_INPUT_ERROR);
    if (config_lookup_string(cf, "policy.file", &file)) {
        CU_ASSERT_EQUAL(r->policy_kind, CFG_POLICY_FILE);
        snprintf(want, sizeof want, "%s/%s", dir, file);
        CU_ASSERT_STRING_EQUAL(r->policy_file, want);
        CU_ASSERT_PTR_NULL(r->train);
    } else if (config_lookup_string(cf, "policy.import.file", &file)) {
        CU_ASSERT_EQUAL(r->policy_kind, CFG_POLICY_IMPORT);
        snprintf(want, sizeof want, "%s/%s", dir, file);
        CU_ASSERT_STRING_EQUAL(r->policy_file, want);
        CU_ASSERT_STRING_EQUAL(r->import_format, str_or(cf, "policy.import.format", ""));
        CU_ASSERT_STRING_EQUAL(r->import_acts, str_or(cf, "policy.import.activations", ""));
        CU_ASSERT_EQUAL(r->has_out_offset,
                        config_lookup(cf, "policy.import.output_offset") != NULL);
        CU_ASSERT_EQUAL(r->has_out_scale, config_lookup(cf, "policy.import.output_scale") != NULL);
        if (r->has_out_offset)
            CU_ASSERT_EQUAL(r->out_offset, num_or(cf, "policy.import.output_offset", NAN));
        if (r->has_out_scale)
            CU_ASSERT_EQUAL(r->out_scale, num_or(cf, "policy.import.output_scale", NAN));
        CU_ASSERT_PTR_NULL(r->train);
    } else {
        const sim_train_opts *o = r->train;
        const config_setting_t *h = config_lookup(cf, "policy.train.hidden");
        CU_ASSERT_EQUAL(r->policy_kind, CFG_POLICY_TRAIN);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT_PTR_NOT_NULL_FATAL(h);
        CU_ASSERT_EQUAL(o->n_hidden, (size_t)config_setting_length(h));
        for (size_t i = 0; i < o->n_hidden; i++)
            CU_ASSERT_EQUAL(o->hidden[i], (size_t)config_setting_get_int_elem(h, (int)i));
        check_array(config_lookup(cf, "policy.train.box"), o->box, o->n_box, "box");
        /* sim_train.h's stated defaults for the keys a file may leave out */
        CU_ASSERT_EQUAL((double)o->seed, num_or(cf, "policy.train.seed", 1));
        CU_ASSERT_EQUAL((double)o->trajectories, num_or(cf, "policy.train.trajectories", 100));
        CU_ASSERT_EQUAL((double)o->steps, num_or(cf, "policy.train.steps", 100));
        CU_ASSERT_EQUAL((double)o->uniform, num_or(cf, "policy.train.uniform", 0));
        CU_ASSERT_EQUAL(o->noise, num_or(cf, "policy.train.noise", 0.1));
        CU_ASSERT_EQUAL((double)o->dagger_rounds, num_or(cf, "policy.train.dagger_rounds", 2));
        CU_ASSERT_EQUAL(o->dagger_keep, num_or(cf, "policy.train.dagger_keep", 2.0));
        CU_ASSERT_EQUAL((double)o->epochs, num_or(cf, "policy.train.epochs", 200));
        CU_ASSERT_EQUAL((double)o->batch, num_or(cf, "policy.train.batch", 64));
        CU_ASSERT_EQUAL(o->lr, num_or(cf, "policy.train.learning_rate", 3e-3));
        CU_ASSERT_EQUAL(o->lr_final, num_or(cf, "policy.train.learning_rate_final", 3e-4));
        CU_ASSERT_EQUAL(o->val_fraction, num_or(cf, "policy.train.validation", 0.2));
        CU_ASSERT_EQUAL(o->pin_equilibrium, bool_or(cf, "policy.train.pin_equilibrium", 1));
    }
}

static void check_pruning(const config_t *cf, const cfg_run *r)
{
    const config_setting_t *l = config_lookup(cf, "pruning");
    size_t n = l ? (size_t)config_setting_length(l) : 0;

    CU_ASSERT_EQUAL_FATAL(r->n_prune, n);
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        const config_setting_t *sp = config_setting_get_member(g, "sparsity");
        const config_setting_t *ly = config_setting_get_member(g, "layers");
        const cfg_prune *p = &r->prune[i];
        const char *s;
        int nn, mm, gl = 0;
        double v;

        CU_ASSERT(config_setting_lookup_string(g, "method", &s));
        CU_ASSERT_STRING_EQUAL(p->method, s);
        if (!config_setting_lookup_string(g, "pattern", &s))
            s = "unstructured";
        CU_ASSERT_STRING_EQUAL(p->pattern, s);
        if (sscanf(s, "%d:%d", &nn, &mm) == 2) { /* docs: the sparsity is then N/M */
            CU_ASSERT_EQUAL(p->n_sparsity, 1);
            CU_ASSERT_EQUAL(p->sparsity[0], (double)nn / (double)mm);
        } else if (num_of(sp, &v)) {
            CU_ASSERT_EQUAL(p->n_sparsity, 1);
            CU_ASSERT_EQUAL(p->sparsity[0], v);
        } else {
            check_array(sp, p->sparsity, p->n_sparsity, "sparsity");
        }
        if (!ly) {
            CU_ASSERT_STRING_EQUAL(p->layers, "all");
        } else if (config_setting_type(ly) == CONFIG_TYPE_STRING) {
            CU_ASSERT_STRING_EQUAL(p->layers, config_setting_get_string(ly));
        } else {
            char want[64] = "";
            for (int j = 0; j < config_setting_length(ly); j++) {
                size_t used = strlen(want);
                snprintf(want + used, sizeof want - used, "%s%d", j ? "," : "",
                         config_setting_get_int_elem(ly, j));
            }
            CU_ASSERT_STRING_EQUAL(p->layers, want);
        }
        config_setting_lookup_bool(g, "global", &gl);
        CU_ASSERT_EQUAL(p->global, gl);
        CU_ASSERT_EQUAL(p->where.line, (int)config_setting_source_line(g));
    }
}

static void check_scenarios(const config_t *cf, const cfg_run *r)
{
    const config_setting_t *l = config_lookup(cf, "scenarios");
    size_t n = l ? (size_t)config_setting_length(l) : 0;

    CU_ASSERT(n >= 1);
    CU_ASSERT_EQUAL_FATAL(r->n_scenarios, n);
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        const char *name;
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", i); /* docs: default name = the index */
        if (!config_setting_lookup_string(g, "name", &name))
            name = idx;
        CU_ASSERT_STRING_EQUAL(r->scenarios[i].name, name);
        check_array(config_setting_get_member(g, "x0"), r->scenarios[i].x0, r->plant->type->nx,
                    "x0");
    }
}

static void check_rest(const config_t *cf, const cfg_run *r, const char *path)
{
    double seed = num_or(cf, "seed", DOC_SEED);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char out[CFG_PATH_MAX];
    const config_setting_t *mc = config_lookup(cf, "montecarlo");

    CU_ASSERT_EQUAL((double)r->seed, seed);
    CU_ASSERT_EQUAL(r->crit.tol, num_or(cf, "criterion.tol", DOC_TOL));
    CU_ASSERT_EQUAL(r->crit.tail, num_or(cf, "criterion.tail", DOC_TAIL));
    CU_ASSERT_EQUAL(r->crit.radius, num_or(cf, "criterion.radius", INFINITY)); /* none */
    CU_ASSERT_EQUAL(r->bound_eps, num_or(cf, "bounds.eps", DOC_EPS));
    CU_ASSERT_EQUAL(r->bound_at_orig, bool_or(cf, "bounds.at_orig", 1));
    CU_ASSERT_EQUAL(r->bound_region, bool_or(cf, "bounds.region", 0));
    CU_ASSERT_EQUAL(r->traces, bool_or(cf, "output.traces", 1));
    snprintf(out, sizeof out, "results/%.*s.h5", (int)(strlen(base) - 4), base);
    CU_ASSERT_STRING_EQUAL(r->output_file, str_or(cf, "output.file", out));
    if (!config_lookup_string(cf, "calibration.file", &base)) {
        CU_ASSERT_EQUAL((double)r->calib_trajectories,
                        num_or(cf, "calibration.trajectories", DOC_CALIB_TRAJ));
        CU_ASSERT_EQUAL(r->calib_noise, num_or(cf, "calibration.noise", DOC_CALIB_NOISE));
        CU_ASSERT_EQUAL((double)r->calib_seed, num_or(cf, "calibration.seed", seed));
        CU_ASSERT_STRING_EQUAL(r->calib_file, "");
    }
    CU_ASSERT_EQUAL(r->mc != NULL, mc != NULL);
    if (mc && r->mc) {
        const char *type = str_or(cf, "montecarlo.sampler.type", "?");
        /* docs/MONTECARLO.md: seed defaults to the top-level seed, eps is bounds.eps */
        CU_ASSERT_EQUAL((double)r->mc->seed, num_or(cf, "montecarlo.seed", seed));
        CU_ASSERT_EQUAL(r->mc->eps, num_or(cf, "bounds.eps", DOC_EPS));
        CU_ASSERT_EQUAL((double)r->mc->chunk, num_or(cf, "montecarlo.chunk", 256));
        if (strcmp(type, "grid") == 0) {
            const config_setting_t *p = config_lookup(cf, "montecarlo.sampler.points");
            double a = NAN, b = NAN;
            CU_ASSERT_EQUAL(r->mc->sampler.kind, MC_SAMPLER_GRID);
            CU_ASSERT(num_of(config_setting_get_elem(p, 0), &a));
            CU_ASSERT(num_of(config_setting_get_elem(p, 1), &b));
            CU_ASSERT_EQUAL((double)r->mc->samples, a * b);
            check_array(config_lookup(cf, "montecarlo.sampler.low"), r->mc->sampler.low, 2, "low");
            check_array(config_lookup(cf, "montecarlo.sampler.high"), r->mc->sampler.high, 2,
                        "high");
        } else if (strcmp(type, "box") == 0) {
            CU_ASSERT_EQUAL(r->mc->sampler.kind, MC_SAMPLER_BOX);
            CU_ASSERT_EQUAL((double)r->mc->samples, num_or(cf, "montecarlo.samples", 1000));
            check_array(config_lookup(cf, "montecarlo.sampler.low"), r->mc->sampler.low,
                        r->plant->type->nx, "low");
            check_array(config_lookup(cf, "montecarlo.sampler.high"), r->mc->sampler.high,
                        r->plant->type->nx, "high");
        } else {
            CU_ASSERT_EQUAL(r->mc->sampler.kind, MC_SAMPLER_GAUSSIAN);
        }
    }
}

/* Loads path (relative to the source tree) with the loader and with libconfig
 * and compares every field. */
static void check_shipped(const char *rel)
{
    char path[CFG_PATH_MAX], dir[CFG_PATH_MAX];
    pb_error err = {0};
    cfg_run *r = NULL;
    config_t cf;
    int rc;

    snprintf(path, sizeof path, "%s/%s", PB_SOURCE_DIR, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    rc = cfg_run_load(path, NULL, 0, &r, &err);
    if (rc)
        fprintf(stderr, "\n%s: %s", rel, err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, PB_SUCCESS);
    config_init(&cf);
    config_set_include_dir(&cf, dir);
    CU_ASSERT_EQUAL_FATAL(config_read_file(&cf, path), CONFIG_TRUE);
    CU_ASSERT_STRING_EQUAL(r->path, path);
    CU_ASSERT_STRING_EQUAL(r->dir, dir);
    check_plant(&cf, r);
    check_simulation(&cf, r);
    check_reference(&cf, r);
    check_policy(&cf, r, dir);
    check_pruning(&cf, r);
    check_scenarios(&cf, r);
    check_rest(&cf, r, path);
    config_destroy(&cf);
    /* the config as run parses back to the same settings */
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->text);
    config_init(&cf);
    CU_ASSERT_EQUAL(config_read_string(&cf, r->text), CONFIG_TRUE);
    CU_ASSERT_EQUAL(num_or(&cf, "simulation.horizon", NAN), r->horizon);
    config_destroy(&cf);
    cfg_run_free(r);
}

static void test_shipped_configs(void)
{
    static const char *const dirs[] = {"configs", "configs/arch", "configs/montecarlo",
                                       "configs/train", NULL};
    int n = 0;

    for (size_t k = 0; dirs[k]; k++) {
        char dir[1200];
        DIR *d;
        struct dirent *e;
        snprintf(dir, sizeof dir, "%s/%s", PB_SOURCE_DIR, dirs[k]);
        d = opendir(dir);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        while ((e = readdir(d))) {
            const char *dot = strrchr(e->d_name, '.');
            char rel[600];
            if (!dot || strcmp(dot, ".cfg") != 0)
                continue;
            snprintf(rel, sizeof rel, "%s/%s", dirs[k], e->d_name);
            check_shipped(rel);
            n++;
        }
        closedir(d);
    }
    fprintf(stderr, "(%d shipped configs) ", n);
    CU_ASSERT(n >= 18);
}

/* The spec sections of two shipped ARCH configs, written by hand from the
 * README of the benchmarks (docs/SAFETY.md), and infinite bounds. */
static void test_spec_by_hand(void)
{
    char path[CFG_PATH_MAX];
    const char *set_inf[] = {"seed=1"};
    pb_error err = {0};
    cfg_run *r = NULL;

    snprintf(path, sizeof path, "%s/configs/arch/single_pendulum.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->spec);
    CU_ASSERT_EQUAL(r->spec->n, 1);
    CU_ASSERT_STRING_EQUAL(r->spec->props[0].name, "theta_band");
    CU_ASSERT_EQUAL(r->spec->props[0].op, SPEC_ALWAYS);
    CU_ASSERT(r->spec->props[0].a == 0.5 && r->spec->props[0].b == 1.0);
    CU_ASSERT(r->spec->props[0].pred.nx == 2);
    CU_ASSERT(r->spec->props[0].pred.lo[0] == 0.0 && r->spec->props[0].pred.hi[0] == 1.0);
    /* omega is not named: unbounded */
    CU_ASSERT(isinf(r->spec->props[0].pred.lo[1]) && r->spec->props[0].pred.lo[1] < 0);
    CU_ASSERT(isinf(r->spec->props[0].pred.hi[1]) && r->spec->props[0].pred.hi[1] > 0);
    CU_ASSERT_EQUAL(r->where_spec.line > 0, 1);
    cfg_run_free(r);
    r = NULL;

    snprintf(path, sizeof path, "%s/configs/arch/attitude_control.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, set_inf, 1, &r, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->spec);
    CU_ASSERT_EQUAL(r->spec->props[0].op, SPEC_AVOID);
    CU_ASSERT(r->spec->props[0].pred.lo[4] == 0.7 && r->spec->props[0].pred.hi[4] == 0.8);
    cfg_run_free(r);
    r = NULL;

    /* a config without a spec has none */
    snprintf(path, sizeof path, "%s/configs/pendulum.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NULL(r->spec);
    cfg_run_free(r);
    r = NULL;

    /* expression predicates g(x) >= 0, robustness g(x), by hand from the
     * README: docking sqrt(xd^2 + yd^2) <= 0.2 + 2 n sqrt(x^2 + y^2), n = 0.001027 */
    snprintf(path, sizeof path, "%s/configs/arch/docking.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->spec);
    CU_ASSERT_EQUAL(r->spec->props[0].pred.kind, SPEC_PRED_EXPR);
    CU_ASSERT(r->spec->props[0].a == 0.0 && r->spec->props[0].b == 40.0);
    {
        const double x[] = {30.0, 40.0, 0.3, 0.4}; /* |p| = 50, |v| = 0.5 */
        const double y[] = {-6.0, 8.0, 0.0, 0.0};  /* |p| = 10, at rest */
        const double z[] = {30.0, NAN, 0.3, 0.4};
        CU_ASSERT_DOUBLE_EQUAL(spec_pred_rho(&r->spec->props[0].pred, x), 0.2 + 0.1027 - 0.5, 1e-15);
        CU_ASSERT_DOUBLE_EQUAL(spec_pred_rho(&r->spec->props[0].pred, y), 0.2 + 0.02054, 1e-15);
        CU_ASSERT(isnan(spec_pred_rho(&r->spec->props[0].pred, z)));
    }
    cfg_run_free(r);
    r = NULL;
    /* ACC: x1 - x4 >= 10 + 1.4 x5 */
    snprintf(path, sizeof path, "%s/configs/arch/acc.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->spec);
    CU_ASSERT_EQUAL(r->spec->props[0].pred.kind, SPEC_PRED_EXPR);
    {
        const double x[] = {100.0, 32.1, 0.0, 10.5, 30.1, 0.0}; /* 89.5 - 52.14 */
        const double y[] = {50.0, 20.0, -1.0, 20.0, 20.0, 0.5}; /* 30 - 38 */
        CU_ASSERT_DOUBLE_EQUAL(spec_pred_rho(&r->spec->props[0].pred, x), 37.36, 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(spec_pred_rho(&r->spec->props[0].pred, y), -8.0, 1e-12);
        /* always over a trajectory: the minimum of g, -inf from a row not reached */
        {
            double tr[3 * 6], rob;
            memcpy(tr, x, sizeof x);
            memcpy(tr + 6, y, sizeof y);
            memcpy(tr + 12, x, sizeof x);
            rob = spec_eval_traj(r->spec, 2.5, 2, tr, 6, NULL);
            CU_ASSERT_DOUBLE_EQUAL(rob, -8.0, 1e-12);
            tr[12] = NAN;
            rob = spec_eval_traj(r->spec, 2.5, 2, tr, 6, NULL);
            CU_ASSERT(isinf(rob) && rob < 0);
        }
    }
    cfg_run_free(r);
    r = NULL;

    /* "inf" and "-inf" in a list */
    {
        static const char text[] =
            "plant = { name = \"pendulum\"; };\n"
            "simulation = { period = 0.05; horizon = 1.0; };\n"
            "policy = { file = \"pendulum_policy.h5\"; };\n"
            "pruning = ( { method = \"magnitude\"; sparsity = [0.5]; } );\n"
            "scenarios = ( { x0 = [0.3, 0.0]; } );\n"
            "spec = ( { name = \"a\"; eventually = (0.0, \"inf\"); box = { theta = (\"-inf\", 0.1); }; },\n"
            "         { name = \"b\"; avoid = [0.1, 0.2]; box = { omega = (2.0, \"+inf\"); }; } );\n";
        const char *p = pb_test_path("spec_inf.cfg");
        CU_ASSERT_EQUAL_FATAL(write_text(p, text), 0);
        CU_ASSERT_EQUAL_FATAL(cfg_run_load(p, NULL, 0, &r, &err), PB_SUCCESS);
        CU_ASSERT_EQUAL(r->spec->n, 2);
        CU_ASSERT_EQUAL(r->spec->props[0].op, SPEC_EVENTUALLY);
        CU_ASSERT(isinf(r->spec->props[0].b));
        CU_ASSERT(r->spec->props[0].pred.lo[0] == -INFINITY && r->spec->props[0].pred.hi[0] == 0.1);
        CU_ASSERT(r->spec->props[1].pred.lo[1] == 2.0 && r->spec->props[1].pred.hi[1] == INFINITY);
        cfg_run_free(r);
    }
    /* a bad expression, an unknown name, both predicates: exit 2 naming spec[0].g */
    {
        static const char *const bad[] = {
            "spec = ( { name = \"a\"; always = [0.0, 1.0]; g = \"theta +\"; } );\n",
            "spec = ( { name = \"a\"; always = [0.0, 1.0]; g = \"theta - v\"; } );\n",
            "spec = ( { name = \"a\"; always = [0.0, 1.0]; g = \"theta\"; box = { theta = [0.0, 1.0]; }; } );\n",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char text[1024];
            const char *p = pb_test_path("spec_bad_g.cfg");
            snprintf(text, sizeof text,
                     "plant = { name = \"pendulum\"; };\n"
                     "simulation = { period = 0.05; horizon = 1.0; };\n"
                     "policy = { file = \"pendulum_policy.h5\"; };\n"
                     "scenarios = ( { x0 = [0.3, 0.0]; } );\n%s",
                     bad[i]);
            CU_ASSERT_EQUAL_FATAL(write_text(p, text), 0);
            r = NULL;
            CU_ASSERT_EQUAL(cfg_run_load(p, NULL, 0, &r, &err), PB_EINVAL);
            CU_ASSERT_PTR_NULL(r);
            CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, i < 2 ? "spec[0].g:" : "spec[0]:"));
            CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":5:"));
            fprintf(stderr, "[%s] ", err.msg);
        }
    }
}

/* A few values written by hand from configs/pendulum.cfg. */
static void test_pendulum_by_hand(void)
{
    char path[CFG_PATH_MAX];
    pb_error err = {0};
    cfg_run *r = NULL;

    snprintf(path, sizeof path, "%s/configs/pendulum.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    CU_ASSERT_STRING_EQUAL(r->plant->type->name, "pendulum");
    CU_ASSERT_EQUAL(r->period, 0.05);
    CU_ASSERT_EQUAL(r->horizon, 5.0);
    CU_ASSERT_EQUAL(r->n_prune, 6);
    CU_ASSERT_STRING_EQUAL(r->prune[3].method, "obs");
    CU_ASSERT_EQUAL(r->prune[3].n_sparsity, 2);
    CU_ASSERT_EQUAL(r->prune[3].sparsity[1], 0.75);
    CU_ASSERT_STRING_EQUAL(r->prune[1].layers, "2");
    CU_ASSERT_STRING_EQUAL(r->prune[5].pattern, "2:4");
    CU_ASSERT_EQUAL(r->prune[5].sparsity[0], 0.5);
    CU_ASSERT_EQUAL(r->n_scenarios, 4);
    CU_ASSERT_STRING_EQUAL(r->scenarios[1].name, "left");
    CU_ASSERT_EQUAL(r->scenarios[1].x0[0], -0.5);
    CU_ASSERT_EQUAL(r->scenarios[1].x0[1], 0.2);
    CU_ASSERT_EQUAL(r->scenarios[3].x0[1], 1.5);
    CU_ASSERT_EQUAL(r->calib_seed, 7);
    CU_ASSERT_STRING_EQUAL(r->output_file, "results/pendulum.h5");
    CU_ASSERT_EQUAL(r->prune[0].where.line, 29); /* the line of its '{' in the file */
    CU_ASSERT_EQUAL(r->scenarios[0].where.line, 38);
    cfg_run_free(r);
}

/* ---- 3. Defaults of absent keys (docs/CONFIG.md) ---- */

static void test_defaults(void)
{
    const char *path = pb_test_path("minimal.cfg");
    pb_error err = {0};
    cfg_run *r = NULL;

    CU_ASSERT_EQUAL_FATAL(write_text(path, "plant = { name = \"pendulum\"; };\n"
                                           "simulation = { period = 0.05; horizon = 1.0; };\n"
                                           "policy = { file = \"p.h5\"; };\n"
                                           "scenarios = ( { x0 = [0.1, 0.0]; } );\n"),
                          0);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    /* plant: docs/PLANTS.md, pendulum defaults */
    CU_ASSERT_EQUAL(param_of(r->plant, "m"), 1.0);
    CU_ASSERT_EQUAL(param_of(r->plant, "L"), 1.0);
    CU_ASSERT_EQUAL(param_of(r->plant, "c"), 0.1);
    CU_ASSERT_EQUAL(param_of(r->plant, "g"), 9.81);
    /* simulation.integrator */
    CU_ASSERT_STRING_EQUAL(r->integ.method, DOC_METHOD);
    CU_ASSERT_EQUAL(r->integ.epsabs, DOC_EPSABS);
    CU_ASSERT_EQUAL(r->integ.epsrel, DOC_EPSREL);
    CU_ASSERT_EQUAL(r->integ.h0, DOC_H0);
    CU_ASSERT_EQUAL(r->integ.substeps, DOC_SUBSTEPS);
    CU_ASSERT_EQUAL(r->integ.max_steps, DOC_MAX_STEPS);
    CU_ASSERT_EQUAL(r->dist.on, 0); /* disturbance: none */
    /* reference: a setpoint at the upright rest (docs/PLANTS.md), all tracked */
    CU_ASSERT_EQUAL(r->ref.kind, SIM_REF_SETPOINT);
    CU_ASSERT_EQUAL(r->ref.base[0], 0.0);
    CU_ASSERT_EQUAL(r->ref.base[1], 0.0);
    CU_ASSERT(r->ref.tracked[0] && r->ref.tracked[1]);
    /* policy */
    CU_ASSERT_EQUAL(r->input, SIM_INPUT_ERROR);
    CU_ASSERT_EQUAL(r->policy_kind, CFG_POLICY_FILE);
    CU_ASSERT_STRING_EQUAL(r->policy_file, pb_test_path("p.h5")); /* relative to the config */
    /* calibration */
    CU_ASSERT_EQUAL(r->calib_trajectories, DOC_CALIB_TRAJ);
    CU_ASSERT_EQUAL(r->calib_noise, DOC_CALIB_NOISE);
    CU_ASSERT_EQUAL(r->calib_seed, DOC_SEED);
    CU_ASSERT_STRING_EQUAL(r->calib_file, "");
    /* pruning none; scenario named by its index */
    CU_ASSERT_EQUAL(r->n_prune, 0);
    CU_ASSERT_STRING_EQUAL(r->scenarios[0].name, "0");
    /* criterion, bounds, output, seed */
    CU_ASSERT_EQUAL(r->crit.tol, DOC_TOL);
    CU_ASSERT_EQUAL(r->crit.tail, DOC_TAIL);
    CU_ASSERT(isinf(r->crit.radius) && r->crit.radius > 0);
    CU_ASSERT_EQUAL(r->bound_eps, DOC_EPS);
    CU_ASSERT_EQUAL(r->bound_at_orig, 1);
    CU_ASSERT_EQUAL(r->traces, 1);
    CU_ASSERT_STRING_EQUAL(r->output_file, "results/minimal.h5");
    CU_ASSERT_EQUAL(r->seed, DOC_SEED);
    CU_ASSERT_PTR_NULL(r->mc);
    CU_ASSERT_PTR_NULL(r->train);
    /* a missing top-level section has no line: "FILE: key: " */
    CU_ASSERT_EQUAL(r->where_calib.line, 0);
    cfg_run_free(r);

    /* seeds follow the root seed; disturbance entries not given are 0 */
    CU_ASSERT_EQUAL_FATAL(write_text(path, "plant = { name = \"pendulum\"; };\n"
                                           "simulation = { period = 0.05; horizon = 1.0;\n"
                                           "  disturbance = { bias = [0.5]; }; };\n"
                                           "policy = { file = \"/abs/p.h5\"; };\n"
                                           "calibration = { noise = 0.0; };\n"
                                           "scenarios = ( { x0 = [0.1, 0.0]; } );\n"
                                           "seed = 9;\n"),
                          0);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(r->seed, 9);
    CU_ASSERT_EQUAL(r->calib_seed, 9);
    CU_ASSERT_EQUAL(r->calib_trajectories, DOC_CALIB_TRAJ);
    CU_ASSERT_EQUAL(r->calib_noise, 0.0);
    CU_ASSERT_EQUAL(r->dist.on, 1);
    CU_ASSERT_EQUAL(r->dist.seed, 9);
    CU_ASSERT_EQUAL(r->dist.start, 0.0);
    CU_ASSERT_EQUAL(r->dist.bias[0], 0.5);
    CU_ASSERT_EQUAL(r->dist.amplitude[0], 0.0);
    CU_ASSERT_EQUAL(r->dist.frequency[0], 0.0);
    CU_ASSERT_EQUAL(r->dist.noise[0], 0.0);
    CU_ASSERT_STRING_EQUAL(r->policy_file, "/abs/p.h5"); /* absolute: unchanged */
    cfg_run_free(r);

    /* curves: centre [0, 0], components [0, 1, 2] (nx >= 3), altitude x*[2],
     * tracked: the curve's components */
    CU_ASSERT_EQUAL_FATAL(write_text(path,
                                     "plant = { name = \"quadrotor\"; };\n"
                                     "simulation = { period = 0.05; horizon = 1.0; };\n"
                                     "reference = { type = \"circle\"; radius = 2.0;"
                                     " period = 4.0; };\n"
                                     "policy = { file = \"p.h5\"; };\n"
                                     "scenarios = ( { x0 = [0,0,0,0,0,0,0,0,0,0,0,0]; } );\n"),
                          0);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    {
        double xeq[PLANT_NX_MAX], ueq[PLANT_NU_MAX];
        r->plant->type->equilibrium(r->plant->p, xeq, ueq);
        CU_ASSERT_EQUAL(r->ref.kind, SIM_REF_CIRCLE);
        CU_ASSERT_EQUAL(r->ref.radius, 2.0);
        CU_ASSERT_EQUAL(r->ref.period, 4.0);
        CU_ASSERT_EQUAL(r->ref.centre[0], 0.0);
        CU_ASSERT_EQUAL(r->ref.centre[1], 0.0);
        CU_ASSERT_EQUAL(r->ref.n_comp, 3);
        CU_ASSERT(r->ref.comp[0] == 0 && r->ref.comp[1] == 1 && r->ref.comp[2] == 2);
        CU_ASSERT_EQUAL(r->ref.altitude, xeq[2]);
        for (size_t i = 0; i < r->plant->type->nx; i++)
            CU_ASSERT_EQUAL(r->ref.tracked[i], i < 3);
    }
    cfg_run_free(r);
}

/* ---- 4. --set overrides ---- */

/* Names of the fields where a and b differ, space-separated, into out. */
static void diff_runs(const cfg_run *a, const cfg_run *b, char *out, size_t len)
{
    size_t nx = a->plant->type->nx;
    char tmp[160];

#define ADD(name)                                                                                  \
    do {                                                                                           \
        size_t u_ = strlen(out);                                                                   \
        snprintf(out + u_, len - u_, "%s%s", u_ ? " " : "", (name));                               \
    } while (0)
#define NUM(f)                                                                                     \
    if (a->f != b->f)                                                                              \
    ADD(#f)
#define STR(f)                                                                                     \
    if (strcmp(a->f, b->f) != 0)                                                                   \
    ADD(#f)

    out[0] = '\0';
    if (a->plant->type != b->plant->type)
        ADD("plant");
    else
        for (size_t j = 0; j < a->plant->type->np; j++)
            if (memcmp(&a->plant->p[j], &b->plant->p[j], sizeof(double)) != 0) {
                snprintf(tmp, sizeof tmp, "plant.params.%s", a->plant->type->params[j].name);
                ADD(tmp);
            }
    NUM(period);
    NUM(horizon);
    STR(integ.method);
    NUM(integ.epsabs);
    NUM(integ.epsrel);
    NUM(integ.h0);
    NUM(integ.substeps);
    NUM(integ.max_steps);
    if (memcmp(&a->dist, &b->dist, sizeof a->dist) != 0)
        ADD("dist");
    if (memcmp(&a->ref, &b->ref, sizeof a->ref) != 0)
        ADD("ref");
    NUM(input);
    NUM(policy_kind);
    STR(policy_file);
    STR(import_format);
    STR(import_acts);
    NUM(calib_trajectories);
    NUM(calib_noise);
    NUM(calib_seed);
    STR(calib_file);
    NUM(n_prune);
    for (size_t i = 0; i < a->n_prune && i < b->n_prune; i++) {
        const cfg_prune *p = &a->prune[i], *q = &b->prune[i];
#define PF(cond, f)                                                                                \
    if (cond) {                                                                                    \
        snprintf(tmp, sizeof tmp, "prune[%zu].%s", i, f);                                          \
        ADD(tmp);                                                                                  \
    }
        PF(strcmp(p->method, q->method) != 0, "method");
        PF(p->n_sparsity != q->n_sparsity ||
               memcmp(p->sparsity, q->sparsity, p->n_sparsity * sizeof(double)) != 0,
           "sparsity");
        PF(strcmp(p->pattern, q->pattern) != 0, "pattern");
        PF(strcmp(p->layers, q->layers) != 0, "layers");
        PF(p->global != q->global, "global");
#undef PF
    }
    NUM(n_scenarios);
    for (size_t i = 0; i < a->n_scenarios && i < b->n_scenarios; i++) {
        if (memcmp(a->scenarios[i].x0, b->scenarios[i].x0, nx * sizeof(double)) != 0) {
            snprintf(tmp, sizeof tmp, "scenarios[%zu].x0", i);
            ADD(tmp);
        }
        if (strcmp(a->scenarios[i].name, b->scenarios[i].name) != 0) {
            snprintf(tmp, sizeof tmp, "scenarios[%zu].name", i);
            ADD(tmp);
        }
    }
    NUM(crit.tol);
    NUM(crit.tail);
    NUM(crit.radius);
    NUM(bound_eps);
    NUM(bound_at_orig);
    STR(output_file);
    NUM(traces);
    NUM(seed);
    if ((a->mc == NULL) != (b->mc == NULL) || (a->mc && memcmp(a->mc, b->mc, sizeof *a->mc) != 0))
        ADD("mc");
#undef ADD
#undef NUM
#undef STR
}

static void test_overrides(void)
{
    /* each: an override of configs/pendulum.cfg and the one field it must change */
    static const struct {
        const char *set, *field;
    } cases[] = {
        {"simulation.horizon=10", "horizon"},
        {"simulation.period=0.1", "period"},
        {"simulation.integrator.method=rk4", "integ.method"},
        {"simulation.integrator.method=\"rkf45\"", "integ.method"},
        {"scenarios[0].x0=[0.1, -0.2]", "scenarios[0].x0"},
        {"scenarios.[1].name=far", "scenarios[1].name"},
        {"output.traces=false", "traces"},
        {"output.file=x.h5", "output_file"},
        {"calibration.trajectories=8", "calib_trajectories"},
        {"calibration.seed=3", "calib_seed"},
        {"pruning[1].sparsity=[0.3]", "prune[1].sparsity"},
        {"pruning[2].method=magnitude", "prune[2].method"},
        {"pruning[1].layers=\"1,2\"", "prune[1].layers"},
        {"criterion.tol=0.5", "crit.tol"},
        {"bounds.eps=0.25", "bound_eps"},
        {"policy.input=state", "input"},
        {"seed=5", "seed"},
        /* keys the file lacks are added */
        {"plant.params.m=2", "plant.params.m"},
        {"criterion.radius=10", "crit.radius"},
        {"pruning[0].global=true", "prune[0].global"},
    };
    char path[CFG_PATH_MAX], diff[512];
    pb_error err = {0};
    cfg_run *base = NULL, *r = NULL;

    snprintf(path, sizeof path, "%s/configs/pendulum.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &base, &err), PB_SUCCESS);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *sets[1] = {cases[k].set};
        int rc = cfg_run_load(path, sets, 1, &r, &err);
        if (rc)
            fprintf(stderr, "\n--set %s: %s", cases[k].set, err.msg);
        CU_ASSERT_EQUAL(rc, PB_SUCCESS);
        if (rc)
            continue;
        diff_runs(base, r, diff, sizeof diff);
        if (strcmp(diff, cases[k].field) != 0)
            fprintf(stderr, "\n--set %s changed '%s', expected '%s'", cases[k].set, diff,
                    cases[k].field);
        CU_ASSERT_STRING_EQUAL(diff, cases[k].field);
        cfg_run_free(r);
    }
    /* the values themselves, and the recorded text after the overrides */
    {
        const char *sets[] = {"simulation.horizon=10",         "scenarios[0].x0=[0.1, -0.2]",
                              "scenarios[1].name=\"far\"",     "calibration.trajectories=8",
                              "output.traces=false",           "policy.input=state",
                              "pruning[1].sparsity=[0.3, 0.4]", "plant.params.m=2.5",
                              "criterion.radius=7",            "plant.params.u_max=\"inf\""};
        config_t cf;
        CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, sets, sizeof sets / sizeof *sets, &r, &err),
                              PB_SUCCESS);
        CU_ASSERT_EQUAL(r->horizon, 10.0);
        CU_ASSERT_EQUAL(r->scenarios[0].x0[0], 0.1);
        CU_ASSERT_EQUAL(r->scenarios[0].x0[1], -0.2);
        CU_ASSERT_STRING_EQUAL(r->scenarios[1].name, "far");
        CU_ASSERT_EQUAL(r->calib_trajectories, 8);
        CU_ASSERT_EQUAL(r->traces, 0);
        CU_ASSERT_EQUAL(r->input, SIM_INPUT_STATE);
        CU_ASSERT_EQUAL(r->prune[1].n_sparsity, 2);
        CU_ASSERT_EQUAL(r->prune[1].sparsity[1], 0.4);
        CU_ASSERT_EQUAL(r->crit.radius, 7.0);
        for (size_t j = 0; j < r->plant->type->np; j++) {
            if (strcmp(r->plant->type->params[j].name, "m") == 0)
                CU_ASSERT_EQUAL(r->plant->p[j], 2.5);
            if (strcmp(r->plant->type->params[j].name, "u_max") == 0)
                CU_ASSERT(isinf(r->plant->p[j]) && r->plant->p[j] > 0);
        }
        config_init(&cf);
        CU_ASSERT_EQUAL_FATAL(config_read_string(&cf, r->text), CONFIG_TRUE);
        CU_ASSERT_EQUAL(num_or(&cf, "simulation.horizon", NAN), 10.0);
        CU_ASSERT_EQUAL(num_or(&cf, "calibration.trajectories", NAN), 8.0);
        CU_ASSERT_STRING_EQUAL(str_or(&cf, "scenarios.[1].name", "?"), "far");
        CU_ASSERT_EQUAL(bool_or(&cf, "output.traces", 1), 0);
        CU_ASSERT_EQUAL(num_or(&cf, "criterion.radius", NAN), 7.0);
        CU_ASSERT_EQUAL(num_or(&cf, "plant.params.m", NAN), 2.5);
        config_destroy(&cf);
        cfg_run_free(r);
    }
    cfg_run_free(base);
}

static void test_bad_overrides(void)
{
    /* each: an override of configs/pendulum.cfg and words its message must hold */
    static const struct {
        const char *set, *key, *words;
    } cases[] = {
        /* an added key is validated as if the file had it */
        {"simulation.nope=1", "simulation.nope", "unknown key"},
        {"newgroup.x=1", "newgroup", "unknown key"},
        {"plant.params.nope=1", "plant.params.nope", "no parameter 'nope'"},
        {"scenarios[0].foo=1", "scenarios[0].foo", "unknown key"},
        {"criterion.radius=far", "criterion.radius", "a number"},
        {"simulation.horizon.x=1", "simulation.horizon.x", "not a group: horizon"},
        {"simulation.9x=1", "simulation.9x", "not a valid key name"},
        {"simulation.period=fast", "simulation.period", "expects a number"},
        {"output.traces=1", "output.traces", "expects true or false"},
        {"scenarios[0].x0=0.3", "scenarios[0].x0", "is an array"},
        {"scenarios[0].x0=[0.1, zero]", "scenarios[0].x0", "expects numbers"},
        {"scenarios[0].x0=[]", "scenarios[0].x0", "empty array"},
        {"simulation=1", "simulation", "is a group"},
        {"scenarios[9].x0=[0, 0]", "scenarios[9].x0", "no such list element"},
        /* validated after the override like any value */
        {"simulation.period=-1", "simulation.period", "out of range"},
        {"simulation.horizon=0.01", "simulation.horizon", "shorter than"},
        {"calibration.trajectories=0", "calibration.trajectories", "out of range"},
        {"calibration.trajectories=2.5", "calibration.trajectories", "expected an integer"},
        {"scenarios[0].x0=[0.1, 0.2, 0.3]", "scenarios[0].x0", "has 3 entries"},
        {"pruning[0].method=random", "pruning[0].method", "unknown method"},
        {"criterion.tail=0", "criterion.tail", "out of range"},
        {"policy.input=x", "policy.input", "unknown value"},
    };
    static const char *const malformed[] = {"novalue", "=3"};
    char path[CFG_PATH_MAX];
    pb_error err = {0};
    cfg_run *r;

    snprintf(path, sizeof path, "%s/configs/pendulum.cfg", PB_SOURCE_DIR);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *sets[2] = {"simulation.horizon=2", cases[k].set}; /* a good one first */
        int rc;
        r = (cfg_run *)&err;
        memset(&err, 0, sizeof err);
        rc = cfg_run_load(path, sets, 2, &r, &err);
        if (rc != PB_EINVAL || !strstr(err.msg, path) || !strstr(err.msg, cases[k].key) ||
            !strstr(err.msg, cases[k].words))
            fprintf(stderr, "\n--set %s: code %d, message '%s'", cases[k].set, rc, err.msg);
        CU_ASSERT_EQUAL(rc, PB_EINVAL);
        CU_ASSERT_PTR_NULL(r);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[k].key));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[k].words));
    }
    for (size_t k = 0; k < 2; k++) {
        const char *sets[1] = {malformed[k]};
        memset(&err, 0, sizeof err);
        CU_ASSERT_EQUAL(cfg_run_load(path, sets, 1, &r, &err), PB_EINVAL);
        CU_ASSERT_PTR_NULL(r);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expected key.path=value"));
    }
}

/* ---- 5. Files that cannot be read; cfg_error_at; cfg_train_load ---- */

static void test_unreadable(void)
{
    pb_error err = {0};
    cfg_run *r = (cfg_run *)&err;
    const char *missing = pb_test_path("no_such.cfg");

    CU_ASSERT_EQUAL(cfg_run_load(missing, NULL, 0, &r, &err), PB_EIO);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, missing));
    r = (cfg_run *)&err;
    CU_ASSERT_EQUAL(cfg_run_load(pb_test_tmpdir(), NULL, 0, &r, &err), PB_EIO); /* a folder */
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a regular file"));
}

static void test_error_at(void)
{
    pb_error err;
    cfg_where w = {"a/b.cfg", 12, "pruning[3].pattern"};

    pb_error_set(&err, PB_EINVAL, "bad");
    CU_ASSERT_EQUAL(cfg_error_at(&err, &w), PB_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "a/b.cfg:12: pruning[3].pattern: bad");
    w.line = 0; /* a key without a line: "FILE: key: " (docs/CONFIG.md) */
    pb_error_set(&err, PB_EIO, "gone");
    CU_ASSERT_EQUAL(cfg_error_at(&err, &w), PB_EIO);
    CU_ASSERT_STRING_EQUAL(err.msg, "a/b.cfg: pruning[3].pattern: gone");
}

static void test_train_load(void)
{
    static const char *const files[] = {"configs/train/pendulum.cfg", "configs/train/cartpole.cfg",
                                        "configs/train/quadrotor.cfg"};
    char path[CFG_PATH_MAX];
    pb_error err = {0};
    sim_train_opts o;

    for (size_t k = 0; k < 3; k++) {
        config_t cf;
        const config_setting_t *h;
        const plant_type *t;
        snprintf(path, sizeof path, "%s/%s", PB_SOURCE_DIR, files[k]);
        config_init(&cf);
        CU_ASSERT_EQUAL_FATAL(config_read_file(&cf, path), CONFIG_TRUE);
        t = plant_find(str_or(&cf, "plant.name", "?"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT_EQUAL_FATAL(cfg_train_load(path, t, &o, &err), PB_SUCCESS);
        h = config_lookup(&cf, "policy.train.hidden");
        CU_ASSERT_EQUAL(o.n_hidden, (size_t)config_setting_length(h));
        for (size_t i = 0; i < o.n_hidden; i++)
            CU_ASSERT_EQUAL(o.hidden[i], (size_t)config_setting_get_int_elem(h, (int)i));
        CU_ASSERT_EQUAL(o.n_box, t->nx);
        check_array(config_lookup(&cf, "policy.train.box"), o.box, o.n_box, "box");
        CU_ASSERT_EQUAL((double)o.epochs, num_or(&cf, "policy.train.epochs", 200));
        CU_ASSERT_EQUAL(o.lr, num_or(&cf, "policy.train.learning_rate", 3e-3));
        CU_ASSERT_EQUAL(o.act, strcmp(str_or(&cf, "policy.train.activation", "tanh"), "tanh") == 0
                                   ? MLP_ACT_TANH
                                   : o.act);
        config_destroy(&cf);
    }
    /* a config without policy.train; a missing file; a bad key */
    snprintf(path, sizeof path, "%s/configs/pendulum.cfg", PB_SOURCE_DIR);
    CU_ASSERT_EQUAL(cfg_train_load(path, plant_find("pendulum"), &o, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "policy.train"));
    CU_ASSERT_EQUAL(cfg_train_load(pb_test_path("none.cfg"), plant_find("pendulum"), &o, &err),
                    PB_EIO);
    CU_ASSERT_EQUAL_FATAL(write_text(pb_test_path("train_bad.cfg"),
                                     "plant = { name = \"pendulum\"; };\n"
                                     "policy = { train = {\n"
                                     "  box = [1.0, 2.0];\n"
                                     "  epochs = -3;\n"
                                     "}; };\n"),
                          0);
    CU_ASSERT_EQUAL(cfg_train_load(pb_test_path("train_bad.cfg"), plant_find("pendulum"), &o, &err),
                    PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":4: policy.train.epochs: "));
}

/* ---- 6. The montecarlo section (docs/MONTECARLO.md) ---- */

/* Lines 1-5 of every montecarlo config here; `montecarlo = {` is line 6. */
static const char *const mc_head = "plant = { name = \"pendulum\"; };\n"
                                   "simulation = { period = 0.05; horizon = 1.0; };\n"
                                   "policy = { file = \"p.h5\"; };\n"
                                   "scenarios = ( { x0 = [0.1, 0.0]; } );\n"
                                   "seed = 4; bounds = { eps = 0.3; };\n";

static void test_montecarlo(void)
{
    /* body (line 7), the key refused and its line */
    static const struct {
        const char *body, *key;
        int line;
    } bad[] = {
        {"sampler = { type = \"sobol\"; };", "montecarlo.sampler.type", 7},
        {"sampler = { type = \"box\"; low = [0.0, 0.0]; high = [1.0, -1.0]; };",
         "montecarlo.sampler.high", 7},
        {"sampler = { type = \"box\"; low = [0.0]; high = [1.0, 1.0]; };", "montecarlo.sampler.low",
         7},
        {"sampler = { type = \"gaussian\"; mean = [0.0, 0.0]; std = [1.0, -1.0]; };",
         "montecarlo.sampler.std", 7},
        {"sampler = { type = \"grid\"; axes = [1, 1]; low = [0.0, 0.0]; high = [1.0, 1.0];"
         " points = [3, 3]; };",
         "montecarlo.sampler.axes", 7},
        {"samples = 10; sampler = { type = \"grid\"; axes = [0, 1]; low = [0.0, 0.0];"
         " high = [1.0, 1.0]; points = [3, 3]; };",
         "montecarlo.samples", 7},
        {"params = ( { name = \"mass\"; rel = 0.1; } ); sampler = { type = \"box\";"
         " low = [0.0, 0.0]; high = [1.0, 1.0]; };",
         "montecarlo.params[0].name", 7},
        {"params = ( { name = \"m\"; rel = 1.0; } ); sampler = { type = \"box\";"
         " low = [0.0, 0.0]; high = [1.0, 1.0]; };",
         "montecarlo.params[0].rel", 7},
        {"chunk = 0; sampler = { type = \"box\"; low = [0.0, 0.0]; high = [1.0, 1.0]; };",
         "montecarlo.chunk", 7},
        {"criterion = { tol = 0.1; };", "montecarlo.criterion", 7},
        {"speed = 2;", "montecarlo.speed", 7},
        {"samples = 10;", "montecarlo.sampler", 6}, /* missing: at its group */
    };
    const char *path = pb_test_path("mc.cfg");
    char text[2048], want[1400];
    pb_error err = {0};
    cfg_run *r = NULL;

    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(text, sizeof text, "%smontecarlo = {\n%s\n};\n", mc_head, bad[k].body);
        CU_ASSERT_EQUAL_FATAL(write_text(path, text), 0);
        snprintf(want, sizeof want, "%s:%d: %s: ", path, bad[k].line, bad[k].key);
        memset(&err, 0, sizeof err);
        CU_ASSERT_EQUAL(cfg_run_load(path, NULL, 0, &r, &err), PB_EINVAL);
        CU_ASSERT_PTR_NULL(r);
        if (strncmp(err.msg, want, strlen(want)) != 0)
            fprintf(stderr, "\n%s: expected '%s...', got '%s'", bad[k].body, want, err.msg);
        CU_ASSERT_EQUAL(strncmp(err.msg, want, strlen(want)), 0);
    }

    /* defaults: 1000 samples, chunk 256, seed = the top-level seed, eps =
     * bounds.eps, no noise, no traces (docs/MONTECARLO.md, mc_study.h) */
    snprintf(
        text, sizeof text,
        "%smontecarlo = {\nsampler = { type = \"box\"; low = [-1.0, -2.0]; high = [1.0, 2.0]; };"
        "\nparams = ( { name = \"m\"; rel = 0.2; } );\n};\n",
        mc_head);
    CU_ASSERT_EQUAL_FATAL(write_text(path, text), 0);
    CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, NULL, 0, &r, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->mc);
    CU_ASSERT_EQUAL(r->mc->samples, 1000);
    CU_ASSERT_EQUAL(r->mc->chunk, 256);
    CU_ASSERT_EQUAL(r->mc->seed, 4);
    CU_ASSERT_EQUAL(r->mc->eps, 0.3);
    CU_ASSERT_EQUAL(r->mc->input_noise, 0.0);
    CU_ASSERT_EQUAL(r->mc->meas_noise, 0.0);
    CU_ASSERT_EQUAL(r->mc->traces, 0);
    CU_ASSERT_EQUAL(r->mc->sampler.kind, MC_SAMPLER_BOX);
    CU_ASSERT(r->mc->sampler.low[1] == -2.0 && r->mc->sampler.high[1] == 2.0);
    CU_ASSERT_EQUAL(r->mc->n_params, 1);
    CU_ASSERT_STRING_EQUAL(r->mc->params[0].name, "m");
    CU_ASSERT_EQUAL(r->mc->params[0].index, (size_t)plant_param_index(r->plant->type, "m"));
    CU_ASSERT_EQUAL(r->mc->params[0].rel, 0.2);
    cfg_run_free(r);

    /* --set reaches the section like any other */
    {
        const char *sets[] = {"montecarlo.sampler.high=[3, 4]"};
        CU_ASSERT_EQUAL_FATAL(cfg_run_load(path, sets, 1, &r, &err), PB_SUCCESS);
        CU_ASSERT(r->mc->sampler.high[0] == 3.0 && r->mc->sampler.high[1] == 4.0);
        cfg_run_free(r);
    }
}

/* ---- 7. bounds.region (docs/CONFIG.md): a bool, default false ---- */

static void test_bounds_region(void)
{
    /* the bounds group (line 5 of the file), what it must give or the words refused */
    static const struct {
        const char *group;
        int rc, want;
        const char *words;
    } cases[] = {
        {"bounds = { eps = 0.3; };", PB_SUCCESS, 0, NULL},
        {"bounds = { region = true; };", PB_SUCCESS, 1, NULL},
        {"bounds = { region = false; local = true; };", PB_SUCCESS, 0, NULL},
        {"bounds = { region = 1; };", PB_EINVAL, 0, ":5: bounds.region: "},
        {"bounds = { region = \"yes\"; };", PB_EINVAL, 0, ":5: bounds.region: "},
        {"bounds = { regions = true; };", PB_EINVAL, 0, ":5: bounds.regions: "},
    };
    const char *path = pb_test_path("region.cfg");
    char text[1024];
    pb_error err = {0};
    cfg_run *r = NULL;

    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        snprintf(text, sizeof text,
                 "plant = { name = \"pendulum\"; };\n"
                 "simulation = { period = 0.05; horizon = 1.0; };\n"
                 "policy = { file = \"p.h5\"; };\n"
                 "scenarios = ( { x0 = [0.1, 0.0]; } );\n"
                 "%s\n",
                 cases[k].group);
        CU_ASSERT_EQUAL_FATAL(write_text(path, text), 0);
        memset(&err, 0, sizeof err);
        r = NULL;
        CU_ASSERT_EQUAL(cfg_run_load(path, NULL, 0, &r, &err), cases[k].rc);
        if (cases[k].rc == PB_SUCCESS) {
            CU_ASSERT_PTR_NOT_NULL_FATAL(r);
            CU_ASSERT_EQUAL(r->bound_region, cases[k].want);
            cfg_run_free(r);
        } else {
            CU_ASSERT_PTR_NULL(r);
            if (!strstr(err.msg, cases[k].words))
                fprintf(stderr, "\n%s: expected '%s' in '%s'", cases[k].group, cases[k].words,
                        err.msg);
            CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[k].words));
        }
    }
}

static const pb_test_case cfg_tests[] = {
    {"malformed fixtures: PB_EINVAL, FILE:LINE: KEY from the fixture", test_malformed_fixtures},
    {"shipped configs equal libconfig's reading, docs defaults", test_shipped_configs},
    {"spec sections by hand", test_spec_by_hand},
    {"configs/pendulum.cfg: values written by hand", test_pendulum_by_hand},
    {"absent keys take docs/CONFIG.md's defaults", test_defaults},
    {"--set changes exactly its field", test_overrides},
    {"bad --set refused with file, key and reason", test_bad_overrides},
    {"missing file and folder: PB_EIO", test_unreadable},
    {"cfg_error_at: FILE:LINE: key: ", test_error_at},
    {"cfg_train_load: policy.train alone", test_train_load},
    {"montecarlo section: refusals at FILE:LINE: KEY, defaults", test_montecarlo},
    {"bounds.region: a bool, default false, refusals at FILE:LINE: KEY", test_bounds_region},
    {NULL, NULL},
};

const pb_test_suite pb_test_suites[] = {
    {"cfg", cfg_tests},
    {NULL, NULL},
};
