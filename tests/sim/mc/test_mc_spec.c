/* test_mc_spec.c: the per-property spec values of a Monte Carlo file
 * (docs/MONTECARLO.md, /spec and /spec_aggregates), through the binary, with
 * NumPy/SciPy (h5py) as the oracle:
 *   - a `run` of the same initial state writes the same per-property rows
 *     (the Monte Carlo samples are the run's scenario, gaussian std 0);
 *   - every /summary conjunction equals the minimum of its properties'
 *     robustness, every satisfied flag equals robustness > 0;
 *   - /spec_aggregates equals a recount of /spec (counts, fractions, Wilson
 *     intervals from scipy.stats.binomtest), and the conjunction's
 *     /aggregates equal a recount of /summary;
 *   - the same bytes on 1 and 3 threads, and after --resume of a partial file. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_test.h"

#define OUT_MAX 16384

static int run(const char *args, char *out, size_t len)
{
    return pb_test_run(NULL, args, out, len);
}

/* Two properties with different outcomes over the shipped pendulum policy
 * and its magnitude twins: a band theta in [-0.5, 0.5] throughout, and
 * settling near the origin at the end of the 2 s horizon. */
static const char *SPEC =
    "spec = (\n"
    "  { name = \"band\"; always = [0.0, 2.0]; box = { theta = [-0.5, 0.5]; }; },\n"
    "  { name = \"settle\"; eventually = [1.5, 2.0]; box = { theta = [-0.02, 0.02]; "
    "omega = [-0.2, 0.2]; }; }\n"
    ");\n";

/* A pendulum config with the spec above; `mc` the montecarlo section's body. */
static const char *write_cfg(const char *name, const char *mc)
{
    const char *path = pb_test_path(name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "plant = { name = \"pendulum\"; };\n"
            "simulation = { period = 0.05; horizon = 2.0;\n"
            "  integrator = { method = \"rk4\"; substeps = 4; }; };\n"
            "reference = { type = \"setpoint\"; values = [0.0, 0.0]; };\n"
            "policy = { file = \"%s/configs/policies/pendulum.h5\"; input = \"error\"; };\n"
            "pruning = ( { method = \"magnitude\"; sparsity = [0.0, 0.5, 0.75, 0.9]; } );\n"
            "scenarios = ( { x0 = [0.4, 0.0]; } );\n"
            "bounds = { eps = 0.5; };\n"
            "criterion = { tol = 0.05; tail = 0.25; radius = 100.0; };\n"
            "montecarlo = { %s };\n"
            "seed = 1;\n%s",
            PB_SOURCE_DIR, mc, SPEC);
    fclose(f);
    return path;
}

/* What montecarlo prints (its table, argv[2]) and `info --json` (argv[3])
 * hold of the file's aggregates (argv[1], checked by PY_RECOUNT): each
 * property's and the conjunction's counts and rates. */
static const char *PY_PRINTED =
    "import sys, json, h5py\n"
    "f = h5py.File(sys.argv[1], 'r')\n"
    "a, sa, v = f['aggregates'][()], f['spec_aggregates'][()], f['variants'][()]\n"
    "nv = len(v); npr = len(sa) // nv\n"
    "d = json.load(open(sys.argv[3]))\n"
    "keys = ['satisfied_orig', 'satisfied_pruned', 'rate_orig', 'rate_pruned', 'broken',\n"
    "        'broken_rate', 'repaired', 'repaired_rate']\n"
    "for vv in range(nv):\n"
    "    sp = d['variants'][vv]['spec']\n"
    "    for k in keys:\n"
    "        assert sp[k] == a[vv]['spec_' + k], (vv, k, sp[k])\n"
    "    assert sp['rate_pruned_ci95'] == [a[vv]['spec_rate_pruned_lo'], "
    "a[vv]['spec_rate_pruned_hi']]\n"
    "    assert len(sp['properties']) == npr\n"
    "    for q, p in enumerate(sp['properties']):\n"
    "        g = sa[vv * npr + q]\n"
    "        assert p['property'] == g['property'].decode(), (p, g)\n"
    "        for k in keys:\n"
    "            assert p[k] == g[k], (vv, q, k, p[k], g[k])\n"
    "        assert p['rate_orig_ci95'] == [g['rate_orig_lo'], g['rate_orig_hi']]\n"
    "text = open(sys.argv[2]).read().split('spec, per property:\\n')[1]\n"
    "rows = [l.split() for l in text.splitlines()[1:]]\n"
    "rows = [r for r in rows if r and r[0].encode() in list(v['label'])]\n"
    "assert len(rows) == nv * npr, (len(rows), text)\n"
    "for k, r in enumerate(rows):\n"
    "    g = sa[k]\n"
    "    assert r[0].encode() == g['label'] and r[1].encode() == g['property'], (r, g)\n"
    "    assert int(r[4]) == g['broken'] and int(r[6]) == g['repaired'], (r, g)\n"
    "    for c, k2 in ((2, 'rate_orig'), (3, 'rate_pruned'), (5, 'broken_rate'), "
    "(7, 'repaired_rate')):\n"
    "        assert abs(float(r[c]) - g[k2]) <= 5e-5, (r, k2, g[k2])\n"
    "print('printed', len(rows))\n";

/* run and montecarlo from the same x0: the same per-property rows. */
static const char *PY_SAME =
    "import sys, h5py, numpy as np\n"
    "r = h5py.File(sys.argv[1], 'r')\n"
    "m = h5py.File(sys.argv[2], 'r')\n"
    "rs, ms, v = r['spec'][()], m['spec'][()], m['variants'][()]\n"
    "nv, npr = len(v), 2\n"
    "assert len(ms) == 2 * nv * npr, len(ms)\n"
    "for ds in ('spec', 'spec_aggregates'):\n"
    "    for name in ('units', 'descriptions', 'description'):\n"
    "        assert name in m[ds].attrs, (ds, name)\n"
    "    assert len(m[ds].attrs['units']) == len(m[ds].dtype.names), ds\n"
    "    assert all(len(d) > 0 for d in m[ds].attrs['descriptions']), ds\n"
    "u = [x.decode() if isinstance(x, bytes) else x for x in m['spec'].attrs['units']]\n"
    "assert u[list(ms.dtype.names).index('robustness_orig')] == 'norm of (rad, rad/s)', u\n"
    "for i, row in enumerate(ms):\n"
    "    j, vv, q = i // (nv * npr), (i // npr) % nv, i % npr\n"
    "    assert row['sample'] == j and row['variant'] == vv, (i, row)\n"
    "    want = rs[(rs['label'] == v[vv]['label']) & (rs['property'] == row['property'])]\n"
    "    assert len(want) == 1, (i, row)\n"
    "    for f in ('robustness_orig', 'robustness_pruned', 'satisfied_orig', "
    "'satisfied_pruned'):\n"
    "        assert np.asarray(want[0][f]).tobytes() == np.asarray(row[f]).tobytes(), (i, f, "
    "want[0][f], row[f])\n"
    "sat = set(int(x) for x in ms['satisfied_pruned'])\n"
    "assert sat == {0, 1}, sat\n"
    "print('same', len(ms))\n";

/* The recounts: conjunction = min of the properties, flags = robustness > 0,
 * /spec_aggregates and the conjunction's /aggregates from the rows. */
static const char *PY_RECOUNT =
    "import sys, h5py, numpy as np\n"
    "from scipy.stats import binomtest\n"
    "f = h5py.File(sys.argv[1], 'r')\n"
    "s, sp, v = f['summary'][()], f['spec'][()], f['variants'][()]\n"
    "a, sa = f['aggregates'][()], f['spec_aggregates'][()]\n"
    "n, nv = int(f.attrs['samples']), len(v)\n"
    "props = ['band', 'settle']; npr = len(props)\n"
    "assert len(sp) == n * nv * npr and len(sa) == nv * npr\n"
    "rob = {}\n"
    "for loop in ('orig', 'pruned'):\n"
    "    x = sp['robustness_' + loop].reshape(n * nv, npr)\n"
    "    assert (sp['satisfied_' + loop] == (sp['robustness_' + loop] > 0)).all()\n"
    "    assert (s['spec_robustness_' + loop] == x.min(axis=1)).all(), loop\n"
    "    assert (s['spec_satisfied_' + loop] == (x.min(axis=1) > 0)).all()\n"
    "assert [p.decode() for p in sp['property'][:npr]] == props\n"
    "assert (sp['sample'] == np.repeat(np.arange(n), nv * npr)).all()\n"
    "def wilson(k, m):\n"
    "    ci = binomtest(k, m).proportion_ci(method='wilson')\n"
    "    return ci.low, ci.high\n"
    "def check(g, so, sq, pre):\n"
    "    nm = lambda x: pre + x\n"
    "    k = {'orig': int((so == 1).sum()), 'pruned': int((sq == 1).sum())}\n"
    "    broken = int(((so == 1) & (sq == 0)).sum()); rep = int(((so == 0) & (sq == 1)).sum())\n"
    "    assert g[nm('broken')] == broken and g[nm('repaired')] == rep, (g, broken, rep)\n"
    "    assert abs(g[nm('broken_rate')] - broken / n) < 1e-15\n"
    "    assert abs(g[nm('repaired_rate')] - rep / n) < 1e-15\n"
    "    for loop in ('orig', 'pruned'):\n"
    "        assert g[nm('satisfied_' + loop)] == k[loop]\n"
    "        assert abs(g[pre + 'rate_' + loop] - k[loop] / n) < 1e-15\n"
    "        lo, hi = wilson(k[loop], n)\n"
    "        assert abs(g[pre + 'rate_%s_lo' % loop] - lo) < 1e-12, (g, lo)\n"
    "        assert abs(g[pre + 'rate_%s_hi' % loop] - hi) < 1e-12, (g, hi)\n"
    "    return broken\n"
    "nb = 0\n"
    "for vv in range(nv):\n"
    "    for q in range(npr):\n"
    "        g = sa[vv * npr + q]\n"
    "        assert g['label'] == v[vv]['label'] and g['property'].decode() == props[q]\n"
    "        assert g['n'] == n\n"
    "        r = sp[(sp['variant'] == vv) & (sp['property'] == props[q].encode())]\n"
    "        nb += check(g, r['satisfied_orig'], r['satisfied_pruned'], '')\n"
    "    r = s[s['variant'] == vv]\n"
    "    check(a[vv], r['spec_satisfied_orig'], r['spec_satisfied_pruned'], 'spec_')\n"
    "assert nb > 0, 'no property broken by pruning: the test would not see a miscount'\n"
    "print('ok', nb)\n";

static void test_run_equals_montecarlo(void)
{
    char cfg[1300], rres[1300], mres[1300], args[8192], out[OUT_MAX];
    int rc;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with numpy, h5py and scipy is missing: no oracle");
        return;
    }
    snprintf(cfg, sizeof cfg, "%s",
             write_cfg("same.cfg", "samples = 2; sampler = { type = \"gaussian\"; "
                                   "mean = [0.4, 0.0]; std = [0.0, 0.0]; };"));
    snprintf(rres, sizeof rres, "%s", pb_test_path("same_run.h5"));
    snprintf(mres, sizeof mres, "%s", pb_test_path("same_mc.h5"));
    snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, rres);
    rc = run(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 2", cfg, mres);
    rc = run(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    snprintf(args, sizeof args, "'%s' '%s'", rres, mres);
    rc = pb_test_python(PY_SAME, args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
}

static const char *MC_BOX = "samples = 90; chunk = 16; seed = 5;\n"
                            "  sampler = { type = \"box\"; low = [-1.2, -1.0]; high = [1.2, 1.0]; };";

static void test_recount(void)
{
    char cfg[1300], r1[1300], r3[1300], txt[1300], js[1300], args[8192], out[OUT_MAX];
    int rc;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with numpy, h5py and scipy is missing: no oracle");
        return;
    }
    snprintf(cfg, sizeof cfg, "%s", write_cfg("box.cfg", MC_BOX));
    snprintf(r1, sizeof r1, "%s", pb_test_path("box1.h5"));
    snprintf(r3, sizeof r3, "%s", pb_test_path("box3.h5"));
    snprintf(txt, sizeof txt, "%s", pb_test_path("box1.txt"));
    snprintf(js, sizeof js, "%s", pb_test_path("box1.json"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 1 > '%s'", cfg, r1, txt);
    rc = run(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    /* the table montecarlo printed, and info --json, against the file */
    snprintf(args, sizeof args, "info '%s' --json > '%s'", r1, js);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s' '%s' '%s'", r1, txt, js);
    rc = pb_test_python(PY_PRINTED, args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    rc = pb_test_python(PY_RECOUNT, r1, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    /* 3 threads: the same bytes in /spec and /spec_aggregates */
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 3", cfg, r3);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s' '%s'", r1, r3);
    rc = pb_test_python("import sys, h5py\n"
                        "a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')\n"
                        "for n in ('spec', 'spec_aggregates', 'summary'):\n"
                        "    assert a[n][()].tobytes() == b[n][()].tobytes(), n\n",
                        args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
}

/* An interrupted study, made without timing: the finished file copied to
 * "path.part" with samples_done set back to 2 chunks and the rows after them
 * overwritten with garbage (a chunk appended but not yet counted, as a kill
 * between the two flushes leaves it).  --resume truncates /spec with
 * /summary and finishes with the bytes of the uninterrupted study. */
static void test_resume(void)
{
    char cfg[1300], whole[1300], res[1300], args[8192], out[OUT_MAX];
    int rc;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with numpy, h5py and scipy is missing: no oracle");
        return;
    }
    snprintf(cfg, sizeof cfg, "%s", write_cfg("resume.cfg", MC_BOX));
    snprintf(whole, sizeof whole, "%s", pb_test_path("whole.h5"));
    snprintf(res, sizeof res, "%s", pb_test_path("resumed.h5"));
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 1", cfg, whole);
    CU_ASSERT_EQUAL_FATAL(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "'%s' '%s.part'", whole, res);
    rc = pb_test_python("import sys, shutil, h5py, numpy as np\n"
                        "shutil.copy(sys.argv[1], sys.argv[2])\n"
                        "with h5py.File(sys.argv[2], 'r+') as f:\n"
                        "    nv = len(f['variants'])\n"
                        "    f.attrs['samples_done'] = np.int64(32)\n"
                        "    f.attrs['complete'] = np.int64(0)\n"
                        "    del f['aggregates'], f['spec_aggregates']\n"
                        "    sp = f['spec'][32 * nv * 2:]\n"
                        "    sp['robustness_orig'] = 123.0; sp['satisfied_pruned'] = 7\n"
                        "    f['spec'][32 * nv * 2:] = sp\n",
                        args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 2 --resume", cfg, res);
    rc = run(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    snprintf(args, sizeof args, "'%s' '%s'", whole, res);
    rc = pb_test_python("import sys, h5py\n"
                        "a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')\n"
                        "for n in ('spec', 'spec_aggregates', 'summary', 'aggregates'):\n"
                        "    assert a[n][()].tobytes() == b[n][()].tobytes(), n\n",
                        args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
}

static const pb_test_case spec_tests[] = {
    {"run_equals_montecarlo_per_property", test_run_equals_montecarlo},
    {"recount_conjunction_and_rates", test_recount},
    {"resume_partial_file", test_resume},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"mc_spec", spec_tests}, {NULL, NULL}};
