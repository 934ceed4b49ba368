/* pb_test.h: what every CUnit suite of prunebound shares. */
#ifndef PB_TEST_H
#define PB_TEST_H

#include <CUnit/CUnit.h>
#include <stddef.h>

/* One suite: a name and a NULL-terminated table of tests. */
typedef struct pb_test_case {
    const char *name;
    void (*fn)(void);
} pb_test_case;

typedef struct pb_test_suite {
    const char *name;
    const pb_test_case *tests; /* ends with {NULL, NULL} */
} pb_test_suite;

/* Each test executable defines this NULL-terminated table (name NULL ends it). */
extern const pb_test_suite pb_test_suites[];

/* Relative comparison |a - b| <= rtol * max(|a|, |b|) + atol, reported with
 * both values on failure. */
#define PB_ASSERT_CLOSE(a, b, rtol, atol) \
    pb_assert_close((a), (b), (rtol), (atol), #a, #b, __FILE__, __LINE__)
void pb_assert_close(double a, double b, double rtol, double atol, const char *sa, const char *sb,
                     const char *file, int line);

/* A fresh empty directory for this test process's files (under the build
 * directory), created on first use; path is valid until exit. */
const char *pb_test_tmpdir(void);
/* pb_test_tmpdir()/name in a static rotating buffer. */
const char *pb_test_path(const char *name);

/* The folder PB_BENCHMARKS_DIR/arch-comp, or NULL when it is absent: the
 * caller's test is then recorded as skipped (pb_test_skip). */
const char *pb_test_arch_dir(void);

/* Non-zero when Debian's python3 with numpy, h5py and scipy is available. */
int pb_test_have_python(void);

/* Records that a test could not run its oracle (the message says why): when
 * nothing failed, the executable then exits with PB_TEST_SKIPPED, which CTest
 * reports as skipped (SKIP_RETURN_CODE, tests/pb_test.cmake), never as passed. */
#define PB_TEST_SKIPPED 77
void pb_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs PB_PYTHON3 on the script text with the arguments; returns its exit
 * status (0 = success) and its stdout (up to outlen bytes) when out is not NULL. */
int pb_test_python(const char *script, const char *args, char *out, size_t outlen);

/* Runs "[prefix] PB_BINARY_DIR/prunebound ARGS 2>&1" through the shell
 * (prefix may be NULL, or e.g. "cd 'dir' &&" or "PATH=/x"), captures up to
 * len - 1 bytes of its output in out, and returns its exit status; -1 when it
 * did not exit normally or the command line did not fit. */
int pb_test_run(const char *prefix, const char *args, char *out, size_t len);

/* pb_test_run(NULL, args, ...) that must exit 0: otherwise its output goes to
 * stderr and the test stops (a fatal CUnit failure). */
void pb_test_run_ok(const char *args);

/* Writes a small pendulum config at pb_test_path(name) and returns its path:
 * the shipped policy, magnitude pruning at 0 and 0.5, one scenario, 1 s of
 * rk4 with traces, a 20-sample Monte Carlo section. */
const char *pb_test_small_cfg(const char *name);

#endif
