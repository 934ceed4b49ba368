/* test_cli.c: `prunebound run` as a user meets it, through the built binary:
 * every malformed config of tests/data/configs (each names the line and key
 * its message must give) exits with 2, names file, line and key, and leaves
 * no output file and no temporary; --set overrides and their errors; usage
 * errors; and every shipped config whose policy is available runs end to end
 * with zero bound violations. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "mlp.h"
#include "mlp_io.h"
#include "pb_test.h"

#define OUT_MAX 16384

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs "prunebound ARGS" (stderr merged into the captured output); returns
 * the exit status, or -1 when the process did not exit normally. */
static int run(const char *args, char *out, size_t len)
{
    return pb_test_run(NULL, args, out, len);
}

/* A policy with n_in inputs, two tanh layers of 8, one linear output, small
 * deterministic weights. */
static int write_policy(const char *path, size_t n_in)
{
    size_t sizes[4] = {n_in, 8, 8, 1};
    mlp_act acts[3] = {MLP_ACT_TANH, MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp *m = mlp_alloc(3, sizes, acts, NULL);
    unsigned s = 12345;
    int rc;

    if (!m)
        return -1;
    for (size_t j = 0; j < 3; j++) {
        mlp_layer *l = &m->layers[j];
        for (size_t i = 0; i < l->n_in * l->n_out; i++) {
            s = s * 1103515245u + 12345u;
            l->W[i] = ((double)(s >> 16 & 0x7fff) / 32767.0 - 0.5) * 0.6;
        }
    }
    rc = mlp_write_h5(m, path, NULL);
    mlp_free(m);
    return rc;
}

static int copy_file(const char *from, const char *to)
{
    char buf[4096];
    size_t n;
    FILE *a = fopen(from, "r"), *b;

    if (!a)
        return -1;
    b = fopen(to, "w");
    if (!b) {
        fclose(a);
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        fwrite(buf, 1, n, b);
    fclose(a);
    fclose(b);
    return 0;
}

static void fixtures(void)
{
    static int done;
    if (done++)
        return;
    CU_ASSERT_EQUAL_FATAL(write_policy(pb_test_path("pendulum_policy.h5"), 2), 0);
    CU_ASSERT_EQUAL_FATAL(write_policy(pb_test_path("three_input_policy.h5"), 3), 0);
}

/* Every tests/data/configs/NAME.cfg: first line "# expect: LINE KEY". */
static void test_malformed_configs(void)
{
    char dir[1200], out[OUT_MAX], args[4096];
    DIR *d;
    struct dirent *e;
    int n = 0;

    fixtures();
    snprintf(dir, sizeof dir, "%s/configs", PB_TEST_DATA);
    d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    while ((e = readdir(d))) {
        char src[1600], name[256], cfg[1400], res[1400], tmp[1500], key[128], want[1600];
        const char *dot = strrchr(e->d_name, '.');
        int line = -1, rc;
        FILE *f;

        if (!dot || strcmp(dot, ".cfg") != 0)
            continue;
        snprintf(name, sizeof name, "%.*s", (int)(dot - e->d_name), e->d_name);
        snprintf(src, sizeof src, "%s/%s", dir, e->d_name);
        f = fopen(src, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_EQUAL(fscanf(f, "# expect: %d %127s", &line, key), 2);
        fclose(f);
        /* run the copy in the temporary folder, next to its policies */
        snprintf(cfg, sizeof cfg, "%s", pb_test_path(e->d_name));
        snprintf(res, sizeof res, "%s/out_%s.h5", pb_test_tmpdir(), name);
        snprintf(tmp, sizeof tmp, "%s.tmp", res);
        CU_ASSERT_EQUAL_FATAL(copy_file(src, cfg), 0);
        snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, res);
        rc = run(args, out, sizeof out);
        snprintf(want, sizeof want, "%s:%d: ", cfg, line);
        if (rc != 2 || !strstr(out, want) || !strstr(out, key))
            fprintf(stderr, "\n%s: exit %d, expected '%s' and '%s' in:\n%s", name, rc, want, key,
                    out);
        CU_ASSERT_EQUAL(rc, 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, key));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "prunebound run: "));
        CU_ASSERT_FALSE(file_exists(res));
        CU_ASSERT_FALSE(file_exists(tmp));
        n++;
    }
    closedir(d);
    CU_ASSERT(n >= 20);
}

static const char *good_cfg = "plant = { name = \"pendulum\"; };\n"
                              "simulation = { period = 0.05; horizon = 1.0;\n"
                              "  integrator = { method = \"rk8pd\"; epsabs = 1e-10; };\n"
                              "  disturbance = { start = 0.2; bias = [0.5]; noise = [0.1]; }; };\n"
                              "policy = { file = \"pendulum_policy.h5\"; };\n"
                              "pruning = ( { method = \"magnitude\"; sparsity = [0.0, 0.5]; } );\n"
                              "scenarios = ( { x0 = [0.3, 0.0]; }, { x0 = [-0.2, 0.1]; } );\n"
                              "output = { traces = false; };\n";

/* n_steps attribute of /plant and the number of /summary rows of a file. */
static void read_back(const char *path, long long *n_steps, long long *rows, long long *viol)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), a, ds, sp, mt;
    hsize_t n = 0;

    *n_steps = *rows = *viol = -1;
    if (f < 0)
        return;
    a = H5Aopen_by_name(f, "/plant", "n_steps", H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        H5Aread(a, H5T_NATIVE_LLONG, n_steps);
        H5Aclose(a);
    }
    ds = H5Dopen2(f, "/summary", H5P_DEFAULT);
    if (ds >= 0) {
        long long *v;
        sp = H5Dget_space(ds);
        H5Sget_simple_extent_dims(sp, &n, NULL);
        *rows = (long long)n;
        /* read only the violations field, by name */
        mt = H5Tcreate(H5T_COMPOUND, sizeof(long long));
        H5Tinsert(mt, "violations", 0, H5T_NATIVE_LLONG);
        v = calloc(n + 1, sizeof *v);
        if (v && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            *viol = 0;
            for (hsize_t i = 0; i < n; i++)
                *viol += v[i];
        }
        free(v);
        H5Tclose(mt);
        H5Sclose(sp);
        H5Dclose(ds);
    }
    H5Fclose(f);
}

static void test_set_overrides(void)
{
    const char *cfg = pb_test_path("good.cfg");
    const char *res = pb_test_path("good.h5");
    char out[OUT_MAX], args[4096];
    long long n_steps, rows, viol;
    FILE *f;
    static const struct {
        const char *set, *want;
    } bad[] = {
        {"simulation.dt=0.1", "simulation.dt: unknown key (expected one of: period,"},
        {"simulation.period=fast", "expects a number"},
        {"output.traces=maybe", "expects true or false"},
        {"simulation.period=[0.1,0.2]", "expects a number"},
        {"scenarios[0].x0=0.5", "is an array"},
        {"scenarios[0].x0=[0.1,zero]", "expects numbers"},
        {"simulation=1", "is a group"},
        {"pruning=[0.5]", "not numbers"},
        {"noequals", "key.path=value"},
        {"simulation.period=-1", "simulation.period"}, /* valid syntax, then range checked */
        {"scenarios[0].x0=[0.1,0.2,0.3]", "scenarios[0].x0"},
    };

    fixtures();
    f = fopen(cfg, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(good_cfg, f);
    fclose(f);
    /* the config as written */
    snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "magnitude_s0.50"));
    read_back(res, &n_steps, &rows, &viol);
    CU_ASSERT_EQUAL(n_steps, 20);
    CU_ASSERT_EQUAL(rows, 4);
    CU_ASSERT_EQUAL(viol, 0);
    /* `prunebound info` recognises a results file */
    snprintf(args, sizeof args, "info '%s'", res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "prunebound results"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "plant pendulum, period 0.05 s, horizon 1 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "magnitude_s0.50              2"));
    /* overrides of a float, an int-valued float, an array, an element, a bool, a string */
    snprintf(args, sizeof args,
             "run '%s' -o '%s' --set simulation.horizon=2 --set simulation.period=0.1 "
             "--set scenarios[1].x0=[0.05,0] --set 'scenarios.[0].x0.[1]=0.25' "
             "--set output.traces=true --set=pruning.[0].method=\\\"magnitude\\\"",
             cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    read_back(res, &n_steps, &rows, &viol);
    CU_ASSERT_EQUAL(n_steps, 20);
    CU_ASSERT_EQUAL(viol, 0);
    if (pb_test_have_python()) {
        static const char *script =
            "import sys, h5py\n"
            "f = h5py.File(sys.argv[1], 'r')\n"
            "c = f.attrs['config'].decode()\n"
            "assert 'horizon = 2' in c and 'period = 0.1' in c, c\n"
            "assert list(f['runs/magnitude_s0.50/1'].attrs['x0']) == [0.05, 0.0]\n"
            "assert list(f['runs/magnitude_s0.50/0'].attrs['x0']) == [0.3, 0.25]\n"
            "d = f['runs/magnitude_s0.50/0/disturbance'][()]\n"
            "assert d.shape == (21, 1) and (d[:2] == 0).all() and (d[2:] != 0).all()\n"
            "assert (f['runs/magnitude_s0.00/0/disturbance'][()] == d).all()\n"
            "print('ok')\n";
        char pa[1400], po[64];
        snprintf(pa, sizeof pa, "'%s'", res);
        CU_ASSERT_EQUAL(pb_test_python(script, pa, po, sizeof po), 0);
    }
    /* bad overrides: exit 2, a message, no file */
    remove(res);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc;
        snprintf(args, sizeof args, "run '%s' -o '%s' --set '%s'", cfg, res, bad[i].set);
        rc = run(args, out, sizeof out);
        if (rc != 2 || !strstr(out, bad[i].want))
            fprintf(stderr, "\n--set %s: exit %d, wanted '%s' in: %s", bad[i].set, rc, bad[i].want,
                    out);
        CU_ASSERT_EQUAL(rc, 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, bad[i].want));
        CU_ASSERT_FALSE(file_exists(res));
    }
}

static void test_usage(void)
{
    char out[OUT_MAX], args[2048];

    CU_ASSERT_EQUAL(run("run", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "missing CONFIG"));
    CU_ASSERT_EQUAL(run("run a.cfg b.cfg", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("run a.cfg --frobnicate", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("run a.cfg -o", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("run a.cfg --set", out, sizeof out), 2);
    CU_ASSERT_EQUAL(run("run --help", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: prunebound run CONFIG"));
    snprintf(args, sizeof args, "run '%s'", pb_test_path("no_such.cfg"));
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "no_such.cfg: cannot open"));
    /* an output folder that cannot be created */
    fixtures();
    {
        const char *cfg = pb_test_path("good2.cfg");
        FILE *f = fopen(cfg, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs(good_cfg, f);
        fclose(f);
        snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, pb_test_path("a/b/c/out.h5"));
        CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "cannot create"));
    }
}

/* policy.train: the policy is trained before the run (tiny settings), and a
 * key of the training section is validated with its line. */
static void test_train_section(void)
{
    const char *cfg = pb_test_path("train.cfg");
    const char *res = pb_test_path("train.h5");
    char out[OUT_MAX], args[4096], want[1400];
    long long n_steps, rows, viol;
    FILE *f = fopen(cfg, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("plant = { name = \"pendulum\"; };\n"
          "simulation = { period = 0.05; horizon = 1.0; };\n"
          "policy = { train = { hidden = [8]; box = [0.5, 1.0]; trajectories = 8; steps = 20;\n"
          "  epochs = 3; dagger_rounds = 0; seed = 2; }; };\n"
          "pruning = ( { method = \"obs\"; sparsity = 0.5; } );\n"
          "scenarios = ( { x0 = [0.2, 0.0]; } );\n",
          f);
    fclose(f);
    snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 0);
    read_back(res, &n_steps, &rows, &viol);
    CU_ASSERT_EQUAL(rows, 1);
    CU_ASSERT_EQUAL(viol, 0);
    remove(res);
    snprintf(args, sizeof args, "run '%s' -o '%s' --set policy.train.epochs=-3", cfg, res);
    CU_ASSERT_EQUAL(run(args, out, sizeof out), 2);
    snprintf(want, sizeof want, "policy.train.epochs");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    CU_ASSERT_FALSE(file_exists(res));
}

/* Every shipped config whose policy is present runs with zero violations. */
static void test_shipped_configs(void)
{
    static const struct {
        const char *cfg;
        const char *needs; /* a file the config reads, relative to the source tree */
        int arch;
    } shipped[] = {
        {"configs/pendulum.cfg", "configs/policies/pendulum.h5", 0},
        {"configs/cartpole.cfg", "configs/policies/cartpole.h5", 0},
        {"configs/quadrotor.cfg", "configs/policies/quadrotor.h5", 0},
        {"configs/arch/single_pendulum.cfg", NULL, 1},
        {"configs/arch/cartpole.cfg", NULL, 1},
        {"configs/arch/quadrotor.cfg", NULL, 1},
        {"configs/arch/tora.cfg", NULL, 1},
        {"configs/arch/double_pendulum_less_robust.cfg", NULL, 1},
        {"configs/arch/double_pendulum_more_robust.cfg", NULL, 1},
        {"configs/arch/airplane.cfg", NULL, 1},
        {"configs/arch/attitude_control.cfg", NULL, 1},
        {"configs/arch/unicycle.cfg", NULL, 1},
        {"configs/arch/docking.cfg", NULL, 1},
    };
    char out[OUT_MAX], args[4096], path[1400];
    int ran = 0;

    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char res[1400];
        long long n_steps, rows, viol;
        int rc;

        if (shipped[i].arch && !pb_test_arch_dir())
            continue;
        if (shipped[i].needs) {
            snprintf(path, sizeof path, "%s/%s", PB_SOURCE_DIR, shipped[i].needs);
            if (!file_exists(path)) {
                pb_test_skip("%s is absent; %s skipped", path, shipped[i].cfg);
                continue;
            }
        }
        snprintf(res, sizeof res, "%s/shipped_%zu.h5", pb_test_tmpdir(), i);
        /* traces off keeps the test short; the summary carries the violations */
        snprintf(args, sizeof args, "run '%s/%s' -o '%s' --set output.traces=false", PB_SOURCE_DIR,
                 shipped[i].cfg, res);
        rc = run(args, out, sizeof out);
        if (rc != 0)
            fprintf(stderr, "\n%s: exit %d:\n%s", shipped[i].cfg, rc, out);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "bound violations: 0;"));
        read_back(res, &n_steps, &rows, &viol);
        CU_ASSERT(rows > 0);
        CU_ASSERT_EQUAL(viol, 0);
        ran++;
    }
    fprintf(stderr, "(%d shipped configs run) ", ran);
}

static const pb_test_case cli_tests[] = {
    {"malformed configs: exit 2, file:line: key, no output", test_malformed_configs},
    {"--set overrides and their errors", test_set_overrides},
    {"usage errors", test_usage},
    {"policy.train: trained before the run", test_train_section},
    {"shipped configs end to end, zero violations", test_shipped_configs},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {{"run", cli_tests}, {NULL, NULL}};
