/* test_falsify_obs.c: `prunebound falsify` on a config with an observation
 * map (policy.observation) and an expression spec: configs/arch/acc.cfg,
 * whose network sees (v_set, T_gap, v_ego, D_rel, v_rel) rather than the
 * state.  Oracle: the robustness falsify reports at its x0 equals the
 * minimum of g(x) = x_lead - x_ego - (10 + 1.4 v_ego) over the control steps
 * of the trajectory its -o file records, computed with NumPy from the
 * states (not with the expression library), for the original, a magnitude
 * variant and an OBD one (calibrated on rollouts from the config's
 * scenarios: the file must hold the network searched). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_test.h"

#define OUT_MAX 16384

static const char *PY =
    "import sys, json, h5py, numpy as np\n"
    "doc = json.loads(open(sys.argv[1]).read())\n"
    "f = h5py.File(sys.argv[2], 'r')\n"
    "lab = sys.argv[3]\n"
    "g = f['runs/%s/0' % lab]\n"
    "x = g['x_pruned' if doc['variant'] != 'original' else 'x_orig'][()]\n"
    "t = g['t'][()]\n"
    "assert abs(t[-1] - 5.0) < 1e-12 and len(t) == 51\n"
    "assert np.array_equal(x[0], np.array(doc['x0'])), (x[0], doc['x0'])\n"
    "rho = (x[:, 0] - x[:, 3] - (10 + 1.4 * x[:, 4])).min()\n"
    "assert abs(rho - doc['robustness']) <= 1e-9 * abs(rho), (rho, doc['robustness'])\n"
    "assert doc['evaluations'] == 64 and doc['found'] == (rho <= 0)\n"
    "print('ok', rho)\n";

static void check(const char *variant, const char *label)
{
    char res[1200], js[1200], args[8192], out[OUT_MAX];
    int rc;

    snprintf(res, sizeof res, "%s", pb_test_path("acc_falsify.h5"));
    snprintf(js, sizeof js, "%s", pb_test_path("acc_falsify.json"));
    snprintf(args, sizeof args,
             "falsify '%s/configs/arch/acc.cfg' --variant %s --budget 64 --json -o '%s' > '%s'",
             PB_SOURCE_DIR, variant, res, js);
    rc = pb_test_run(NULL, args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\nprunebound falsify failed:\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    snprintf(args, sizeof args, "'%s' '%s' '%s'", js, res, label);
    rc = pb_test_python(PY, args, out, sizeof out);
    if (rc)
        fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
}

static void test_acc(void)
{
    if (!pb_test_have_python()) {
        pb_test_skip("python3 with numpy and h5py is missing: no oracle");
        return;
    }
    check("original", "magnitude_s0.00");
    check("magnitude_s0.50", "magnitude_s0.50");
    /* OBD calibrates on rollouts from the config's scenarios: the -o file
     * holds the network searched, not one pruned again on the
     * counterexample's rollouts (falsify_job_write) */
    check("obd_s0.50", "obd_s0.50");
}

static const pb_test_case obs_tests[] = {
    {"acc: observation map, expression spec, robustness recomputed", test_acc}, {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"falsify_obs", obs_tests}, {NULL, NULL}};
