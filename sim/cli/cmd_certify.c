/* cmd_certify.c: `prunebound certify -m POLICY --eps E (--box ... | --radius R)`:
 * per layer the admissible ||dW_k||_2 that keeps ||pi - pi^|| <= eps on a
 * set of states, and per pruning method the largest sparsity whose
 * perturbation meets it (sim/certify/certify.h; docs/BOUNDS.md section 5).
 * --json prints one document built with jansson. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "certify.h"
#include "certify_pair.h"
#include "cli_args.h"
#include "cli_json.h"
#include "cli_progress.h"
#include "mlp_io.h"

static const char *const certify_usage =
    "usage: prunebound certify -m POLICY.h5 --eps E (--box LO,HI,LO,HI,... | --radius R\n"
    "                          [--center C,C,...]) [--layers all|k,...] [--method M]...\n"
    "                          [--pattern N:M] [-c CALIB.h5 | --calib-samples N] [--seed S]\n"
    "                          [--differential [--budget SPLITS]] [--json]\n"
    "       prunebound certify -m ORIGINAL.h5 -p PRUNED.h5 (--box ... | --radius R [--center ...])\n"
    "                          [--eps E] [--budget SPLITS] [--json]\n"
    "\n"
    "With -p: the differential certificate of the pair over X (docs/BOUNDS.md\n"
    "section 11): max_deviation_upper >= sup_X ||pi(x) - pi^(x)|| (certified, after\n"
    "the output map) and max_deviation_lower, the largest deviation a gradient\n"
    "search found, with the state attaining it.  A ball is certified over its\n"
    "bounding box (a superset: the upper bound holds for the ball; the lower\n"
    "bound and its state are the box's).  --budget: box splits of the branch and\n"
    "bound (default 1000).  With --eps, says whether max_deviation_upper <= eps.\n"
    "\n"
    "The state set X is in the policy's state space (before the input map): a box\n"
    "with one LO,HI pair per input, or the ball ||x - C||_2 <= R (C = 0 by default).\n"
    "For every selected layer k prints ||W_k||, the downstream factor D_k, two\n"
    "guaranteed bounds of sup_X ||h_k|| (closed form eta_k and interval bound\n"
    "propagation) and the admissible perturbation\n"
    "    ||dW_k||_2 <= eps / (g D_k sup_X ||h_k||)\n"
    "which guarantees ||pi(x) - pi^(x)|| <= eps on X when only layer k changes.\n"
    "\n"
    "With --method (repeatable; 'all' for every method) the largest certified\n"
    "sparsity of each method is searched by bisection on a 1% grid: layer k alone\n"
    "(||W^_k - W_k||_2 <= admissible), and all selected layers pruned together\n"
    "(g sum_k D^_k ||dW_k|| sup_X ||h_k|| <= eps, D^ from the pruned network).\n"
    "The sparsity found is certified (it was pruned and checked); that it is the\n"
    "largest on the grid assumes ||dW|| grows with sparsity.  With --pattern N:M\n"
    "the N:M pruning is checked instead.  Methods that need a Hessian calibrate on\n"
    "dataset `states` of CALIB.h5, or on N states drawn uniformly from X\n"
    "(default 256, seed 1).\n"
    "\n"
    "With --differential, per method (all selected layers pruned together) three\n"
    "sparsities side by side, each the largest on the 1% grid: the paper form\n"
    "above; the differential one, whose actually pruned policy (pruned as `prune`\n"
    "prunes it) has max_deviation_upper <= eps; the empirical one, whose\n"
    "max_deviation_lower <= eps.  Every grid sparsity is certified (no\n"
    "monotonicity assumed): up to 100 certificates per method.\n"
    "\n"
    "options:\n"
    "  -m, --model FILE    policy\n"
    "  -p, --pruned FILE   pruned policy: the differential certificate of the pair\n"
    "  --eps E             control-error threshold, > 0 (after the output map)\n"
    "  --json              machine-readable output on stdout (docs/CLI.md)\n"
    "  -q, --quiet         no progress line on stderr\n"
    "Every long option also reads --name=VALUE.\n"
    "\n"
    "Exit status: 0 success, 2 bad usage or input, 1 internal failure.\n";

/* Parses a comma-separated list of finite numbers into v[cap]. */
static int parse_list(const char *s, double v[], size_t cap, size_t *n)
{
    const char *p = s;
    *n = 0;
    while (*p) {
        char *end;
        errno = 0;
        if (*n == cap)
            return -1;
        v[*n] = strtod(p, &end);
        if (end == p || errno || !isfinite(v[*n]))
            return -1;
        (*n)++;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        p = end;
    }
    return *n > 0 ? 0 : -1;
}



/* The per-layer table, on stdout or into doc. */
static void report_layers(const certify *c, const char *mpath, const char *set, const size_t *layers,
                          size_t n_sel, json_t *doc)
{
    const bounds_model *bm = c->bm;

    if (doc) {
        json_t *arr = json_array();
        json_object_set_new(doc, "policy", json_string(mpath));
        json_object_set_new(doc, "eps", json_real(c->eps));
        json_object_set_new(doc, "set", json_string(set));
        json_object_set_new(doc, "output_gain", json_real(bm->gain));
        for (size_t i = 0; i < n_sel; i++) {
            size_t k = layers[i] - 1;
            json_array_append_new(
                arr, json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "layer",
                               (json_int_t)(k + 1), "n_out", (json_int_t)bm->layers[k].n_out,
                               "n_in", (json_int_t)bm->layers[k].n_in, "W_norm",
                               bm->layers[k].W_norm, "D", bm->down[k], "sup_h_closed",
                               c->sup_closed[k], "sup_h_ibp", c->sup_ibp[k], "sup_h", c->sup[k],
                               "C_sup", bounds_forward_coeff(bm, k, c->sup[k]),
                               "admissible_dW_norm", cli_json_num(c->adm[k])));
        }
        json_object_set_new(doc, "layers", arr);
        return;
    }
    printf("policy %s: %zu layers, output gain %.4g; eps %.4g over the %s\n", mpath,
           c->m->n_layers, bm->gain, c->eps, set);
    printf("%5s %9s %11s %11s %11s %11s %11s %13s\n", "layer", "shape", "||W_k||", "D_k",
           "sup|h| cf", "sup|h| ibp", "C_sup", "adm ||dW_k||");
    for (size_t i = 0; i < n_sel; i++) {
        size_t k = layers[i] - 1;
        char shape[32];
        snprintf(shape, sizeof shape, "%zux%zu", bm->layers[k].n_out, bm->layers[k].n_in);
        printf("%5zu %9s %11.4g %11.4g %11.4g %11.4g %11.4g %13.6g\n", k + 1, shape,
               bm->layers[k].W_norm, bm->down[k], c->sup_closed[k], c->sup_ibp[k],
               bounds_forward_coeff(bm, k, c->sup[k]), c->adm[k]);
    }
    printf("(sup|h|: guaranteed bounds of sup_X ||h_k||, closed form and interval "
           "propagation; the smaller is used)\n");
}

/* The progress hook of certify_search and certify_diff_profile: the steps
 * of the current search, within the stage the caller set. */
typedef struct certify_bar {
    cli_progress line;
    const char *unit; /* "steps" (bisection) or "sparsities" (the profile) */
} certify_bar;

static void on_progress(void *ctx, size_t done, size_t total)
{
    certify_bar *b = ctx;
    cli_progress_show(&b->line, done, total, b->unit);
}

/* One method: every selected layer alone, then all of them together (when
 * there are several), on stdout or appended to methods. */
static int report_method(certify *c, const certify_pruning *p, const size_t *layers, size_t n_sel,
                         json_t *methods, certify_bar *bar, pb_error *err)
{
    json_t *m = NULL, *per = NULL;
    int status;

    if (methods) {
        m = json_pack("{s:s}", "method", p->method->name);
        per = json_array();
        json_object_set_new(m, "per_layer", per);
        json_array_append_new(methods, m);
    } else {
        printf("  %-10s", p->method->name);
        fflush(stdout);
    }
    for (size_t i = 0; i <= n_sel; i++) {
        /* i < n_sel: layer layers[i] alone; i == n_sel: all selected together */
        const size_t *sel = i < n_sel ? &layers[i] : layers;
        size_t ns = i < n_sel ? 1 : n_sel;
        double best = 0.0, value = 0.0;
        int ok = 1;
        if (i == n_sel && n_sel == 1)
            break;
        {
            char label[96];
            size_t n_search = n_sel > 1 ? n_sel + 1 : 1;
            if (i < n_sel)
                snprintf(label, sizeof label, "certify %s, layer %zu (search %zu of %zu)",
                         p->method->name, sel[0], i + 1, n_search);
            else
                snprintf(label, sizeof label, "certify %s, all selected layers (search %zu of %zu)",
                         p->method->name, i + 1, n_search);
            cli_progress_stage(&bar->line, label, 0);
            bar->unit = "steps";
            if (p->nm_m) /* one check, no bisection steps */
                cli_progress_show(&bar->line, 0, 1, "checks");
        }
        if (p->nm_m)
            status = certify_check(c, p, sel, ns, 0.0, &ok, &value, err);
        else
            status = certify_search(c, p, sel, ns, &best, &value, err);
        if (status) {
            if (!methods)
                printf("\n");
            return status;
        }
        if (methods) {
            json_t *r = json_object();
            if (p->nm_m)
                json_object_set_new(r, "certified", json_boolean(ok));
            else
                json_object_set_new(r, "sparsity", json_real(best));
            json_object_set_new(r, ns == 1 ? "dW_norm" : "bound", cli_json_num(value));
            if (i < n_sel) {
                json_object_set_new(r, "layer", json_integer((json_int_t)sel[0]));
                json_array_append_new(per, r);
            } else {
                json_t *ls = json_array();
                for (size_t j = 0; j < n_sel; j++)
                    json_array_append_new(ls, json_integer((json_int_t)layers[j]));
                json_object_set_new(r, "layers", ls);
                json_object_set_new(m, "all_selected", r);
            }
        } else if (p->nm_m) {
            if (i < n_sel)
                printf(" layer %zu: %s (||dW|| %.3g)", sel[0], ok ? "yes" : "no", value);
            else
                printf(" | all: %s (bound %.3g)", ok ? "yes" : "no", value);
        } else if (i < n_sel) {
            printf(" layer %zu: %3.0f%%", sel[0], 100 * best);
        } else {
            printf(" | all selected layers: %3.0f%% (bound %.3g)", 100 * best, value);
        }
        fflush(stdout);
    }
    if (!methods)
        printf("\n");
    return PB_SUCCESS;
}

/* A JSON array of n numbers. */
static json_t *json_vec(const double v[], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, cli_json_num(v[i]));
    return a;
}

/* -p: the differential certificate of the pair over X, on stdout or into doc. */
static int report_pair(const mlp *m, const mlp *q, const char *mpath, const char *ppath,
                       const bounds_set *set, double eps, const bounds_diff_opts *o, json_t *doc,
                       pb_error *err)
{
    const char *region = set->kind == BOUNDS_SET_BOX ? "box" : "bounding box of the ball";
    bounds_diff_result r;
    double *xl = malloc(m->n_in * sizeof *xl);
    int status;

    if (!xl)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    if ((status = certify_pair_eval(m, q, set, o, xl, &r, err))) {
        free(xl);
        return status;
    }
    if (doc) {
        json_object_set_new(doc, "policy", json_string(mpath));
        json_object_set_new(doc, "pruned", json_string(ppath));
        json_object_set_new(doc, "set", json_string(set->kind == BOUNDS_SET_BOX ? "box" : "ball"));
        json_object_set_new(doc, "region", json_string(region));
        json_object_set_new(doc, "max_deviation_upper", cli_json_num(r.upper));
        json_object_set_new(doc, "max_deviation_lower", cli_json_num(r.lower));
        json_object_set_new(doc, "max_deviation_lower_err", cli_json_num(r.lower_err));
        json_object_set_new(doc, "state", json_vec(xl, m->n_in));
        json_object_set_new(doc, "root_upper", cli_json_num(r.root_upper));
        json_object_set_new(doc, "splits", json_integer((json_int_t)r.n_splits));
        json_object_set_new(doc, "open_boxes", json_integer((json_int_t)r.n_open));
        json_object_set_new(doc, "budget_splits", json_integer((json_int_t)o->max_splits));
        if (!isnan(eps)) {
            json_object_set_new(doc, "eps", json_real(eps));
            json_object_set_new(doc, "certified", json_boolean(r.upper <= eps));
        }
    } else {
        printf("pair %s -> %s, differential certificate over the %s\n", mpath, ppath, region);
        printf("  max_deviation_upper  %.6g   (certified; %zu splits of %zu, %zu boxes open; "
               "before splitting %.6g)\n",
               r.upper, r.n_splits, o->max_splits, r.n_open, r.root_upper);
        printf("  max_deviation_lower  %.6g   (found by search, +- %.2g) at state", r.lower,
               r.lower_err);
        for (size_t i = 0; i < m->n_in; i++)
            printf("%s%.6g", i ? ", " : " (", xl[i]);
        printf(")\n");
        if (!isnan(eps))
            printf("  eps %.6g: %s\n", eps,
                   r.upper <= eps   ? "certified (max_deviation_upper <= eps)"
                   : r.lower > eps ? "violated (max_deviation_lower > eps)"
                                   : "not certified (undecided within the budget)");
    }
    free(xl);
    return PB_SUCCESS;
}

/* --differential: the paper-form, differential and empirical certified
 * sparsities of one method, all selected layers pruned together. */
static int report_differential(certify *c, const certify_pruning *p, const size_t *layers,
                               size_t n_sel, const double lo[], const double hi[],
                               const bounds_diff_opts *o, json_t *mobj, certify_bar *bar,
                               pb_error *err)
{
    double prof[2 * CERTIFY_GRID], paper, value, diff, emp;
    char label[96];
    int status;

    snprintf(label, sizeof label, "certify %s, paper form", p->method->name);
    cli_progress_stage(&bar->line, label, 0);
    bar->unit = "steps";
    if ((status = certify_search(c, p, layers, n_sel, &paper, &value, err)))
        return status;
    snprintf(label, sizeof label, "certify %s, differential", p->method->name);
    cli_progress_stage(&bar->line, label, 0);
    bar->unit = "sparsities";
    if ((status = certify_diff_profile(c, p, layers, n_sel, lo, hi, o, prof, prof + CERTIFY_GRID,
                                       err)))
        return status;
    diff = certify_diff_sparsity(prof, c->eps);
    emp = certify_diff_sparsity(prof + CERTIFY_GRID, c->eps);
    if (mobj) {
        json_t *r = json_object();
        json_object_set_new(r, "paper_sparsity", json_real(paper));
        json_object_set_new(r, "sparsity", json_real(diff));
        json_object_set_new(r, "empirical_sparsity", json_real(emp));
        json_object_set_new(r, "max_deviation_upper", json_vec(prof, CERTIFY_GRID));
        json_object_set_new(r, "max_deviation_lower", json_vec(prof + CERTIFY_GRID, CERTIFY_GRID));
        json_object_set_new(mobj, "differential", r);
    } else {
        printf("  %-10s %14.0f%% %14.0f%% %14.0f%%\n", p->method->name, 100 * paper, 100 * diff,
               100 * emp);
    }
    return PB_SUCCESS;
}

enum {
    OPT_MODEL = 1,
    OPT_EPS,
    OPT_BOX,
    OPT_RADIUS,
    OPT_CENTER,
    OPT_LAYERS,
    OPT_METHOD,
    OPT_PATTERN,
    OPT_CALIB,
    OPT_CALIB_SAMPLES,
    OPT_SEED,
    OPT_JSON,
    OPT_PRUNED,
    OPT_BUDGET,
    OPT_DIFFERENTIAL
};

static const cli_option certify_opts[] = {
    {"model", 'm', 1, OPT_MODEL, NULL},     {"eps", 0, 1, OPT_EPS, NULL},
    {"box", 0, 1, OPT_BOX, NULL},           {"radius", 0, 1, OPT_RADIUS, NULL},
    {"center", 0, 1, OPT_CENTER, NULL},     {"layers", 0, 1, OPT_LAYERS, NULL},
    {"method", 0, 1, OPT_METHOD, NULL},     {"pattern", 0, 1, OPT_PATTERN, NULL},
    {"calib", 'c', 1, OPT_CALIB, NULL},     {"calib-samples", 0, 1, OPT_CALIB_SAMPLES, NULL},
    {"seed", 0, 1, OPT_SEED, NULL},         {"json", 0, 0, OPT_JSON, NULL},
    {"pruned", 'p', 1, OPT_PRUNED, "a file name"},
    {"budget", 0, 1, OPT_BUDGET, "a number of splits"},
    {"differential", 0, 0, OPT_DIFFERENTIAL, NULL},
    {NULL, 0, 0, 0, NULL}};

int cmd_certify(int argc, char **argv)
{
    const char *mpath = NULL, *box = NULL, *center = NULL, *layers_arg = "all", *calib = NULL;
    const char *pattern = NULL, *ppath = NULL;
    const char *methods[16];
    size_t n_methods = 0, n_calib = 256;
    unsigned long seed = 1;
    double eps = NAN, radius = NAN;
    int json = 0, rc = 1, differential = 0;
    mlp *m = NULL, *q = NULL;
    bounds_diff_opts dopts;
    certify *cert = NULL;
    certify_pruning pr = {0};
    json_t *doc = NULL, *jmethods = NULL;
    double *pairs = NULL, *lo = NULL, *hi = NULL, *c = NULL, *X = NULL;
    size_t *layers = NULL, n_sel = 0;
    bounds_set set = {0};
    pb_error err;
    cli_parser cp;
    certify_bar bar;
    const char *v;
    int id;

    pb_error_clear(&err);
    bounds_diff_opts_init(&dopts);
    if (cli_wants_help(argc, argv)) {
        fputs(certify_usage, stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, certify_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        char *end;
        switch (id) {
        case CLI_ERROR:
            return 2;
        case CLI_ARG:
            return cli_usage_error(argv[0], "unknown argument '%s'", v);
        case OPT_JSON:
            json = 1;
            break;
        case OPT_MODEL:
            mpath = v;
            break;
        case OPT_PRUNED:
            ppath = v;
            break;
        case OPT_DIFFERENTIAL:
            differential = 1;
            break;
        case OPT_BUDGET: {
            long long ns = strtoll(v, &end, 10);
            if (*end || ns < 0 || ns > 100000000)
                return cli_usage_error(argv[0], "--budget '%s' must be a number of splits in 0..1e8",
                                       v);
            dopts.max_splits = (size_t)ns;
            break;
        }
        case OPT_EPS:
            eps = strtod(v, &end);
            if (*end || !(eps > 0.0) || !isfinite(eps))
                return cli_usage_error(argv[0], "--eps '%s' must be a number > 0", v);
            break;
        case OPT_BOX:
            box = v;
            break;
        case OPT_RADIUS:
            radius = strtod(v, &end);
            if (*end || !(radius >= 0.0) || !isfinite(radius))
                return cli_usage_error(argv[0], "--radius '%s' must be a number >= 0", v);
            break;
        case OPT_CENTER:
            center = v;
            break;
        case OPT_LAYERS:
            layers_arg = v;
            break;
        case OPT_METHOD:
            if (n_methods == sizeof methods / sizeof *methods)
                return cli_usage_error(argv[0], "too many --method options");
            methods[n_methods++] = v;
            break;
        case OPT_PATTERN:
            pattern = v;
            break;
        case OPT_CALIB:
            calib = v;
            break;
        case OPT_CALIB_SAMPLES: {
            long long nc = strtoll(v, &end, 10);
            if (*end || nc < 1 || nc > 10000000)
                return cli_usage_error(argv[0], "--calib-samples '%s' must be in 1..1e7", v);
            n_calib = (size_t)nc;
            break;
        }
        case OPT_SEED: {
            long long sd = strtoll(v, &end, 10);
            if (*end || sd < 0)
                return cli_usage_error(argv[0], "--seed '%s' must be an integer >= 0", v);
            seed = (unsigned long)sd;
            break;
        }
        }
    }
    if (!mpath)
        return cli_usage_error(argv[0], "-m POLICY is required");
    if (isnan(eps) && !ppath)
        return cli_usage_error(argv[0], "--eps is required");
    if (ppath && (n_methods || differential || pattern))
        return cli_usage_error(argv[0], "-p certifies one pair: it goes without --method, "
                                        "--pattern and --differential");
    if (differential && (!n_methods || pattern))
        return cli_usage_error(argv[0], "--differential needs --method and no --pattern");
    if ((box != NULL) == !isnan(radius)) /* neither or both */
        return cli_usage_error(argv[0], "give exactly one of --box and --radius");
    if (center && box)
        return cli_usage_error(argv[0], "--center goes with --radius");
    for (size_t i = 0; i < n_methods; i++)
        if (strcmp(methods[i], "all") && !prune_find(methods[i]))
            return cli_usage_error(argv[0], "unknown pruning method '%s'", methods[i]);
    if (mlp_read_h5(mpath, &m, &err)) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    pairs = malloc((2 * m->n_in + 1) * sizeof *pairs);
    lo = malloc(m->n_in * sizeof *lo);
    hi = malloc(m->n_in * sizeof *hi);
    c = malloc(m->n_in * sizeof *c);
    layers = malloc(m->n_layers * sizeof *layers);
    if (!pairs || !lo || !hi || !c || !layers) {
        pb_error_set(&err, PB_ENOMEM, "out of memory");
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    /* The state set. */
    set.n = m->n_in;
    if (box) {
        size_t n;
        if (parse_list(box, pairs, 2 * m->n_in + 1, &n) || n != 2 * m->n_in) {
            rc = cli_usage_error(argv[0],
                                 "--box needs %zu comma-separated numbers (LO,HI for each of the "
                                 "policy's %zu inputs)",
                                 2 * m->n_in, m->n_in);
            goto cleanup;
        }
        for (size_t i = 0; i < m->n_in; i++) {
            lo[i] = pairs[2 * i];
            hi[i] = pairs[2 * i + 1];
        }
        set.kind = BOUNDS_SET_BOX;
        set.lo = lo;
        set.hi = hi;
    } else {
        size_t n;
        set.kind = BOUNDS_SET_BALL;
        set.radius = radius;
        if (center) {
            if (parse_list(center, pairs, 2 * m->n_in + 1, &n) || n != m->n_in) {
                rc = cli_usage_error(argv[0], "--center needs %zu comma-separated numbers",
                                     m->n_in);
                goto cleanup;
            }
            memcpy(c, pairs, m->n_in * sizeof *c);
            set.center = c;
        }
    }
    if (ppath) {
        if (json && !(doc = json_object())) {
            pb_error_set(&err, PB_ENOMEM, "out of memory");
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }
        if (mlp_read_h5(ppath, &q, &err) ||
            report_pair(m, q, mpath, ppath, &set, eps, &dopts, doc, &err)) {
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }
        goto print;
    }
    if (prune_layers_parse(layers_arg, m->n_layers, layers, m->n_layers, &n_sel, &err) ||
        (pattern && prune_pattern_parse(pattern, &pr.nm_n, &pr.nm_m, &err))) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    if (n_sel == 0)
        for (n_sel = 0; n_sel < m->n_layers; n_sel++)
            layers[n_sel] = n_sel + 1;
    if (!(cert = certify_alloc(m, &set, eps, &err))) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    if (json) {
        doc = json_object();
        if (!doc) {
            pb_error_set(&err, PB_ENOMEM, "out of memory");
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }
    }
    report_layers(cert, mpath, box ? "box" : "ball", layers, n_sel, doc);

    /* Methods: the calibration set once, then a search per method.  The
     * progress line is drawn unless the table itself goes to the same
     * terminal (it prints each result as it comes). */
    cli_progress_init(&bar.line,
                      cli_stderr_is_tty() && !cp.quiet && (json || !isatty(STDOUT_FILENO)));
    bar.unit = "steps";
    cert->progress = on_progress;
    cert->progress_ctx = &bar;
    if (n_methods) {
        int all = 0;
        for (size_t i = 0; i < n_methods; i++)
            all |= !strcmp(methods[i], "all");
        if (calib) {
            if (mlp_states_read_h5(calib, m->n_in, &X, &n_calib, &err)) {
                rc = cli_fail(argv[0], &err);
                goto cleanup;
            }
        } else if (!(X = malloc(n_calib * m->n_in * sizeof *X)) ||
                   certify_sample_states(&set, n_calib, seed, X, &err)) {
            if (!X)
                pb_error_set(&err, PB_ENOMEM, "out of memory");
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }
        certify_set_calibration(cert, X, n_calib);
        if (doc)
            json_object_set_new(doc, "methods", jmethods = json_array());
        else
            printf("\n%s per method (%s):\n",
                   pattern ? "certified N:M pruning" : "largest certified sparsity",
                   pattern ? pattern : "bisection on a 1% grid");
        for (size_t mi = 0; prune_methods[mi]; mi++) {
            int want = all;
            pr.method = prune_methods[mi];
            for (size_t i = 0; i < n_methods; i++)
                want |= !strcmp(methods[i], pr.method->name);
            if (!want)
                continue;
            if (report_method(cert, &pr, layers, n_sel, jmethods, &bar, &err)) {
                cli_progress_end(&bar.line);
                rc = cli_fail(argv[0], &err);
                goto cleanup;
            }
        }
        cli_progress_end(&bar.line);
    }
    if (differential) {
        /* the certificate's box: X, or the bounding box of the ball */
        if (certify_set_box(m, &set, pairs, pairs + m->n_in, &err)) {
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }
        if (!doc)
            printf("\ncertified sparsity of all selected layers pruned together (eps %.4g, %s, "
                   "%zu splits per certificate):\n  %-10s %15s %15s %15s\n",
                   eps, box ? "box" : "bounding box of the ball", dopts.max_splits, "method",
                   "paper form", "differential", "empirical");
        for (size_t mi = 0, jm = 0; prune_methods[mi]; mi++) {
            int want = 0;
            pr.method = prune_methods[mi];
            for (size_t i = 0; i < n_methods; i++)
                want |= !strcmp(methods[i], "all") || !strcmp(methods[i], pr.method->name);
            if (!want)
                continue;
            /* this method's JSON object is entry jm of "methods" (same order) */
            if (report_differential(cert, &pr, layers, n_sel, pairs, pairs + m->n_in, &dopts,
                                    doc ? json_array_get(jmethods, jm++) : NULL, &bar, &err)) {
                cli_progress_end(&bar.line);
                rc = cli_fail(argv[0], &err);
                goto cleanup;
            }
            fflush(stdout);
        }
        cli_progress_end(&bar.line);
    }
print:
    if (doc) {
        json_object_set_new(doc, "command", json_string("certify"));
        cli_json_print(doc);
        doc = NULL;
    }
    rc = 0;
cleanup:
    json_decref(doc);
    certify_free(cert);
    mlp_free(m);
    mlp_free(q);
    free(pairs);
    free(lo);
    free(hi);
    free(c);
    free(layers);
    free(X);
    return rc;
}
