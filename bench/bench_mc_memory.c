/* bench_mc_memory.c: peak resident memory of `prunebound montecarlo` as the
 * number of samples grows (docs/MONTECARLO.md, "Memory").  Rows stream to
 * the file one chunk at a time and the aggregates are computed from the file
 * in bounded passes, so the peak RSS must not grow with the sample count:
 * 10^6 samples should need no more memory than 10^3.
 *
 * Study: the shipped pendulum policy and one magnitude-pruned twin (50 %),
 * uniform box of initial states, a 0.25 s horizon (5 control steps, RK4 with
 * one substep), chunks of 1000 samples (so that 10^3 fills one), summary
 * rows only.  Each size runs as a child process; its peak RSS is the child's
 * ru_maxrss (wait4).
 *
 *   bench_mc_memory [MAX_EXPONENT=6] [THREADS=2]
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int max_exp = argc > 1 ? atoi(argv[1]) : 6;
    const char *threads = argc > 2 ? argv[2] : "2";
    char dir[] = "/tmp/bench_mc_XXXXXX", cfg[256], out[256], bin[1200], samples[32];
    FILE *f;

    if (max_exp < 3 || max_exp > 8 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: bench_mc_memory [MAX_EXPONENT 3..8] [THREADS]\n");
        return 2;
    }
    snprintf(cfg, sizeof cfg, "%s/bench.cfg", dir);
    snprintf(out, sizeof out, "%s/bench.h5", dir);
    snprintf(bin, sizeof bin, "%s/prunebound", PB_BINARY_DIR);
    f = fopen(cfg, "w");
    if (!f)
        return 1;
    fprintf(f,
            "plant = { name = \"pendulum\"; };\n"
            "simulation = { period = 0.05; horizon = 0.25;\n"
            "  integrator = { method = \"rk4\"; substeps = 1; }; };\n"
            "reference = { type = \"setpoint\"; values = [0.0, 0.0]; };\n"
            "policy = { file = \"%s/configs/policies/pendulum.h5\"; input = \"error\"; };\n"
            "pruning = ( { method = \"magnitude\"; sparsity = [0.5]; } );\n"
            "scenarios = ( { x0 = [0.1, 0.0]; } );\n"
            "criterion = { tol = 0.05; };\n"
            "montecarlo = { chunk = 1000;\n"
            "  sampler = { type = \"box\"; low = [-1.0, -2.0]; high = [1.0, 2.0]; }; };\n",
            PB_SOURCE_DIR);
    fclose(f);
    printf("prunebound montecarlo, pendulum, 1 variant, 5 steps, chunk 1000, %s thread(s)\n",
           threads);
    printf("%10s %10s %12s %14s %12s\n", "samples", "wall_s", "samples/s", "peak_rss_MiB",
           "file_MiB");
    for (int e = 3; e <= max_exp; e++) {
        long n = 1;
        struct rusage ru;
        struct stat st;
        double t0, t1;
        pid_t pid;
        int status;

        for (int i = 0; i < e; i++)
            n *= 10;
        snprintf(samples, sizeof samples, "%ld", n);
        t0 = now();
        pid = fork();
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, 1);
                close(fd);
            }
            execl(bin, bin, "montecarlo", cfg, "-o", out, "--samples", samples, "--threads",
                  threads, (char *)NULL);
            _exit(127);
        }
        if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench_mc_memory: the study of %ld samples failed\n", n);
            return 1;
        }
        t1 = now();
        stat(out, &st);
        printf("%10ld %10.2f %12.0f %14.1f %12.1f\n", n, t1 - t0, (double)n / (t1 - t0),
               (double)ru.ru_maxrss / 1024.0, (double)st.st_size / 1048576.0);
        fflush(stdout);
        remove(out);
    }
    remove(cfg);
    rmdir(dir);
    return 0;
}
