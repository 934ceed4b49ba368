/* main.c: `prunebound <command> [options]`: dispatch to the command table. */
#define _POSIX_C_SOURCE 200809L
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli_args.h"
#include "pb_norm.h"

int cmd_plants(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_convert(int, char **);
int cmd_info(int, char **);
int cmd_export_c(int argc, char **argv);
int cmd_bound(int argc, char **argv);
int cmd_certify(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_montecarlo(int argc, char **argv);
int cmd_falsify(int argc, char **argv);

const cli_command cli_commands[] = {
    {"run", "simulate original and pruned policies side by side, write bounds and errors", cmd_run},
    {"montecarlo", "stability study over sampled initial states and plant variations", cmd_montecarlo},
    {"train", "imitate the plant's LQR expert with an MLP policy", cmd_train},
    {"prune", "prune a policy (magnitude, OBD, OBS, SparseGPT; unstructured or N:M)", cmd_prune},
    {"bound", "actual deviation and bounds of a policy pair on logged states", cmd_bound},
    {"falsify", "search initial states where a loop violates the config's spec", cmd_falsify},
    {"certify", "admissible perturbation per layer and largest certified sparsity", cmd_certify},
    {"convert", "import a policy from NNet, POLAR text or ONNX", cmd_convert},
    {"export-c", "write a pruned policy as dependency-free C", cmd_export_c},
    {"plot", "draw the figures of a results file with gnuplot", cmd_plot},
    {"info", "summarise a policy or results file", cmd_info},
    {"plants", "list the plants, their states, inputs and parameters; LQR demo", cmd_plants},
    {NULL, NULL, NULL}};

int cli_fail(const char *cmd, const pb_error *err)
{
    fprintf(stderr, "prunebound %s: %s\n", cmd, err->msg[0] ? err->msg : pb_strerror(err->code));
    return pb_exit_code(err->code);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "prunebound %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'prunebound %s --help')\n", cmd);
    return 2;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

static void print_help(FILE *out)
{
    fprintf(out, "prunebound %s: what pruning a neural controller does to its closed loop\n\n"
                 "usage: prunebound <command> [options]\n"
                 "       prunebound <command> --help\n\n"
                 "commands:\n",
            PB_VERSION);
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(out, "  %-11s %s%s\n", c->name, c->summary, c->fn ? "" : " (not built yet)");
    fprintf(out, "\nExit status: 0 success, 2 bad usage or input, 1 internal failure.\n"
                 "Documentation: README.md and docs/ in the source tree.\n");
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    /* Commands allocate and free arrays of a few MB again and again (the
     * pruning's layer activations, traces, HDF5's caches: one per file it
     * creates).  glibc would hand the heap's free top back to the system
     * past 128 KiB and fault it in again on the next allocation: 16,100
     * page faults in `run configs/cartpole.cfg`, 7,500 with 16 MiB kept at
     * the top.  Setting the pad freezes glibc's mmap threshold, so it is set
     * to the 32 MiB that glibc's own adjustment may reach: blocks below it
     * come from the heap and are reused. */
    mallopt(M_TOP_PAD, 16 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    /* OpenBLAS takes its thread count from the CPUs the process may run on,
     * which a launcher (mpirun's binding, taskset) narrows, and some of its
     * products add partial sums per thread: so that the pruning and its
     * records do not depend on the cpuset, use the machine's online CPUs
     * unless OPENBLAS_NUM_THREADS says otherwise. */
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        pb_blas_set_threads(n > 0 ? (int)n : 1);
    }
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("prunebound %s\n", PB_VERSION);
        return 0;
    }
    for (const cli_command *c = cli_commands; c->name; c++) {
        if (strcmp(argv[1], c->name) != 0)
            continue;
        if (!c->fn) {
            fprintf(stderr, "prunebound %s: not built yet in this version\n", c->name);
            return 2;
        }
        return c->fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "prunebound: unknown command '%s' (see 'prunebound --help')\n", argv[1]);
    return 2;
}
