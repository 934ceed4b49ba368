/* run_mc.c: the Monte Carlo study of a config, chunk by chunk (run_mc.h).
 * The study loop of `prunebound montecarlo`, moved here from
 * sim/cli/cmd_montecarlo.c so that the Python module drives the same one. */
#include "run_mc.h"
#include "run_region.h"
#include "sim_units.h"

#include <stdlib.h>
#include <string.h>

run_mc *run_mc_alloc(cfg_run *c, size_t threads, pb_error *err)
{
    run_mc *j;
    mc_options *o = c->mc;
    size_t nx = c->plant->type->nx, traj;
    int rc;

    if (!o)
        return pb_error_set(err, PB_EINVAL,
                            "%s: no montecarlo section (montecarlo = { sampler = {...}; ... }; see "
                            "docs/MONTECARLO.md)",
                            c->path),
               NULL;
    if (threads < 1)
        return pb_error_set(err, PB_EINVAL, "run_mc_alloc: threads must be >= 1"), NULL;
    if (!(j = calloc(1, sizeof *j)))
        return pb_error_set(err, PB_ENOMEM, "out of memory"), NULL;
    j->cfg = c;
    j->samples = o->samples;
    if ((rc = run_variants_build(c, &j->v, err)))
        goto fail;
    if (j->v.n == 0) {
        pb_error_set(err, PB_EINVAL,
                     "%s: pruning: montecarlo needs at least one variant "
                     "(sparsity 0.0 gives the original's twin)",
                     c->path);
        goto fail;
    }
    if (!(j->model = run_model_alloc(c, &j->v, err)))
        goto fail;
    if (c->bound_region) {
        double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX];
        char src[96];
        if (!(j->region = calloc(1, sizeof *j->region))) {
            pb_error_set(err, PB_ENOMEM, "out of memory");
            goto fail;
        }
        if ((rc = run_region_box_sampler(&o->sampler, nx, lo, hi, src, sizeof src, err)) ||
            (rc = run_region_eval(c, &j->v, lo, hi, src, j->region, err)))
            goto fail;
    }
    j->study.model = j->model;
    j->study.opts = o;
    j->study.spec = c->spec;
    traj = mc_traj_size(&j->study);
    j->rows = calloc(o->chunk * j->v.n, sizeof *j->rows);
    j->x0s = calloc(o->chunk * nx, sizeof *j->x0s);
    j->ps = calloc(o->chunk * (o->n_params ? o->n_params : 1), sizeof *j->ps);
    j->trajs = traj ? calloc(o->chunk * traj, sizeof *j->trajs) : NULL;
    if (!j->rows || !j->x0s || !j->ps || (traj && !j->trajs)) {
        pb_error_set(err, PB_ENOMEM, "out of memory for a chunk of %zu samples", o->chunk);
        goto fail;
    }
    if (!(j->pool = mc_pool_alloc(&j->study, threads, err)))
        goto fail;
    j->header.config_text = c->text;
    j->header.config_file = c->path;
    j->header.plant_name = c->plant->type->name;
    j->header.nx = nx;
    j->header.nu = c->plant->type->nu;
    j->header.n_steps = j->model->n_steps;
    j->header.period = c->period;
    j->header.horizon = c->horizon;
    j->header.n_variants = j->v.n;
    j->header.variants = j->v.variants;
    return j;
fail:
    run_mc_free(j);
    return NULL;
}

int run_mc_open(run_mc *j, const char *path, int resume, pb_error *err)
{
    int rc;

    if (j->file)
        return pb_error_set(err, PB_EINVAL, "run_mc_open: a file is already open");
    j->done = 0;
    rc = resume ? mc_file_resume(path, &j->study, &j->header, &j->file, &j->done, err)
                : mc_file_create(path, &j->study, &j->header, &j->file, err);
    if (rc == PB_SUCCESS && j->region) {
        const plant_type *pt = j->cfg->plant->type;
        char un_x[SIM_UNITS_MAX], un_u[SIM_UNITS_MAX];
        sim_units_norm(pt->states, pt->nx, un_x, sizeof un_x);
        sim_units_norm(pt->inputs, pt->nu, un_u, sizeof un_u);
        rc = run_region_put(mc_file_hid(j->file), j->region, un_x, un_u, err);
    }
    return rc;
}

int run_mc_step(run_mc *j, pb_error *err)
{
    size_t chunk = j->cfg->mc->chunk;
    size_t count = j->samples - j->done < chunk ? j->samples - j->done : chunk;
    int rc;

    if (!j->file)
        return pb_error_set(err, PB_EINVAL, "run_mc_step: no results file open");
    if (count == 0)
        return PB_SUCCESS;
    if ((rc = mc_pool_run(j->pool, j->done, count, j->rows, j->x0s, j->ps, j->trajs, err)) ||
        (rc = mc_file_append(j->file, count, j->rows, j->x0s, j->ps, j->trajs, err)))
        return rc;
    j->done += count;
    return PB_SUCCESS;
}

int run_mc_finish(run_mc *j, mc_aggregate agg[], pb_error *err)
{
    mc_file *f = j->file;

    if (!f)
        return pb_error_set(err, PB_EINVAL, "run_mc_finish: no results file open");
    if (j->done < j->samples)
        return pb_error_set(err, PB_EINVAL, "run_mc_finish: %zu of %zu samples done", j->done,
                            j->samples);
    j->file = NULL; /* mc_file_finish frees it whatever happens */
    return mc_file_finish(f, agg, err);
}

void run_mc_free(run_mc *j)
{
    if (!j)
        return;
    mc_file_close(j->file);
    mc_pool_free(j->pool);
    sim_model_free(j->model);
    run_variants_free(&j->v);
    if (j->region)
        run_region_free(j->region);
    free(j->region);
    free(j->rows);
    free(j->x0s);
    free(j->ps);
    free(j->trajs);
    free(j);
}
