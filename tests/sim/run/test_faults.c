/* test_faults.c: fault injection on the load-prune-simulate-write path of
 * `prunebound run`, driven through the library as the command drives it
 * (sim/run/run_job.h):
 *  - allocation failure at every allocation site: the executable is linked
 *    with -Wl,--wrap=malloc,calloc,realloc,free (tests/CMakeLists.txt), so
 *    every call from libprunebound's objects goes
 *    through the wrappers below, which fail the N-th call when armed and
 *    keep the set of live blocks (the leak oracle); N = 1, 2, ... until a
 *    run completes without reaching the failure;
 *  - a results or policy write that fails (RLIMIT_FSIZE in a child);
 *  - unreadable and vanished inputs (a directory for a file; the policy
 *    deleted between the config and the policy load, and after it);
 *  - numerical faults: a NaN weight, an infinite initial state, NaN
 *    calibration states, an adaptive stepper that gives up (max_steps), a
 *    pruned loop that diverges.
 * Oracles: exit status and message, no live block left, no results file
 * and no "path.tmp" left after a failure, recorded divergence steps. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "cfg.h"
#include "mlp.h"
#include "mlp_io.h"
#include "pb_error.h"
#include "pb_test.h"
#include "run_job.h"
#include "sim.h"

/* ---- The allocation wrappers ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

#define LIVE_SLOTS (1u << 20)
#define TOMB       ((void *)1)

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static int fault_tracking;  /* counting calls and live blocks */
static long fault_at;       /* fail this call (1-based); 0 = never */
static long fault_calls;    /* calls counted since fault_start */
static int fault_hit;       /* the armed call was reached */
static size_t fault_max_request; /* largest single request since fault_start */
static void **live;         /* open-addressing set of live blocks */
static size_t live_count;

static size_t live_slot(const void *p)
{
    uintptr_t h = (uintptr_t)p;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15u;
    return (size_t)(h >> 20) & (LIVE_SLOTS - 1);
}

static void live_add(void *p)
{
    size_t i = live_slot(p);
    while (live[i] && live[i] != TOMB)
        i = (i + 1) & (LIVE_SLOTS - 1);
    live[i] = p;
    live_count++;
}

static void live_del(void *p)
{
    size_t i = live_slot(p);
    for (size_t k = 0; k < LIVE_SLOTS && live[i]; k++, i = (i + 1) & (LIVE_SLOTS - 1))
        if (live[i] == p) {
            live[i] = TOMB;
            live_count--;
            return;
        }
}

/* Counts one call; non-zero when it is the one to fail. */
static int fault_next(size_t request)
{
    if (!fault_tracking)
        return 0;
    if (request > fault_max_request)
        fault_max_request = request;
    fault_calls++;
    if (fault_at && fault_calls == fault_at) {
        fault_hit = 1;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    void *p = NULL;
    pthread_mutex_lock(&fault_lock);
    if (!fault_next(n) && (p = __real_malloc(n)) && fault_tracking)
        live_add(p);
    pthread_mutex_unlock(&fault_lock);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = NULL;
    pthread_mutex_lock(&fault_lock);
    if (!fault_next(size && n > SIZE_MAX / size ? SIZE_MAX : n * size) &&
        (p = __real_calloc(n, size)) && fault_tracking)
        live_add(p);
    pthread_mutex_unlock(&fault_lock);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    void *q = NULL;
    pthread_mutex_lock(&fault_lock);
    if (!fault_next(n) && (q = __real_realloc(p, n)) && fault_tracking) {
        if (p)
            live_del(p);
        live_add(q);
    }
    pthread_mutex_unlock(&fault_lock);
    return q;
}

void __wrap_free(void *p)
{
    pthread_mutex_lock(&fault_lock);
    if (p && fault_tracking)
        live_del(p);
    __real_free(p);
    pthread_mutex_unlock(&fault_lock);
}

/* Starts counting (and failing call `at`, 0 = none) with an empty live set. */
static void fault_start(long at)
{
    pthread_mutex_lock(&fault_lock);
    if (!live)
        live = __real_calloc(LIVE_SLOTS, sizeof *live);
    else
        memset(live, 0, LIVE_SLOTS * sizeof *live);
    live_count = 0;
    fault_max_request = 0;
    fault_calls = 0;
    fault_hit = 0;
    fault_at = at;
    fault_tracking = live != NULL;
    pthread_mutex_unlock(&fault_lock);
}

/* Stops counting; returns how many blocks allocated since fault_start are
 * still live. */
static size_t fault_stop(void)
{
    size_t n;
    pthread_mutex_lock(&fault_lock);
    fault_tracking = 0;
    n = live_count;
    pthread_mutex_unlock(&fault_lock);
    return n;
}

/* The last failure's code and message, for the assertions. */
static int last_code;
static char last_msg[PB_ERRMSG_MAX];

/* ---- Wrapped policy steps (references from sim/run/run_variants.c): the policy file
 * vanishes right before it is read, or after it was read. ---- */

int __real_mlp_read_h5(const char *path, mlp **out, pb_error *err);
int __wrap_mlp_read_h5(const char *path, mlp **out, pb_error *err);
int __real_mlp_file_sha256(const char *path, char hex[65], pb_error *err);
int __wrap_mlp_file_sha256(const char *path, char hex[65], pb_error *err);
static int vanish_before_read, vanish_before_sha;

int __wrap_mlp_read_h5(const char *path, mlp **out, pb_error *err)
{
    if (vanish_before_read)
        unlink(path);
    return __real_mlp_read_h5(path, out, err);
}

int __wrap_mlp_file_sha256(const char *path, char hex[65], pb_error *err)
{
    if (vanish_before_sha)
        unlink(path);
    return __real_mlp_file_sha256(path, hex, err);
}

/* ---- Helpers ---- */

#define POLICY PB_SOURCE_DIR "/configs/policies/pendulum.h5"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[8192];
    size_t n;
    CU_ASSERT_FATAL(in && out);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        CU_ASSERT_FATAL(fwrite(buf, 1, n, out) == n);
    fclose(in);
    CU_ASSERT_FATAL(fclose(out) == 0);
}

/* Writes a pendulum config at path: policy file, the pruning list, the
 * scenarios and any further lines (a calibration section given there
 * replaces the default one); the results go to out. */
static void write_cfg(const char *path, const char *policy, const char *pruning,
                      const char *scenarios, const char *extra, const char *out)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f,
            "plant = { name = \"pendulum\"; params = { theta_max = 1.2; }; };\n"
            "simulation = { period = 0.05; horizon = 0.2;\n"
            "  integrator = { method = \"rk8pd\"; h0 = 1e-3; max_steps = 100000; }; };\n"
            "reference = { type = \"setpoint\"; values = [0.0, 0.0]; };\n"
            "policy = { file = \"%s\"; input = \"error\"; };\n"
            "%s\n"
            "pruning = ( %s );\n"
            "scenarios = ( %s );\n"
            "%s\n"
            "output = { file = \"%s\"; traces = true; };\n",
            policy,
            extra && strncmp(extra, "calibration", 11) == 0
                ? extra
                : "calibration = { trajectories = 2; noise = 0.05; seed = 3; };",
            pruning, scenarios, extra && strncmp(extra, "calibration", 11) != 0 ? extra : "", out);
    CU_ASSERT_FATAL(fclose(f) == 0);
}

static const char *const PRUNE_TWO =
    "{ method = \"magnitude\"; sparsity = [0.5]; }, { method = \"obs\"; sparsity = [0.5]; }";
static const char *const SCEN_TWO =
    "{ name = \"a\"; x0 = [0.3, 0.0]; }, { name = \"b\"; x0 = [-0.2, 0.4]; }";

/* Runs cfg through the library exactly as `prunebound run cfg [a1 a2]`
 * does (a1 a2: "-o FILE" or "--set key=value"): cfg_run_load, then
 * run_job's open, steps and commit; returns the command's exit status (0, 1
 * on a bound violation, else pb_exit_code) and keeps the error. */
static int run_cli(const char *cfg, const char *a1, const char *a2)
{
    const char *sets[1], *out = NULL;
    size_t n_sets = 0;
    cfg_run *c = NULL;
    run_job *j = NULL;
    pb_error err;
    int rc;

    if (a1 && strcmp(a1, "-o") == 0)
        out = a2;
    else if (a1 && strcmp(a1, "--set") == 0)
        sets[n_sets++] = a2;
    last_code = 0;
    last_msg[0] = '\0';
    pb_error_clear(&err);
    rc = cfg_run_load(cfg, sets, n_sets, &c, &err);
    if (rc == PB_SUCCESS && !(j = run_job_alloc(c, &err)))
        rc = err.code;
    if (rc == PB_SUCCESS)
        rc = run_job_open(j, out ? out : c->output_file, &err);
    while (rc == PB_SUCCESS && j->done < c->n_scenarios)
        rc = run_job_step(j, &err);
    if (rc == PB_SUCCESS)
        rc = run_job_commit(j, &err);
    if (rc == PB_SUCCESS && run_job_violations(j))
        rc = 1;
    else if (rc) {
        last_code = err.code;
        snprintf(last_msg, sizeof last_msg, "%s", err.msg);
        rc = pb_exit_code(err.code);
    }
    run_job_free(j);
    cfg_run_free(c);
    return rc;
}

static int no_output_left(const char *out)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    return !exists(out) && !exists(tmp);
}

/* ---- Allocation failures ---- */

static void test_alloc_every_site(void)
{
    const char *cfg = pb_test_path("alloc.cfg"), *out = pb_test_path("alloc.h5");
    long n, n_enomem = 0, n_other = 0, stride = 1;
    int rc = -1, saved_stdout = dup(STDOUT_FILENO);
    FILE *devnull = fopen("/dev/null", "w");
    const char *env = getenv("PB_FAULT_STRIDE");

    /* Every site by default; scripts/test-valgrind.sh takes every k-th (the
     * live-block oracle checks leaks at every site in the normal run). */
    if (env && atol(env) > 1)
        stride = atol(env);

    write_cfg(cfg, POLICY, PRUNE_TWO, SCEN_TWO, NULL, out);
    CU_ASSERT_FATAL(saved_stdout >= 0 && devnull != NULL);
    for (n = 1; n < 200000; n += stride) {
        size_t leaked;
        remove(out);
        /* The success table goes to /dev/null: one line per run otherwise. */
        fflush(stdout);
        dup2(fileno(devnull), STDOUT_FILENO);
        fault_start(n);
        rc = run_cli(cfg, NULL, NULL);
        leaked = fault_stop();
        fflush(stdout);
        dup2(saved_stdout, STDOUT_FILENO);
        if (!fault_hit)
            break;
        if (rc == 0 || !last_msg[0] || leaked || !no_output_left(out)) {
            printf("\nallocation %ld failed: exit %d, code %d, message '%s', %zu block(s) "
                   "leaked, output left: %d\n",
                   n, rc, last_code, last_msg, leaked, !no_output_left(out));
            CU_FAIL("allocation failure not handled cleanly");
            break;
        }
        if (last_code == PB_ENOMEM)
            n_enomem++;
        else {
            n_other++;
            printf("\nallocation %ld: code %d '%s'", n, last_code, last_msg);
        }
    }
    close(saved_stdout);
    fclose(devnull);
    printf("\n  %ld allocation sites failed in turn (stride %ld; %ld PB_ENOMEM, %ld other "
           "codes); run without failure: exit %d ",
           n_enomem + n_other, stride, n_enomem, n_other, rc);
    CU_ASSERT(rc == 0);
    CU_ASSERT(n > 50); /* the path allocates: the wrappers did see it */
    CU_ASSERT(exists(out));
    CU_ASSERT(n_other == 0);
}

/* The wrappers themselves: a block counted as live until freed. */
static void test_alloc_wrapper_oracle(void)
{
    /* Through volatile pointers: the compiler may not elide the calls. */
    void *(*volatile m_alloc)(size_t) = malloc;
    void *(*volatile c_alloc)(size_t, size_t) = calloc;
    void *(*volatile r_alloc)(void *, size_t) = realloc;
    void (*volatile m_free)(void *) = free;
    void *p, *q;
    fault_start(0);
    p = m_alloc(16);
    q = c_alloc(4, 8);
    CU_ASSERT(fault_stop() == 2);
    fault_start(2);
    m_free(m_alloc(8));
    CU_ASSERT_PTR_NULL(r_alloc(NULL, 8)); /* call 2 fails */
    CU_ASSERT(fault_hit);
    CU_ASSERT(fault_stop() == 0);
    fault_start(0);
    p = r_alloc(p, 64); /* moved or not: still one live block */
    CU_ASSERT(fault_stop() == 1);
    m_free(p);
    m_free(q);
}

/* ---- Write failures: RLIMIT_FSIZE in a child, SIGXFSZ ignored so write()
 * returns EFBIG. ---- */

static int child_with_fsize_limit(rlim_t limit, int (*fn)(const void *), const void *arg)
{
    int status = 0;
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = {limit, limit};
        int rc;
        signal(SIGXFSZ, SIG_IGN);
        if (!freopen("/dev/null", "w", stdout))
            _exit(95);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(98);
        rc = fn(arg);
        fflush(stdout);
        _exit(rc);
    }
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
    CU_ASSERT(WIFEXITED(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int child_run(const void *cfg)
{
    int rc = run_cli(cfg, NULL, NULL);
    /* 97: failed without a message */
    return rc && !last_msg[0] ? 97 : rc;
}

static void test_results_write_fails(void)
{
    const char *cfg = pb_test_path("fsize.cfg"), *out = pb_test_path("fsize.h5");
    int rc;
    write_cfg(cfg, POLICY, PRUNE_TWO, SCEN_TWO, NULL, out);
    rc = child_with_fsize_limit(16384, child_run, cfg);
    CU_ASSERT(rc == 1 || rc == 2);
    CU_ASSERT(no_output_left(out));
    /* Same config without the limit: the file is written and larger than
     * the limit (so the limit was what failed). */
    rc = child_with_fsize_limit(RLIM_INFINITY, child_run, cfg);
    CU_ASSERT(rc == 0);
    {
        struct stat st;
        CU_ASSERT(stat(out, &st) == 0 && st.st_size > 16384);
    }
}

static int child_write_policy(const void *path)
{
    mlp *m = NULL;
    pb_error err;
    int rc;
    if (mlp_read_h5(POLICY, &m, &err))
        return 96;
    rc = mlp_write_h5(m, path, &err);
    mlp_free(m);
    if (rc == PB_SUCCESS)
        return 0;
    return err.code == PB_EIO && err.msg[0] ? 1 : 97;
}

static void test_policy_write_fails(void)
{
    const char *out = pb_test_path("fsize_policy.h5");
    CU_ASSERT(child_with_fsize_limit(4096, child_write_policy, out) == 1);
    CU_ASSERT(no_output_left(out));
    CU_ASSERT(child_with_fsize_limit(RLIM_INFINITY, child_write_policy, out) == 0);
    CU_ASSERT(exists(out));
}

/* ---- Unreadable and vanished inputs ---- */

static void test_policy_is_directory(void)
{
    const char *cfg = pb_test_path("dir.cfg"), *out = pb_test_path("dir.h5");
    const char *dir = pb_test_path("policy_dir.h5");
    /* A directory, not a file (chmod 000 would not stop root). */
    CU_ASSERT_FATAL(mkdir(dir, 0700) == 0 || errno == EEXIST);
    write_cfg(cfg, dir, PRUNE_TWO, SCEN_TWO, NULL, out);
    fault_start(0);
    CU_ASSERT(run_cli(cfg, NULL, NULL) == 2);
    CU_ASSERT(fault_stop() == 0);
    CU_ASSERT(strstr(last_msg, "policy_dir.h5") != NULL);
    CU_ASSERT(no_output_left(out));
}

static void test_config_is_directory(void)
{
    const char *dir = pb_test_path("cfg_dir.cfg");
    CU_ASSERT_FATAL(mkdir(dir, 0700) == 0 || errno == EEXIST);
    fault_start(0);
    CU_ASSERT(run_cli(dir, "-o", pb_test_path("cfgdir.h5")) == 2);
    CU_ASSERT(fault_stop() == 0);
    CU_ASSERT(last_msg[0] != '\0');
    CU_ASSERT(no_output_left(pb_test_path("cfgdir.h5")));
}

static void test_policy_vanishes_before_read(void)
{
    const char *cfg = pb_test_path("vanish1.cfg"), *out = pb_test_path("vanish1.h5");
    const char *pol = pb_test_path("vanish1_policy.h5");
    copy_file(POLICY, pol);
    write_cfg(cfg, pol, PRUNE_TWO, SCEN_TWO, NULL, out);
    vanish_before_read = 1;
    fault_start(0);
    CU_ASSERT(run_cli(cfg, NULL, NULL) == 2);
    CU_ASSERT(fault_stop() == 0);
    vanish_before_read = 0;
    CU_ASSERT(last_code == PB_EIO);
    CU_ASSERT(strstr(last_msg, "vanish1_policy.h5") != NULL);
    CU_ASSERT(no_output_left(out));
}

/* Deleted after it was read: the run goes on from memory and records an
 * empty parent_sha256 (no hash of a file that is gone). */
static void test_policy_vanishes_after_read(void)
{
    const char *cfg = pb_test_path("vanish2.cfg"), *out = pb_test_path("vanish2.h5");
    const char *pol = pb_test_path("vanish2_policy.h5");
    copy_file(POLICY, pol);
    write_cfg(cfg, pol, PRUNE_TWO, SCEN_TWO, NULL, out);
    vanish_before_sha = 1;
    fault_start(0);
    CU_ASSERT(run_cli(cfg, "-o", out) == 0);
    CU_ASSERT(fault_stop() == 0);
    vanish_before_sha = 0;
    CU_ASSERT(!exists(pol));
    CU_ASSERT(exists(out));
}

static void test_calibration_file_missing(void)
{
    const char *cfg = pb_test_path("calmiss.cfg"), *out = pb_test_path("calmiss.h5");
    write_cfg(cfg, POLICY, PRUNE_TWO, SCEN_TWO,
              "calibration = { file = \"no_such_states.h5\"; };", out);
    fault_start(0);
    CU_ASSERT(run_cli(cfg, NULL, NULL) != 0);
    CU_ASSERT(fault_stop() == 0);
    CU_ASSERT(strstr(last_msg, "no_such_states.h5") != NULL);
    CU_ASSERT(no_output_left(out));
}

/* ---- Numerical faults ---- */

/* Copies the pendulum policy to path and sets W[0][0] of layer 1 to v. */
static void policy_with_weight(const char *path, double v)
{
    hid_t f, ds;
    double *W;
    hsize_t dims[2];
    hid_t sp;
    copy_file(POLICY, path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    ds = H5Dopen2(f, "layers/1/W", H5P_DEFAULT);
    CU_ASSERT_FATAL(ds >= 0);
    sp = H5Dget_space(ds);
    CU_ASSERT_FATAL(H5Sget_simple_extent_dims(sp, dims, NULL) == 2);
    W = calloc(dims[0] * dims[1], sizeof *W);
    CU_ASSERT_FATAL(W != NULL);
    CU_ASSERT_FATAL(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, W) >= 0);
    W[0] = v;
    CU_ASSERT_FATAL(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, W) >= 0);
    free(W);
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(f);
}

static void test_nan_and_inf_weight(void)
{
    const double bad[2] = {NAN, INFINITY};
    for (int k = 0; k < 2; k++) {
        const char *cfg = pb_test_path("nanw.cfg"), *out = pb_test_path("nanw.h5");
        const char *pol = pb_test_path(k ? "infw_policy.h5" : "nanw_policy.h5");
        policy_with_weight(pol, bad[k]);
        write_cfg(cfg, pol, PRUNE_TWO, SCEN_TWO, NULL, out);
        fault_start(0);
        CU_ASSERT(run_cli(cfg, NULL, NULL) == 2);
        CU_ASSERT(fault_stop() == 0);
        CU_ASSERT(last_code == PB_EFORMAT);
        CU_ASSERT(strstr(last_msg, k ? "infw_policy.h5" : "nanw_policy.h5") != NULL);
        CU_ASSERT(no_output_left(out));
    }
}

static void test_inf_initial_state(void)
{
    const char *cfg = pb_test_path("infx.cfg"), *out = pb_test_path("infx.h5");
    /* 1e999 overflows to +inf when parsed. */
    write_cfg(cfg, POLICY, PRUNE_TWO, "{ name = \"a\"; x0 = [1e999, 0.0]; }", NULL, out);
    fault_start(0);
    CU_ASSERT(run_cli(cfg, NULL, NULL) == 2);
    CU_ASSERT(fault_stop() == 0);
    CU_ASSERT(strstr(last_msg, "x0") != NULL);
    CU_ASSERT(no_output_left(out));
}

static void test_nan_calibration_states(void)
{
    const char *cfg = pb_test_path("nanx.cfg"), *out = pb_test_path("nanx.h5");
    const char *states = pb_test_path("nan_states.h5");
    double X[8] = {0.1, 0.0, NAN, 0.2, -0.1, 0.3, 0.2, -0.2};
    hsize_t dims[2] = {4, 2};
    hid_t f = H5Fcreate(states, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t ds = H5Dcreate2(f, "states", H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    char extra[1200];
    int rc;
    CU_ASSERT_FATAL(ds >= 0);
    CU_ASSERT_FATAL(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, X) >= 0);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    snprintf(extra, sizeof extra, "calibration = { file = \"%s\"; };", states);
    write_cfg(cfg, POLICY, PRUNE_TWO, SCEN_TWO, extra, out);
    fault_start(0);
    rc = run_cli(cfg, NULL, NULL);
    CU_ASSERT(fault_stop() == 0);
    /* Refused with a message naming the non-finite state. */
    CU_ASSERT(rc == 2);
    CU_ASSERT(strstr(last_msg, "not finite") != NULL);
    CU_ASSERT(no_output_left(out));
}

/* Reads one int64 field of row `row` of /summary. */
static long long summary_i64(const char *path, size_t row, const char *field)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), ds, mt, sp, ms;
    hsize_t start = row, count = 1;
    long long v = -999;
    CU_ASSERT_FATAL(f >= 0);
    ds = H5Dopen2(f, "summary", H5P_DEFAULT);
    CU_ASSERT_FATAL(ds >= 0);
    mt = H5Tcreate(H5T_COMPOUND, sizeof v);
    H5Tinsert(mt, field, 0, H5T_NATIVE_LLONG);
    sp = H5Dget_space(ds);
    H5Sselect_hyperslab(sp, H5S_SELECT_SET, &start, NULL, &count, NULL);
    ms = H5Screate_simple(1, &count, NULL);
    CU_ASSERT(H5Dread(ds, mt, ms, sp, H5P_DEFAULT, &v) >= 0);
    H5Sclose(ms);
    H5Sclose(sp);
    H5Tclose(mt);
    H5Dclose(ds);
    H5Fclose(f);
    return v;
}

/* rk8pd from h0 = 1e-3 grows the step at most 5-fold per step (GSL's
 * standard controller), so 2 steps cover at most 1e-3 + 5e-3 < 0.05: the
 * first period cannot be reached; both loops are recorded as diverged at
 * step 1 and the run completes. */
static void test_stepper_gives_up(void)
{
    const char *cfg = pb_test_path("maxsteps.cfg"), *out = pb_test_path("maxsteps.h5");
    write_cfg(cfg, POLICY, "{ method = \"magnitude\"; sparsity = [0.5]; }",
              "{ name = \"a\"; x0 = [0.3, 0.0]; }", NULL, out);
    fault_start(0);
    CU_ASSERT_FATAL(run_cli(cfg, "--set", "simulation.integrator.max_steps=2") == 0);
    CU_ASSERT(fault_stop() == 0);
    CU_ASSERT(summary_i64(out, 0, "diverged_step_orig") == 1);
    CU_ASSERT(summary_i64(out, 0, "diverged_step_pruned") == 1);
    CU_ASSERT(summary_i64(out, 0, "outcome_pruned") == SIM_DIVERGED);
}

/* 99% of the weights gone, the pendulum falls from 0.8 rad past the
 * theta_max = 1.2 rad of the config while the original holds it: the pruned
 * loop is recorded as diverged at a step k >= 1, its trace is NaN from k on
 * and finite before; the run completes. */
static void test_pruned_loop_diverges(void)
{
    const char *cfg = pb_test_path("diverge.cfg"), *out = pb_test_path("diverge.h5");
    long long k;
    hid_t f, ds;
    double x[2 * 101];
    write_cfg(cfg, POLICY, "{ method = \"magnitude\"; sparsity = [0.99]; }",
              "{ name = \"a\"; x0 = [0.8, 0.0]; }", NULL, out);
    fault_start(0);
    CU_ASSERT_FATAL(run_cli(cfg, "--set", "simulation.horizon=5") == 0);
    CU_ASSERT(fault_stop() == 0);
    CU_ASSERT(summary_i64(out, 0, "diverged_step_orig") == -1);
    k = summary_i64(out, 0, "diverged_step_pruned");
    CU_ASSERT_FATAL(k >= 1 && k <= 100);
    CU_ASSERT(summary_i64(out, 0, "outcome_pruned") == SIM_DIVERGED);
    f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ds = H5Dopen2(f, "runs/magnitude_s0.99/0/x_pruned", H5P_DEFAULT);
    CU_ASSERT_FATAL(ds >= 0);
    CU_ASSERT_FATAL(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
    for (long long i = 0; i <= 100; i++) {
        if (i < k) {
            CU_ASSERT(isfinite(x[2 * i]) && fabs(x[2 * i]) <= 1.2);
        } else {
            CU_ASSERT(isnan(x[2 * i]));
        }
    }
    H5Dclose(ds);
    H5Fclose(f);
}

/* ---- Fuzz regressions: every input in tests/data/fuzz/<loader>/ goes
 * through its loader (no crash, no live block, an error carries a
 * message; docs/TESTING.md lists where each came from). ---- */

#include <dirent.h>

#include "cfg.h"
#include "import_type.h"
#include "results_info.h"

static size_t fuzz_each(const char *sub, int (*fn)(const char *path, pb_error *err))
{
    char dir[1024], path[2048];
    DIR *d;
    struct dirent *e;
    size_t n = 0;
    snprintf(dir, sizeof dir, "%s/fuzz/%s", PB_TEST_DATA, sub);
    if (!(d = opendir(dir)))
        return 0;
    while ((e = readdir(d))) {
        pb_error err;
        int rc;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        pb_error_clear(&err);
        fault_start(0);
        rc = fn(path, &err);
        CU_ASSERT(fault_stop() == 0);
        CU_ASSERT(rc == PB_SUCCESS || err.msg[0] != '\0');
        /* A file of a few KiB may not ask for more than 64 MiB at once
         * (nnet/oom-huge-input-count.nnet asked for 8.9 GB). */
        if (fault_max_request > (64u << 20))
            printf("\n%s: one allocation of %zu bytes", path, fault_max_request);
        CU_ASSERT(fault_max_request <= (64u << 20));
        n++;
    }
    closedir(d);
    return n;
}

static int fuzz_cfg_one(const char *path, pb_error *err)
{
    cfg_run *c = NULL;
    int rc = cfg_run_load(path, NULL, 0, &c, err);
    cfg_run_free(c);
    return rc;
}

static int fuzz_policy_one(const char *path, pb_error *err)
{
    mlp *m = NULL;
    int rc = mlp_read_h5(path, &m, err);
    mlp_free(m);
    return rc;
}

static int fuzz_import_one(const char *name, const char *path, pb_error *err)
{
    import_options o;
    char note[256];
    mlp *m = NULL;
    int rc;
    memset(&o, 0, sizeof o);
    rc = import_find(name)->read(path, &o, &m, note, sizeof note, err);
    mlp_free(m);
    return rc;
}
static int fuzz_nnet_one(const char *p, pb_error *e) { return fuzz_import_one("nnet", p, e); }
static int fuzz_polar_one(const char *p, pb_error *e) { return fuzz_import_one("polar", p, e); }
static int fuzz_onnx_one(const char *p, pb_error *e) { return fuzz_import_one("onnx", p, e); }

/* Like fuzz/fuzz_results.c: no HDF5 object may stay open. */
static int fuzz_results_one(const char *path, pb_error *err)
{
    FILE *sink = fopen("/dev/null", "w");
    hid_t f;
    int rc = PB_SUCCESS;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        if (results_info_is_kind(f))
            rc = results_info_describe(path, f, sink, err);
        H5Fclose(f);
    }
    fclose(sink);
    CU_ASSERT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
    return rc;
}

static void test_fuzz_regressions(void)
{
    size_t n = fuzz_each("cfg", fuzz_cfg_one) + fuzz_each("policy", fuzz_policy_one) +
               fuzz_each("nnet", fuzz_nnet_one) + fuzz_each("polar", fuzz_polar_one) +
               fuzz_each("onnx", fuzz_onnx_one) + fuzz_each("results", fuzz_results_one);
    CU_ASSERT(n >= 8);
    printf("(%zu fixtures) ", n);
}

static const pb_test_case alloc_tests[] = {
    {"wrappers count and fail the armed call", test_alloc_wrapper_oracle},
    {"run: every allocation fails in turn, cleanly", test_alloc_every_site},
    {NULL, NULL}};

static const pb_test_case io_tests[] = {
    {"results file over RLIMIT_FSIZE: error, nothing left", test_results_write_fails},
    {"policy file over RLIMIT_FSIZE: error, nothing left", test_policy_write_fails},
    {"policy path is a directory", test_policy_is_directory},
    {"config path is a directory", test_config_is_directory},
    {"policy deleted before it is read", test_policy_vanishes_before_read},
    {"policy deleted after it was read", test_policy_vanishes_after_read},
    {"calibration file missing", test_calibration_file_missing},
    {"fuzz regressions", test_fuzz_regressions},
    {NULL, NULL}};

static const pb_test_case num_tests[] = {
    {"NaN and Inf weight refused", test_nan_and_inf_weight},
    {"infinite x0 refused", test_inf_initial_state},
    {"NaN calibration states refused", test_nan_calibration_states},
    {"adaptive stepper gives up: recorded", test_stepper_gives_up},
    {"pruned loop diverges: recorded", test_pruned_loop_diverges},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"faults: allocation", alloc_tests},
                                        {"faults: files", io_tests},
                                        {"faults: numerical", num_tests},
                                        {NULL, NULL}};
