/* runner.c: main() of every CUnit test executable: registers the suites of
 * pb_test_suites and runs them with the basic interface. */
#define _POSIX_C_SOURCE 200809L
#include "pb_test.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

void pb_assert_close(double a, double b, double rtol, double atol, const char *sa, const char *sb,
                     const char *file, int line)
{
    double tol = rtol * fmax(fabs(a), fabs(b)) + atol;
    int ok = fabs(a - b) <= tol || (a == b);
    char msg[512];

    snprintf(msg, sizeof msg, "%s = %.17g vs %s = %.17g (|diff| %.3g > tol %.3g)", sa, a, sb, b,
             fabs(a - b), tol);
    CU_assertImplementation(ok, (unsigned)line, msg, file, "", CU_FALSE);
}

static char tmpdir[1024];

static int remove_tree(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    return system(cmd);
}

const char *pb_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s/test-tmp-%ld", PB_BINARY_DIR, (long)getpid());
        remove_tree(tmpdir);
        if (mkdir(tmpdir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "cannot create %s\n", tmpdir);
            exit(1);
        }
    }
    return tmpdir;
}

const char *pb_test_path(const char *name)
{
    static char buf[8][1280];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", pb_test_tmpdir(), name);
    return p;
}

const char *pb_test_arch_dir(void)
{
    static char dir[1024];
    struct stat st;

    snprintf(dir, sizeof dir, "%s/arch-comp", PB_BENCHMARKS_DIR);
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return dir;
    pb_test_skip("%s is absent (PB_BENCHMARKS_DIR): a test on the ARCH-COMP controllers", dir);
    return NULL;
}

int pb_test_have_python(void)
{
    static int have = -1;
    if (have < 0)
        have = pb_test_python("import numpy, h5py, scipy", "", NULL, 0) == 0;
    return have;
}

static unsigned skipped;

void pb_test_skip(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\nSKIPPED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    skipped++;
}

int pb_test_python(const char *script, const char *args, char *out, size_t outlen)
{
    const char *spath = pb_test_path("script.py");
    char cmd[4096];
    FILE *f = fopen(spath, "w");
    FILE *p;
    size_t n = 0;
    int status;

    if (!f)
        return -1;
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s '%s' %s", PB_PYTHON3, spath, args ? args : "");
    p = popen(cmd, "r");
    if (!p)
        return -1;
    if (out && outlen) {
        n = fread(out, 1, outlen - 1, p);
        out[n] = '\0';
    } else {
        char sink[256];
        while (fread(sink, 1, sizeof sink, p) > 0)
            ;
    }
    status = pclose(p);
    return status;
}

int pb_test_run(const char *prefix, const char *args, char *out, size_t len)
{
    char cmd[16384];
    FILE *p;
    size_t n;
    int st, w;

    out[0] = '\0';
    w = snprintf(cmd, sizeof cmd, "%s '%s/prunebound' %s 2>&1", prefix ? prefix : "",
                 PB_BINARY_DIR, args);
    if (w < 0 || (size_t)w >= sizeof cmd)
        return -1;
    p = popen(cmd, "r");
    if (!p)
        return -1;
    n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void pb_test_run_ok(const char *args)
{
    char out[16384];
    int rc = pb_test_run(NULL, args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "\nprunebound %s:\n%s\n", args, out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

const char *pb_test_small_cfg(const char *name)
{
    const char *path = pb_test_path(name);
    FILE *f = fopen(path, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "plant = { name = \"pendulum\"; };\n"
            "simulation = { period = 0.05; horizon = 1.0;\n"
            "  integrator = { method = \"rk4\"; substeps = 4; }; };\n"
            "reference = { type = \"setpoint\"; values = [0.0, 0.0]; };\n"
            "policy = { file = \"%s/configs/policies/pendulum.h5\"; input = \"error\"; };\n"
            "pruning = ( { method = \"magnitude\"; sparsity = [0.0, 0.5]; } );\n"
            "scenarios = ( { x0 = [0.1, 0.0]; } );\n"
            "bounds = { eps = 0.5; };\n"
            "criterion = { tol = 0.05; tail = 0.25; radius = 100.0; };\n"
            "output = { traces = true; };\n"
            "montecarlo = { samples = 20; chunk = 8; seed = 3;\n"
            "  sampler = { type = \"box\"; low = [-1.0, -2.0]; high = [1.0, 2.0]; }; };\n"
            "seed = 1;\n",
            PB_SOURCE_DIR);
    fclose(f);
    return path;
}

int main(void)
{
    unsigned failures;
    const pb_test_suite *s;

    gsl_set_error_handler_off();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    for (s = pb_test_suites; s->name; s++) {
        CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);
        const pb_test_case *t;
        if (!suite)
            goto fail;
        for (t = s->tests; t->name; t++)
            if (!CU_add_test(suite, t->name, t->fn))
                goto fail;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    if (tmpdir[0] && failures == 0)
        remove_tree(tmpdir);
    if (failures == 0 && skipped)
        fprintf(stderr, "%u test(s) could not run their oracle: reported as skipped\n", skipped);
    return failures ? 1 : skipped ? PB_TEST_SKIPPED : 0;
fail:
    fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
    CU_cleanup_registry();
    return 1;
}
