/* run_variants.c: the policy of a config and its pruned variants, built
 * once for `run` and `montecarlo` (run_job.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_type.h"
#include "mlp_io.h"
#include "prune.h"
#include "run_job.h"
#include "sim_train.h"

/* ---- Policy ---- */

static int load_policy(cfg_run *c, run_variants *s, pb_error *err)
{
    const plant_type *pt = c->plant->type;
    int rc = PB_SUCCESS;

    switch (c->policy_kind) {
    case CFG_POLICY_FILE:
        rc = mlp_read_h5(c->policy_file, &s->orig, err);
        break;
    case CFG_POLICY_IMPORT: {
        const import_type *t = c->import_format[0] ? import_find(c->import_format)
                                                   : import_find_by_extension(c->policy_file);
        import_options o;
        memset(&o, 0, sizeof o);
        if (c->import_acts[0] && (rc = import_options_parse_acts(&o, c->import_acts, err)))
            break;
        rc = t->read(c->policy_file, &o, &s->orig, s->note, sizeof s->note, err);
        if (rc == PB_SUCCESS && (c->has_out_offset || c->has_out_scale)) {
            rc = mlp_add_output_map(s->orig, err);
            for (size_t i = 0; rc == PB_SUCCESS && i < s->orig->n_out; i++) {
                if (c->has_out_offset)
                    s->orig->out_offset[i] = c->out_offset;
                if (c->has_out_scale)
                    s->orig->out_scale[i] = c->out_scale;
            }
        }
        break;
    }
    case CFG_POLICY_TRAIN:
        rc = sim_train(c->plant, &c->integ, c->period, (const sim_train_opts *)c->train, &s->orig,
                       NULL, err);
        break;
    }
    if (rc)
        return cfg_error_at(err, &c->where_policy);
    if (c->obs && s->orig->n_in != plant_expr_map_n_out(c->obs)) {
        pb_error_set(err, PB_EINVAL,
                     "the policy takes %zu inputs but policy.observation gives %zu features",
                     s->orig->n_in, plant_expr_map_n_out(c->obs));
        return cfg_error_at(err, &c->where_policy);
    }
    if ((!c->obs && s->orig->n_in != pt->nx) || s->orig->n_out != pt->nu) {
        pb_error_set(err, PB_EINVAL,
                     "the policy takes %zu inputs and gives %zu outputs, but plant '%s' has %zu "
                     "states and %zu inputs",
                     s->orig->n_in, s->orig->n_out, pt->name, pt->nx, pt->nu);
        return cfg_error_at(err, &c->where_policy);
    }
    return PB_SUCCESS;
}

/* ---- Pruning ---- */

static int needs_calibration(const cfg_run *c)
{
    for (size_t i = 0; i < c->n_prune; i++) {
        const prune_method *m = prune_find(c->prune[i].method);
        if (m && m->needs_hessian)
            return 1;
    }
    return 0;
}

/* The calibration states of c into *X (n x nx, owned by the caller). */
static int calibrate(cfg_run *c, const mlp *orig, double **X, size_t *n_X, pb_error *err)
{
    size_t nx = c->plant->type->nx;
    sim_model *m0;
    sim_data *d0;
    double *x0s;
    int rc;

    if (c->calib_file[0]) {
        rc = mlp_states_read_h5(c->calib_file, orig->n_in, X, n_X, err);
        return rc ? cfg_error_at(err, &c->where_calib) : PB_SUCCESS;
    }
    m0 = sim_model_alloc_observed(c->plant, &c->integ, c->period, c->horizon, &c->ref, c->input,
                                  c->obs, &c->crit, &(sim_policy){(mlp *)orig, NULL, NULL}, 0,
                                  NULL, err);
    if (!m0)
        return err->code;
    d0 = sim_data_alloc(m0, c->calib_trajectories, err);
    x0s = malloc(c->n_scenarios * nx * sizeof *x0s);
    if (!d0 || !x0s) {
        rc = d0 ? pb_error_set(err, PB_ENOMEM, "out of memory") : err->code;
        goto done;
    }
    for (size_t i = 0; i < c->n_scenarios; i++)
        memcpy(x0s + i * nx, c->scenarios[i].x0, nx * sizeof *x0s);
    rc = sim_calibrate(m0, d0, c->n_scenarios, x0s, c->calib_trajectories, c->calib_noise,
                       c->calib_seed, X, n_X, err);
    if (rc)
        cfg_error_at(err, &c->where_calib);
done:
    free(x0s);
    sim_data_free(d0);
    sim_model_free(m0);
    return rc;
}

/* Prunes s->orig with every (entry, sparsity) of c into s->nets and
 * s->variants, calibrated on X (n_X states). */
static int prune_all(cfg_run *c, run_variants *s, const double *X, size_t n_X, pb_error *err)
{
    char sha[65] = "";
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < c->n_prune; i++)
        n += c->prune[i].n_sparsity;
    s->nets = calloc(n + 1, sizeof *s->nets);
    s->variants = calloc(n + 1, sizeof *s->variants);
    if (!s->nets || !s->variants)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    if (c->policy_kind != CFG_POLICY_TRAIN && mlp_file_sha256(c->policy_file, sha, err))
        sha[0] = '\0';
    for (size_t i = 0; i < c->n_prune; i++) {
        const cfg_prune *p = &c->prune[i];
        const prune_method *pm = prune_find(p->method);
        size_t layers[64], n_sel = 0;
        prune_options o;

        prune_options_init(&o);
        if (strcmp(p->pattern, "unstructured") != 0 &&
            (rc = prune_pattern_parse(p->pattern, &o.nm_n, &o.nm_m, err)))
            return cfg_error_at(err, &p->where);
        if ((rc = prune_layers_parse(p->layers, s->orig->n_layers, layers, 64, &n_sel, err)))
            return cfg_error_at(err, &p->where);
        o.layers = n_sel ? layers : NULL;
        o.n_sel = n_sel;
        o.global = p->global;
        for (size_t j = 0; j < p->n_sparsity; j++) {
            sim_variant *v = &s->variants[s->n];
            char label[SIM_LABEL_MAX];
            o.sparsity = p->sparsity[j];
            if (o.nm_m)
                snprintf(label, sizeof label, "%s_%s", p->method, p->pattern);
            else
                snprintf(label, sizeof label, "%s_s%.2f", p->method, p->sparsity[j]);
            if (strcmp(p->layers, "all") != 0) {
                size_t used = strlen(label);
                snprintf(label + used, sizeof label - used, "_L%.24s", p->layers);
                for (char *q = label + used; *q; q++)
                    if (*q == ',')
                        *q = '-';
            }
            if (p->global) {
                size_t used = strlen(label);
                snprintf(label + used, sizeof label - used, "_global");
            }
            for (size_t k = 0; k < s->n; k++)
                if (strcmp(s->variants[k].label, label) == 0) {
                    pb_error_set(err, PB_EINVAL, "variant '%s' appears twice", label);
                    return cfg_error_at(err, &p->where);
                }
            rc = prune_mlp(s->orig, pm, &o, X, pm->needs_hessian ? n_X : 0,
                           &s->nets[s->n], err);
            if (rc)
                return cfg_error_at(err, &p->where);
            memcpy(s->nets[s->n]->prov.parent_sha256, sha, sizeof sha);
            snprintf(v->label, sizeof v->label, "%s", label);
            snprintf(v->method, sizeof v->method, "%s", p->method);
            snprintf(v->pattern, sizeof v->pattern, "%s", p->pattern);
            v->sparsity = p->sparsity[j];
            v->net = s->nets[s->n];
            s->n++;
        }
    }
    return PB_SUCCESS;
}

int run_variants_build(cfg_run *c, run_variants *out, pb_error *err)
{
    double *X = NULL;
    size_t n_X = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = load_policy(c, out, err)) ||
        (needs_calibration(c) && (rc = calibrate(c, out->orig, &X, &n_X, err))) ||
        (rc = prune_all(c, out, X, n_X, err))) {
        free(X);
        run_variants_free(out);
        return rc;
    }
    out->n_calib = n_X;
    free(X);
    return PB_SUCCESS;
}

sim_model *run_model_alloc(cfg_run *c, const run_variants *v, pb_error *err)
{
    sim_model *m = sim_model_alloc_observed(c->plant, &c->integ, c->period, c->horizon, &c->ref,
                                            c->input, c->obs, &c->crit,
                                            &(sim_policy){v->orig, NULL, NULL}, v->n, v->variants,
                                            err);
    if (!m)
        return NULL;
    m->dev_at_orig = c->bound_at_orig;
    m->bound_local = c->bound_local;
    if (c->dist.on && sim_model_set_disturbance(m, &c->dist, err)) {
        sim_model_free(m);
        return NULL;
    }
    return m;
}

void run_variants_free(run_variants *v)
{
    if (!v)
        return;
    for (size_t i = 0; v->nets && i < v->n; i++)
        mlp_free(v->nets[i]);
    free(v->nets);
    free(v->variants);
    mlp_free(v->orig);
    memset(v, 0, sizeof *v);
}
