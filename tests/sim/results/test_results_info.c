/* test_results_info.c: sim/results/results_info.c called directly.
 *
 *  - A results file written here with the HDF5 API, with /summary rows whose
 *    aggregates are worked out by hand (largest bound, largest deviation,
 *    largest tightness, summed violations, outcome counts, mean RMS over the
 *    rows where neither loop diverged): the printed table must show them.
 *  - A results file made by `prunebound run`: recognised, described, and its
 *    table agrees with /summary read back with HDF5 directly.
 *  - Refusals: a policy file and a plain HDF5 file are not results files; a
 *    results file of format_version 1 or without /summary gives PB_EFORMAT;
 *    a missing file is refused by `prunebound info` with PB_EIO's message and
 *    exit status. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"
#include "results_info.h"

#define OUT_MAX 16384

/* ---- Writing a results file by hand ---- */

static void attr_vstr(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
    H5Tset_size(t, H5T_VARIABLE);
    a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, &v);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void attr_fstr(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
    H5Tset_size(t, strlen(v) + 1);
    a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, v);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void attr_f64(hid_t obj, const char *name, double v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
    H5Sclose(sp);
}

/* A /summary row as this test writes it: every column of docs/RESULTS.md,
 * in another order and with strings of other lengths than prunebound's
 * writer uses; the columns results_info aggregates come first. */
typedef struct row {
    long long scenario;
    double rms_track_pruned, rms_track_orig;
    long long outcome_pruned, outcome_orig, violations;
    double tightness, max_dev_bound, max_dev_actual;
    char label[40];
    /* not aggregated by results_info: zero */
    char method[20], pattern[20], scenario_name[20];
    double sparsity, max_traj_dev, tail_err_orig, tail_err_pruned;
    long long attained, still_orig, still_pruned, div_orig, div_pruned;
} row;

/* label, actual, bound, tightness, violations, outcome orig, pruned, rms orig, pruned */
#define R(l, a, b, t, v, oo, op, ro, rp)                                                           \
    {                                                                                              \
        .scenario = 0, .rms_track_pruned = rp, .rms_track_orig = ro, .outcome_pruned = op,        \
        .outcome_orig = oo, .violations = v, .tightness = t, .max_dev_bound = b,                   \
        .max_dev_actual = a, .label = l                                                            \
    }
static const row rows[] = {
    R("magnitude_s0.50", 0.1, 0.5, 0.2, 0, 0, 0, 0.01, 0.02),
    R("magnitude_s0.50", 0.3, 0.4, 0.75, 1, 0, 1, 0.03, 0.06),
    R("magnitude_s0.50", 0.2, 0.9, 0.25, 2, 0, 2, 0.5, 9.0), /* pruned diverged: no RMS */
    R("obd_s0.50", 0.05, 0.1, 0.5, 0, 1, 0, 0.2, 0.4),
    R("sparsegpt_2:4", 1.0, 2.0, 0.5, 0, 2, 2, 1.0, 1.0), /* both diverged: RMS "-" */
};
#undef R

/* The aggregates of rows[], worked out by hand. */
static const struct {
    const char *label;
    unsigned long long runs;
    double bound, actual, tight;
    long long viol;
    const char *rms_o, *rms_p, *oc, *pc;
} expect[] = {
    {"magnitude_s0.50", 3, 0.9, 0.3, 0.75, 3, "0.02", "0.04", "3/0/0", "1/1/1"},
    {"obd_s0.50", 1, 0.1, 0.05, 0.5, 0, "0.2", "0.4", "0/1/0", "1/0/0"},
    {"sparsegpt_2:4", 1, 2.0, 1.0, 0.5, 0, "-", "-", "0/0/1", "0/0/1"},
};

/* format_version < 0: no attribute; with_summary 0: no /summary. */
static int write_results(const char *path, double format_version, int with_summary)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), g;

    if (f < 0)
        return -1;
    attr_vstr(f, "format", "prunebound-results");
    if (format_version >= 0)
        attr_f64(f, "format_version", format_version);
    attr_fstr(f, "tool_version", "9.8.7");
    attr_vstr(f, "created", "2026-01-02T03:04:05Z");
    attr_fstr(f, "config_file", "configs/hand.cfg");
    attr_f64(f, "criterion_tol", 0.05);
    attr_f64(f, "criterion_tail", 0.25);
    attr_f64(f, "criterion_radius", 20.0);
    attr_f64(f, "horizon", 3.0);
    g = H5Gcreate2(f, "/plant", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    attr_vstr(g, "name", "pendulum");
    attr_fstr(g, "integrator", "rk8pd");
    attr_f64(g, "period", 0.05);
    attr_f64(g, "horizon", 3.0);
    H5Gclose(g);
    if (with_summary) {
        hsize_t n = sizeof rows / sizeof *rows;
        hid_t st = H5Tcopy(H5T_C_S1), t = H5Tcreate(H5T_COMPOUND, sizeof(row));
        hid_t sp = H5Screate_simple(1, &n, NULL), ds;
        hid_t st20 = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, sizeof rows[0].label);
        H5Tset_size(st20, 20);
        H5Tinsert(t, "scenario", offsetof(row, scenario), H5T_NATIVE_LLONG);
        H5Tinsert(t, "rms_track_pruned", offsetof(row, rms_track_pruned), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "rms_track_orig", offsetof(row, rms_track_orig), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "outcome_pruned", offsetof(row, outcome_pruned), H5T_NATIVE_LLONG);
        H5Tinsert(t, "outcome_orig", offsetof(row, outcome_orig), H5T_NATIVE_LLONG);
        H5Tinsert(t, "violations", offsetof(row, violations), H5T_NATIVE_LLONG);
        H5Tinsert(t, "tightness", offsetof(row, tightness), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "max_dev_bound", offsetof(row, max_dev_bound), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "max_dev_actual", offsetof(row, max_dev_actual), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "label", offsetof(row, label), st);
        H5Tinsert(t, "method", offsetof(row, method), st20);
        H5Tinsert(t, "pattern", offsetof(row, pattern), st20);
        H5Tinsert(t, "scenario_name", offsetof(row, scenario_name), st20);
        H5Tinsert(t, "sparsity", offsetof(row, sparsity), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "max_traj_dev", offsetof(row, max_traj_dev), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "tail_err_orig", offsetof(row, tail_err_orig), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "tail_err_pruned", offsetof(row, tail_err_pruned), H5T_NATIVE_DOUBLE);
        H5Tinsert(t, "attained_to_rounding", offsetof(row, attained), H5T_NATIVE_LLONG);
        H5Tinsert(t, "still_converging_orig", offsetof(row, still_orig), H5T_NATIVE_LLONG);
        H5Tinsert(t, "still_converging_pruned", offsetof(row, still_pruned), H5T_NATIVE_LLONG);
        H5Tinsert(t, "diverged_step_orig", offsetof(row, div_orig), H5T_NATIVE_LLONG);
        H5Tinsert(t, "diverged_step_pruned", offsetof(row, div_pruned), H5T_NATIVE_LLONG);
        ds = H5Dcreate2(f, "/summary", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows);
        H5Dclose(ds);
        H5Sclose(sp);
        H5Tclose(t);
        H5Tclose(st);
        H5Tclose(st20);
    }
    return H5Fclose(f) < 0 ? -1 : 0;
}

/* Runs results_info_describe on path; returns its code, output in out. */
static int describe(const char *path, char *out, size_t len, pb_error *err)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    FILE *m;
    int rc;

    out[0] = '\0';
    if (f < 0)
        return -100;
    m = fmemopen(out, len, "w");
    if (!m) {
        H5Fclose(f);
        return -101;
    }
    CU_ASSERT(results_info_is_kind(f));
    rc = results_info_describe(path, f, m, err);
    fclose(m);
    H5Fclose(f);
    return rc;
}

/* The table line of label in out, parsed; 0 when found. */
typedef struct line {
    unsigned long long runs;
    double bound, actual, tight;
    long long viol;
    char rms_o[32], rms_p[32], oc[32], pc[32];
} line;

static int table_line(const char *out, const char *label, line *l)
{
    char want[80];
    const char *p;
    snprintf(want, sizeof want, "\n %s ", label);
    p = strstr(out, want);
    if (!p)
        return -1;
    return sscanf(p + strlen(want), "%llu %lg %lg %lg %lld %31s %31s %31s %31s", &l->runs,
                  &l->bound, &l->actual, &l->tight, &l->viol, l->rms_o, l->rms_p, l->oc, l->pc) == 9
               ? 0
               : -1;
}

static void test_hand_written(void)
{
    const char *path = pb_test_path("hand.h5");
    char out[OUT_MAX];
    pb_error err = {0};
    size_t n_lines = 0;

    CU_ASSERT_EQUAL_FATAL(write_results(path, 2, 1), 0);
    CU_ASSERT_EQUAL_FATAL(describe(path, out, sizeof out, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "prunebound results (prunebound 9.8.7, "
                                       "2026-01-02T03:04:05Z, config configs/hand.cfg)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, " plant pendulum, period 0.05 s, horizon 3 s, "
                                       "integrator rk8pd\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "<= 0.05 over the last 25% of the 3 s horizon"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, " or ||x - r|| > 20\n"));
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        line l;
        int rc = table_line(out, expect[i].label, &l);
        if (rc)
            fprintf(stderr, "\nno line for %s in:\n%s", expect[i].label, out);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(l.runs, expect[i].runs);
        PB_ASSERT_CLOSE(l.bound, expect[i].bound, 5e-4, 0);
        PB_ASSERT_CLOSE(l.actual, expect[i].actual, 5e-4, 0);
        PB_ASSERT_CLOSE(l.tight, expect[i].tight, 0, 5e-5);
        CU_ASSERT_EQUAL(l.viol, expect[i].viol);
        CU_ASSERT_STRING_EQUAL(l.rms_o, expect[i].rms_o);
        CU_ASSERT_STRING_EQUAL(l.rms_p, expect[i].rms_p);
        CU_ASSERT_STRING_EQUAL(l.oc, expect[i].oc);
        CU_ASSERT_STRING_EQUAL(l.pc, expect[i].pc);
    }
    /* one line per variant: header lines (3) + column names + variants */
    for (const char *p = out; (p = strchr(p, '\n')); p++)
        n_lines++;
    CU_ASSERT_EQUAL(n_lines, 4 + sizeof expect / sizeof *expect);
}

static void test_refusals(void)
{
    const char *old = pb_test_path("old.h5"), *bare = pb_test_path("bare.h5");
    const char *nosum = pb_test_path("nosum.h5"), *pol = pb_test_path("policy.h5");
    char out[OUT_MAX];
    pb_error err = {0};
    hid_t f;

    /* format_version 1, and none at all: an older prunebound */
    CU_ASSERT_EQUAL_FATAL(write_results(old, 1, 1), 0);
    CU_ASSERT_EQUAL(describe(old, out, sizeof out, &err), PB_EFORMAT);
    CU_ASSERT_EQUAL(err.code, PB_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, old));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "older prunebound"));
    CU_ASSERT_EQUAL_FATAL(write_results(old, -1, 1), 0);
    CU_ASSERT_EQUAL(describe(old, out, sizeof out, &err), PB_EFORMAT);
    /* no /summary */
    CU_ASSERT_EQUAL_FATAL(write_results(nosum, 2, 0), 0);
    CU_ASSERT_EQUAL(describe(nosum, out, sizeof out, &err), PB_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/summary is missing"));

    /* a plain HDF5 file and a policy file are not results files */
    f = H5Fcreate(bare, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    CU_ASSERT_FALSE(results_info_is_kind(f));
    attr_vstr(f, "format", "prunebound-results-but-not"); /* must match exactly */
    CU_ASSERT_FALSE(results_info_is_kind(f));
    H5Fclose(f);
    {
        size_t sizes[3] = {2, 4, 1};
        mlp_act acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
        mlp *m = mlp_alloc(2, sizes, acts, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, pol, NULL), 0);
        mlp_free(m);
    }
    f = H5Fopen(pol, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    CU_ASSERT_FALSE(results_info_is_kind(f));
    H5Fclose(f);

    /* a missing file: `prunebound info` (cmd_info.c opens the file) gives
     * PB_EIO's message and exit status */
    {
        char args[1400];
        int rc;
        snprintf(args, sizeof args, "info '%s'", pb_test_path("missing.h5"));
        rc = pb_test_run(NULL, args, out, sizeof out);
        CU_ASSERT_EQUAL(rc, pb_exit_code(PB_EIO));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing.h5: cannot open"));
    }
}

/* ---- A results file of `prunebound run` ---- */

typedef struct srow {
    char label[64];
    double max_dev_bound, max_dev_actual;
    long long violations;
} srow;

static void test_run_file(void)
{
    const char *cfg = pb_test_path("run.cfg"), *res = pb_test_path("run.h5");
    char out[OUT_MAX], args[3000];
    pb_error err = {0};
    hsize_t n = 0;
    srow *s;
    hid_t f, ds, sp, mt, st;

    {
        size_t sizes[4] = {2, 8, 8, 1};
        mlp_act acts[3] = {MLP_ACT_TANH, MLP_ACT_TANH, MLP_ACT_LINEAR};
        mlp *m = mlp_alloc(3, sizes, acts, NULL);
        unsigned u = 777;
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        for (size_t j = 0; j < 3; j++)
            for (size_t i = 0; i < m->layers[j].n_in * m->layers[j].n_out; i++) {
                u = u * 1103515245u + 12345u;
                m->layers[j].W[i] = ((double)(u >> 16 & 0x7fff) / 32767.0 - 0.5) * 0.6;
            }
        CU_ASSERT_EQUAL_FATAL(mlp_write_h5(m, pb_test_path("pol.h5"), NULL), 0);
        mlp_free(m);
    }
    {
        FILE *c = fopen(cfg, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        fputs("plant = { name = \"pendulum\"; };\n"
              "simulation = { period = 0.05; horizon = 1.0; };\n"
              "policy = { file = \"pol.h5\"; };\n"
              "pruning = ( { method = \"magnitude\"; sparsity = [0.0, 0.5]; } );\n"
              "scenarios = ( { x0 = [0.3, 0.0]; }, { x0 = [-0.2, 0.1]; }, { x0 = [0.0, 0.4]; } );\n"
              "output = { traces = false; };\n",
              c);
        fclose(c);
    }
    snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, res);
    if (pb_test_run(NULL, args, out, sizeof out) != 0) {
        fprintf(stderr, "\n%s", out);
        CU_FAIL_FATAL("prunebound run failed");
    }
    CU_ASSERT_EQUAL_FATAL(describe(res, out, sizeof out, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "plant pendulum, period 0.05 s, horizon 1 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, cfg));

    /* /summary read back here, aggregated per label and compared with the table */
    f = H5Fopen(res, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    ds = H5Dopen2(f, "/summary", H5P_DEFAULT);
    CU_ASSERT_FATAL(ds >= 0);
    sp = H5Dget_space(ds);
    H5Sget_simple_extent_dims(sp, &n, NULL);
    CU_ASSERT_EQUAL(n, 6); /* 2 variants x 3 scenarios */
    s = calloc(n, sizeof *s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    mt = H5Tcreate(H5T_COMPOUND, sizeof(srow));
    st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, sizeof s->label);
    H5Tinsert(mt, "label", offsetof(srow, label), st);
    H5Tinsert(mt, "max_dev_bound", offsetof(srow, max_dev_bound), H5T_NATIVE_DOUBLE);
    H5Tinsert(mt, "max_dev_actual", offsetof(srow, max_dev_actual), H5T_NATIVE_DOUBLE);
    H5Tinsert(mt, "violations", offsetof(srow, violations), H5T_NATIVE_LLONG);
    CU_ASSERT(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0);
    for (const char *const *lab = (const char *const[]){"magnitude_s0.00", "magnitude_s0.50", NULL};
         *lab; lab++) {
        double mb = 0, ma = 0;
        long long v = 0;
        unsigned long long k = 0;
        line l;
        for (hsize_t i = 0; i < n; i++)
            if (strcmp(s[i].label, *lab) == 0) {
                mb = fmax(mb, s[i].max_dev_bound);
                ma = fmax(ma, s[i].max_dev_actual);
                v += s[i].violations;
                k++;
            }
        CU_ASSERT_EQUAL(k, 3);
        CU_ASSERT_EQUAL_FATAL(table_line(out, *lab, &l), 0);
        CU_ASSERT_EQUAL(l.runs, k);
        PB_ASSERT_CLOSE(l.bound, mb, 5e-4, 0);
        PB_ASSERT_CLOSE(l.actual, ma, 5e-4, 0);
        CU_ASSERT_EQUAL(l.viol, v);
        if (strcmp(*lab, "magnitude_s0.00") == 0) { /* the unpruned twin: zero, zero */
            CU_ASSERT_EQUAL(l.bound, 0.0);
            CU_ASSERT_EQUAL(l.actual, 0.0);
        }
    }
    free(s);
    H5Tclose(st);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(f);
}

static const pb_test_case results_info_tests[] = {
    {"hand-written file: aggregates worked out by hand", test_hand_written},
    {"refusals: old format, no /summary, not results, missing", test_refusals},
    {"file of prunebound run agrees with its /summary", test_run_file},
    {NULL, NULL},
};

const pb_test_suite pb_test_suites[] = {
    {"results_info", results_info_tests},
    {NULL, NULL},
};
