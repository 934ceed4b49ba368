/* results_info.c: `prunebound info` on a results file of `prunebound run`. */
#include "results_info.h"

#include "h5_io.h"
#include "results_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A string attribute of obj_path into buf, or "" (h5_attr_read_str). */
static void attr_str(hid_t f, const char *obj_path, const char *name, char *buf, size_t len)
{
    h5_attr_read_str(f, obj_path, name, buf, len, NULL);
}

static double attr_f64(hid_t f, const char *name)
{
    return h5_attr_read_f64(f, "/", name);
}

int results_info_is_kind(hid_t f)
{
    char fmt[64];
    attr_str(f, "/", "format", fmt, sizeof fmt);
    return strcmp(fmt, "prunebound-results") == 0;
}

int results_info_describe(const char *path, hid_t f, FILE *out, pb_error *err)
{
    char s1[256], s2[256], s3[1024];
    size_t n = 0;
    results_row *rows = NULL;
    int rc = PB_SUCCESS;

    attr_str(f, "/", "tool_version", s1, sizeof s1);
    attr_str(f, "/", "created", s2, sizeof s2);
    attr_str(f, "/", "config_file", s3, sizeof s3);
    fprintf(out, "%s: prunebound results (prunebound %s, %s, config %s)\n", path, s1, s2, s3);
    if (h5_has_object(f, "/plant")) {
        attr_str(f, "/plant", "name", s1, sizeof s1);
        attr_str(f, "/plant", "integrator", s2, sizeof s2);
        fprintf(out, " plant %s, period %g s, horizon %g s, integrator %s\n", s1,
                h5_attr_read_f64(f, "/plant", "period"), h5_attr_read_f64(f, "/plant", "horizon"),
                s2);
    }
    if (!(attr_f64(f, "format_version") >= 2))
        return pb_error_set(err, PB_EFORMAT,
                            "%s: written by an older prunebound (format_version %g; this one "
                            "reads 2, whose outcomes follow the top-level criterion): run the "
                            "config again",
                            path, attr_f64(f, "format_version"));
    rc = h5_table_read(f, path, "/summary", results_row_cols, results_row_n_cols_v2,
                       sizeof *rows, (void **)&rows, &n, err);
    if (rc)
        return rc;
    fprintf(out,
            " criterion: converged when ||x - r|| <= %g over the last %g%% of the %g s horizon; "
            "diverged on leaving the plant's limits",
            attr_f64(f, "criterion_tol"), 100.0 * attr_f64(f, "criterion_tail"),
            attr_f64(f, "horizon"));
    if (isfinite(attr_f64(f, "criterion_radius")))
        fprintf(out, " or ||x - r|| > %g", attr_f64(f, "criterion_radius"));
    fputc('\n', out);
    fprintf(out, " %-24s %5s %11s %11s %9s %5s %10s %10s %11s %11s\n", "variant", "runs",
            "max_bound", "max_actual", "tightness", "viol", "rms_orig", "rms_pruned", "orig c/b/d",
            "prun c/b/d");
    /* rows come grouped by label, scenarios in order */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double mb = 0, ma = 0, tt = 0, ro = 0, rp = 0;
        long long viol = 0, oc[3] = {0, 0, 0}, pc[3] = {0, 0, 0};
        char co[40], cp[40], sro[32], srp[32];
        double nb = 0;
        while (j < n && strcmp(rows[j].label, rows[i].label) == 0) {
            mb = fmax(mb, rows[j].max_dev_bound);
            ma = fmax(ma, rows[j].max_dev_actual);
            tt = fmax(tt, rows[j].tightness);
            viol += rows[j].violations;
            oc[rows[j].outcome_orig >= 0 && rows[j].outcome_orig <= 2 ? rows[j].outcome_orig : 2]++;
            pc[rows[j].outcome_pruned >= 0 && rows[j].outcome_pruned <= 2 ? rows[j].outcome_pruned : 2]++;
            if (rows[j].outcome_orig != 2 && rows[j].outcome_pruned != 2) {
                ro += rows[j].rms_track_orig; /* only where neither loop was cut short */
                rp += rows[j].rms_track_pruned;
                nb++;
            }
            j++;
        }
        snprintf(co, sizeof co, "%lld/%lld/%lld", oc[0], oc[1], oc[2]);
        snprintf(cp, sizeof cp, "%lld/%lld/%lld", pc[0], pc[1], pc[2]);
        if (nb) {
            snprintf(sro, sizeof sro, "%.4g", ro / nb);
            snprintf(srp, sizeof srp, "%.4g", rp / nb);
        } else {
            snprintf(sro, sizeof sro, "-");
            snprintf(srp, sizeof srp, "-");
        }
        fprintf(out, " %-24s %5llu %11.4g %11.4g %9.4f %5lld %10s %10s %11s %11s\n",
                rows[i].label, (unsigned long long)(j - i), mb, ma, tt, viol, sro, srp, co, cp);
        i = j;
    }
    free(rows);
    return rc;
}
