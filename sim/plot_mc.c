/* plot_mc.c: the figures of a `prunebound montecarlo` results file
 * (docs/PLOTS.md, layout in docs/MONTECARLO.md). */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

int plot_mc_prepare(hid_t f, const char *path, const char *dir, plot_plan *plan, pb_error *err)
{
    (void)f;
    (void)dir;
    (void)plan;
    return pb_error_set(err, PB_EUNSUPPORTED, "%s: Monte Carlo figures are not drawn yet", path);
}
