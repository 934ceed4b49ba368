/* bounds_loop.c: the closed-loop deviation recursion and Lipschitz constants
 * from Jacobian samples (docs/BOUNDS.md section 6).  Plant-free: the caller
 * passes the constants or the Jacobians. */
#include "bounds.h"

#include <math.h>

int bounds_loop_eval(double Lx, double Lu, double Lpi, double e0, size_t n, const double dev[],
                     double e[], pb_error *err)
{
    double a = pb_add_up(Lx, pb_mul_up(Lu, Lpi));

    if (!(Lx >= 0.0) || !(Lu >= 0.0) || !(Lpi >= 0.0) || !(e0 >= 0.0) || !isfinite(a) ||
        !isfinite(e0))
        return pb_error_set(err, PB_EINVAL,
                            "closed loop: Lx %g, Lu %g, Lpi %g and e0 %g must be finite and >= 0",
                            Lx, Lu, Lpi, e0);
    if (n > 0 && !dev)
        return pb_error_set(err, PB_EINVAL, "closed loop: NULL deviation bounds");
    for (size_t t = 0; t < n; t++)
        if (!(dev[t] >= 0.0))
            return pb_error_set(err, PB_EINVAL, "closed loop: dev[%zu] = %g is not >= 0", t, dev[t]);
    /* Rounded up.  ||x_{t+1} - x^_{t+1}|| <= Lx e_t + Lu ||pi(x_t) - pi^(x^_t)||
     *                       <= Lx e_t + Lu (Lpi e_t + ||pi(x^_t) - pi^(x^_t)||). */
    e[0] = e0;
    for (size_t t = 0; t < n; t++)
        e[t + 1] = pb_add_up(pb_mul_up(a, e[t]), pb_mul_up(Lu, dev[t]));
    return PB_SUCCESS;
}

int bounds_lipschitz_from_jacobians(size_t n_samples, size_t rows, size_t cols, const double J[],
                                    double w[], double *L, pb_error *err)
{
    double best = 0.0;

    if (n_samples == 0)
        return pb_error_set(err, PB_EINVAL, "Lipschitz estimate from zero Jacobian samples");
    if (!J)
        return pb_error_set(err, PB_EINVAL, "Lipschitz estimate: NULL Jacobians");
    for (size_t i = 0; i < n_samples; i++) {
        double v;
        int status = pb_spectral_norm(rows, cols, J + i * rows * cols, w, &v, err);
        if (status)
            return pb_error_prefix(err, "Jacobian sample %zu: ", i);
        best = fmax(best, v);
    }
    *L = best;
    return PB_SUCCESS;
}
