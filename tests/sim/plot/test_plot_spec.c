/* test_plot_spec.c: the safety figures of `prunebound plot` on a Monte Carlo
 * file with a spec (docs/PLOTS.md): spec_rate (satisfied fraction against
 * sparsity) and, on a grid, spec_map (broken-by-pruning cells), through the
 * built binary on a small grid of configs/montecarlo/pendulum_roa_spec.cfg.
 * Oracles: both are valid PNGs drawn by gnuplot; their .dat files hold a
 * recount from /summary and /samples/x0 with h5py, NumPy and SciPy (counts,
 * fractions, Wilson intervals, the cell of every grid point); a file without
 * /spec and /spec_aggregates (written before them) still plots, and a file
 * without a spec gets no safety figure. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb_test.h"

#define OUT_MAX 16384

static int run(const char *args, char *out, size_t len)
{
    return pb_test_run(NULL, args, out, len);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A PNG: signature, IHDR first with plausible dimensions, IEND last, > 3 KB. */
static void assert_png(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char b[24], end[12];
    FILE *fp = fopen(path, "rb");
    long n = -1;

    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    CU_ASSERT_EQUAL(fread(b, 1, sizeof b, fp), sizeof b);
    if (fseek(fp, -12, SEEK_END) == 0)
        CU_ASSERT_EQUAL(fread(end, 1, sizeof end, fp), sizeof end);
    n = ftell(fp);
    fclose(fp);
    CU_ASSERT(n > 3000);
    CU_ASSERT(memcmp(b, sig, 8) == 0);
    CU_ASSERT(memcmp(b + 12, "IHDR", 4) == 0);
    CU_ASSERT(memcmp(end + 4, "IEND", 4) == 0);
}

/* spec_rate.dat and spec_map.dat recounted from the file's rows. */
static const char *PY_DAT =
    "import sys, re, h5py, numpy as np\n"
    "from scipy.stats import binomtest\n"
    "f = h5py.File(sys.argv[1], 'r'); d = sys.argv[2]\n"
    "v, s, x0 = f['variants'][()], f['summary'][()], f['samples/x0'][()]\n"
    "n = len(x0)\n"
    "key = lambda lab: re.sub(r'_s[0-9.]+', '', lab.decode())\n"
    "keys = []\n"
    "for lab in v['label']:\n"
    "    if key(lab) not in keys: keys.append(key(lab))\n"
    "exp = []\n"
    "def wilson(k):\n"
    "    ci = binomtest(k, n).proportion_ci(method='wilson'); return [ci.low, ci.high]\n"
    "for k in keys:\n"
    "    idx = sorted([i for i in range(len(v)) if key(v['label'][i]) == k],\n"
    "                 key=lambda i: v['sparsity'][i])\n"
    "    for i in idx:\n"
    "        r = s[s['variant'] == i]\n"
    "        so, sp = r['spec_satisfied_orig'], r['spec_satisfied_pruned']\n"
    "        ko, kp = int((so == 1).sum()), int((sp == 1).sum())\n"
    "        br, rp = int(((so == 1) & (sp == 0)).sum()), int(((so == 0) & (sp == 1)).sum())\n"
    "        exp.append([v['sparsity'][i], kp / n] + wilson(kp) + [ko / n] + wilson(ko) +\n"
    "                   [br / n, rp / n, n, br, rp])\n"
    "b = np.loadtxt(d + '/spec_rate.dat', ndmin=2)\n"
    "assert b.shape == (len(exp), 12), b.shape\n"
    "assert np.allclose(b, np.array(exp), rtol=1e-12, atol=1e-12), (b, exp)\n"
    "assert (b[:, 10] > 0).any(), 'no sample broken by pruning: the recount sees nothing'\n"
    "m = np.loadtxt(d + '/spec_map.dat', ndmin=2)\n"
    "assert m.shape == (n, 3 + len(v)), m.shape\n"
    "cell = lambda o, p: {(1, 1): 0, (0, 0): 1, (1, 0): 2, (0, 1): 3}[(int(o), int(p))]\n"
    "seen = set()\n"
    "for row in m:\n"
    "    i = np.where((x0[:, 0] == row[0]) & (x0[:, 1] == row[1]))[0]\n"
    "    assert len(i) == 1; seen.add(int(i[0]))\n"
    "    q = s[s['sample'] == i[0]]\n"
    "    assert row[2] == (0 if q['spec_satisfied_orig'][0] == 1 else 1)\n"
    "    for r in q:\n"
    "        assert row[3 + r['variant']] == cell(r['spec_satisfied_orig'], "
    "r['spec_satisfied_pruned']), (row, r)\n"
    "assert len(seen) == n and (np.diff(m[:, 0]) >= 0).all()\n"
    "print(len(m), int(b[:, 10].sum()))\n";

static void test_spec_figures(void)
{
    char h5[1024], dir[1024], args[8192], out[OUT_MAX], f[1200], old[1024], od[1024];
    int rc;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with numpy, h5py and scipy is missing: no oracle");
        return;
    }
    snprintf(h5, sizeof h5, "%s", pb_test_path("roa_spec.h5"));
    snprintf(dir, sizeof dir, "%s", pb_test_path("roa_spec_plots"));
    snprintf(args, sizeof args,
             "montecarlo '%s/configs/montecarlo/pendulum_roa_spec.cfg' -o '%s' --threads 2 "
             "--set montecarlo.sampler.points=[9,7] --set montecarlo.chunk=10",
             PB_SOURCE_DIR, h5);
    rc = run(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\nprunebound montecarlo failed:\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    rc = run(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\nprunebound plot failed:\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    for (size_t i = 0; i < 4; i++) {
        static const char *const names[] = {"spec_rate", "spec_map", "stability", "roa"};
        snprintf(f, sizeof f, "%s/%s.png", dir, names[i]);
        assert_png(f);
    }
    snprintf(args, sizeof args, "'%s' '%s'", h5, dir);
    rc = pb_test_python(PY_DAT, args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(atoi(out), 63);

    /* A file from before /spec and /spec_aggregates: the same figures. */
    snprintf(old, sizeof old, "%s", pb_test_path("roa_spec_old.h5"));
    snprintf(od, sizeof od, "%s", pb_test_path("roa_spec_old_plots"));
    snprintf(args, sizeof args, "'%s' '%s'", h5, old);
    CU_ASSERT_EQUAL_FATAL(pb_test_python("import sys, shutil, h5py\n"
                                         "shutil.copy(sys.argv[1], sys.argv[2])\n"
                                         "with h5py.File(sys.argv[2], 'r+') as f:\n"
                                         "    del f['spec'], f['spec_aggregates']\n",
                                         args, NULL, 0),
                          0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", old, od);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    snprintf(f, sizeof f, "%s/spec_map.png", od);
    assert_png(f);
    snprintf(args, sizeof args, "info '%s'", old);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);

    /* --variants: the map keeps the original and the selected variant */
    snprintf(od, sizeof od, "%s", pb_test_path("roa_spec_sel"));
    snprintf(args, sizeof args, "plot '%s' -o '%s' --variants magnitude_s0.75", h5, od);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "awk '!/^#/ && NF { print NF }' '%s/spec_map.dat' | sort -u", od);
    {
        FILE *p = popen(args, "r");
        int nf = -1;
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL(fscanf(p, "%d", &nf), 1);
        pclose(p);
        CU_ASSERT_EQUAL(nf, 4); /* two coordinates, the original, one variant */
    }
}

/* A Monte Carlo file without a spec: no safety figure. */
static void test_no_spec(void)
{
    char h5[1024], dir[1024], args[8192], out[OUT_MAX], f[1200];

    snprintf(h5, sizeof h5, "%s", pb_test_path("roa.h5"));
    snprintf(dir, sizeof dir, "%s", pb_test_path("roa_plots"));
    snprintf(args, sizeof args,
             "montecarlo '%s/configs/montecarlo/pendulum_roa.cfg' -o '%s' --threads 2 "
             "--set montecarlo.sampler.points=[5,3] --set montecarlo.chunk=10",
             PB_SOURCE_DIR, h5);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "plot '%s' -o '%s'", h5, dir);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(f, sizeof f, "%s/roa.png", dir);
    assert_png(f);
    snprintf(f, sizeof f, "%s/spec_rate.png", dir);
    CU_ASSERT(!file_exists(f));
    snprintf(f, sizeof f, "%s/spec_map.dat", dir);
    CU_ASSERT(!file_exists(f));
}

static const pb_test_case plot_spec_tests[] = {
    {"spec_rate and spec_map: PNGs, recounted .dat", test_spec_figures},
    {"no spec: no safety figure", test_no_spec},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"plot_spec", plot_spec_tests}, {NULL, NULL}};
