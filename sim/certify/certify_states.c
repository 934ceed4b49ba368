/* certify_states.c: deviations and certified bounds of a policy pair on given
 * states, and the bound file (certify_states.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bounds_diff.h"
#include "certify_states.h"
#include "h5_write.h"

certify_states *certify_states_alloc(const mlp *orig, const mlp *pruned, size_t n,
                                     const double X[], pb_error *err)
{
    size_t L = orig->n_layers;
    certify_states *r;

    if (bounds_pair_check(orig, pruned, err))
        return NULL;
    if (!(r = calloc(1, sizeof *r))) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        return NULL;
    }
    r->orig = orig;
    r->pruned = pruned;
    r->X = X;
    r->n = n;
    /* actual, err, bound, closed, tight [n each]; hco, hcp [L + 1 each], hn, eta [L each],
     * u, uh [n_out each] */
    r->actual = malloc((5 * n + 4 * L + 2 + 2 * orig->n_out + 1) * sizeof *r->actual);
    if (!r->actual) {
        pb_error_set(err, PB_ENOMEM, "out of memory for %zu states", n);
        goto fail;
    }
    r->actual_err = r->actual + n;
    r->bound = r->actual_err + n;
    r->closed = r->bound + n;
    r->tight = r->closed + n;
    r->scratch = r->tight + n;
    if (!(r->bm = bounds_model_alloc(orig, err)) ||
        !(r->pair = bounds_pair_alloc(orig, r->bm, pruned, err)) ||
        !(r->wo = mlp_work_alloc(orig, 1, err)) || !(r->wp = mlp_work_alloc(pruned, 1, err)))
        goto fail;
    if (!(r->hptr = malloc(2 * (L + 1) * sizeof *r->hptr)) ||
        !(r->changed = malloc(L * sizeof *r->changed)) ||
        !(r->local = malloc((n + 1) * sizeof *r->local)) ||
        !(r->lw = malloc(bounds_local_work_size(orig) * sizeof *r->lw))) {
        pb_error_set(err, PB_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < L; k++)
        r->changed[k] = r->pair->changed[k];
    return r;
fail:
    certify_states_free(r);
    return NULL;
}

void certify_states_step(certify_states *r, size_t count)
{
    size_t L = r->orig->n_layers, n_in = r->orig->n_in, end = r->done + count;
    double *hco = r->scratch, *hcp = hco + L + 1, *hn = hcp + L + 1, *eta = hn + L;
    double *u = eta + L, *uh = u + r->orig->n_out;
    const double **ho = r->hptr, **hp = r->hptr + L + 1;

    if (end > r->n)
        end = r->n;
    for (size_t i = r->done; i < end; i++) {
        bounds_point pt;
        mlp_eval(r->pruned, r->wp, r->X + i * n_in, uh);
        mlp_eval(r->orig, r->wo, r->X + i * n_in, u);
        for (size_t j = 0; j <= L; j++) {
            ho[j] = mlp_work_hidden(r->wo, j);
            hp[j] = mlp_work_hidden(r->wp, j);
        }
        bounds_pass_norms(r->bm, ho, hco);
        bounds_pass_norms(r->pair->pruned, hp, hcp);
        bounds_pair_eval(r->pair, hco, u, hcp, uh, hn, eta, &pt);
        r->actual[i] = pt.actual;
        r->actual_err[i] = pt.actual_err;
        r->bound[i] = pt.bound;
        r->closed[i] = pt.bound_closed;
        r->tight[i] = pt.bound > 0.0 ? pt.actual / pt.bound : (pt.actual > 0.0 ? INFINITY : 0.0);
        r->violations += pt.verdict == BOUNDS_VIOLATED;
        r->attained += pt.verdict == BOUNDS_ATTAINED;
        r->max_actual = fmax(r->max_actual, pt.actual);
        r->max_bound = fmax(r->max_bound, pt.bound);
        r->max_closed = fmax(r->max_closed, pt.bound_closed);
        r->max_tight = fmax(r->max_tight, r->tight[i]);
        {
            double loc;
            if (bounds_local_eval(r->orig, r->X + i * n_in, r->pair->dW_norm, r->pair->db_norm,
                                  pt.bound, r->lw, &loc, &r->local[i], NULL))
                r->local[i] = NAN;
            else
                r->max_local = fmax(r->max_local, r->local[i]);
        }
    }
    r->done = end;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void certify_states_finish(certify_states *r)
{
    double *w = r->n ? malloc(r->n * sizeof *w) : NULL;
    size_t n = r->n;

    r->median_tight = NAN;
    if (!w)
        return; /* no states, or no memory for the sorted copy: the median stays NaN */
    memcpy(w, r->tight, n * sizeof *w);
    qsort(w, n, sizeof *w, cmp_double);
    r->median_tight = n % 2 ? w[n / 2] : 0.5 * (w[n / 2 - 1] + w[n / 2]);
    free(w);
}

static const char bound_form[] =
    "dev_bound = g * sum_k D^_k (||W^_k - W_k||_2 ||h_k(s)|| + ||b^_k - b_k||), "
    "D^_k = l_k prod_{j>k} l_j ||W^_j||_2 (pruned network downstream), h_k of the original; "
    "dev_bound_closed: ||h_k(s)|| -> eta_k(||s||); docs/BOUNDS.md";

int certify_states_write(const certify_states *r, const char *path,
                         const certify_states_names *names, pb_error *err)
{
    size_t L = r->orig->n_layers, dims[1] = {r->n};
    /* No plant is named: deviations are in the policy's output units. */
    static const char out_units[] = "policy output units";
    const struct {
        const char *name;
        const double *v;
        const char *units;
        const char *description;
    } ds[] = {{"/dev_actual", r->actual, out_units, "||pi(s) - pi_hat(s)|| per state"},
              {"/dev_actual_err", r->actual_err, out_units,
               "bound on the rounding error of dev_actual per state"},
              {"/dev_bound", r->bound, out_units, "forward-pass bound on dev_actual per state"},
              {"/dev_bound_closed", r->closed, out_units,
               "spectral-norm-and-bias bound on dev_actual per state"},
              {"/tightness", r->tight, "1", "dev_actual / dev_bound per state"}};
    h5_file *f = NULL;
    int rc;

    if ((rc = h5_file_create(path, &f, err)))
        return rc;
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++)
        if ((rc = h5_dataset_write(f, ds[i].name, 1, dims, H5W_F64, ds[i].v, err)) ||
            (rc = h5_dataset_describe(f, ds[i].name, 1, &ds[i].units, ds[i].description, err)))
            goto fail;
    if ((rc = h5_group_make(f, "/plant", err)) ||
        (rc = h5_attr_write_i64(f, "/plant", "known", 0, err)) ||
        (rc = h5_attr_write_str(f, "/plant", "note",
                                "bound takes two policies and logged states, not a plant: no "
                                "state or input names or units are known",
                                err)))
        goto fail;
    if ((rc = h5_attr_write_str(f, "/", "format", "prunebound-bound", err)) ||
        (rc = h5_attr_write_i64(f, "/", "format_version", 1, err)) ||
        (rc = h5_attr_write_str(f, "/", "tool_version", PB_VERSION, err)) ||
        (rc = h5_attr_write_str(f, "/", "original", names->original, err)) ||
        (rc = h5_attr_write_str(f, "/", "pruned", names->pruned, err)) ||
        (rc = h5_attr_write_str(f, "/", "states", names->states, err)) ||
        (rc = h5_attr_write_i64(f, "/", "n_states", (long long)r->n, err)) ||
        (rc = h5_attr_write_i64(f, "/", "n_layers", (long long)L, err)) ||
        (rc = h5_attr_write_str(f, "/", "bound_form", bound_form, err)) ||
        (rc = h5_attr_write_f64(f, "/", "output_gain", 1, &r->bm->gain, err)) ||
        (rc = h5_attr_write_i64_vec(f, "/", "layer_changed", L, r->changed, err)) ||
        (rc = h5_attr_write_f64(f, "/", "dW_spectral_norm", L, r->pair->dW_norm, err)) ||
        (rc = h5_attr_write_f64(f, "/", "db_norm", L, r->pair->db_norm, err)) ||
        (rc = h5_attr_write_f64(f, "/", "max_dev_actual", 1, &r->max_actual, err)) ||
        (rc = h5_attr_write_f64(f, "/", "max_dev_bound", 1, &r->max_bound, err)) ||
        (rc = h5_attr_write_f64(f, "/", "max_dev_bound_closed", 1, &r->max_closed, err)) ||
        (rc = h5_attr_write_f64(f, "/", "max_dev_bound_local", 1, &r->max_local, err)) ||
        (rc = h5_attr_write_f64(f, "/", "median_tightness", 1, &r->median_tight, err)) ||
        (rc = h5_attr_write_f64(f, "/", "max_tightness", 1, &r->max_tight, err)) ||
        (rc = h5_attr_write_i64(f, "/", "violations", r->violations, err)) ||
        (rc = h5_attr_write_i64(f, "/", "attained_to_rounding", r->attained, err)) ||
        (rc = h5_attr_write_str(f, "/", "bound_arithmetic", BOUNDS_ARITHMETIC, err)))
        goto fail;
    return h5_file_commit(f, err);
fail:
    h5_file_discard(f);
    return rc;
}

void certify_states_free(certify_states *r)
{
    if (!r)
        return;
    mlp_work_free(r->wo);
    mlp_work_free(r->wp);
    bounds_pair_free(r->pair);
    bounds_model_free(r->bm);
    free(r->actual);
    free(r->hptr);
    free(r->changed);
    free(r->local);
    free(r->lw);
    free(r);
}
