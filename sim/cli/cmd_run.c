/* cmd_run.c: `prunebound run CONFIG [-o FILE] [--set key.path=value]...`:
 * load or train the policy, prune it as configured, simulate every scenario
 * with the original and every pruned variant side by side (sim/run/run_job.h),
 * write the results file of docs/RESULTS.md and print a summary table. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg.h"
#include "cli_args.h"
#include "run_job.h"

#define RUN_SETS_MAX 256

static void usage(FILE *out)
{
    fprintf(out,
            "usage: prunebound run CONFIG [-o FILE] [--set key.path=value]...\n\n"
            "Loads (or trains) the policy of CONFIG, prunes it with every configured method and\n"
            "sparsity, simulates every scenario with the original and each pruned policy side by\n"
            "side, and writes states, actions, tracking errors, the actual action deviation and\n"
            "its bounds to an HDF5 results file (docs/RESULTS.md); prints a summary table.\n\n"
            "  -o FILE              results file (default: the config's output.file)\n"
            "  --set key.path=value override one key of the config, e.g.\n"
            "                       --set simulation.horizon=2 --set scenarios[0].x0=[0.1,0]\n"
            "  -h, --help           this text\n\n"
            "Config keys: docs/CONFIG.md.  Exit status: 0 success, 2 bad usage or input\n"
            "(message names file, line and key), 1 internal failure.\n");
}

/* The criterion in words, for the table's header line. */
static void print_criterion(const cfg_run *c)
{
    printf("criterion: converged when ||x - r|| <= %g over the last %g%% of the %g s horizon; "
           "diverged on leaving the plant's limits",
           c->crit.tol, 100.0 * c->crit.tail, c->horizon);
    if (isfinite(c->crit.radius))
        printf(" or ||x - r|| > %g", c->crit.radius);
    printf("\n");
}

/* The short table on stdout: per variant, aggregated over scenarios.  The
 * outcome columns count converged / bounded / diverged loops; the RMS
 * columns average only the scenarios where neither loop diverged, so that
 * a loop cut short by a divergence does not look better for it. */
static void print_table(const run_job *s, const char *out_path)
{
    size_t ns = s->cfg->n_scenarios;
    long long total = 0, still = 0;

    print_criterion(s->cfg);
    printf("%-24s %11s %11s %9s %5s %11s %11s %11s %11s\n", "variant", "max_bound", "max_actual",
           "tightness", "viol", "rms_orig", "rms_pruned", "orig c/b/d", "prun c/b/d");
    for (size_t v = 0; v < s->v.n; v++) {
        double mb = 0, ma = 0, tt = 0, ro = 0, rp = 0;
        long long viol = 0, oc[3] = {0, 0, 0}, pc[3] = {0, 0, 0}, n_both = 0;
        char co[32], cp[32], sro[32], srp[32];
        for (size_t i = 0; i < ns; i++) {
            const results_row *row = &s->rows[v * ns + i];
            mb = fmax(mb, row->max_dev_bound);
            ma = fmax(ma, row->max_dev_actual);
            tt = fmax(tt, row->tightness);
            viol += row->violations;
            oc[row->outcome_orig]++;
            pc[row->outcome_pruned]++;
            /* the original loop of a scenario is the same in every row: counted once */
            still += (v == 0 ? row->still_converging_orig : 0) + row->still_converging_pruned;
            if (row->outcome_orig != SIM_DIVERGED && row->outcome_pruned != SIM_DIVERGED) {
                ro += row->rms_track_orig;
                rp += row->rms_track_pruned;
                n_both++;
            }
        }
        total += viol;
        snprintf(co, sizeof co, "%lld/%lld/%lld", oc[0], oc[1], oc[2]);
        snprintf(cp, sizeof cp, "%lld/%lld/%lld", pc[0], pc[1], pc[2]);
        if (n_both) {
            snprintf(sro, sizeof sro, "%.4g", ro / (double)n_both);
            snprintf(srp, sizeof srp, "%.4g", rp / (double)n_both);
        } else {
            snprintf(sro, sizeof sro, "-");
            snprintf(srp, sizeof srp, "-");
        }
        printf("%-24s %11.4g %11.4g %9.4f %5lld %11s %11s %11s %11s\n", s->v.variants[v].label, mb,
               ma, tt, viol, sro, srp, co, cp);
    }
    printf("%zu variant(s) x %zu scenario(s); bound violations: %lld; written to %s\n",
           s->v.n, ns, total, out_path);
    if (s->tube)
        printf("tube (docs/TUBE.md): traj_dev above traj_dev_bound at %lld row(s)\n",
               s->tube_violations);
    else if (s->cfg->bound_tube)
        printf("note: bounds.tube ignored: this build has no tube (PB_WITH_TUBE=OFF, no Arb)\n");
    if (still)
        printf("note: %lld bounded loop(s) were still converging at the end of the %g s horizon "
               "(columns still_converging_*): a longer simulation.horizon may converge them\n",
               still, s->cfg->horizon);
}

/* Creates the parent folder of path when it is missing (one level). */
static void make_parent(const char *path)
{
    char dir[CFG_PATH_MAX];
    char *slash;
    struct stat st;

    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (stat(dir, &st) != 0)
        mkdir(dir, 0777);
}

int cmd_run(int argc, char **argv)
{
    const char *sets[RUN_SETS_MAX];
    const char *config = NULL, *out = NULL;
    size_t n_sets = 0;
    cfg_run *c = NULL;
    run_job *j = NULL;
    pb_error err;
    long long viol;
    int tty = cli_stderr_is_tty(), rc;

    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc)
                return cli_usage_error(argv[0], "%s needs a file name", a);
            out = argv[i];
        } else if (strcmp(a, "--set") == 0) {
            if (++i >= argc)
                return cli_usage_error(argv[0], "--set needs key.path=value");
            if (n_sets == RUN_SETS_MAX)
                return cli_usage_error(argv[0], "more than %d --set options", RUN_SETS_MAX);
            sets[n_sets++] = argv[i];
        } else if (strncmp(a, "--set=", 6) == 0) {
            if (n_sets == RUN_SETS_MAX)
                return cli_usage_error(argv[0], "more than %d --set options", RUN_SETS_MAX);
            sets[n_sets++] = a + 6;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(argv[0], "unknown option '%s'", a);
        } else if (!config) {
            config = a;
        } else {
            return cli_usage_error(argv[0], "expected one CONFIG, got '%s' too", a);
        }
    }
    if (!config)
        return cli_usage_error(argv[0], "missing CONFIG");

    if ((rc = cfg_run_load(config, sets, n_sets, &c, &err)))
        goto fail;
    if (!out)
        out = c->output_file;
    if (c->policy_kind == CFG_POLICY_TRAIN && cli_stderr_is_tty())
        fprintf(stderr, "training the policy (imitation of the LQR expert)...\n");
    if (!(j = run_job_alloc(c, &err))) {
        rc = err.code;
        goto fail;
    }
    if (j->v.note[0])
        fprintf(stderr, "prunebound run: %s: %s\n", c->policy_file, j->v.note);
    make_parent(out);
    if ((rc = run_job_open(j, out, &err)))
        goto fail;
    while (j->done < c->n_scenarios) {
        if (tty)
            fprintf(stderr, "\rscenarios %zu-%zu of %zu", j->done + 1,
                    j->done + j->block < c->n_scenarios ? j->done + j->block : c->n_scenarios,
                    c->n_scenarios);
        if ((rc = run_job_step(j, &err)))
            goto fail;
    }
    if (tty)
        fprintf(stderr, "\r%*s\r", 40, "");
    if ((rc = run_job_commit(j, &err)))
        goto fail;
    print_table(j, out);
    /* A violated bound is a bug (DESIGN.md): the file is kept for the report. */
    viol = run_job_violations(j);
    if (viol)
        fprintf(stderr,
                "prunebound run: %lld recorded deviation(s) exceed their bound: this is a bug, "
                "please report it with %s\n",
                viol, out);
    if (j->tube_violations)
        fprintf(stderr,
                "prunebound run: %lld recorded row(s) drift beyond their certified tube: this is "
                "a bug, please report it with %s\n",
                j->tube_violations, out);
    viol += j->tube_violations;
    run_job_free(j);
    cfg_run_free(c);
    return viol ? 1 : 0;
fail:
    run_job_free(j);
    cfg_run_free(c);
    return cli_fail(argv[0], &err);
}
