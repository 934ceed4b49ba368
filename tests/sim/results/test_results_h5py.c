/* test_results_h5py.c: every file kind prunebound writes (run, montecarlo,
 * bound, policy), as h5py and pandas see it (docs/RESULTS.md "Strings,
 * units and descriptions"): string attributes as UTF-8 text, units and descriptions on
 * every dataset, /plant's names and units, the flat Monte Carlo /summary
 * against /variants, Wilson ends in [0, 1] and exact at 0 and n, and the
 * pandas example of docs/RESULTS.md runs.  The checks are h5py's, in
 * tests/sim/results/results_h5py.py; no python3 with h5py and pandas is a
 * skip, never a pass. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "pb_test.h"

static int have_pandas(void)
{
    return pb_test_have_python() && pb_test_python("import pandas", "", NULL, 0) == 0;
}

/* Runs results_h5py.py on the file; asserts it prints "ok". */
static void check(const char *kind, const char *file, int with_docs)
{
    char script[1400], args[2600], out[8192];
    size_t n;
    int rc, ok;

    snprintf(script, sizeof script,
             "import runpy\nrunpy.run_path('%s/tests/sim/results/results_h5py.py', "
             "run_name='__main__')\n",
             PB_SOURCE_DIR);
    snprintf(args, sizeof args, "%s '%s'%s%s%s", kind, file, with_docs ? " '" : "",
             with_docs ? PB_SOURCE_DIR "/docs/RESULTS.md" : "", with_docs ? "'" : "");
    rc = pb_test_python(script, args, out, sizeof out);
    /* The last line is the verdict (the docs' example prints before it). */
    n = strlen(out);
    ok = n >= 3 && strcmp(out + n - 3, "ok\n") == 0 && (n == 3 || out[n - 4] == '\n');
    if (rc != 0 || !ok)
        fprintf(stderr, "\n%s (%s): %s\n", file, kind, out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_TRUE(ok);
}

static void test_every_kind(void)
{
    char args[8192], cfg[1280], run[1280], mc[1280], pruned[1280], bound[1280], states[1280];

    if (!have_pandas()) {
        pb_test_skip("python3 with h5py and pandas is missing (Debian python3-h5py, python3-pandas)");
        return;
    }
    /* pb_test_path's buffers are reused: keep copies. */
    snprintf(cfg, sizeof cfg, "%s", pb_test_small_cfg("h5py.cfg"));
    snprintf(run, sizeof run, "%s", pb_test_path("h5py_run.h5"));
    snprintf(mc, sizeof mc, "%s", pb_test_path("mc.h5"));
    snprintf(pruned, sizeof pruned, "%s", pb_test_path("h5py_pruned.h5"));
    snprintf(bound, sizeof bound, "%s", pb_test_path("h5py_bound.h5"));
    snprintf(states, sizeof states, "%s", pb_test_path("h5py_states.h5"));
    snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, run);
    pb_test_run_ok(args);
    check("run", run, 0);
    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 1", cfg, mc);
    pb_test_run_ok(args);
    check("montecarlo", mc, 1);
    snprintf(args, sizeof args,
             "prune -m '%s/configs/policies/pendulum.h5' --method magnitude --sparsity 0.5 -o '%s'",
             PB_SOURCE_DIR, pruned);
    pb_test_run_ok(args);
    check("policy", pruned, 0);
    /* The run's states as logged states for `bound`. */
    snprintf(args, sizeof args,
             "import h5py\nr = h5py.File('%s', 'r')\nx = r['runs/magnitude_s0.50/0/x_orig'][:]\n"
             "h5py.File('%s', 'w').create_dataset('states', data=x)\n",
             run, states);
    CU_ASSERT_EQUAL_FATAL(pb_test_python(args, "", NULL, 0), 0);
    snprintf(args, sizeof args, "bound -m '%s/configs/policies/pendulum.h5' -p '%s' -s '%s' -o '%s'",
             PB_SOURCE_DIR, pruned, states, bound);
    pb_test_run_ok(args);
    check("bound", bound, 0);
}

static const pb_test_case h5py_tests[] = {
    {"run, montecarlo, policy, bound: UTF-8 text, units, descriptions, /plant; pandas example",
     test_every_kind},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"results_h5py", h5py_tests}, {NULL, NULL}};
