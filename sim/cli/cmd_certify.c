/* cmd_certify.c: `prunebound certify -m POLICY --eps E (--box ... | --radius R)`:
 * per layer the admissible ||dW_k||_2 that keeps ||pi - pi^|| <= eps on a
 * set of states (docs/BOUNDS.md section 5), and per pruning method the
 * largest sparsity whose perturbation meets it (single layer, and all
 * selected layers together through the telescoping sum). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <hdf5.h>

#include "bounds.h"
#include "cli_args.h"
#include "mlp.h"
#include "mlp_io.h"
#include "prune.h"

static const char *const certify_usage =
    "usage: prunebound certify -m POLICY.h5 --eps E (--box LO,HI,LO,HI,... | --radius R\n"
    "                          [--center C,C,...]) [--layers all|k,...] [--method M]...\n"
    "                          [--pattern N:M] [-c CALIB.h5 | --calib-samples N] [--seed S] [--json]\n"
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
    "options:\n"
    "  -m, --model FILE    policy\n"
    "  --eps E             control-error threshold, > 0 (after the output map)\n"
    "  --json              machine-readable output on stdout\n"
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

/* n states drawn uniformly from X (box: per coordinate; ball: Gaussian
 * direction, radius R U^(1/dim)). */
static void calib_sample(const bounds_set *X, size_t n, unsigned long seed, double x[])
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * X->n;
        if (X->kind == BOUNDS_SET_BOX) {
            for (size_t j = 0; j < X->n; j++)
                xi[j] = X->lo[j] + gsl_rng_uniform(r) * (X->hi[j] - X->lo[j]);
        } else {
            double nrm = 0.0, rad = X->radius * pow(gsl_rng_uniform(r), 1.0 / (double)X->n);
            for (size_t j = 0; j < X->n; j++) {
                xi[j] = gsl_ran_gaussian(r, 1.0);
                nrm += xi[j] * xi[j];
            }
            nrm = sqrt(nrm);
            for (size_t j = 0; j < X->n; j++)
                xi[j] = (X->center ? X->center[j] : 0.0) + (nrm > 0 ? rad * xi[j] / nrm : 0.0);
        }
    }
    gsl_rng_free(r);
}

/* What one sparsity check needs. */
typedef struct certify_ctx {
    const mlp *m;
    const prune_method *method;
    const double *X; /* calibration */
    size_t n_calib;
    const size_t *layers; /* 1-based */
    size_t n_sel;
    const double *sup, *adm; /* [n_layers] */
    double eps;
    size_t nm_n, nm_m;
    double *w;   /* spectral workspace */
    double *dWn; /* [n_layers] scratch */
} certify_ctx;

/* Prunes the layers `sel` (n_sel of them, 1-based) at sparsity s (or N:M)
 * and reports whether the perturbation is certified: for one layer
 * ||dW_k|| <= adm[k]; for several the telescoping sum over X <= eps.
 * *value receives ||dW_k|| (one layer) or the sum (several). */
static int certify_check(certify_ctx *c, const size_t *sel, size_t n_sel, double s, int *ok,
                         double *value, pb_error *err)
{
    prune_options o;
    mlp *p = NULL;
    bounds_model *bp = NULL;
    int status;

    prune_options_init(&o);
    o.sparsity = s;
    o.nm_n = c->nm_n;
    o.nm_m = c->nm_m;
    o.layers = sel;
    o.n_sel = n_sel;
    if ((status = prune_mlp(c->m, c->method, &o, c->method->needs_hessian ? c->X : NULL,
                            c->method->needs_hessian ? c->n_calib : 0, &p, err)))
        return pb_error_prefix(err, "%s at sparsity %.2f: ", c->method->name, s);
    for (size_t k = 0; k < c->m->n_layers; k++) {
        const mlp_layer *a = &c->m->layers[k], *b = &p->layers[k];
        c->dWn[k] = 0.0; /* an unselected layer is bit-identical: no SVD needed */
        if (memcmp(a->W, b->W, a->n_in * a->n_out * sizeof *a->W) != 0 &&
            (status = pb_spectral_norm_diff(a->n_out, a->n_in, a->W, b->W, c->w, &c->dWn[k],
                                                err)))
            goto free_p;
    }
    if (n_sel == 1) {
        size_t k = sel[0] - 1;
        *value = c->dWn[k];
        *ok = c->dWn[k] <= c->adm[k];
    } else {
        /* Biases are unchanged by pruning; D^ from the pruned network. */
        if (!(bp = bounds_model_alloc(p, err))) {
            status = err ? err->code : PB_EINTERNAL;
            goto free_p;
        }
        *value = bounds_multi_eval(bp, c->sup, c->dWn, NULL);
        *ok = *value <= c->eps;
    }
    status = PB_SUCCESS;
free_p:
    bounds_model_free(bp);
    mlp_free(p);
    return status;
}

/* Largest certified sparsity on the 1% grid by bisection: lo is certified
 * (0 trivially), hi = 100% is not allowed.  *best_value: ||dW|| or the sum
 * at the sparsity found. */
static int certify_search(certify_ctx *c, const size_t *sel, size_t n_sel, double *best,
                          double *best_value, pb_error *err)
{
    int lo = 0, hi = 100, status, ok;
    double v;

    *best = 0.0;
    *best_value = 0.0;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if ((status = certify_check(c, sel, n_sel, mid / 100.0, &ok, &v, err)))
            return status;
        if (ok) {
            lo = mid;
            *best_value = v;
        } else {
            hi = mid;
        }
    }
    *best = lo / 100.0;
    return PB_SUCCESS;
}

/* A JSON string literal (quotes, backslashes and control characters escaped). */
static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null");
}

int cmd_certify(int argc, char **argv)
{
    const char *mpath = NULL, *box = NULL, *center = NULL, *layers_arg = "all", *calib = NULL;
    const char *pattern = NULL;
    const char *methods[16];
    size_t n_methods = 0, n_calib = 256;
    unsigned long seed = 1;
    double eps = NAN, radius = NAN;
    int json = 0, rc = 1, status;
    mlp *m = NULL;
    bounds_model *bm = NULL;
    double *pairs = NULL, *lo = NULL, *hi = NULL, *c = NULL, *work = NULL, *X = NULL, *vals = NULL;
    size_t *layers = NULL, n_sel = 0;
    bounds_set set = {0};
    pb_error err;

    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        fputs(certify_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!v)
            return cli_usage_error(argv[0], "%s needs a value", a);
        i++;
        if (!strcmp(a, "-m") || !strcmp(a, "--model"))
            mpath = v;
        else if (!strcmp(a, "--eps")) {
            eps = strtod(v, &end);
            if (*end || !(eps > 0.0) || !isfinite(eps))
                return cli_usage_error(argv[0], "--eps '%s' must be a number > 0", v);
        } else if (!strcmp(a, "--box"))
            box = v;
        else if (!strcmp(a, "--radius")) {
            radius = strtod(v, &end);
            if (*end || !(radius >= 0.0) || !isfinite(radius))
                return cli_usage_error(argv[0], "--radius '%s' must be a number >= 0", v);
        } else if (!strcmp(a, "--center"))
            center = v;
        else if (!strcmp(a, "--layers"))
            layers_arg = v;
        else if (!strcmp(a, "--method")) {
            if (n_methods == sizeof methods / sizeof *methods)
                return cli_usage_error(argv[0], "too many --method options");
            methods[n_methods++] = v;
        } else if (!strcmp(a, "--pattern"))
            pattern = v;
        else if (!strcmp(a, "-c") || !strcmp(a, "--calib"))
            calib = v;
        else if (!strcmp(a, "--calib-samples")) {
            long long n = strtoll(v, &end, 10);
            if (*end || n < 1 || n > 10000000)
                return cli_usage_error(argv[0], "--calib-samples '%s' must be in 1..1e7", v);
            n_calib = (size_t)n;
        } else if (!strcmp(a, "--seed")) {
            long long s = strtoll(v, &end, 10);
            if (*end || s < 0)
                return cli_usage_error(argv[0], "--seed '%s' must be an integer >= 0", v);
            seed = (unsigned long)s;
        } else
            return cli_usage_error(argv[0], "unknown argument '%s'", a);
    }
    if (!mpath)
        return cli_usage_error(argv[0], "-m POLICY is required");
    if (isnan(eps))
        return cli_usage_error(argv[0], "--eps is required");
    if ((box != NULL) == !isnan(radius)) /* neither or both */
        return cli_usage_error(argv[0], "give exactly one of --box and --radius");
    if (center && box)
        return cli_usage_error(argv[0], "--center goes with --radius");
    for (size_t i = 0; i < n_methods; i++)
        if (strcmp(methods[i], "all") && !prune_find(methods[i]))
            return cli_usage_error(argv[0], "unknown pruning method '%s'", methods[i]);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    if ((status = mlp_read_h5(mpath, &m, &err))) {
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
    if ((status = prune_layers_parse(layers_arg, m->n_layers, layers, m->n_layers, &n_sel,
                                     &err)) ||
        (status = bounds_set_validate(m, &set, &err))) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    if (n_sel == 0)
        for (n_sel = 0; n_sel < m->n_layers; n_sel++)
            layers[n_sel] = n_sel + 1;
    if (!(bm = bounds_model_alloc(m, &err))) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    {
        size_t L = m->n_layers, wsize = 2 * bounds_ibp_size(m);
        for (size_t k = 0; k < L; k++) {
            size_t s = pb_spectral_work_size(m->layers[k].n_out, m->layers[k].n_in);
            wsize = s > wsize ? s : wsize;
        }
        work = malloc(wsize * sizeof *work);
        vals = malloc(5 * L * sizeof *vals);
        if (!work || !vals) {
            pb_error_set(&err, PB_ENOMEM, "out of memory");
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }
    }
    {
        size_t L = m->n_layers;
        double *supc = vals, *supi = vals + L, *sup = vals + 2 * L, *adm = vals + 3 * L;
        double *dWn = vals + 4 * L;
        certify_ctx cx = {0};
        size_t nm_n = 0, nm_m = 0;

        if ((status = bounds_set_hidden_sup(m, bm, &set, work, supc, supi, sup, &err)) ||
            (status = bounds_admissible_eval(bm, sup, eps, adm, &err)) ||
            (pattern && (status = prune_pattern_parse(pattern, &nm_n, &nm_m, &err)))) {
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }
        if (json) {
            printf("{\n  \"policy\": ");
            json_str(mpath);
            printf(",\n  \"eps\": %.17g,\n  \"set\": \"%s\",\n"
                   "  \"output_gain\": %.17g,\n  \"layers\": [\n",
                   eps, box ? "box" : "ball", bm->gain);
            for (size_t i = 0; i < n_sel; i++) {
                size_t k = layers[i] - 1;
                printf("    {\"layer\": %zu, \"n_out\": %zu, \"n_in\": %zu, \"W_norm\": %.17g, "
                       "\"D\": %.17g, \"sup_h_closed\": %.17g, \"sup_h_ibp\": %.17g, "
                       "\"sup_h\": %.17g, \"C_sup\": %.17g, \"admissible_dW_norm\": ",
                       k + 1, bm->layers[k].n_out, bm->layers[k].n_in, bm->layers[k].W_norm,
                       bm->down[k], supc[k], supi[k], sup[k],
                       bounds_forward_coeff(bm, k, sup[k]));
                json_num(adm[k]);
                printf("}%s\n", i + 1 < n_sel ? "," : "");
            }
            printf("  ]");
        } else {
            printf("policy %s: %zu layers, output gain %.4g; eps %.4g over the %s\n", mpath, L,
                   bm->gain, eps, box ? "box" : "ball");
            printf("%5s %9s %11s %11s %11s %11s %11s %13s\n", "layer", "shape", "||W_k||", "D_k",
                   "sup|h| cf", "sup|h| ibp", "C_sup", "adm ||dW_k||");
            for (size_t i = 0; i < n_sel; i++) {
                size_t k = layers[i] - 1;
                char shape[32];
                snprintf(shape, sizeof shape, "%zux%zu", bm->layers[k].n_out, bm->layers[k].n_in);
                printf("%5zu %9s %11.4g %11.4g %11.4g %11.4g %11.4g %13.6g\n", k + 1, shape,
                       bm->layers[k].W_norm, bm->down[k], supc[k], supi[k],
                       bounds_forward_coeff(bm, k, sup[k]), adm[k]);
            }
            printf("(sup|h|: guaranteed bounds of sup_X ||h_k||, closed form and interval "
                   "propagation; the smaller is used)\n");
        }

        /* Methods: the calibration set once, then a search per method. */
        if (n_methods) {
            int all = 0;
            for (size_t i = 0; i < n_methods; i++)
                all |= !strcmp(methods[i], "all");
            if (calib) {
                if ((status = mlp_states_read_h5(calib, m->n_in, &X, &n_calib, &err))) {
                    rc = cli_fail(argv[0], &err);
                    goto cleanup;
                }
            } else {
                if (!(X = malloc(n_calib * m->n_in * sizeof *X))) {
                    pb_error_set(&err, PB_ENOMEM, "out of memory");
                    rc = cli_fail(argv[0], &err);
                    goto cleanup;
                }
                calib_sample(&set, n_calib, seed, X);
            }
            cx.m = m, cx.X = X, cx.n_calib = n_calib, cx.sup = sup, cx.adm = adm;
            cx.eps = eps, cx.w = work, cx.dWn = dWn;
            cx.nm_n = nm_n, cx.nm_m = nm_m;
            if (json)
                printf(",\n  \"methods\": [\n");
            else
                printf("\n%s per method (%s):\n",
                       pattern ? "certified N:M pruning" : "largest certified sparsity",
                       pattern ? pattern : "bisection on a 1% grid");
            for (size_t mi = 0, shown = 0; prune_methods[mi]; mi++) {
                const prune_method *pm = prune_methods[mi];
                int want = all;
                for (size_t i = 0; i < n_methods; i++)
                    want |= !strcmp(methods[i], pm->name);
                if (!want)
                    continue;
                cx.method = pm;
                if (json)
                    printf("%s    {\"method\": \"%s\", \"per_layer\": [", shown ? ",\n" : "",
                           pm->name);
                else
                    printf("  %-10s", pm->name);
                shown++;
                for (size_t i = 0; i <= n_sel; i++) {
                    /* i < n_sel: layer layers[i] alone; i == n_sel: all selected together */
                    const size_t *sel = i < n_sel ? &layers[i] : layers;
                    size_t ns = i < n_sel ? 1 : n_sel;
                    double best = 0.0, value = 0.0;
                    int ok = 1;
                    if (i == n_sel && n_sel == 1)
                        break;
                    if (pattern)
                        status = certify_check(&cx, sel, ns, 0.0, &ok, &value, &err);
                    else
                        status = certify_search(&cx, sel, ns, &best, &value, &err);
                    if (status) {
                        if (json)
                            printf("]}\n  ]\n}\n");
                        else
                            printf("\n");
                        rc = cli_fail(argv[0], &err);
                        goto cleanup;
                    }
                    if (json) {
                        if (i == n_sel) {
                            printf("], \"all_selected\": {\"layers\": [");
                            for (size_t j = 0; j < n_sel; j++)
                                printf("%s%zu", j ? ", " : "", layers[j]);
                            printf("], ");
                        } else {
                            printf("%s{\"layer\": %zu, ", i ? ", " : "", sel[0]);
                        }
                        if (pattern)
                            printf("\"certified\": %s, ", ok ? "true" : "false");
                        else
                            printf("\"sparsity\": %.2f, ", best);
                        printf("\"%s\": %.17g}", ns == 1 ? "dW_norm" : "bound", value);
                    } else if (pattern) {
                        if (i < n_sel)
                            printf(" layer %zu: %s (||dW|| %.3g)", sel[0], ok ? "yes" : "no", value);
                        else
                            printf(" | all: %s (bound %.3g)", ok ? "yes" : "no", value);
                    } else {
                        if (i < n_sel)
                            printf(" layer %zu: %3.0f%%", sel[0], 100 * best);
                        else
                            printf(" | all selected layers: %3.0f%% (bound %.3g)", 100 * best,
                                   value);
                    }
                }
                if (json)
                    printf("%s}", n_sel == 1 ? "]" : "");
                else
                    printf("\n");
            }
            if (json)
                printf("\n  ]");
        }
        if (json)
            printf("\n}\n");
    }
    rc = 0;
cleanup:
    bounds_model_free(bm);
    mlp_free(m);
    free(pairs);
    free(lo);
    free(hi);
    free(c);
    free(layers);
    free(work);
    free(vals);
    free(X);
    return rc;
}
