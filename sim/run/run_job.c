/* run_job.c: one run of every scenario with the original policy and every
 * pruned variant, into the results file of docs/RESULTS.md (run_job.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hdf5.h>

#include "bounds.h"
#include "mlp_io.h"
#include "pb_norm.h"
#include "run_job.h"
#include "run_region.h"
#include "sim_units.h"
#include "spec.h"
#include "tube.h"

_Static_assert(RESULTS_LABEL_MAX == SIM_LABEL_MAX, "a /summary label holds a variant label");
_Static_assert(SPEC_NAME_MAX <= 32, "a /spec property column holds a property name");

/* ---- Writing ---- */

/* The plant's states and inputs: names and units, one string each. */
static int write_plant_vars(h5_file *f, const char *g, const char *what, const plant_var v[],
                            size_t n, pb_error *err)
{
    const char *names[PLANT_NX_MAX], *units[PLANT_NX_MAX];
    char key[64];
    int rc;

    if (n == 0 || n > PLANT_NX_MAX)
        return PB_SUCCESS;
    for (size_t i = 0; i < n; i++) {
        names[i] = v[i].name;
        units[i] = v[i].unit ? v[i].unit : "";
    }
    snprintf(key, sizeof key, "%s_names", what);
    if ((rc = h5_attr_write_strv(f, g, key, n, names, err)))
        return rc;
    snprintf(key, sizeof key, "%s_units", what);
    return h5_attr_write_strv(f, g, key, n, units, err);
}

/* Attribute sha256 of policy group g: the SHA-256 of the policy file
 * prunebound writes for m (mlp_sha256). */
static int results_policy_sha256(h5_file *f, const char *g, const mlp *m, pb_error *err)
{
    char hex[65];
    int rc = mlp_sha256(m, hex, err);

    return rc ? rc : h5_attr_write_str(f, g, "sha256", hex, err);
}

/* A policy in the layout of a policy file under group `g` (mlp_write_h5_group),
 * plus per-layer dW_spectral_norm and C_sup datasets. */
static int write_policy(h5_file *f, const char *g, const mlp *m, const double dW[],
                        const double C_sup[], pb_error *err)
{
    char p[256];
    size_t dims[1] = {m->n_layers};
    hid_t gid = h5_group_open(f, g, err);
    int rc;

    if (gid < 0)
        return err ? err->code : PB_EIO;
    rc = mlp_write_h5_group(m, gid, err);
    H5Gclose(gid);
    if (rc)
        return rc;
    if ((rc = h5_dataset_write(f, (snprintf(p, sizeof p, "%s/dW_spectral_norm", g), p), 1, dims,
                               H5W_F64, dW, err)) ||
        (rc = h5_dataset_describe(f, p, 1, (const char *[]){"1"},
                                  "per layer: certified spectral norm of W_pruned - W", err)) ||
        (rc = h5_dataset_write(f, (snprintf(p, sizeof p, "%s/C_sup", g), p), 1, dims, H5W_F64,
                               C_sup, err)) ||
        (rc = h5_dataset_describe(f, p, 1, (const char *[]){"1"},
                                  "per layer: sup over the recorded states of the bound's C_k",
                                  err)))
        return rc;
    return results_policy_sha256(f, g, m, err);
}

static int write_header(h5_file *f, const run_job *s, pb_error *err)
{
    const cfg_run *c = s->cfg;
    const plant *pl = c->plant;
    const plant_type *t = pl->type;
    char buf[64], names[1024];
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if ((rc = h5_attr_write_str(f, "/", "format", "prunebound-results", err)) ||
        (rc = h5_attr_write_i64(f, "/", "format_version", 2, err)) ||
        (rc = h5_attr_write_str(f, "/", "tool", "prunebound", err)) ||
        (rc = h5_attr_write_str(f, "/", "tool_version", PB_VERSION, err)) ||
        (rc = h5_attr_write_str(f, "/", "config", c->text ? c->text : "", err)) ||
        (rc = h5_attr_write_str(f, "/", "config_file", c->path, err)) ||
        (rc = h5_attr_write_str(f, "/", "created", buf, err)) ||
        (rc = h5_attr_write_i64(f, "/", "seed", (long long)c->seed, err)) ||
        (rc = h5_attr_write_i64(f, "/", "calibration_seed", (long long)c->calib_seed, err)) ||
        (rc = h5_attr_write_i64(f, "/", "calibration_states", (long long)s->v.n_calib, err)) ||
        (rc = h5_attr_write_f64(f, "/", "bound_eps", 1, &c->bound_eps, err)) ||
        (rc = h5_attr_write_str(f, "/", "bound_arithmetic", BOUNDS_ARITHMETIC, err)) ||
        (rc = h5_attr_write_str(f, "/", "policy_input",
                                c->input == SIM_INPUT_ERROR ? "error" : "state", err)) ||
        (rc = h5_attr_write_str(f, "/", "reference", sim_ref_kind_name(c->ref.kind), err)) ||
        (rc = h5_attr_write_f64(f, "/", "criterion_tol", 1, &c->crit.tol, err)) ||
        (rc = h5_attr_write_f64(f, "/", "criterion_tail", 1, &c->crit.tail, err)) ||
        (rc = h5_attr_write_f64(f, "/", "criterion_radius", 1, &c->crit.radius, err)) ||
        (rc = h5_attr_write_f64(f, "/", "horizon", 1, &c->horizon, err)) ||
        (rc = h5_attr_write_i64(f, "/", "bound_at_orig", s->model->dev_at_orig, err)) ||
        (rc = h5_attr_write_i64(f, "/", "bound_local", s->model->bound_local, err)))
        return rc;
    if ((rc = h5_group_make(f, "/plant", err)) ||
        (rc = h5_attr_write_str(f, "/plant", "name", t->name, err)) ||
        (rc = h5_attr_write_str(f, "/plant", "equation", t->equation, err)) ||
        (rc = h5_attr_write_i64(f, "/plant", "nx", (long long)t->nx, err)) ||
        (rc = h5_attr_write_i64(f, "/plant", "nu", (long long)t->nu, err)) ||
        (rc = h5_attr_write_f64(f, "/plant", "period", 1, &c->period, err)) ||
        (rc = h5_attr_write_f64(f, "/plant", "horizon", 1, &c->horizon, err)) ||
        (rc = h5_attr_write_i64(f, "/plant", "n_steps", (long long)s->model->n_steps, err)) ||
        (rc = h5_attr_write_str(f, "/plant", "integrator", c->integ.method, err)) ||
        (rc = h5_attr_write_f64(f, "/plant", "epsabs", 1, &c->integ.epsabs, err)) ||
        (rc = h5_attr_write_f64(f, "/plant", "epsrel", 1, &c->integ.epsrel, err)) ||
        (rc = h5_attr_write_f64(f, "/plant", "h0", 1, &c->integ.h0, err)) ||
        (rc = h5_attr_write_i64(f, "/plant", "substeps", (long long)c->integ.substeps, err)) ||
        (rc = h5_attr_write_i64(f, "/plant", "max_steps", (long long)c->integ.max_steps, err)))
        return rc;
    names[0] = '\0';
    for (size_t i = 0; i < t->nx; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i ? "," : "", t->states[i].name);
    }
    if ((rc = h5_attr_write_str(f, "/plant", "states", names, err)))
        return rc;
    names[0] = '\0';
    for (size_t i = 0; i < t->nu; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i ? "," : "", t->inputs[i].name);
    }
    if ((rc = h5_attr_write_str(f, "/plant", "inputs", names, err)) ||
        (rc = write_plant_vars(f, "/plant", "state", t->states, t->nx, err)) ||
        (rc = write_plant_vars(f, "/plant", "input", t->inputs, t->nu, err)))
        return rc;
    for (size_t i = 0; i < t->np; i++)
        if ((rc = h5_attr_write_f64(f, "/plant", t->params[i].name, 1, &pl->p[i], err)))
            return rc;
    return PB_SUCCESS;
}

/* The tube of one run into group g (docs/TUBE.md): traj_dev_bound, the
 * labelled estimate traj_dev_estimate, and their attributes. */
static int write_tube(h5_file *f, const run_job *s, const char *g, size_t n, size_t idx,
                      pb_error *err)
{
    char path[320];
    size_t dims[1] = {n};
    int rc;

    snprintf(path, sizeof path, "%s/traj_dev_bound", g);
    if ((rc = h5_dataset_write(f, path, 1, dims, H5W_F64, s->tube_bound + idx * n, err)) ||
        (rc = h5_attr_write_str(f, path, "method", tube_method_name(s->cfg->bound_tube_method),
                                err)) ||
        (rc = h5_attr_write_str(f, path, "certifies",
                                "||x_orig(t) - x_pruned(t)|| for the exact flows of the plant "
                                "model from the same initial state with the same disturbances",
                                err)))
        return rc;
    snprintf(path, sizeof path, "%s/traj_dev_estimate", g);
    if ((rc = h5_dataset_write(f, path, 1, dims, H5W_F64, s->tube_est + idx * n, err)) ||
        (rc = h5_attr_write_str(f, path, "kind",
                                "estimate, not a bound: Lipschitz recursion with constants "
                                "sampled along the original loop (docs/BOUNDS.md section 6)",
                                err)))
        return rc;
    if ((rc = h5_attr_write_str(f, g, "tube_method", tube_method_name(s->cfg->bound_tube_method),
                                err)) ||
        (rc = h5_attr_write_i64(f, g, "tube_uninformative_step", s->tube_step[idx], err)) ||
        (rc = h5_attr_write_i64(f, g, "tube_rows_differential", s->tube_rows_diff[idx], err)))
        return rc;
    return PB_SUCCESS;
}

/* /runs/<label>/<i> of variant v from r, the result of scenario i. */
static int write_run(h5_file *f, const run_job *s, const sim_result *r, size_t v, size_t i,
                     size_t slot, pb_error *err)
{
    const sim_trace *o = &r->orig;
    const sim_compare *c = &r->cmp[v];
    const sim_trace *p = &c->pruned;
    size_t n = o->n_rows, nx = o->nx, nu = o->nu, ni = o->n_in;
    const plant_type *pt = s->cfg->plant->type;
    char un_x[SIM_UNITS_MAX], un_u[SIM_UNITS_MAX];
    const char *x_units[PLANT_NX_MAX], *u_units[PLANT_NU_MAX], *s_units[PLANT_NX_MAX];
    /* Units: "x" per state column, "u" per input column, "S" per policy
     * input column, otherwise the single unit given. */
    struct {
        const char *name;
        size_t cols;
        const double *data;
        const char *units;
        const char *description;
    } ds[] = {
        {"t", 0, o->t, "s", "time of each control step"},
        {"x_orig", nx, o->x, "x", "state of the original loop [step, state]"},
        {"x_pruned", nx, p->x, "x", "state of the pruned loop [step, state]"},
        {"s_orig", ni, o->s, "S", "input vector of the original policy [step, input]"},
        {"s_pruned", ni, p->s, "S", "input vector of the pruned policy [step, input]"},
        {"u_orig", nu, o->u, "u", "plant input of the original loop after the output map [step, input]"},
        {"u_pruned", nu, p->u, "u", "plant input of the pruned loop after the output map [step, input]"},
        {"ref", nx, o->ref, "x", "reference state [step, state]"},
        {"track_err_orig", 0, o->track_err, un_x, "||x_orig - ref||, Euclidean over the states"},
        {"track_err_pruned", 0, p->track_err, un_x, "||x_pruned - ref||, Euclidean over the states"},
        {"traj_dev", 0, c->traj_dev, un_x, "||x_orig - x_pruned||, Euclidean over the states"},
        {"dev_actual", 0, c->dev_actual, un_u, "||pi(s) - pi_hat(s)|| at the pruned loop's state"},
        {"dev_bound", 0, c->dev_bound, un_u, "forward-pass bound on dev_actual at the pruned loop's state"},
        {"dev_bound_closed", 0, c->dev_bound_closed, un_u, "spectral-norm-and-bias bound at the pruned loop's state"},
        {"dev_actual_at_orig", 0, c->dev_actual_at_orig, un_u, "||pi(s) - pi_hat(s)|| at the original loop's state"},
        {"dev_bound_at_orig", 0, c->dev_bound_at_orig, un_u, "forward-pass bound at the original loop's state"},
        {"dev_bound_closed_at_orig", 0, c->dev_bound_closed_at_orig, un_u, "spectral-norm-and-bias bound at the original loop's state"},
        {"dev_bound_local", 0, c->dev_bound_local, un_u, "min(activation-aware local bound, dev_bound) at the pruned loop's state"},
        {"dev_bound_local_at_orig", 0, c->dev_bound_local_at_orig, un_u, "min(activation-aware local bound, dev_bound) at the original loop's state"},
    };
    char g[256], path[320];
    int rc;

    sim_units_norm(pt->states, pt->nx, un_x, sizeof un_x);
    sim_units_norm(pt->inputs, pt->nu, un_u, sizeof un_u);
    for (size_t k = 0; k < nx && k < PLANT_NX_MAX; k++)
        x_units[k] = pt->states[k].unit ? pt->states[k].unit : "";
    for (size_t k = 0; k < nu && k < PLANT_NU_MAX; k++)
        u_units[k] = pt->inputs[k].unit ? pt->inputs[k].unit : "";
    /* A policy sees the state (policy_input "state") or the tracking error,
     * both in state units; other inputs are named by /policy_input. */
    for (size_t k = 0; k < ni && k < PLANT_NX_MAX; k++)
        s_units[k] = ni == nx ? x_units[k] : "1";

    snprintf(g, sizeof g, "/runs/%s/%zu", s->v.variants[v].label, i);
    if ((rc = h5_group_make(f, g, err)))
        return rc;
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        size_t dims[2] = {n, ds[k].cols};
        snprintf(path, sizeof path, "%s/%s", g, ds[k].name);
        const char *const *units = &ds[k].units;
        size_t n_units = 1;
        if (strcmp(ds[k].units, "x") == 0 || strcmp(ds[k].units, "u") == 0 ||
            strcmp(ds[k].units, "S") == 0) {
            units = ds[k].units[0] == 'x' ? x_units : ds[k].units[0] == 'u' ? u_units : s_units;
            n_units = ds[k].cols;
        }
        if ((rc = h5_dataset_write_described(f, path, ds[k].cols ? 2 : 1, dims, H5W_F64,
                                              ds[k].data, n_units, units, ds[k].description, err)))
            return rc;
    }
    if (s->tube && (rc = write_tube(f, s, g, n, slot * s->v.n + v, err)))
        return rc;
    if (s->model->dist.on) {
        size_t dims[2] = {n, nu};
        snprintf(path, sizeof path, "%s/disturbance", g);
        if ((rc = h5_dataset_write_described(f, path, 2, dims, H5W_F64, r->dist, nu, u_units,
                                              "input disturbance added to both loops [step, input]",
                                              err)))
            return rc;
    }
    if ((rc = h5_attr_write_str(f, g, "outcome_orig", sim_outcome_name(o->outcome), err)) ||
        (rc = h5_attr_write_str(f, g, "outcome_pruned", sim_outcome_name(p->outcome), err)) ||
        (rc = h5_attr_write_i64(f, g, "still_converging_orig", o->still_converging, err)) ||
        (rc = h5_attr_write_i64(f, g, "still_converging_pruned", p->still_converging, err)) ||
        (rc = h5_attr_write_f64(f, g, "tail_err_orig", 1, &o->tail_err, err)) ||
        (rc = h5_attr_write_f64(f, g, "tail_err_pruned", 1, &p->tail_err, err)) ||
        (rc = h5_attr_write_i64(f, g, "diverged_step", p->diverged_step, err)) ||
        (rc = h5_attr_write_i64(f, g, "diverged_step_orig", o->diverged_step, err)) ||
        (rc = h5_attr_write_i64(f, g, "violations", c->violations, err)) ||
        (rc = h5_attr_write_i64(f, g, "attained_to_rounding", c->attained, err)) ||
        (rc = h5_attr_write_str(f, g, "scenario_name", s->cfg->scenarios[i].name, err)) ||
        (rc = h5_attr_write_f64(f, g, "x0", nx, s->cfg->scenarios[i].x0, err)))
        return rc;
    return PB_SUCCESS;
}

static double max_finite(const double *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && a[i] > m)
            m = a[i];
    return m;
}

static void fill_row(const run_job *s, const sim_result *r, size_t v, size_t i, results_row *row)
{
    const sim_compare *c = &r->cmp[v];

    memset(row, 0, sizeof *row);
    snprintf(row->label, sizeof row->label, "%s", s->v.variants[v].label);
    snprintf(row->method, sizeof row->method, "%s", s->v.variants[v].method);
    snprintf(row->pattern, sizeof row->pattern, "%s", s->v.variants[v].pattern);
    snprintf(row->scenario_name, sizeof row->scenario_name, "%s", s->cfg->scenarios[i].name);
    row->sparsity = s->v.variants[v].sparsity;
    row->scenario = (long long)i;
    row->max_dev_actual = c->max_dev_actual;
    row->max_dev_bound = c->max_dev_bound;
    row->max_dev_bound_local = c->max_dev_bound_local;
    row->tightness = c->tightness;
    row->violations = c->violations;
    row->attained = c->attained;
    row->max_traj_dev = max_finite(c->traj_dev, c->pruned.n_rows);
    row->rms_track_orig = r->orig.rms_track;
    row->rms_track_pruned = c->pruned.rms_track;
    row->tail_err_orig = r->orig.tail_err;
    row->tail_err_pruned = c->pruned.tail_err;
    row->outcome_orig = r->orig.outcome;
    row->outcome_pruned = c->pruned.outcome;
    row->still_converging_orig = r->orig.still_converging;
    row->still_converging_pruned = c->pruned.still_converging;
    row->diverged_step_orig = r->orig.diverged_step;
    row->diverged_step_pruned = c->pruned.diverged_step;
    row->spec_rob_orig = row->spec_rob_pruned = NAN;
    row->spec_sat_orig = row->spec_sat_pruned = -1;
    if (s->cfg->spec) {
        /* the spec folded over both loops' rows (NaN rows: not reached) */
        const spec *sp = s->cfg->spec;
        size_t nx = r->orig.nx, ns = s->cfg->n_scenarios;
        double po[SPEC_PROPS_MAX], pp[SPEC_PROPS_MAX];
        row->spec_rob_orig = spec_eval_traj(sp, s->cfg->period, s->model->n_steps, r->orig.x, nx, po);
        row->spec_rob_pruned = spec_eval_traj(sp, s->cfg->period, s->model->n_steps, c->pruned.x, nx, pp);
        row->spec_sat_orig = spec_is_satisfied(row->spec_rob_orig);
        row->spec_sat_pruned = spec_is_satisfied(row->spec_rob_pruned);
        for (size_t q = 0; q < sp->n; q++) {
            results_spec_row *sr = &s->spec_rows[((v * ns) + i) * sp->n + q];
            memset(sr, 0, sizeof *sr);
            snprintf(sr->label, sizeof sr->label, "%s", row->label);
            snprintf(sr->property, sizeof sr->property, "%s", sp->props[q].name);
            sr->scenario = (long long)i;
            sr->rob_orig = po[q];
            sr->rob_pruned = pp[q];
            sr->sat_orig = spec_is_satisfied(po[q]);
            sr->sat_pruned = spec_is_satisfied(pp[q]);
        }
    }
    row->max_traj_dev_bound = NAN;
}

/* ---- The job ---- */

static int run_tube_alloc(run_job *j, pb_error *err)
{
    size_t n = j->block * j->v.n * (j->model->n_steps + 1) + 1;
    tube_opts o;
    tube_opts_init(&o);
    o.differential = j->cfg->bound_tube_method;
    if (!(j->tube = tube_alloc(j->model, &o, err)))
        return err->code;
    j->tube_bound = calloc(n, sizeof *j->tube_bound);
    j->tube_est = calloc(n, sizeof *j->tube_est);
    j->tube_step = calloc(j->block * j->v.n + 1, sizeof *j->tube_step);
    j->tube_rows_diff = calloc(j->block * j->v.n + 1, sizeof *j->tube_rows_diff);
    if (!j->tube_bound || !j->tube_est || !j->tube_step || !j->tube_rows_diff)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    return PB_SUCCESS;
}

/* The tube of every variant over scenario result r (block slot `slot`), and
 * the estimate beside it: the recursion of bounds_loop_eval with Lipschitz
 * constants sampled along the original loop (tube_lipschitz_sample) and the
 * forward-pass bounds at the pruned loop's states, up to its first row not
 * reached. */
static int run_tube(run_job *j, const sim_result *r, size_t slot, results_row *rows,
                    size_t stride, pb_error *err)
{
    size_t nr = j->model->n_steps + 1;
    double Lx, Lu, Lpi;
    int rc;

    if ((rc = tube_prepare(j->tube, &r->orig, r->dist, err)))
        return rc;
    tube_lipschitz_sample(j->tube, &Lx, &Lu, &Lpi);
    for (size_t v = 0; v < j->v.n; v++) {
        const sim_compare *c = &r->cmp[v];
        size_t idx = slot * j->v.n + v, reach = 0;
        double *b = j->tube_bound + idx * nr, *e = j->tube_est + idx * nr;
        tube_info info;
        if ((rc = tube_eval(j->tube, j->v.nets[v], b, &info, err)))
            return rc;
        j->tube_step[idx] = info.uninformative_step;
        j->tube_rows_diff[idx] = info.rows_differential;
        rows[v * stride].max_traj_dev_bound = info.max_bound;
        for (size_t k = 0; k < nr; k++)
            if (c->traj_dev[k] > b[k] + TUBE_RECORD_ALLOWANCE)
                j->tube_violations++;
        while (reach < nr && c->dev_bound[reach] >= 0.0)
            reach++;
        for (size_t k = 0; k < nr; k++)
            e[k] = NAN;
        if (reach > 0 && isfinite(Lx) && isfinite(Lu) && isfinite(Lpi) &&
            bounds_loop_eval(Lx, Lu, Lpi, 0.0, reach - 1, c->dev_bound, e, NULL))
            for (size_t k = 0; k < nr; k++)
                e[k] = NAN;
    }
    return PB_SUCCESS;
}

/* The job over j->v, built or borrowed by the caller. */
static run_job *job_alloc(cfg_run *c, run_job *j, pb_error *err)
{
    size_t L;

    L = j->v.orig->n_layers;
    if (!(j->model = run_model_alloc(c, &j->v, err)))
        goto fail;
    if (c->bound_region) {
        double lo[PLANT_NX_MAX], hi[PLANT_NX_MAX];
        char src[96];
        if (!(j->region = calloc(1, sizeof *j->region))) {
            pb_error_set(err, PB_ENOMEM, "out of memory");
            goto fail;
        }
        if (run_region_box_scenarios(c, lo, hi, src, sizeof src, err) ||
            run_region_eval(c, &j->v, lo, hi, src, j->region, err))
            goto fail;
    }
    /* Results of one block of scenarios, within 256 MiB of traces. */
    j->block = sim_run_block_size(j->model, (size_t)256 << 20);
    if (j->block > c->n_scenarios)
        j->block = c->n_scenarios ? c->n_scenarios : 1;
    j->data = sim_data_alloc(j->model, j->block, err);
    if (!j->data)
        goto fail;
    j->results = calloc(j->block, sizeof *j->results);
    j->rows = calloc(j->v.n * c->n_scenarios + 1, sizeof *j->rows);
    j->csup = calloc((j->v.n + 1) * L + 1, sizeof *j->csup);
    if (c->spec)
        j->spec_rows = calloc(j->v.n * c->n_scenarios * c->spec->n + 1, sizeof *j->spec_rows);
    if (!j->results || !j->rows || !j->csup || (c->spec && !j->spec_rows)) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t b = 0; b < j->block; b++)
        if (!(j->results[b] = sim_result_alloc(j->model, err)))
            goto fail;
    if (c->bound_tube && tube_is_available() && run_tube_alloc(j, err))
        goto fail;
    /* The pruning is done: what follows calls BLAS only on small matrices
     * (spectral norms, the tube's metric), which run on one thread, and
     * OpenBLAS's idle workers would spin beside it after each of them. */
    pb_blas_set_threads(1);
    return j;
fail:
    run_job_free(j);
    return NULL;
}

run_job *run_job_alloc(cfg_run *c, pb_error *err)
{
    run_job *j = calloc(1, sizeof *j);

    if (!j) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        return NULL;
    }
    j->cfg = c;
    if (run_variants_build(c, &j->v, err)) {
        free(j);
        return NULL;
    }
    return job_alloc(c, j, err);
}

run_job *run_job_alloc_variants(cfg_run *c, const run_variants *v, pb_error *err)
{
    run_job *j = calloc(1, sizeof *j);

    if (!j) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        return NULL;
    }
    j->cfg = c;
    j->v = *v;
    j->v_borrowed = 1;
    return job_alloc(c, j, err);
}

int run_job_open(run_job *j, const char *path, pb_error *err)
{
    int rc;

    if ((rc = h5_file_create(path, &j->file, err)))
        return rc;
    if ((rc = write_header(j->file, j, err))) {
        h5_file_discard(j->file);
        j->file = NULL;
    }
    return rc;
}

int run_job_step(run_job *j, pb_error *err)
{
    const cfg_run *c = j->cfg;
    size_t ns = c->n_scenarios, nx = c->plant->type->nx, L = j->v.orig->n_layers;
    size_t i0 = j->done, n = ns - i0 < j->block ? ns - i0 : j->block;
    double x0s[SIM_BLOCK * PLANT_NX_MAX];
    int rc;

    if (!j->file)
        return pb_error_set(err, PB_EINVAL, "run_job_step: no results file open");
    if (n > SIM_BLOCK)
        n = SIM_BLOCK;
    if (n == 0)
        return PB_SUCCESS;
    for (size_t k = 0; k < n; k++)
        memcpy(x0s + k * nx, c->scenarios[i0 + k].x0, nx * sizeof *x0s);
    if ((rc = sim_run(j->model, j->data, n, i0, x0s, j->results, err)))
        return rc;
    for (size_t k = 0; k < n; k++) {
        const sim_result *r = j->results[k];
        for (size_t v = 0; v < j->v.n; v++)
            fill_row(j, r, v, i0 + k, &j->rows[v * ns + i0 + k]);
        if (j->tube && (rc = run_tube(j, r, k, &j->rows[i0 + k], ns, err)))
            return rc;
        for (size_t v = 0; v < j->v.n; v++)
            if (c->traces && (rc = write_run(j->file, j, r, v, i0 + k, k, err)))
                return rc;
        /* C_sup over every scenario: the running maxima of each result */
        for (size_t l = 0; l < L; l++) {
            j->csup[l] = fmax(j->csup[l], r->C_sup_orig[l]);
            for (size_t v = 0; v < j->v.n; v++)
                j->csup[(v + 1) * L + l] = fmax(j->csup[(v + 1) * L + l], r->C_sup[v * L + l]);
        }
    }
    j->done += n;
    return PB_SUCCESS;
}

int run_job_commit(run_job *j, pb_error *err)
{
    size_t L = j->v.orig->n_layers, ns = j->cfg->n_scenarios;
    double *zeros;
    int rc;

    if (!j->file || j->done < ns)
        return pb_error_set(err, PB_EINVAL, "run_job_commit: %zu of %zu scenarios simulated",
                            j->done, ns);
    if (!(zeros = calloc(L, sizeof *zeros)))
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    rc = write_policy(j->file, "/policies/original", j->v.orig, zeros, j->csup, err);
    free(zeros);
    for (size_t v = 0; rc == PB_SUCCESS && v < j->v.n; v++) {
        char g[128];
        snprintf(g, sizeof g, "/policies/%s", j->v.variants[v].label);
        rc = write_policy(j->file, g, j->v.nets[v], j->model->pair[v]->dW_norm,
                          j->csup + (v + 1) * L, err);
    }
    if (rc == PB_SUCCESS) {
        const plant_type *pt = j->cfg->plant->type;
        h5_column cols[64];
        char un_x[SIM_UNITS_MAX], un_u[SIM_UNITS_MAX];
        if (results_row_n_cols > sizeof cols / sizeof cols[0])
            return pb_error_set(err, PB_EINTERNAL, "/summary: too many columns");
        sim_units_norm(pt->states, pt->nx, un_x, sizeof un_x);
        sim_units_norm(pt->inputs, pt->nu, un_u, sizeof un_u);
        h5_columns_bind_units(results_row_cols, results_row_n_cols, un_x, un_u, cols);
        rc = h5_table_write(j->file, "/summary", cols, results_row_n_cols, sizeof(results_row),
                            j->v.n * ns, j->rows, err);
        if (rc == PB_SUCCESS)
            rc = h5_dataset_describe(j->file, "/summary", 0, NULL,
                                     "one row per (variant, scenario); column units and "
                                     "descriptions in the attributes units and descriptions",
                                     err);
    }
    if (rc == PB_SUCCESS && j->cfg->spec) {
        const plant_type *pt = j->cfg->plant->type;
        h5_column cols[16];
        char un_x[SIM_UNITS_MAX], un_u[SIM_UNITS_MAX];
        sim_units_norm(pt->states, pt->nx, un_x, sizeof un_x);
        sim_units_norm(pt->inputs, pt->nu, un_u, sizeof un_u);
        h5_columns_bind_units(results_spec_cols, results_spec_n_cols, un_x, un_u, cols);
        rc = h5_table_write(j->file, "/spec", cols, results_spec_n_cols, sizeof(results_spec_row),
                            j->v.n * ns * j->cfg->spec->n, j->spec_rows, err);
    }
    if (rc == PB_SUCCESS && j->region) {
        const plant_type *pt = j->cfg->plant->type;
        char un_x[SIM_UNITS_MAX], un_u[SIM_UNITS_MAX];
        hid_t root = h5_group_open(j->file, "/", err);
        sim_units_norm(pt->states, pt->nx, un_x, sizeof un_x);
        sim_units_norm(pt->inputs, pt->nu, un_u, sizeof un_u);
        if (root < 0)
            return err->code;
        rc = run_region_put(root, j->region, un_x, un_u, err);
        H5Gclose(root);
    }
    if (rc)
        return rc;
    rc = h5_file_commit(j->file, err);
    j->file = NULL; /* committed or discarded by h5_file_commit */
    return rc;
}

long long run_job_violations(const run_job *j)
{
    long long viol = 0;
    for (size_t i = 0; i < j->v.n * j->cfg->n_scenarios; i++)
        viol += j->rows[i].violations;
    return viol;
}

void run_job_free(run_job *j)
{
    if (!j)
        return;
    h5_file_discard(j->file);
    for (size_t b = 0; j->results && b < j->block; b++)
        sim_result_free(j->results[b]);
    free(j->results);
    free(j->rows);
    free(j->csup);
    free(j->spec_rows);
    if (j->region)
        run_region_free(j->region);
    free(j->region);
    tube_free(j->tube);
    free(j->tube_bound);
    free(j->tube_est);
    free(j->tube_step);
    free(j->tube_rows_diff);
    sim_data_free(j->data);
    sim_model_free(j->model);
    if (!j->v_borrowed)
        run_variants_free(&j->v);
    free(j);
}
