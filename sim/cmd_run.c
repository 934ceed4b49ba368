/* cmd_run.c: `prunebound run CONFIG [-o FILE] [--set key.path=value]...`:
 * load or train the policy, prune it as configured, simulate every scenario
 * with the original and every pruned variant side by side, and write the
 * results file of docs/RESULTS.md plus a summary table on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <hdf5.h>

#include "cfg.h"
#include "cli.h"
#include "h5_write.h"
#include "import.h"
#include "mlp_io.h"
#include "prune.h"
#include "sim.h"
#include "sim_train.h"

#define RUN_SETS_MAX 256

/* One row of /summary (one per variant and scenario). */
typedef struct run_row {
    char label[SIM_LABEL_MAX];
    char method[32];
    double sparsity;
    char pattern[16];
    long long scenario;
    char scenario_name[64];
    double max_dev_actual, max_dev_bound, tightness;
    long long violations;
    long long attained;
    double max_traj_dev;
    double rms_track_orig, rms_track_pruned;
    double tail_err_orig, tail_err_pruned;
    long long outcome_orig, outcome_pruned; /* sim_outcome */
    long long still_converging_orig, still_converging_pruned;
    long long diverged_step_orig, diverged_step_pruned;
} run_row;

static const h5_column run_cols[] = {
    {"label", H5W_STR, offsetof(run_row, label), SIM_LABEL_MAX},
    {"method", H5W_STR, offsetof(run_row, method), 32},
    {"sparsity", H5W_F64, offsetof(run_row, sparsity), 0},
    {"pattern", H5W_STR, offsetof(run_row, pattern), 16},
    {"scenario", H5W_I64, offsetof(run_row, scenario), 0},
    {"scenario_name", H5W_STR, offsetof(run_row, scenario_name), 64},
    {"max_dev_actual", H5W_F64, offsetof(run_row, max_dev_actual), 0},
    {"max_dev_bound", H5W_F64, offsetof(run_row, max_dev_bound), 0},
    {"tightness", H5W_F64, offsetof(run_row, tightness), 0},
    {"violations", H5W_I64, offsetof(run_row, violations), 0},
    {"attained_to_rounding", H5W_I64, offsetof(run_row, attained), 0},
    {"max_traj_dev", H5W_F64, offsetof(run_row, max_traj_dev), 0},
    {"rms_track_orig", H5W_F64, offsetof(run_row, rms_track_orig), 0},
    {"rms_track_pruned", H5W_F64, offsetof(run_row, rms_track_pruned), 0},
    {"tail_err_orig", H5W_F64, offsetof(run_row, tail_err_orig), 0},
    {"tail_err_pruned", H5W_F64, offsetof(run_row, tail_err_pruned), 0},
    {"outcome_orig", H5W_I64, offsetof(run_row, outcome_orig), 0},
    {"outcome_pruned", H5W_I64, offsetof(run_row, outcome_pruned), 0},
    {"still_converging_orig", H5W_I64, offsetof(run_row, still_converging_orig), 0},
    {"still_converging_pruned", H5W_I64, offsetof(run_row, still_converging_pruned), 0},
    {"diverged_step_orig", H5W_I64, offsetof(run_row, diverged_step_orig), 0},
    {"diverged_step_pruned", H5W_I64, offsetof(run_row, diverged_step_pruned), 0},
};

/* Everything one run owns. */
typedef struct run_state {
    cfg_run *cfg;
    mlp *orig;
    size_t n_variants;
    mlp **nets;            /* [n_variants] */
    sim_variant *variants; /* [n_variants] */
    sim_model *model;
    sim_data *data;
    size_t n_results;
    sim_result **results; /* [n_results]: a block of scenarios */
    run_row *rows; /* [n_variants x n_scenarios] */
    double *X;     /* calibration states */
    size_t n_X;
} run_state;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: prunebound run CONFIG [-o FILE] [--set key.path=value]...\n\n"
            "Loads (or trains) the policy of CONFIG, prunes it with every configured method and\n"
            "sparsity, simulates every scenario with the original and each pruned policy side by\n"
            "side, and writes states, actions, tracking errors, the actual action deviation and\n"
            "its bounds to an HDF5 results file (docs/RESULTS.md); prints a summary table.\n\n"
            "  -o FILE              results file (default: the config's output.file)\n"
            "  --set key.path=value override one key of the config, e.g.\n"
            "                       --set simulation.horizon=2 --set scenarios[0].x0=[0.1,0]\n"
            "  -h, --help           this text\n\n"
            "Config keys: docs/CONFIG.md.  Exit status: 0 success, 2 bad usage or input\n"
            "(message names file, line and key), 1 internal failure.\n");
}

static void run_state_free(run_state *s)
{
    for (size_t v = 0; s->nets && v < s->n_variants; v++)
        mlp_free(s->nets[v]);
    free(s->nets);
    free(s->variants);
    free(s->rows);
    free(s->X);
    for (size_t j = 0; s->results && j < s->n_results; j++)
        sim_result_free(s->results[j]);
    free(s->results);
    sim_data_free(s->data);
    sim_model_free(s->model);
    mlp_free(s->orig);
    cfg_run_free(s->cfg);
}

/* ---- Policy ---- */

static int load_policy(run_state *s, pb_error *err)
{
    cfg_run *c = s->cfg;
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
        char note[512] = "";
        memset(&o, 0, sizeof o);
        if (c->import_acts[0] && (rc = import_options_parse_acts(&o, c->import_acts, err)))
            break;
        rc = t->read(c->policy_file, &o, &s->orig, note, sizeof note, err);
        if (rc == PB_SUCCESS && note[0])
            fprintf(stderr, "prunebound run: %s: %s\n", c->policy_file, note);
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
        if (cli_stderr_is_tty())
            fprintf(stderr, "training the policy (imitation of the LQR expert)...\n");
        rc = sim_train(c->plant, &c->integ, c->period, (const sim_train_opts *)c->train, &s->orig,
                       NULL, err);
        break;
    }
    if (rc)
        return cfg_error_at(err, &c->where_policy);
    if (s->orig->n_in != pt->nx || s->orig->n_out != pt->nu) {
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

static int calibrate(run_state *s, pb_error *err)
{
    cfg_run *c = s->cfg;
    size_t nx = c->plant->type->nx;
    sim_model *m0;
    sim_data *d0;
    double *x0s;
    int rc;

    if (c->calib_file[0]) {
        rc = mlp_states_read_h5(c->calib_file, s->orig->n_in, &s->X, &s->n_X, err);
        return rc ? cfg_error_at(err, &c->where_calib) : PB_SUCCESS;
    }
    m0 = sim_model_alloc(c->plant, &c->integ, c->period, c->horizon, &c->ref, c->input, &c->crit,
                         &(sim_policy){s->orig, NULL, NULL}, 0, NULL, err);
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
                       c->calib_seed, &s->X, &s->n_X, err);
    if (rc)
        cfg_error_at(err, &c->where_calib);
done:
    free(x0s);
    sim_data_free(d0);
    sim_model_free(m0);
    return rc;
}

/* Prunes every (entry, sparsity) into s->variants. */
static int prune_all(run_state *s, pb_error *err)
{
    cfg_run *c = s->cfg;
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
            sim_variant *v = &s->variants[s->n_variants];
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
            for (size_t k = 0; k < s->n_variants; k++)
                if (strcmp(s->variants[k].label, label) == 0) {
                    pb_error_set(err, PB_EINVAL, "variant '%s' appears twice", label);
                    return cfg_error_at(err, &p->where);
                }
            rc = prune_mlp(s->orig, pm, &o, s->X, pm->needs_hessian ? s->n_X : 0,
                           &s->nets[s->n_variants], err);
            if (rc)
                return cfg_error_at(err, &p->where);
            memcpy(s->nets[s->n_variants]->prov.parent_sha256, sha, sizeof sha);
            snprintf(v->label, sizeof v->label, "%s", label);
            snprintf(v->method, sizeof v->method, "%s", p->method);
            snprintf(v->pattern, sizeof v->pattern, "%s", p->pattern);
            v->sparsity = p->sparsity[j];
            v->net = s->nets[s->n_variants];
            s->n_variants++;
        }
    }
    return PB_SUCCESS;
}

/* ---- Writing ---- */

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
        (rc = h5_dataset_write(f, (snprintf(p, sizeof p, "%s/C_sup", g), p), 1, dims, H5W_F64,
                               C_sup, err)))
        return rc;
    return PB_SUCCESS;
}

static int write_header(h5_file *f, const run_state *s, pb_error *err)
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
        (rc = h5_attr_write_i64(f, "/", "calibration_states", (long long)s->n_X, err)) ||
        (rc = h5_attr_write_f64(f, "/", "bound_eps", 1, &c->bound_eps, err)) ||
        (rc = h5_attr_write_str(f, "/", "bound_arithmetic", BOUNDS_ARITHMETIC, err)) ||
        (rc = h5_attr_write_str(f, "/", "policy_input",
                                c->input == SIM_INPUT_ERROR ? "error" : "state", err)) ||
        (rc = h5_attr_write_str(f, "/", "reference", sim_ref_kind_name(c->ref.kind), err)) ||
        (rc = h5_attr_write_f64(f, "/", "criterion_tol", 1, &c->crit.tol, err)) ||
        (rc = h5_attr_write_f64(f, "/", "criterion_tail", 1, &c->crit.tail, err)) ||
        (rc = h5_attr_write_f64(f, "/", "criterion_radius", 1, &c->crit.radius, err)) ||
        (rc = h5_attr_write_f64(f, "/", "horizon", 1, &c->horizon, err)) ||
        (rc = h5_attr_write_i64(f, "/", "bound_at_orig", s->model->dev_at_orig, err)))
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
    if ((rc = h5_attr_write_str(f, "/plant", "inputs", names, err)))
        return rc;
    for (size_t i = 0; i < t->np; i++)
        if ((rc = h5_attr_write_f64(f, "/plant", t->params[i].name, 1, &pl->p[i], err)))
            return rc;
    return PB_SUCCESS;
}

/* /runs/<label>/<i> of variant v from r, the result of scenario i. */
static int write_run(h5_file *f, const run_state *s, const sim_result *r, size_t v, size_t i,
                     pb_error *err)
{
    const sim_trace *o = &r->orig;
    const sim_compare *c = &r->cmp[v];
    const sim_trace *p = &c->pruned;
    size_t n = o->n_rows, nx = o->nx, nu = o->nu, ni = o->n_in;
    struct {
        const char *name;
        size_t cols;
        const double *data;
    } ds[] = {
        {"t", 0, o->t},
        {"x_orig", nx, o->x},
        {"x_pruned", nx, p->x},
        {"s_orig", ni, o->s},
        {"s_pruned", ni, p->s},
        {"u_orig", nu, o->u},
        {"u_pruned", nu, p->u},
        {"ref", nx, o->ref},
        {"track_err_orig", 0, o->track_err},
        {"track_err_pruned", 0, p->track_err},
        {"traj_dev", 0, c->traj_dev},
        {"dev_actual", 0, c->dev_actual},
        {"dev_bound", 0, c->dev_bound},
        {"dev_bound_closed", 0, c->dev_bound_closed},
        {"dev_actual_at_orig", 0, c->dev_actual_at_orig},
        {"dev_bound_at_orig", 0, c->dev_bound_at_orig},
        {"dev_bound_closed_at_orig", 0, c->dev_bound_closed_at_orig},
    };
    char g[256], path[320];
    int rc;

    snprintf(g, sizeof g, "/runs/%s/%zu", s->variants[v].label, i);
    if ((rc = h5_group_make(f, g, err)))
        return rc;
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        size_t dims[2] = {n, ds[k].cols};
        snprintf(path, sizeof path, "%s/%s", g, ds[k].name);
        if ((rc = h5_dataset_write(f, path, ds[k].cols ? 2 : 1, dims, H5W_F64, ds[k].data, err)))
            return rc;
    }
    if (s->model->dist.on) {
        size_t dims[2] = {n, nu};
        snprintf(path, sizeof path, "%s/disturbance", g);
        if ((rc = h5_dataset_write(f, path, 2, dims, H5W_F64, r->dist, err)))
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

static void fill_row(const run_state *s, const sim_result *r, size_t v, size_t i, run_row *row)
{
    const sim_compare *c = &r->cmp[v];

    memset(row, 0, sizeof *row);
    snprintf(row->label, sizeof row->label, "%s", s->variants[v].label);
    snprintf(row->method, sizeof row->method, "%s", s->variants[v].method);
    snprintf(row->pattern, sizeof row->pattern, "%s", s->variants[v].pattern);
    snprintf(row->scenario_name, sizeof row->scenario_name, "%s", s->cfg->scenarios[i].name);
    row->sparsity = s->variants[v].sparsity;
    row->scenario = (long long)i;
    row->max_dev_actual = c->max_dev_actual;
    row->max_dev_bound = c->max_dev_bound;
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
}

/* The criterion in words, for the table's header line. */
static void print_criterion(const cfg_run *c)
{
    printf("criterion: converged when ||x - r|| <= %g over the last %g%% of the %g s horizon; "
           "diverged on leaving the plant's limits",
           c->crit.tol, 100.0 * c->crit.tail, c->horizon);
    if (isfinite(c->crit.radius))
        printf(" or ||x - r|| > %g", c->crit.radius);
    printf("\n");
}

/* The short table on stdout: per variant, aggregated over scenarios.  The
 * outcome columns count converged / bounded / diverged loops; the RMS
 * columns average only the scenarios where neither loop diverged, so that
 * a loop cut short by a divergence does not look better for it. */
static void print_table(const run_state *s, const char *out_path)
{
    size_t ns = s->cfg->n_scenarios;
    long long total = 0, still = 0;

    print_criterion(s->cfg);
    printf("%-24s %11s %11s %9s %5s %11s %11s %11s %11s\n", "variant", "max_bound", "max_actual",
           "tightness", "viol", "rms_orig", "rms_pruned", "orig c/b/d", "prun c/b/d");
    for (size_t v = 0; v < s->n_variants; v++) {
        double mb = 0, ma = 0, tt = 0, ro = 0, rp = 0;
        long long viol = 0, oc[3] = {0, 0, 0}, pc[3] = {0, 0, 0}, n_both = 0;
        char co[32], cp[32], sro[32], srp[32];
        for (size_t i = 0; i < ns; i++) {
            const run_row *row = &s->rows[v * ns + i];
            mb = fmax(mb, row->max_dev_bound);
            ma = fmax(ma, row->max_dev_actual);
            tt = fmax(tt, row->tightness);
            viol += row->violations;
            oc[row->outcome_orig]++;
            pc[row->outcome_pruned]++;
            /* the original loop of a scenario is the same in every row: counted once */
            still += (v == 0 ? row->still_converging_orig : 0) + row->still_converging_pruned;
            if (row->outcome_orig != SIM_DIVERGED && row->outcome_pruned != SIM_DIVERGED) {
                ro += row->rms_track_orig;
                rp += row->rms_track_pruned;
                n_both++;
            }
        }
        total += viol;
        snprintf(co, sizeof co, "%lld/%lld/%lld", oc[0], oc[1], oc[2]);
        snprintf(cp, sizeof cp, "%lld/%lld/%lld", pc[0], pc[1], pc[2]);
        if (n_both) {
            snprintf(sro, sizeof sro, "%.4g", ro / (double)n_both);
            snprintf(srp, sizeof srp, "%.4g", rp / (double)n_both);
        } else {
            snprintf(sro, sizeof sro, "-");
            snprintf(srp, sizeof srp, "-");
        }
        printf("%-24s %11.4g %11.4g %9.4f %5lld %11s %11s %11s %11s\n", s->variants[v].label, mb,
               ma, tt, viol, sro, srp, co, cp);
    }
    printf("%zu variant(s) x %zu scenario(s); bound violations: %lld; written to %s\n",
           s->n_variants, ns, total, out_path);
    if (still)
        printf("note: %lld bounded loop(s) were still converging at the end of the %g s horizon "
               "(columns still_converging_*): a longer simulation.horizon may converge them\n",
               still, s->cfg->horizon);
}

/* Creates the parent folder of path when it is missing (one level). */
static void make_parent(const char *path)
{
    char dir[CFG_PATH_MAX];
    char *slash;
    struct stat st;

    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (stat(dir, &st) != 0)
        mkdir(dir, 0777);
}

static int simulate_and_write(run_state *s, const char *out_path, pb_error *err)
{
    cfg_run *c = s->cfg;
    size_t ns = c->n_scenarios, L = s->orig->n_layers, nx = c->plant->type->nx;
    size_t nb = s->n_results;
    int tty = cli_stderr_is_tty();
    h5_file *f = NULL;
    double *zeros = NULL, *csup = NULL, x0s[SIM_BLOCK * PLANT_NX_MAX];
    int rc;

    make_parent(out_path);
    if ((rc = h5_file_create(out_path, &f, err)))
        return rc;
    zeros = calloc(L, sizeof *zeros);
    csup = calloc((s->n_variants + 1) * L + 1, sizeof *csup);
    s->rows = calloc(s->n_variants * ns + 1, sizeof *s->rows);
    if (!zeros || !csup || !s->rows) {
        rc = pb_error_set(err, PB_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = write_header(f, s, err)))
        goto fail;
    /* Blocks of nb scenarios, every loop of a block at once (sim.h). */
    for (size_t i0 = 0; i0 < ns; i0 += nb) {
        size_t n = ns - i0 < nb ? ns - i0 : nb;
        if (tty)
            fprintf(stderr, "\rscenarios %zu-%zu of %zu", i0 + 1, i0 + n, ns);
        for (size_t j = 0; j < n; j++)
            memcpy(x0s + j * nx, c->scenarios[i0 + j].x0, nx * sizeof *x0s);
        if ((rc = sim_run(s->model, s->data, n, i0, x0s, s->results, err)))
            goto fail;
        for (size_t j = 0; j < n; j++)
            for (size_t v = 0; v < s->n_variants; v++) {
                fill_row(s, s->results[j], v, i0 + j, &s->rows[v * ns + i0 + j]);
                if (c->traces && (rc = write_run(f, s, s->results[j], v, i0 + j, err)))
                    goto fail;
            }
    }
    if (tty)
        fprintf(stderr, "\r%*s\r", 40, "");
    /* C_sup over every scenario: the maxima of the block's running maxima */
    for (size_t j = 0; j < nb; j++)
        for (size_t k = 0; k < L; k++) {
            csup[k] = fmax(csup[k], s->results[j]->C_sup_orig[k]);
            for (size_t v = 0; v < s->n_variants; v++)
                csup[(v + 1) * L + k] =
                    fmax(csup[(v + 1) * L + k], s->results[j]->C_sup[v * L + k]);
        }
    if ((rc = write_policy(f, "/policies/original", s->orig, zeros, csup, err)))
        goto fail;
    for (size_t v = 0; v < s->n_variants; v++) {
        char g[128];
        snprintf(g, sizeof g, "/policies/%s", s->variants[v].label);
        if ((rc = write_policy(f, g, s->nets[v], s->model->pair[v]->dW_norm, csup + (v + 1) * L,
                               err)))
            goto fail;
    }
    if ((rc = h5_table_write(f, "/summary", run_cols, sizeof run_cols / sizeof run_cols[0],
                             sizeof(run_row), s->n_variants * ns, s->rows, err)))
        goto fail;
    free(zeros);
    free(csup);
    return h5_file_commit(f, err);
fail:
    free(zeros);
    free(csup);
    h5_file_discard(f);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    const char *sets[RUN_SETS_MAX];
    const char *config = NULL, *out = NULL;
    size_t n_sets = 0;
    run_state s;
    pb_error err;
    int rc;

    memset(&s, 0, sizeof s);
    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc)
                return cli_usage_error(argv[0], "%s needs a file name", a);
            out = argv[i];
        } else if (strcmp(a, "--set") == 0) {
            if (++i >= argc)
                return cli_usage_error(argv[0], "--set needs key.path=value");
            if (n_sets == RUN_SETS_MAX)
                return cli_usage_error(argv[0], "more than %d --set options", RUN_SETS_MAX);
            sets[n_sets++] = argv[i];
        } else if (strncmp(a, "--set=", 6) == 0) {
            if (n_sets == RUN_SETS_MAX)
                return cli_usage_error(argv[0], "more than %d --set options", RUN_SETS_MAX);
            sets[n_sets++] = a + 6;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(argv[0], "unknown option '%s'", a);
        } else if (!config) {
            config = a;
        } else {
            return cli_usage_error(argv[0], "expected one CONFIG, got '%s' too", a);
        }
    }
    if (!config)
        return cli_usage_error(argv[0], "missing CONFIG");

    if ((rc = cfg_run_load(config, sets, n_sets, &s.cfg, &err)))
        goto fail;
    if (!out)
        out = s.cfg->output_file;
    if ((rc = load_policy(&s, &err)))
        goto fail;
    if (needs_calibration(s.cfg) && (rc = calibrate(&s, &err)))
        goto fail;
    if ((rc = prune_all(&s, &err)))
        goto fail;
    s.model = sim_model_alloc(s.cfg->plant, &s.cfg->integ, s.cfg->period, s.cfg->horizon,
                              &s.cfg->ref, s.cfg->input, &s.cfg->crit,
                              &(sim_policy){s.orig, NULL, NULL}, s.n_variants, s.variants, &err);
    if (!s.model) {
        rc = err.code;
        goto fail;
    }
    s.model->dev_at_orig = s.cfg->bound_at_orig;
    if (s.cfg->dist.on && (rc = sim_model_set_disturbance(s.model, &s.cfg->dist, &err)))
        goto fail;
    /* Results of one block of scenarios, within 256 MiB of traces. */
    s.n_results = sim_run_block_size(s.model, (size_t)256 << 20);
    if (s.n_results > s.cfg->n_scenarios)
        s.n_results = s.cfg->n_scenarios ? s.cfg->n_scenarios : 1;
    s.data = sim_data_alloc(s.model, s.n_results, &err);
    if (!s.data) {
        rc = err.code;
        goto fail;
    }
    s.results = calloc(s.n_results, sizeof *s.results);
    if (!s.results) {
        rc = pb_error_set(&err, PB_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t j = 0; j < s.n_results; j++)
        if (!(s.results[j] = sim_result_alloc(s.model, &err))) {
            rc = err.code;
            goto fail;
        }
    if ((rc = simulate_and_write(&s, out, &err)))
        goto fail;
    print_table(&s, out);
    {
        /* A violated bound is a bug (DESIGN.md): the file is kept for the report. */
        long long viol = 0;
        for (size_t i = 0; i < s.n_variants * s.cfg->n_scenarios; i++)
            viol += s.rows[i].violations;
        if (viol) {
            fprintf(stderr,
                    "prunebound run: %lld recorded deviation(s) exceed their bound: this is a bug, "
                    "please report it with %s\n",
                    viol, out);
            run_state_free(&s);
            return 1;
        }
    }
    run_state_free(&s);
    return 0;
fail:
    run_state_free(&s);
    return cli_fail(argv[0], &err);
}

/* For `prunebound montecarlo` (cmd_montecarlo.c): the original policy of c
 * and every configured pruned variant, built exactly as `run` builds them
 * (policy source, calibration, pruning).  On success the caller owns *orig,
 * (*nets)[0..*n) and *variants (whose net pointers are the nets); c stays
 * the caller's.  The error message names the config line. */
int run_variants_build(cfg_run *c, mlp **orig, mlp ***nets, sim_variant **variants, size_t *n,
                       pb_error *err)
{
    run_state s;
    int rc;

    memset(&s, 0, sizeof s);
    s.cfg = c;
    if ((rc = load_policy(&s, err)) || (needs_calibration(c) && (rc = calibrate(&s, err))) ||
        (rc = prune_all(&s, err))) {
        s.cfg = NULL;
        run_state_free(&s);
        return rc;
    }
    *orig = s.orig;
    *nets = s.nets;
    *variants = s.variants;
    *n = s.n_variants;
    free(s.X);
    return PB_SUCCESS;
}
