/* cmd_bound.c: `prunebound bound -m ORIGINAL.h5 -p PRUNED.h5 -s STATES.h5 -o OUT.h5`:
 * on logged states, the actual action deviation of a policy pair and the
 * forward-pass and closed-form bounds of docs/BOUNDS.md (multi-layer
 * telescoping sum when several layers differ; bias changes covered). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "bounds.h"
#include "cli_args.h"
#include "mlp.h"
#include "mlp_io.h"

static const char *const bound_usage =
    "usage: prunebound bound -m ORIGINAL.h5 -p PRUNED.h5 -s STATES.h5 -o OUT.h5\n"
    "\n"
    "For every state x (dataset `states` [n, n_in] of STATES.h5, in the policy's\n"
    "state space: the input map is applied) computes\n"
    "  dev_actual        ||pi(x) - pi^(x)||, both output maps applied (scaled: it\n"
    "                    neither overflows nor underflows)\n"
    "  dev_actual_err    a certified bound of the rounding error of dev_actual\n"
    "  dev_bound         forward-pass bound g sum_k D^_k (||dW_k|| ||h_k(s)|| + ||db_k||)\n"
    "  dev_bound_closed  the same with ||h_k(s)|| replaced by its closed-form bound eta_k(||s||)\n"
    "  tightness         dev_actual / dev_bound\n"
    "and writes them (datasets of length n) with per-layer attributes to OUT.h5\n"
    "(written to OUT.h5.tmp, renamed when complete).  The changed layers are\n"
    "found by comparing weights: dW_k = W^_k - W_k is the full difference,\n"
    "compensation of kept weights included; bias changes db_k are covered too.\n"
    "Both bounds are certified in floating point (every norm and product rounded\n"
    "up, the forward passes' rounding included): a state whose dev_actual exceeds a\n"
    "bound by less than dev_actual_err is counted as attained to rounding, and only\n"
    "dev_actual - dev_actual_err > bound is a violation.  docs/BOUNDS.md derives it.\n"
    "\n"
    "options:\n"
    "  -m, --model FILE    original policy\n"
    "  -p, --pruned FILE   pruned (or otherwise perturbed) policy of the same shape\n"
    "  -s, --states FILE   HDF5 file with dataset `states`\n"
    "  -o, --output FILE   result file\n"
    "\n"
    "Exit status: 0 success; 2 bad usage, unreadable or mismatched input; 1 an\n"
    "internal failure, including a true bound violation (a bug: please report it).\n";

/* ---- HDF5 output ---- */

static int write_vec(hid_t f, const char *name, size_t n, const double *v)
{
    hsize_t dims[1] = {n}, chunk[1] = {n < 4096 ? n : 4096};
    hid_t s = H5Screate_simple(1, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE), d;
    int ok;
    H5Pset_chunk(pl, 1, chunk);
    H5Pset_deflate(pl, 4);
    d = H5Dcreate2(f, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, pl, H5P_DEFAULT);
    ok = d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(pl);
    H5Sclose(s);
    return ok;
}

static int attr_f64(hid_t f, const char *name, size_t n, const double *v)
{
    hsize_t dims[1] = {n};
    hid_t s = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL), a;
    int ok;
    a = H5Acreate2(f, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    ok = a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    return ok;
}

static int attr_i64(hid_t f, const char *name, size_t n, const long long *v)
{
    hsize_t dims[1] = {n};
    hid_t s = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL), a;
    int ok;
    a = H5Acreate2(f, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    ok = a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    return ok;
}

static int attr_str(hid_t f, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;
    int ok;
    H5Tset_size(t, strlen(v) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ok = a >= 0 && H5Awrite(a, t, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return ok;
}

/* Everything a result file holds. */
typedef struct bound_result {
    size_t n, n_layers;
    const double *actual, *actual_err, *bound, *closed, *tight; /* [n] */
    const double *dWn, *dbn;                        /* [n_layers] */
    const long long *changed;                       /* [n_layers] 0/1 */
    double gain, max_actual, max_bound, max_closed, med_tight, max_tight;
    long long violations, attained;
    const char *mpath, *ppath, *spath;
} bound_result;

static const char bound_form[] =
    "dev_bound = g * sum_k D^_k (||W^_k - W_k||_2 ||h_k(s)|| + ||b^_k - b_k||), "
    "D^_k = l_k prod_{j>k} l_j ||W^_j||_2 (pruned network downstream), h_k of the original; "
    "dev_bound_closed: ||h_k(s)|| -> eta_k(||s||); docs/BOUNDS.md";

/* Writes r to path atomically (path.tmp, renamed when complete). */
static int result_write(const char *path, const bound_result *r, pb_error *err)
{
    size_t len = strlen(path) + 5;
    char *tmp = malloc(len);
    hid_t f;
    int ok;

    if (!tmp)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    snprintf(tmp, len, "%s.tmp", path);
    f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        pb_error_set(err, PB_EIO, "%s: cannot create", tmp);
        free(tmp);
        return PB_EIO;
    }
    {
        long long n = (long long)r->n, L = (long long)r->n_layers, one = 1;
        ok = write_vec(f, "dev_actual", r->n, r->actual) &&
             write_vec(f, "dev_actual_err", r->n, r->actual_err) &&
             write_vec(f, "dev_bound", r->n, r->bound) &&
             write_vec(f, "dev_bound_closed", r->n, r->closed) &&
             write_vec(f, "tightness", r->n, r->tight) && attr_str(f, "format", "prunebound-bound") &&
             attr_i64(f, "format_version", 1, &one) && attr_str(f, "tool_version", PB_VERSION) &&
             attr_str(f, "original", r->mpath) && attr_str(f, "pruned", r->ppath) &&
             attr_str(f, "states", r->spath) && attr_i64(f, "n_states", 1, &n) &&
             attr_i64(f, "n_layers", 1, &L) && attr_str(f, "bound_form", bound_form) &&
             attr_f64(f, "output_gain", 1, &r->gain) &&
             attr_i64(f, "layer_changed", r->n_layers, r->changed) &&
             attr_f64(f, "dW_spectral_norm", r->n_layers, r->dWn) &&
             attr_f64(f, "db_norm", r->n_layers, r->dbn) &&
             attr_f64(f, "max_dev_actual", 1, &r->max_actual) &&
             attr_f64(f, "max_dev_bound", 1, &r->max_bound) &&
             attr_f64(f, "max_dev_bound_closed", 1, &r->max_closed) &&
             attr_f64(f, "median_tightness", 1, &r->med_tight) &&
             attr_f64(f, "max_tightness", 1, &r->max_tight) &&
             attr_i64(f, "violations", 1, &r->violations) &&
             attr_i64(f, "attained_to_rounding", 1, &r->attained) &&
             attr_str(f, "bound_arithmetic", BOUNDS_ARITHMETIC);
    }
    ok = H5Fclose(f) >= 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        pb_error_set(err, PB_EIO, "%s: cannot write the result", path);
        free(tmp);
        return PB_EIO;
    }
    free(tmp);
    return PB_SUCCESS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v (n >= 1) via a sorted copy in w. */
static double median(size_t n, const double *v, double *w)
{
    memcpy(w, v, n * sizeof *w);
    qsort(w, n, sizeof *w, cmp_double);
    return n % 2 ? w[n / 2] : 0.5 * (w[n / 2 - 1] + w[n / 2]);
}

int cmd_bound(int argc, char **argv)
{
    const char *mpath = NULL, *ppath = NULL, *spath = NULL, *opath = NULL;
    mlp *m = NULL, *p = NULL;
    bounds_model *bm = NULL;
    bounds_pair *pair = NULL;
    mlp_work *wo = NULL, *wp = NULL;
    double *X = NULL, *buf = NULL;
    long long *changed = NULL;
    size_t n = 0, L;
    pb_error err;
    int status, rc = 1;

    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        fputs(bound_usage, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        if (!strcmp(a, "-m") || !strcmp(a, "--model"))
            dst = &mpath;
        else if (!strcmp(a, "-p") || !strcmp(a, "--pruned"))
            dst = &ppath;
        else if (!strcmp(a, "-s") || !strcmp(a, "--states"))
            dst = &spath;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
            dst = &opath;
        else
            return cli_usage_error(argv[0], "unknown argument '%s'", a);
        if (i + 1 >= argc)
            return cli_usage_error(argv[0], "%s needs a file name", a);
        *dst = argv[++i];
    }
    if (!mpath || !ppath || !spath || !opath)
        return cli_usage_error(argv[0], "-m, -p, -s and -o are all required");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    if ((status = mlp_read_h5(mpath, &m, &err)) || (status = mlp_read_h5(ppath, &p, &err))) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    if ((status = bounds_pair_check(m, p, &err))) {
        pb_error_prefix(&err, "%s and %s: ", mpath, ppath);
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    if ((status = mlp_states_read_h5(spath, m->n_in, &X, &n, &err))) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    L = m->n_layers;
    /* buf: hco, hcp [L + 1 each], hn, eta [L each], then actual, err, bound, closed, tight,
     * sorted [n each] */
    buf = malloc((4 * L + 2 + 6 * n) * sizeof *buf);
    changed = calloc(L, sizeof *changed);
    if (!buf || !changed) {
        pb_error_set(&err, PB_ENOMEM, "out of memory for %zu states", n);
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    if (!(bm = bounds_model_alloc(m, &err)) || !(pair = bounds_pair_alloc(m, bm, p, &err)) ||
        !(wo = mlp_work_alloc(m, 1, &err)) || !(wp = mlp_work_alloc(p, 1, &err))) {
        rc = cli_fail(argv[0], &err);
        goto cleanup;
    }
    {
        double *hco = buf, *hcp = buf + L + 1, *hn = buf + 2 * L + 2, *eta = buf + 3 * L + 2;
        double *actual = buf + 4 * L + 2, *aerr = actual + n, *bound = aerr + n;
        double *closed = bound + n, *tight = closed + n, *sorted = tight + n;
        double u[m->n_out], uh[m->n_out];
        const double *ho[L + 1], *hp[L + 1];
        bound_result r = {0};
        int bias = 0, tty = n >= 100000 && cli_stderr_is_tty();

        for (size_t k = 0; k < L; k++) {
            changed[k] = pair->changed[k];
            bias |= pair->db_norm[k] > 0.0;
        }
        /* The loop over states: two forward passes, the bounds from norms. */
        for (size_t i = 0; i < n; i++) {
            bounds_point pt;
            if (tty && i % 4096 == 0)
                fprintf(stderr, "\rprunebound bound: %3zu%% of %zu states", 100 * i / n, n);
            mlp_eval(p, wp, X + i * m->n_in, uh);
            mlp_eval(m, wo, X + i * m->n_in, u);
            for (size_t j = 0; j <= L; j++) {
                ho[j] = mlp_work_hidden(wo, j);
                hp[j] = mlp_work_hidden(wp, j);
            }
            bounds_pass_norms(bm, ho, hco);
            bounds_pass_norms(pair->pruned, hp, hcp);
            bounds_pair_eval(pair, hco, u, hcp, uh, hn, eta, &pt);
            actual[i] = pt.actual;
            aerr[i] = pt.actual_err;
            bound[i] = pt.bound;
            closed[i] = pt.bound_closed;
            tight[i] = bound[i] > 0.0 ? actual[i] / bound[i] : (actual[i] > 0.0 ? INFINITY : 0.0);
            r.violations += pt.verdict == BOUNDS_VIOLATED;
            r.attained += pt.verdict == BOUNDS_ATTAINED;
            r.max_actual = fmax(r.max_actual, actual[i]);
            r.max_bound = fmax(r.max_bound, bound[i]);
            r.max_closed = fmax(r.max_closed, closed[i]);
            r.max_tight = fmax(r.max_tight, tight[i]);
        }
        if (tty)
            fprintf(stderr, "\r%60s\r", "");
        r.med_tight = median(n, tight, sorted);
        r.n = n, r.n_layers = L, r.actual = actual, r.actual_err = aerr, r.bound = bound;
        r.closed = closed, r.tight = tight, r.dWn = pair->dW_norm, r.dbn = pair->db_norm;
        r.changed = changed, r.gain = bm->gain;
        r.mpath = mpath, r.ppath = ppath, r.spath = spath;
        if ((status = result_write(opath, &r, &err))) {
            rc = cli_fail(argv[0], &err);
            goto cleanup;
        }

        printf("%zu states; layers changed:", n);
        if (!pair->n_changed)
            printf(" none (the policies have equal weights and biases)");
        for (size_t k = 0; k < L; k++)
            if (changed[k])
                printf(" %zu (||dW||_2 <= %.4g%s)", k + 1, pair->dW_norm[k],
                       pair->db_norm[k] > 0 ? ", bias changed" : "");
        printf("\n%s  output gain %.4g\n", bias ? "  bias changes are included in the bound\n" : "",
               bm->gain);
        printf("  max dev_actual        %.6g\n", r.max_actual);
        printf("  max dev_bound         %.6g   (forward pass%s)\n", r.max_bound,
               pair->n_changed > 1 ? ", telescoping sum over the changed layers" : "");
        printf("  max dev_bound_closed  %.6g\n", r.max_closed);
        printf("  tightness actual/bound: median %.4g, max %.4g\n", r.med_tight, r.max_tight);
        printf("  attained to rounding  %lld   (dev_actual above a bound by less than its rounding "
               "error dev_actual_err)\n",
               r.attained);
        printf("  violations            %lld\n", r.violations);
        printf("wrote %s\n", opath);
        rc = 0;
        if (r.violations) {
            fprintf(stderr,
                    "prunebound %s: %lld state(s) where the deviation exceeds a bound by more "
                    "than its rounding error: this is a bug, please report it with the three "
                    "input files\n",
                    argv[0], r.violations);
            rc = 1;
        }
    }
cleanup:
    mlp_work_free(wo);
    mlp_work_free(wp);
    bounds_pair_free(pair);
    bounds_model_free(bm);
    mlp_free(m);
    mlp_free(p);
    free(X);
    free(buf);
    free(changed);
    return rc;
}
