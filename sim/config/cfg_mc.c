/* cfg_mc.c: the montecarlo section of a config (cfg_mc.h). */
#include "cfg_mc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_study.h"

static int load_sampler(const cfg_ctx *c, config_setting_t *g, const plant_type *pt, mc_options *o)
{
    static const char *const k_box[] = {"type", "low", "high", NULL};
    static const char *const k_gauss[] = {"type", "mean", "std", NULL};
    static const char *const k_grid[] = {"type", "axes", "low", "high", "points", "fixed", NULL};
    const char *pre = "montecarlo.sampler";
    mc_sampler *s = &o->sampler;
    size_t nx = pt->nx, n;
    char type[16] = "";
    int rc;

    if ((rc = cfg_get_str(c, g, pre, "type", 1, type, sizeof type)))
        return rc;
    if (strcmp(type, "box") == 0) {
        s->kind = MC_SAMPLER_BOX;
        if ((rc = cfg_check_keys(c, g, pre, k_box)) ||
            (rc = cfg_get_nums(c, g, pre, "low", 1, nx, nx, s->low, &n)) ||
            (rc = cfg_get_nums(c, g, pre, "high", 1, nx, nx, s->high, &n)))
            return rc;
        for (size_t i = 0; i < nx; i++)
            if (!(s->low[i] <= s->high[i]))
                return cfg_fail(c, config_setting_get_member(g, "high"), "montecarlo.sampler.high",
                                "entry %zu (%g) is below low (%g)", i, s->high[i], s->low[i]);
    } else if (strcmp(type, "gaussian") == 0) {
        s->kind = MC_SAMPLER_GAUSSIAN;
        if ((rc = cfg_check_keys(c, g, pre, k_gauss)) ||
            (rc = cfg_get_nums(c, g, pre, "mean", 1, nx, nx, s->mean, &n)) ||
            (rc = cfg_get_nums(c, g, pre, "std", 1, nx, nx, s->std, &n)))
            return rc;
        for (size_t i = 0; i < nx; i++)
            if (!(s->std[i] >= 0.0))
                return cfg_fail(c, config_setting_get_member(g, "std"), "montecarlo.sampler.std",
                                "entry %zu is negative", i);
    } else if (strcmp(type, "grid") == 0) {
        double axes[2], pts[2];
        s->kind = MC_SAMPLER_GRID;
        memset(s->fixed, 0, sizeof s->fixed);
        if ((rc = cfg_check_keys(c, g, pre, k_grid)) ||
            (rc = cfg_get_nums(c, g, pre, "axes", 1, 2, 2, axes, &n)) ||
            (rc = cfg_get_nums(c, g, pre, "low", 1, 2, 2, s->low, &n)) ||
            (rc = cfg_get_nums(c, g, pre, "high", 1, 2, 2, s->high, &n)) ||
            (rc = cfg_get_nums(c, g, pre, "points", 1, 2, 2, pts, &n)) ||
            (rc = cfg_get_nums(c, g, pre, "fixed", 0, nx, nx, s->fixed, &n)))
            return rc;
        for (size_t a = 0; a < 2; a++) {
            if (axes[a] != floor(axes[a]) || axes[a] < 0 || axes[a] >= (double)nx)
                return cfg_fail(c, config_setting_get_member(g, "axes"), "montecarlo.sampler.axes",
                                "entry %zu must be a state index 0..%zu", a, nx - 1);
            if (pts[a] != floor(pts[a]) || pts[a] < 1 || pts[a] > 1e6)
                return cfg_fail(c, config_setting_get_member(g, "points"),
                                "montecarlo.sampler.points", "entry %zu must be an integer 1..1e6",
                                a);
            if (!(s->low[a] <= s->high[a]))
                return cfg_fail(c, config_setting_get_member(g, "high"), "montecarlo.sampler.high",
                                "entry %zu (%g) is below low (%g)", a, s->high[a], s->low[a]);
            s->axes[a] = (size_t)axes[a];
            s->points[a] = (size_t)pts[a];
        }
        if (s->axes[0] == s->axes[1])
            return cfg_fail(c, config_setting_get_member(g, "axes"), "montecarlo.sampler.axes",
                            "the two axes must differ");
        o->samples = s->points[0] * s->points[1];
    } else {
        return cfg_fail(c, config_setting_get_member(g, "type"), "montecarlo.sampler.type",
                        "unknown sampler '%s' (expected box, gaussian or grid)", type);
    }
    return PB_SUCCESS;
}

static int load_params(const cfg_ctx *c, config_setting_t *l, const plant_type *pt, mc_options *o)
{
    static const char *const keys[] = {"name", "rel", NULL};
    int n;

    if (config_setting_type(l) != CONFIG_TYPE_LIST)
        return cfg_fail(c, l, "montecarlo.params",
                        "expected a list ( { name = \"m\"; rel = 0.2; } )");
    n = config_setting_length(l);
    if (n > MC_PARAMS_MAX)
        return cfg_fail(c, l, "montecarlo.params", "has %d entries, at most %d", n, MC_PARAMS_MAX);
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        mc_param_rand *p = &o->params[i];
        char pre[64];
        int idx, rc;

        snprintf(pre, sizeof pre, "montecarlo.params[%d]", i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            return cfg_fail(c, g, pre, "expected a group { name = ...; rel = ...; }");
        if ((rc = cfg_check_keys(c, g, pre, keys)) ||
            (rc = cfg_get_str(c, g, pre, "name", 1, p->name, sizeof p->name)) ||
            (rc = cfg_get_num(c, g, pre, "rel", 1, 0.0, 0.999999, 0, &p->rel)))
            return rc;
        idx = plant_param_index(pt, p->name);
        if (idx < 0) {
            char key[96];
            return cfg_fail(c, config_setting_get_member(g, "name"),
                            cfg_key(key, sizeof key, pre, "name"),
                            "plant '%s' has no parameter '%s'", pt->name, p->name);
        }
        p->index = (size_t)idx;
    }
    o->n_params = (size_t)n;
    return PB_SUCCESS;
}

int cfg_mc_load(const cfg_ctx *c, config_setting_t *root, cfg_run *r)
{
    static const char *const keys[] = {
        "samples",           "seed",      "chunk",  "sampler", "params", "input_noise",
        "measurement_noise", "traces", NULL};
    const plant_type *pt = r->plant->type;
    config_setting_t *g, *sg, *pl;
    long long samples = -1, seed, chunk;
    mc_options *o;
    int rc;

    if ((rc = cfg_get_group(c, root, "", "montecarlo", 0, &g)) || !g)
        return rc;
    o = malloc(sizeof *o);
    if (!o)
        return pb_error_set(c->err, PB_ENOMEM, "out of memory");
    r->mc = o;
    mc_options_init(o);
    o->seed = r->seed;
    o->eps = r->bound_eps;
    o->tube = r->bound_tube;
    seed = (long long)o->seed;
    chunk = (long long)o->chunk;
    if (config_setting_get_member(g, "criterion"))
        return cfg_fail(c, config_setting_get_member(g, "criterion"), "montecarlo.criterion",
                        "moved to the top level: criterion = { tol = ...; tail = ...; radius = "
                        "...; } now decides the outcome of `run` and `montecarlo` alike "
                        "(docs/CONFIG.md)");
    if ((rc = cfg_check_keys(c, g, "montecarlo", keys)) ||
        (rc = cfg_get_int(c, g, "montecarlo", "samples", 0, 1, 1000000000000LL, &samples)) ||
        (rc = cfg_get_int(c, g, "montecarlo", "seed", 0, 0, 4294967295LL, &seed)) ||
        (rc = cfg_get_int(c, g, "montecarlo", "chunk", 0, 1, 1 << 20, &chunk)) ||
        (rc = cfg_get_num(c, g, "montecarlo", "input_noise", 0, 0.0, 1e12, 0, &o->input_noise)) ||
        (rc = cfg_get_num(c, g, "montecarlo", "measurement_noise", 0, 0.0, 1e12, 0,
                          &o->meas_noise)) ||
        (rc = cfg_get_bool(c, g, "montecarlo", "traces", &o->traces)) ||
        (rc = cfg_get_group(c, g, "montecarlo", "sampler", 1, &sg)) ||
        (rc = load_sampler(c, sg, pt, o)))
        return rc;
    o->seed = (unsigned long)seed;
    o->chunk = (size_t)chunk;
    if (samples >= 0) {
        if (o->sampler.kind == MC_SAMPLER_GRID && (size_t)samples != o->samples)
            return cfg_fail(c, config_setting_get_member(g, "samples"), "montecarlo.samples",
                            "a %zu x %zu grid has %zu samples, not %lld", o->sampler.points[0],
                            o->sampler.points[1], o->samples, samples);
        o->samples = (size_t)samples;
    }
    if (o->tube && o->meas_noise > 0.0)
        return cfg_fail(c, config_setting_get_member(g, "measurement_noise"),
                        "montecarlo.measurement_noise",
                        "bounds.tube does not cover measurement noise (docs/TUBE.md): set one "
                        "of them off");
    pl = config_setting_get_member(g, "params");
    if (pl && (rc = load_params(c, pl, pt, o)))
        return rc;
    {
        pb_error e;
        if (mc_options_validate(o, r->plant, &e))
            return cfg_fail(c, g, "montecarlo", "%s", e.msg);
    }
    return PB_SUCCESS;
}
