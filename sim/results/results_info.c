/* results_info.c: `prunebound info` on a results file of `prunebound run`. */
#include "results_info.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A string attribute of obj (fixed or variable length) into buf, or "". */
static void attr_str(hid_t obj, const char *name, char *buf, size_t len)
{
    hid_t a, t, mt;

    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0 || (a = H5Aopen(obj, name, H5P_DEFAULT)) < 0)
        return;
    t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *s = NULL;
            mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(buf, len, "%s", s);
                H5free_memory(s);
            }
            H5Tclose(mt);
        } else {
            mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, len);
            H5Tset_strpad(mt, H5T_STR_NULLTERM);
            if (H5Aread(a, mt, buf) < 0)
                buf[0] = '\0';
            H5Tclose(mt);
        }
    }
    H5Tclose(t);
    H5Aclose(a);
}

static double attr_f64(hid_t obj, const char *name)
{
    double v = NAN;
    hid_t a;
    if (H5Aexists(obj, name) > 0 && (a = H5Aopen(obj, name, H5P_DEFAULT)) >= 0) {
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0)
            v = NAN;
        H5Aclose(a);
    }
    return v;
}

int results_info_is_kind(hid_t f)
{
    char fmt[64];
    attr_str(f, "format", fmt, sizeof fmt);
    return strcmp(fmt, "prunebound-results") == 0;
}

/* The /summary fields this command reads (a subset, matched by name). */
typedef struct info_row {
    char label[64];
    double max_dev_actual, max_dev_bound, tightness;
    long long violations, outcome_orig, outcome_pruned; /* sim_outcome */
    double rms_orig, rms_pruned;
} info_row;

int results_info_describe(const char *path, hid_t f, FILE *out, pb_error *err)
{
    char s1[256], s2[256], s3[1024];
    hid_t plant, ds, sp, mt, st;
    hsize_t n = 0;
    info_row *rows;
    int rc = PB_SUCCESS;

    attr_str(f, "tool_version", s1, sizeof s1);
    attr_str(f, "created", s2, sizeof s2);
    attr_str(f, "config_file", s3, sizeof s3);
    fprintf(out, "%s: prunebound results (prunebound %s, %s, config %s)\n", path, s1, s2, s3);
    plant = H5Gopen2(f, "/plant", H5P_DEFAULT);
    if (plant >= 0) {
        attr_str(plant, "name", s1, sizeof s1);
        attr_str(plant, "integrator", s2, sizeof s2);
        fprintf(out, " plant %s, period %g s, horizon %g s, integrator %s\n", s1,
                attr_f64(plant, "period"), attr_f64(plant, "horizon"), s2);
        H5Gclose(plant);
    }
    if (!(attr_f64(f, "format_version") >= 2))
        return pb_error_set(err, PB_EFORMAT,
                            "%s: written by an older prunebound (format_version %g; this one "
                            "reads 2, whose outcomes follow the top-level criterion): run the "
                            "config again",
                            path, attr_f64(f, "format_version"));
    ds = H5Dopen2(f, "/summary", H5P_DEFAULT);
    if (ds < 0)
        return pb_error_set(err, PB_EFORMAT, "%s: no /summary table", path);
    sp = H5Dget_space(ds);
    H5Sget_simple_extent_dims(sp, &n, NULL);
    rows = calloc(n + 1, sizeof *rows);
    mt = H5Tcreate(H5T_COMPOUND, sizeof(info_row));
    st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, sizeof rows->label);
    H5Tinsert(mt, "label", offsetof(info_row, label), st);
    H5Tinsert(mt, "max_dev_actual", offsetof(info_row, max_dev_actual), H5T_NATIVE_DOUBLE);
    H5Tinsert(mt, "max_dev_bound", offsetof(info_row, max_dev_bound), H5T_NATIVE_DOUBLE);
    H5Tinsert(mt, "tightness", offsetof(info_row, tightness), H5T_NATIVE_DOUBLE);
    H5Tinsert(mt, "violations", offsetof(info_row, violations), H5T_NATIVE_LLONG);
    H5Tinsert(mt, "outcome_orig", offsetof(info_row, outcome_orig), H5T_NATIVE_LLONG);
    H5Tinsert(mt, "outcome_pruned", offsetof(info_row, outcome_pruned), H5T_NATIVE_LLONG);
    H5Tinsert(mt, "rms_track_orig", offsetof(info_row, rms_orig), H5T_NATIVE_DOUBLE);
    H5Tinsert(mt, "rms_track_pruned", offsetof(info_row, rms_pruned), H5T_NATIVE_DOUBLE);
    if (!rows || (n && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0)) {
        rc = pb_error_set(err, PB_EFORMAT, "%s: cannot read /summary", path);
        goto close;
    }
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
    for (hsize_t i = 0; i < n;) {
        hsize_t j = i;
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
                ro += rows[j].rms_orig; /* only where neither loop was cut short */
                rp += rows[j].rms_pruned;
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
close:
    free(rows);
    H5Tclose(st);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Dclose(ds);
    return rc;
}
