/* falsify_job.c: a falsification from a config, and its counterexample as a
 * results file (falsify.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "falsify.h"
#include "mc_study.h"

void falsify_default_box(const cfg_run *c, double lo[], double hi[])
{
    size_t nx = c->plant->type->nx;
    const mc_sampler *sm = c->mc ? &c->mc->sampler : NULL;

    if (sm && sm->kind == MC_SAMPLER_BOX) {
        memcpy(lo, sm->low, nx * sizeof *lo);
        memcpy(hi, sm->high, nx * sizeof *hi);
        return;
    }
    if (sm && sm->kind == MC_SAMPLER_GRID) {
        memcpy(lo, sm->fixed, nx * sizeof *lo);
        memcpy(hi, sm->fixed, nx * sizeof *hi);
        for (size_t a = 0; a < 2; a++) {
            lo[sm->axes[a]] = sm->low[a];
            hi[sm->axes[a]] = sm->high[a];
        }
        return;
    }
    for (size_t i = 0; i < nx; i++) {
        lo[i] = INFINITY;
        hi[i] = -INFINITY;
        for (size_t k = 0; k < c->n_scenarios; k++) {
            lo[i] = fmin(lo[i], c->scenarios[k].x0[i]);
            hi[i] = fmax(hi[i], c->scenarios[k].x0[i]);
        }
    }
}

falsify_job *falsify_job_alloc(cfg_run *c, const char *variant, const falsify_opts *o,
                               pb_error *err)
{
    falsify_job *j;

    if (!c->spec)
        return pb_error_set(err, PB_EINVAL, "%s: the config has no spec section (docs/SAFETY.md)",
                            c->path), NULL;
    if (!(j = calloc(1, sizeof *j)))
        return pb_error_set(err, PB_ENOMEM, "out of memory"), NULL;
    j->cfg = c;
    j->variant = -1;
    j->opts = *o;
    if (run_variants_build(c, &j->v, err))
        goto fail;
    if (variant && strcmp(variant, "original") != 0) {
        char labels[1024] = "original";
        for (size_t v = 0; v < j->v.n; v++) {
            size_t used = strlen(labels);
            if (strcmp(j->v.variants[v].label, variant) == 0)
                j->variant = (long)v;
            snprintf(labels + used, sizeof labels - used, ", %s", j->v.variants[v].label);
        }
        if (j->variant < 0) {
            pb_error_set(err, PB_EINVAL, "--variant %s: no such variant (the config has: %s)",
                         variant, labels);
            goto fail;
        }
    }
    /* with the config's observation map (policy.observation), as run's model has it */
    j->model = sim_model_alloc_observed(c->plant, &c->integ, c->period, c->horizon, &c->ref,
                                        c->input, c->obs, &c->crit,
                                        &(sim_policy){j->v.orig, NULL, NULL},
                                        j->variant < 0 ? 0 : 1,
                                        j->variant < 0 ? NULL : &j->v.variants[j->variant], err);
    if (!j->model)
        goto fail;
    j->model->dev_at_orig = 0; /* the search reads states only */
    if (c->dist.on && sim_model_set_disturbance(j->model, &c->dist, err))
        goto fail;
    j->opts.policy = j->variant < 0 ? 0 : 1;
    if (!(j->search = falsify_alloc(j->model, c->spec, &j->opts, err)))
        goto fail;
    return j;
fail:
    falsify_job_free(j);
    return NULL;
}

void falsify_job_free(falsify_job *j)
{
    if (!j)
        return;
    falsify_free(j->search);
    sim_model_free(j->model);
    run_variants_free(&j->v);
    free(j);
}

int falsify_job_write(falsify_job *j, const falsify_result *r, const char *path, pb_error *err)
{
    cfg_run *c = j->cfg;
    size_t nx = c->plant->type->nx;
    run_job *rj;
    int rc;

    c->n_scenarios = 1;
    memcpy(c->scenarios[0].x0, r->x0, nx * sizeof *r->x0);
    snprintf(c->scenarios[0].name, sizeof c->scenarios[0].name, "counterexample");
    c->traces = 1;
    /* The networks searched, not ones calibrated again on the counterexample. */
    if (!(rj = run_job_alloc_variants(c, &j->v, err)))
        return err ? err->code : PB_EINVAL;
    if ((rc = run_job_open(rj, path, err)))
        goto done;
    while (rc == PB_SUCCESS && rj->done < c->n_scenarios)
        rc = run_job_step(rj, err);
    if (rc == PB_SUCCESS)
        rc = run_job_commit(rj, err);
done:
    run_job_free(rj);
    return rc;
}
