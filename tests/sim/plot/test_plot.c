/* test_plot.c: `prunebound plot` through the built binary on results of the
 * shipped pendulum and quadrotor configs (short horizons) and of a small
 * Monte Carlo grid: every expected figure is a valid PNG, SVG or PDF of a
 * sensible size, the .dat files hold the HDF5 numbers (read back with h5py
 * as the oracle), rerun.sh redraws, and the refusals (missing dataset, no
 * gnuplot, bad usage) exit 2 with a message naming what is wrong. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include "pb_test.h"
#include "plot_plan.h"
#include "prune.h"

/* Runs "prunebound ARGS" (stderr merged into the captured output) with an
 * optional environment prefix ("PATH=/x"); returns the exit status or -1. */
static int run_env(const char *env, const char *args, char *out, size_t len)
{
    return pb_test_run(env, args, out, len);
}

static int run(const char *args, char *out, size_t len)
{
    return run_env(NULL, args, out, len);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The whole file into a new buffer (NUL-terminated), *n its size. */
static unsigned char *slurp(const char *path, long *n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *b = NULL;

    *n = -1;
    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (*n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)*n + 1)) != NULL) {
        if (fread(b, 1, (size_t)*n, fp) != (size_t)*n) {
            free(b);
            b = NULL;
        } else
            b[*n] = '\0';
    }
    fclose(fp);
    return b;
}

static unsigned long be32(const unsigned char *p)
{
    return ((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) | ((unsigned long)p[2] << 8) |
           p[3];
}

/* A PNG: signature, IHDR first with plausible dimensions, IEND last, > 3 KB. */
static void assert_png(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    long n;
    unsigned char *b = slurp(path, &n);

    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    if (n < 3000 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        fprintf(stderr, "\n%s: not a PNG of sensible size (%ld bytes)\n", path, n);
    CU_ASSERT(n > 3000);
    CU_ASSERT(memcmp(b, sig, 8) == 0);
    CU_ASSERT(memcmp(b + 12, "IHDR", 4) == 0);
    CU_ASSERT(be32(b + 16) >= 400 && be32(b + 16) <= 4000);
    CU_ASSERT(be32(b + 20) >= 300 && be32(b + 20) <= 4000);
    CU_ASSERT(n >= 20 && memcmp(b + n - 8, "IEND", 4) == 0);
    free(b);
}

/* An SVG: starts with <?xml or <svg, ends with </svg>, > 3 KB; XML-parsed by
 * Python's ElementTree when Python is available. */
static void assert_svg(const char *path)
{
    long n;
    char *b = (char *)slurp(path, &n);

    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT(n > 3000);
    CU_ASSERT(strncmp(b, "<?xml", 5) == 0 || strncmp(b, "<svg", 4) == 0);
    while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == ' ' || b[n - 1] == '\r'))
        n--;
    CU_ASSERT(n >= 6 && strncmp(b + n - 6, "</svg>", 6) == 0);
    free(b);
    if (pb_test_have_python()) {
        char args[4200];
        snprintf(args, sizeof args, "'%s'", path);
        CU_ASSERT_EQUAL(pb_test_python("import sys, xml.etree.ElementTree as E\n"
                                       "r = E.parse(sys.argv[1]).getroot()\n"
                                       "assert r.tag.endswith('svg'), r.tag\n",
                                       args, NULL, 0),
                        0);
    }
}

/* A PDF: %PDF- header and %%EOF in its last bytes, > 3 KB. */
static void assert_pdf(const char *path)
{
    long n;
    char *b = (char *)slurp(path, &n);

    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT(n > 3000);
    CU_ASSERT(strncmp(b, "%PDF-", 5) == 0);
    int eof = 0;
    for (long i = n > 32 ? n - 32 : 0; i + 5 <= n; i++)
        eof |= memcmp(b + i, "%%EOF", 5) == 0;
    CU_ASSERT(eof);
    free(b);
}

/* The pendulum results (horizon 1 s), made once per process. */
static const char *pendulum_h5(void)
{
    static char path[1024];
    char args[8192], out[8192];

    if (path[0])
        return path;
    snprintf(path, sizeof path, "%s", pb_test_path("pendulum.h5"));
    snprintf(args, sizeof args,
             "run '%s/configs/pendulum.cfg' -o '%s' --set simulation.horizon=1.0 "
             "--set bounds.tube=false",
             PB_SOURCE_DIR, path);
    if (run(args, out, sizeof out) != 0) {
        fprintf(stderr, "\nprunebound run failed:\n%s\n", out);
        path[0] = '\0';
    }
    return path;
}

/* The figures of a pendulum results file: 4 scenarios. */
static const char *const pendulum_figures[] = {
    "sparsity",   "tightness",  "deviation_0", "deviation_1", "deviation_2", "deviation_3",
    "tracking_0", "tracking_1", "tracking_2",  "tracking_3",  NULL};

/* `prunebound plot` of pendulum_h5() as PNG, made once per process; its
 * folder, or "" when the command failed (output in out). */
static const char *pendulum_png(char *out, size_t len)
{
    static char dir[1024];
    char args[8192];

    if (dir[0] || !pendulum_h5()[0])
        return dir;
    snprintf(dir, sizeof dir, "%s", pb_test_path("pend_png"));
    snprintf(args, sizeof args, "plot '%s' -o '%s'", pendulum_h5(), dir);
    if (run(args, out, len) != 0) {
        fprintf(stderr, "\nprunebound plot failed:\n%s\n", out);
        dir[0] = '\0';
    }
    return dir;
}

static void test_pendulum_png(void)
{
    char out[16384] = "", f[4200];
    const char *dir = pendulum_png(out, sizeof out);

    CU_ASSERT_FATAL(dir[0] != '\0');
    if (out[0])
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "10 figures (png)"));
    for (size_t i = 0; pendulum_figures[i]; i++) {
        snprintf(f, sizeof f, "%s/%s.png", dir, pendulum_figures[i]);
        assert_png(f);
    }
    /* no plane: no path figure; the data and rerun.sh are there */
    snprintf(f, sizeof f, "%s/path_0.png", dir);
    CU_ASSERT_EQUAL(file_size(f), -1);
    static const char *const data[] = {"rerun.sh",
                                       "summary.dat",
                                       "sparsity.dat",
                                       "tightness.dat",
                                       "run_magnitude_s0.00_0.dat",
                                       "run_sparsegpt_2-4_3.dat",
                                       NULL};
    for (size_t i = 0; data[i]; i++) {
        snprintf(f, sizeof f, "%s/%s", dir, data[i]);
        CU_ASSERT(file_size(f) > 100);
    }
}

static void test_pendulum_svg_pdf(void)
{
    const char *h5 = pendulum_h5();
    static const char *const fmts[] = {"svg", "pdf"};
    char args[8192], out[16384], f[4200];

    CU_ASSERT_FATAL(h5[0] != '\0');
    for (size_t k = 0; k < 2; k++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", pb_test_path(k ? "pend_pdf" : "pend_svg"));
        snprintf(args, sizeof args, "plot '%s' -o '%s' --format %s", h5, dir, fmts[k]);
        CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
        for (size_t i = 0; pendulum_figures[i]; i++) {
            snprintf(f, sizeof f, "%s/%s.%s", dir, pendulum_figures[i], fmts[k]);
            if (k)
                assert_pdf(f);
            else
                assert_svg(f);
        }
    }
}

/* rerun.sh, as a user would call it, redraws the figures in another format
 * (and in the default png). */
static void test_rerun(void)
{
    char args[8192], out[16384], f[4200];
    const char *dir = pendulum_png(out, sizeof out);

    CU_ASSERT_FATAL(dir[0] != '\0');
    snprintf(args, sizeof args, "sh '%s/rerun.sh' svg > /dev/null 2>&1", dir);
    CU_ASSERT_EQUAL(system(args), 0);
    snprintf(f, sizeof f, "%s/deviation_2.svg", dir);
    assert_svg(f);
    snprintf(f, sizeof f, "%s/sparsity.svg", dir);
    assert_svg(f);
    snprintf(args, sizeof args, "sh '%s/rerun.sh' jpeg > /dev/null 2>&1", dir);
    CU_ASSERT_NOT_EQUAL(system(args), 0);
}

/* The .dat files against the HDF5 datasets, read with h5py. */
static const char *check_run_dat =
    "import sys, h5py, numpy as np, re\n"
    "h5, d = sys.argv[1], sys.argv[2]\n"
    "def clean(s): return re.sub(r'[^A-Za-z0-9._-]', '-', s)\n"
    "def same(a, b, what):\n"
    "    a, b = np.asarray(a, float), np.asarray(b, float)\n"
    "    assert a.shape == b.shape, (what, a.shape, b.shape)\n"
    "    assert np.array_equal(a, b, equal_nan=True), what\n"
    "f = h5py.File(h5, 'r'); s = f['summary'][()]\n"
    "nx = int(f['plant'].attrs['nx']); checked = 0\n"
    "for r in s:\n"
    "    lab, i = r['label'].decode(), int(r['scenario'])\n"
    "    g = f['runs/%s/%d' % (lab, i)]\n"
    "    m = np.loadtxt('%s/run_%s_%d.dat' % (d, clean(lab), i), ndmin=2)\n"
    "    for j, k in enumerate(['t', 'dev_actual', 'dev_bound', 'dev_bound_closed',\n"
    "                           'track_err_orig', 'track_err_pruned', 'traj_dev']):\n"
    "        same(m[:, j], g[k][()], k)\n"
    "    same(m[:, 7:7 + nx], g['x_orig'][()], 'x_orig')\n"
    "    same(m[:, 7 + nx:7 + 2 * nx], g['x_pruned'][()], 'x_pruned')\n"
    "    same(m[:, 7 + 2 * nx:], g['ref'][()], 'ref')\n"
    "    checked += 1\n"
    "assert checked == len(s) and checked > 0\n"
    /* sparsity.dat: per method line (label without its _s token) and sparsity */
    "blocks = [np.loadtxt(b.splitlines(), ndmin=2) for b in\n"
    "          open(d + '/sparsity.dat').read().split('\\n\\n\\n')]\n"
    "keys = []\n"
    "for r in s:\n"
    "    k = re.sub(r'_s[0-9][0-9.]*', '', r['label'].decode(), count=1)\n"
    "    if k not in keys: keys.append(k)\n"
    "assert len(blocks) == len(keys), (len(blocks), keys)\n"
    "for k, b in zip(keys, blocks):\n"
    "    rows = s[[re.sub(r'_s[0-9][0-9.]*', '', x.decode(), count=1) == k for x in s['label']]]\n"
    "    sp = np.unique(rows['sparsity'])\n"
    "    same(b[:, 0], sp, 'sparsity ' + k)\n"
    "    for j, v in enumerate(sp):\n"
    "        q = rows[rows['sparsity'] == v]\n"
    "        ok = (q['outcome_orig'] != 2) & (q['outcome_pruned'] != 2)\n"
    "        ro, rp = q['rms_track_orig'][ok].mean(), q['rms_track_pruned'][ok].mean()\n"
    "        assert np.allclose(b[j, 1:7], [rp - ro, ro, rp, q['max_dev_actual'].max(),\n"
    "                           q['max_dev_bound'].max(), (q['outcome_pruned'] == 0).sum()],\n"
    "                           rtol=1e-12, atol=1e-15, equal_nan=True), (k, v, b[j])\n"
    "        assert b[j, 7] == len(q)\n"
    /* tightness.dat: every ceil(n/200)-th row with both deviations > 0 */
    "t = np.concatenate([np.loadtxt(x.splitlines(), ndmin=2) for x in\n"
    "    open(d + '/tightness.dat').read().split('\\n\\n\\n')])\n"
    "exp = []\n"
    "for k in keys:\n"
    "    for r in s:\n"
    "        if re.sub(r'_s[0-9][0-9.]*', '', r['label'].decode(), count=1) != k: continue\n"
    "        if not r['max_dev_bound'] > 0: continue\n"
    "        g = f['runs/%s/%d' % (r['label'].decode(), r['scenario'])]\n"
    "        n = len(g['t']); st = max(1, -(-n // 200))\n"
    "        for j in range(0, n, st):\n"
    "            a, b_, c = g['dev_actual'][j], g['dev_bound'][j], g['dev_bound_closed'][j]\n"
    "            if a > 0 and b_ > 0 and np.isfinite(b_) and np.isfinite(c):\n"
    "                exp.append([b_, c, a, g['t'][j], r['scenario']])\n"
    "same(t, np.array(exp), 'tightness rows')\n"
    "assert (t[:, :3] > 0).all()\n"
    "print(checked)\n";

static void test_dat_matches_h5(void)
{
    char args[8400], out[4096];
    const char *h5 = pendulum_h5(), *dir = pendulum_png(out, sizeof out);

    CU_ASSERT_FATAL(dir[0] != '\0');
    if (!pb_test_have_python()) {
        pb_test_skip("no python3 with numpy, h5py and scipy");
        return;
    }
    snprintf(args, sizeof args, "'%s' '%s'", h5, dir);
    CU_ASSERT_EQUAL(pb_test_python(check_run_dat, args, out, sizeof out), 0);
    CU_ASSERT_EQUAL(atoi(out), 44); /* 11 variants x 4 scenarios */
}

/* The quadrotor moves in a plane: a path figure per scenario, drawn from the
 * columns of pe (east) and pn (north). */
static void test_quadrotor_path(void)
{
    char h5[1024], dir[1024], args[8192], out[16384], f[4200];

    snprintf(h5, sizeof h5, "%s", pb_test_path("quad.h5"));
    snprintf(dir, sizeof dir, "%s", pb_test_path("quad_png"));
    snprintf(args, sizeof args,
             "run '%s/configs/quadrotor.cfg' -o '%s' --set simulation.horizon=4.0", PB_SOURCE_DIR,
             h5);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof f, "%s/path_%d.png", dir, i);
        assert_png(f);
    }
    /* the path figure reads columns 8 + j of x_orig: j = pe, pn of the state list */
    snprintf(f, sizeof f, "%s/rerun.sh", dir);
    long n;
    char *sh = (char *)slurp(f, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
    /* quadrotor states pn,pe,...: nx = 12, pe is 1 and pn is 0 */
    CU_ASSERT_PTR_NOT_NULL(strstr(sh, "cx=9; cy=8; px=21; py=20; rx=33; ry=32"));
    free(sh);
}

/* A results file that lacks a dataset or a table field: exit 2, a message
 * naming the file and what is missing. */
static void test_missing_dataset(void)
{
    const char *h5 = pendulum_h5();
    char bad[1024], dir[1024];
    static const struct {
        const char *del, *expect;
    } cases[] = {{"runs/magnitude_s0.50/1/dev_bound", "/runs/magnitude_s0.50/1/dev_bound"},
                 {"runs/obs_s0.75/3/x_pruned", "/runs/obs_s0.75/3/x_pruned"},
                 {"summary", "/summary"}};
    char args[8400], out[8192];

    snprintf(bad, sizeof bad, "%s", pb_test_path("bad.h5"));
    snprintf(dir, sizeof dir, "%s", pb_test_path("bad"));
    CU_ASSERT_FATAL(h5[0] != '\0');
    if (!pb_test_have_python()) {
        pb_test_skip("no python3 with numpy, h5py and scipy");
        return;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "'%s' '%s' '%s'", h5, bad, cases[i].del);
        CU_ASSERT_EQUAL_FATAL(pb_test_python("import sys, shutil, h5py\n"
                                             "shutil.copy(sys.argv[1], sys.argv[2])\n"
                                             "with h5py.File(sys.argv[2], 'r+') as f:\n"
                                             "    del f[sys.argv[3]]\n",
                                             args, NULL, 0),
                              0);
        snprintf(args, sizeof args, "plot '%s' -o '%s'", bad, dir);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, bad));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, cases[i].expect));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing"));
    }
    /* a table without a field the figures use */
    snprintf(args, sizeof args, "'%s' '%s'", h5, bad);
    CU_ASSERT_EQUAL_FATAL(pb_test_python("import sys, shutil, h5py, numpy as np\n"
                                         "import numpy.lib.recfunctions as rf\n"
                                         "shutil.copy(sys.argv[1], sys.argv[2])\n"
                                         "with h5py.File(sys.argv[2], 'r+') as f:\n"
                                         "    s = f['summary'][()]\n"
                                         "    del f['summary']\n"
                                         "    f['summary'] = rf.drop_fields(s, 'max_dev_bound')\n",
                                         args, NULL, 0),
                          0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", bad, dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "max_dev_bound"));
    /* not a results file; not a file at all */
    snprintf(args, sizeof args, "'%s'", bad);
    CU_ASSERT_EQUAL_FATAL(pb_test_python("import sys, h5py\n"
                                         "with h5py.File(sys.argv[1], 'w') as f:\n"
                                         "    f.attrs['format'] = 'something-else'\n",
                                         args, NULL, 0),
                          0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", bad, dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "not a prunebound results file"));
    snprintf(args, sizeof args, "plot '%s/none.h5' -o '%s'", pb_test_tmpdir(), dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "none.h5"));
}

/* Without gnuplot on PATH: exit 2, a clear message, no figure. */
static void test_no_gnuplot(void)
{
    const char *h5 = pendulum_h5();
    char empty[1024], dir[1024], env[4200], args[8192], out[8192], f[4200];

    snprintf(empty, sizeof empty, "%s", pb_test_path("empty_bin"));
    snprintf(dir, sizeof dir, "%s", pb_test_path("nognuplot"));
    CU_ASSERT_FATAL(h5[0] != '\0');
    mkdir(empty, 0777);
    snprintf(env, sizeof env, "PATH='%s'", empty);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    CU_ASSERT_EQUAL(run_env(env, args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "gnuplot not found on PATH"));
    snprintf(f, sizeof f, "%s/sparsity.png", dir);
    CU_ASSERT_EQUAL(file_size(f), -1);
}

static void test_usage(void)
{
    char out[8192];

    CU_ASSERT_EQUAL(run("plot", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no results file"));
    CU_ASSERT_EQUAL(run("plot x.h5 --format jpeg", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "jpeg"));
    CU_ASSERT_EQUAL(run("plot x.h5 -o", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("plot x.h5 y.h5", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("plot x.h5 --bogus", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("plot x.h5 --scripts /nonexistent", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no gnuplot scripts"));
    CU_ASSERT_EQUAL(run("plot --help", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: prunebound plot RESULT.h5"));
}

/* Monte Carlo: a 7 x 5 grid of the shipped region-of-attraction study; the
 * stability and map data against /aggregates, /summary and /samples/x0. */
static const char *check_mc_dat =
    "import sys, h5py, numpy as np\n"
    "f = h5py.File(sys.argv[1], 'r'); d = sys.argv[2]\n"
    "v, a, s = f['variants'][()], f['aggregates'][()], f['summary'][()]\n"
    "x0 = f['samples/x0'][()]\n"
    "b = np.loadtxt(d + '/stability.dat', ndmin=2)\n"
    "order = np.argsort(v['sparsity'], kind='stable')\n"
    "for row, k in zip(b, order):\n"
    "    g = a[a['label'] == v['label'][k]][0]\n"
    "    exp = [v['sparsity'][k], g['rate_pruned'], g['rate_pruned_lo'], g['rate_pruned_hi'],\n"
    "           g['rate_orig'], g['rate_orig_lo'], g['rate_orig_hi'], g['n']]\n"
    "    assert np.array_equal(row, np.array(exp, float)), (row, exp)\n"
    "assert len(b) == len(v)\n"
    "m = np.loadtxt(d + '/roa.dat', ndmin=2)\n"
    "assert len(m) == len(x0)\n"
    "for row in m:\n"
    "    i = np.where((x0[:, 0] == row[0]) & (x0[:, 1] == row[1]))[0]\n"
    "    assert len(i) == 1\n"
    "    q = s[s['sample'] == i[0]]\n"
    "    cell = lambda o, c: {0: 0, 1: 1 if c else 2, 2: 3}[int(o)]\n"
    "    assert row[2] == cell(q['outcome_orig'][0], q['still_converging_orig'][0])\n"
    "    for r in q:\n"
    "        assert row[3 + r['variant']] == cell(r['outcome_pruned'], "
    "r['still_converging_pruned'])\n"
    "assert (np.diff(m[:, 0]) >= 0).all()\n"
    "print(len(m))\n";

static void test_montecarlo(void)
{
    char h5[1024], dir[1024], args[8192], out[16384], f[4200];

    snprintf(h5, sizeof h5, "%s", pb_test_path("roa.h5"));
    snprintf(dir, sizeof dir, "%s", pb_test_path("roa_plots"));
    snprintf(args, sizeof args,
             "montecarlo '%s/configs/montecarlo/pendulum_roa.cfg' -o '%s' --threads 2 "
             "--set montecarlo.sampler.points=[7,5] --set montecarlo.chunk=10",
             PB_SOURCE_DIR, h5);
    if (run(args, out, sizeof out) != 0)
        fprintf(stderr, "\nprunebound montecarlo failed:\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(file_size(h5) > 0, 1);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(f, sizeof f, "%s/stability.png", dir);
    assert_png(f);
    snprintf(f, sizeof f, "%s/roa.png", dir);
    assert_png(f);
    /* --variants: the maps of the selected ones (the original's, then theirs) */
    {
        char sel[1100];
        snprintf(sel, sizeof sel, "%s", pb_test_path("roa_sel"));
        snprintf(args, sizeof args, "plot '%s' -o '%s' --variants magnitude_s0.90", h5, sel);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
        snprintf(args, sizeof args, "awk '!/^#/ && NF { print NF }' '%s/roa.dat' | sort -u", sel);
        FILE *p = popen(args, "r");
        int nf = -1;
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL(fscanf(p, "%d", &nf), 1);
        pclose(p);
        CU_ASSERT_EQUAL(nf, 4); /* two coordinates, the original, one variant */
        snprintf(args, sizeof args, "plot '%s' -o '%s' --variants bogus", h5, sel);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "magnitude_s0.90"));
        snprintf(args, sizeof args, "plot '%s' -o '%s' --scenarios 0", h5, sel);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "not scenarios"));
    }
    if (pb_test_have_python()) {
        snprintf(args, sizeof args, "'%s' '%s'", h5, dir);
        CU_ASSERT_EQUAL(pb_test_python(check_mc_dat, args, out, sizeof out), 0);
        CU_ASSERT_EQUAL(atoi(out), 35);
        /* without /aggregates (an unfinished study) or /samples/x0: exit 2, named */
        static const char *const dels[] = {"aggregates", "samples/x0"};
        for (size_t i = 0; i < 2; i++) {
            char bad[1024];
            snprintf(bad, sizeof bad, "%s", pb_test_path("badmc.h5"));
            snprintf(args, sizeof args, "'%s' '%s' '%s'", h5, bad, dels[i]);
            CU_ASSERT_EQUAL_FATAL(pb_test_python("import sys, shutil, h5py\n"
                                                 "shutil.copy(sys.argv[1], sys.argv[2])\n"
                                                 "with h5py.File(sys.argv[2], 'r+') as f:\n"
                                                 "    del f[sys.argv[3]]\n",
                                                 args, NULL, 0),
                                  0);
            snprintf(args, sizeof args, "plot '%s' -o '%s'", bad, dir);
            CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
            CU_ASSERT_PTR_NOT_NULL(strstr(out, bad));
            CU_ASSERT_PTR_NOT_NULL(strstr(out, dels[i]));
        }
    }
}

/* The library calls the command is made of. */
static void test_library(void)
{
    char dir[256], path[4096];
    plot_format fmt = PLOT_PNG;
    pb_error err;
    const char *old = getenv("PATH");
    char saved[8192];

    plot_default_dir("/a/b/pendulum.h5", dir, sizeof dir);
    CU_ASSERT_STRING_EQUAL(dir, "results/pendulum-plots");
    plot_default_dir("run", dir, sizeof dir);
    CU_ASSERT_STRING_EQUAL(dir, "results/run-plots");
    CU_ASSERT_EQUAL(plot_format_parse("pdf", &fmt, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(fmt, PLOT_PDF);
    CU_ASSERT_STRING_EQUAL(plot_format_terminal(fmt), "pdfcairo");
    CU_ASSERT_STRING_EQUAL(plot_format_ext(PLOT_SVG), "svg");
    CU_ASSERT_EQUAL(plot_format_parse("PNG", &fmt, &err), PB_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "PNG"));
    /* gnuplot found on the PATH this test runs with, not on an empty one */
    snprintf(saved, sizeof saved, "%s", old ? old : "");
    CU_ASSERT_EQUAL(plot_gnuplot_find(path, sizeof path, &err), PB_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(path, "gnuplot"));
    setenv("PATH", "/nonexistent-dir", 1);
    CU_ASSERT_EQUAL(plot_gnuplot_find(path, sizeof path, &err), PB_EUNSUPPORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "gnuplot not found"));
    setenv("PATH", saved, 1);
    /* mkdir -p, and a file in the way */
    snprintf(dir, sizeof dir, "%s/x/y/z", pb_test_tmpdir());
    CU_ASSERT_EQUAL(plot_dir_make(dir, &err), PB_SUCCESS);
    CU_ASSERT_EQUAL(plot_dir_make(dir, &err), PB_SUCCESS);
    snprintf(path, sizeof path, "%s/afile", pb_test_tmpdir());
    FILE *fp = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fclose(fp);
    CU_ASSERT_EQUAL(plot_dir_make(path, &err), PB_EIO);
}

/* Without -o the figures go to results/<name>-plots under the working folder. */
static void test_default_dir(void)
{
    const char *h5 = pendulum_h5();
    char cwd[1024], env[1200], args[4096], out[16384], f[2048];

    CU_ASSERT_FATAL(h5[0] != '\0');
    snprintf(cwd, sizeof cwd, "%s", pb_test_path("cwd"));
    mkdir(cwd, 0777);
    snprintf(env, sizeof env, "cd '%s' &&", cwd);
    snprintf(args, sizeof args, "plot '%s' --format svg", h5);
    CU_ASSERT_EQUAL_FATAL(run_env(env, args, out, sizeof out), 0);
    snprintf(f, sizeof f, "%s/results/pendulum-plots/tightness.svg", cwd);
    assert_svg(f);
}

/* A run without traces (output.traces = false): the sparsity figure only,
 * and a note saying why. */
static void test_no_traces(void)
{
    char h5[1024], dir[1024], args[4096], out[16384], f[2048];

    snprintf(h5, sizeof h5, "%s", pb_test_path("notraces.h5"));
    snprintf(dir, sizeof dir, "%s", pb_test_path("notraces"));
    snprintf(args, sizeof args,
             "run '%s/configs/pendulum.cfg' -o '%s' --set simulation.horizon=0.5 "
             "--set output.traces=false",
             PB_SOURCE_DIR, h5);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no /runs traces"));
    snprintf(f, sizeof f, "%s/sparsity.png", dir);
    assert_png(f);
    snprintf(f, sizeof f, "%s/tightness.png", dir);
    CU_ASSERT_EQUAL(file_size(f), -1);
}

/* Divergences in the figures: a radius of 1 rad makes the loops from
 * 0.8 rad diverge after row 0 and those from 1.2 rad at row 0 (no figures
 * over time for that scenario, a note instead); sparsity.dat averages the
 * tracking errors only over the scenarios where neither loop diverged (NaN
 * when there is none) and counts converged and diverged pruned loops. */
static void test_divergence_figures(void)
{
    static const char *py =
        "import sys, h5py, numpy as np\n"
        "s = h5py.File(sys.argv[1], 'r')['summary'][()]\n"
        "b = [np.loadtxt(x.splitlines(), ndmin=2) for x in\n"
        "     open(sys.argv[2] + '/sparsity.dat').read().split('\\n\\n\\n')]\n"
        "assert len(b) == 1 and b[0].shape == (2, 9), b[0].shape\n"
        "seen_nan = False\n"
        "for row in b[0]:\n"
        "    q = s[s['sparsity'] == row[0]]\n"
        "    ok = (q['outcome_orig'] != 2) & (q['outcome_pruned'] != 2)\n"
        "    if ok.any():\n"
        "        ro, rp = q['rms_track_orig'][ok].mean(), q['rms_track_pruned'][ok].mean()\n"
        "        assert np.allclose(row[1:4], [rp - ro, ro, rp], rtol=1e-12, atol=0), row\n"
        "    else:\n"
        "        assert np.isnan(row[1:4]).all(), row\n"
        "        seen_nan = True\n"
        "    assert row[6] == (q['outcome_pruned'] == 0).sum() and row[7] == len(q)\n"
        "    assert row[8] == (q['outcome_pruned'] == 2).sum()\n"
        "assert seen_nan\n"
        "assert (s['diverged_step_orig'] == 0).sum() == 2\n"
        "print('ok')\n";
    const char *cfg = pb_test_path("diverge.cfg"), *h5 = pb_test_path("diverge.h5");
    const char *dir = pb_test_path("diverge_png");
    char args[8192], out[16384], f[4200];
    FILE *fp = fopen(cfg, "w");

    CU_ASSERT_FATAL(fp != NULL);
    fprintf(fp,
            "plant = { name = \"pendulum\"; };\n"
            "simulation = { period = 0.05; horizon = 2.0; };\n"
            "criterion = { tol = 0.05; tail = 0.25; radius = 1.0; };\n"
            "reference = { type = \"setpoint\"; values = [0.0, 0.0]; };\n"
            "policy = { file = \"%s/configs/policies/pendulum.h5\"; input = \"error\"; };\n"
            "pruning = ( { method = \"magnitude\"; sparsity = [0.5, 0.9]; } );\n"
            "scenarios = ( { x0 = [0.3, 0.0]; }, { x0 = [-0.5, 0.2]; }, { x0 = [0.8, 0.0]; },\n"
            "  { x0 = [1.2, 0.0]; } );\n"
            "seed = 1;\n",
            PB_SOURCE_DIR);
    fclose(fp);
    snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, h5);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "scenario 3: every loop left at row 0"));
    snprintf(f, sizeof f, "%s/tracking_2.png", dir);
    assert_png(f);
    snprintf(f, sizeof f, "%s/tracking_3.png", dir);
    CU_ASSERT_FALSE(access(f, F_OK) == 0);
    if (pb_test_have_python()) {
        snprintf(args, sizeof args, "'%s' '%s'", h5, dir);
        CU_ASSERT_EQUAL(pb_test_python(py, args, out, sizeof out), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "ok"));
        /* the markers: every loop that diverged after row 0, at its last row
         * (diverged_step - 1 of the group's attributes), nothing else */
        CU_ASSERT_EQUAL(pb_test_python(
                            "import sys, h5py, numpy as np\n"
                            "f = h5py.File(sys.argv[1], 'r'); d = sys.argv[2]\n"
                            "for sc in (0, 1, 2):\n"
                            "    exp = []\n"
                            "    labs = [l for l in ('magnitude_s0.50', 'magnitude_s0.90')]\n"
                            "    for line, lab in enumerate([None] + labs):\n"
                            "        g = f['runs/%s/%d' % (lab or labs[0], sc)]\n"
                            "        k = int(g.attrs['diverged_step_orig' if lab is None else "
                            "'diverged_step'])\n"
                            "        if k < 1: continue\n"
                            "        te = g['track_err_orig' if lab is None else "
                            "'track_err_pruned'][k - 1]\n"
                            "        exp.append([line, g['t'][k - 1], te])\n"
                            "    m = np.loadtxt('%s/diverged_%d.dat' % (d, sc), ndmin=2)\n"
                            "    m = m[:, :3] if m.size else np.zeros((0, 3))\n"
                            "    assert np.array_equal(m, np.array(exp).reshape(-1, 3)), (sc, m, exp)\n"
                            "print('markers ok')\n",
                            args, out, sizeof out),
                        0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "markers ok"));
    }
    /* every figure's title states the criterion and horizon of the config
     * written above (tol 0.05, tail 0.25, horizon 2 s, radius 1) */
    {
        long n;
        size_t jobs = 0, with = 0;
        snprintf(f, sizeof f, "%s/rerun.sh", dir);
        char *sh = (char *)slurp(f, &n), *line = sh;
        CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
        while ((line = strstr(line, "\ngnuplot ")) != NULL) {
            char *end = strchr(line + 1, '\n');
            if (end)
                *end = '\0';
            jobs++;
            with += strstr(line, "crit='converged: ||x - r|| <= 0.05 over the last 25% of the "
                                 "2 s horizon; diverged beyond 1'") != NULL;
            line = end ? end : line + 1;
            if (end)
                *end = '\n';
        }
        CU_ASSERT_EQUAL(jobs, 8);
        CU_ASSERT_EQUAL(with, jobs);
        free(sh);
    }
    /* a file of the old layout (format_version 1) is refused by plot and info */
    if (pb_test_have_python()) {
        snprintf(args, sizeof args, "'%s'", h5);
        CU_ASSERT_EQUAL(pb_test_python("import sys, h5py\n"
                                       "h5py.File(sys.argv[1], 'r+').attrs['format_version'] = 1\n",
                                       args, NULL, 0),
                        0);
        snprintf(args, sizeof args, "info '%s'", h5);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "older prunebound"));
        snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "older prunebound"));
    }
}


/* How many entries of folder dir begin with prefix. */
static int entries_with(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* A plot that fails leaves nothing behind: not the output folder, not its
 * DIR.tmp-XXXXXX, not the parents it would have made.  Three failures: a
 * missing file, a config given in place of a results file, and a results
 * file with a dataset removed (its figures half written when it fails). */
/* Every loop diverged in every scenario (from 1.2 rad with a radius of 1):
 * sparsity.dat has no finite tracking degradation, and the figure is drawn
 * with a note where gnuplot used to stop at "all points y value undefined". */
static void test_all_diverged(void)
{
    const char *cfg = pb_test_path("alldiv.cfg"), *h5 = pb_test_path("alldiv.h5");
    const char *dir = pb_test_path("alldiv_png");
    char args[8192], out[16384], f[4200];
    FILE *fp = fopen(cfg, "w");

    CU_ASSERT_FATAL(fp != NULL);
    fprintf(fp,
            "plant = { name = \"pendulum\"; };\n"
            "simulation = { period = 0.05; horizon = 1.0; };\n"
            "criterion = { tol = 0.05; tail = 0.25; radius = 1.0; };\n"
            "reference = { type = \"setpoint\"; values = [0.0, 0.0]; };\n"
            "policy = { file = \"%s/configs/policies/pendulum.h5\"; input = \"error\"; };\n"
            "pruning = ( { method = \"magnitude\"; sparsity = [0.5]; } );\n"
            "scenarios = ( { x0 = [1.2, 0.0]; } );\n"
            "seed = 1;\n",
            PB_SOURCE_DIR);
    fclose(fp);
    snprintf(args, sizeof args, "run '%s' -o '%s' -q", cfg, h5);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    snprintf(f, sizeof f, "%s/sparsity.png", dir);
    assert_png(f);
}

static void test_nothing_left(void)
{
    const char *h5 = pendulum_h5();
    char base[1024], parent[1100], dir[1300], bad[1024], args[8400], out[8192];
    struct stat st;

    CU_ASSERT_FATAL(h5[0] != '\0');
    snprintf(base, sizeof base, "%s", pb_test_path("left"));
    mkdir(base, 0777);
    snprintf(parent, sizeof parent, "%s/new", base);
    snprintf(dir, sizeof dir, "%s/sub/plots", parent);
    snprintf(bad, sizeof bad, "%s", pb_test_path("left_bad.h5"));

    const char *inputs[3];
    char missing[1100], cfg[1100];
    snprintf(missing, sizeof missing, "%s/none.h5", base);
    snprintf(cfg, sizeof cfg, "%s/configs/pendulum.cfg", PB_SOURCE_DIR);
    inputs[0] = missing;
    inputs[1] = cfg;
    inputs[2] = bad;
    if (pb_test_have_python()) {
        /* the last scenario's trace of one variant: the figures before it are written */
        snprintf(args, sizeof args, "'%s' '%s'", h5, bad);
        CU_ASSERT_EQUAL_FATAL(pb_test_python("import sys, shutil, h5py\n"
                                             "shutil.copy(sys.argv[1], sys.argv[2])\n"
                                             "with h5py.File(sys.argv[2], 'r+') as f:\n"
                                             "    del f['runs/sparsegpt_2:4/3/track_err_pruned']\n",
                                             args, NULL, 0),
                              0);
    } else
        pb_test_skip("no python3 with h5py: the removed-dataset case is not run");
    for (int i = 0; i < (pb_test_have_python() ? 3 : 2); i++) {
        snprintf(args, sizeof args, "plot '%s' -o '%s'", inputs[i], dir);
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, inputs[i]));
        /* nothing: the folder, its parents made for it, a temporary folder */
        CU_ASSERT_NOT_EQUAL(stat(parent, &st), 0);
        CU_ASSERT_EQUAL(entries_with(base, "new"), 0);
        if (i == 1)
            CU_ASSERT_PTR_NOT_NULL(strstr(out, "a config?"));
        if (i == 2)
            CU_ASSERT_PTR_NOT_NULL(strstr(out, "/runs/sparsegpt_2:4/3/track_err_pruned"));
    }
    /* into an existing folder: the same failures leave its files as they were */
    snprintf(dir, sizeof dir, "%s/keep", base);
    mkdir(dir, 0777);
    snprintf(args, sizeof args, "echo mine > '%s/notes.txt'", dir);
    CU_ASSERT_EQUAL_FATAL(system(args), 0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", inputs[1], dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_EQUAL(entries_with(dir, ""), 3); /* ., .., notes.txt */
    CU_ASSERT_EQUAL(entries_with(base, "keep.tmp-"), 0);
    /* a successful plot into it adds the figures and keeps the user's file */
    snprintf(args, sizeof args, "plot '%s' -o '%s' --scenarios 0", h5, dir);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "%s/notes.txt", dir);
    CU_ASSERT(file_size(args) > 0);
    snprintf(args, sizeof args, "%s/sparsity.png", dir);
    assert_png(args);
    CU_ASSERT_EQUAL(entries_with(base, "keep.tmp-"), 0);
}

/* --variants and --scenarios: only the selected figures and rows; an unknown
 * label or scenario is refused (exit 2) with the file's list. */
static void test_select(void)
{
    const char *h5 = pendulum_h5();
    char dir[1024], args[8400], out[16384], f[4200];

    CU_ASSERT_FATAL(h5[0] != '\0');
    snprintf(dir, sizeof dir, "%s", pb_test_path("select"));
    snprintf(args, sizeof args,
             "plot '%s' -o '%s' --variants magnitude_s0.50,obs_s0.75 --scenarios 1,3", h5, dir);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "6 figures (png)"));
    static const char *const there[] = {"sparsity", "tightness", "deviation_1", "tracking_1",
                                        "deviation_3", "tracking_3", NULL};
    static const char *const absent[] = {"deviation_0", "tracking_2", NULL};
    for (size_t i = 0; there[i]; i++) {
        snprintf(f, sizeof f, "%s/%s.png", dir, there[i]);
        assert_png(f);
    }
    for (size_t i = 0; absent[i]; i++) {
        snprintf(f, sizeof f, "%s/%s.png", dir, absent[i]);
        CU_ASSERT_EQUAL(file_size(f), -1);
    }
    /* summary.dat: the 2 x 2 selected rows, no other */
    snprintf(args, sizeof args, "grep -v '^#' '%s/summary.dat' | wc -l", dir);
    FILE *p = popen(args, "r");
    int rows = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(fscanf(p, "%d", &rows), 1);
    pclose(p);
    CU_ASSERT_EQUAL(rows, 4);
    snprintf(args, sizeof args, "%s/run_magnitude_s0.25_1.dat", dir);
    CU_ASSERT_EQUAL(file_size(args), -1);
    /* refusals name the wrong one and list the file's */
    snprintf(args, sizeof args, "plot '%s' -o '%s' --variants magnitude_s0.5", h5, dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--variants 'magnitude_s0.5'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "magnitude_s0.50, magnitude_s0.75"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "sparsegpt_2:4"));
    snprintf(args, sizeof args, "plot '%s' -o '%s' --scenarios 0,7", h5, dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--scenarios '7'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "3 ("));
    snprintf(args, sizeof args, "plot '%s' -o '%s' --scenarios x", h5, dir);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("plot x.h5 --variants", out, sizeof out), 2);
}

/* Every pruning method of the registry has its own colour in common.gp
 * (gnuplot evaluates mcol(); the fallback grey is no method's), and the
 * figures pass each line's method: the quadrotor's tracking figure lists
 * the methods of its pruned variants in order. */
static void test_method_colours(void)
{
    char out[4096], cmd[8192];
    char seen[16][16];
    size_t n = 0;

    for (size_t i = 0; prune_methods[i]; i++) {
        snprintf(cmd, sizeof cmd,
                 "gnuplot -e \"scripts='%s/results/plots'; term='svg'; name='/dev/null'\" "
                 "-e \"load scripts.'/common.gp'; print mcol('%s')\" 2>&1",
                 PB_SOURCE_DIR, prune_methods[i]->name);
        FILE *p = popen(cmd, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        out[0] = '\0';
        CU_ASSERT_PTR_NOT_NULL(fgets(out, sizeof out, p));
        pclose(p);
        out[strcspn(out, "\n")] = '\0';
        CU_ASSERT_EQUAL(strlen(out), 7);
        CU_ASSERT(out[0] == '#');
        CU_ASSERT_STRING_NOT_EQUAL(out, "#7f7f7f");
        for (size_t j = 0; j < n; j++)
            CU_ASSERT_STRING_NOT_EQUAL(out, seen[j]);
        if (n < 16)
            snprintf(seen[n++], sizeof seen[0], "%s", out);
    }
    CU_ASSERT(n >= 4);
}

static const pb_test_case plot_tests[] = {
    {"no traces: sparsity only", test_no_traces},

    {"library calls", test_library},
    {"default output folder", test_default_dir},
    {"pendulum figures as PNG", test_pendulum_png},
    {"SVG and PDF", test_pendulum_svg_pdf},
    {"rerun.sh redraws", test_rerun},
    {".dat files hold the HDF5 numbers", test_dat_matches_h5},
    {"quadrotor x-y path", test_quadrotor_path},
    {"divergences: averages, row-0 scenarios, old files", test_divergence_figures},
    {"every loop diverged: the sparsity figure is still drawn", test_all_diverged},
    {"missing dataset or field: exit 2", test_missing_dataset},
    {"no gnuplot: exit 2", test_no_gnuplot},
    {"usage errors", test_usage},
    {"Monte Carlo figures", test_montecarlo},
    {"a failed plot leaves nothing behind", test_nothing_left},
    {"--variants and --scenarios", test_select},
    {"one colour per pruning method", test_method_colours},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"plot", plot_tests}, {NULL, NULL}};
