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
#include <signal.h>

#include "cfg.h"
#include "cli_args.h"
#include "cli_json.h"
#include "cli_progress.h"
#include "run_job.h"
#include "run_region.h"
#include "spec.h"

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
            "  --set key.path=value override one key of the config (or add it), e.g.\n"
            "                       --set simulation.horizon=2 --set scenarios[0].x0=[0.1,0]\n"
            "  --json               print one JSON document (docs/CLI.md) instead of the table\n"
            "  -q, --quiet          no progress line and no notes on stderr\n"
            "  -h, --help           this text\n\n"
            "Every long option also reads --name=VALUE.  The folder of FILE must exist.\n"
            "SIGINT or SIGTERM stop the run and remove FILE.tmp: nothing is left behind.\n"
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
    printf("%-24s %11s %11s %9s %5s %11s %11s %11s %11s", "variant", "max_bound", "max_actual",
           "tightness", "viol", "rms_orig", "rms_pruned", "orig c/b/d", "prun c/b/d");
    /* bounds.region: the certificate over the scenarios' box (/region) */
    if (s->region)
        printf(" %12s %12s", "region_upper", "region_lower");
    printf("\n");
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
        printf("%-24s %11.4g %11.4g %9.4f %5lld %11s %11s %11s %11s", s->v.variants[v].label, mb,
               ma, tt, viol, sro, srp, co, cp);
        if (s->region)
            printf(" %12.4g %12.4g", s->region->rows[v].upper, s->region->rows[v].lower);
        printf("\n");
    }
    printf("%zu variant(s) x %zu scenario(s); bound violations: %lld; written to %s\n",
           s->v.n, ns, total, out_path);
    if (s->cfg->spec) {
        /* the spec (docs/SAFETY.md): loops that satisfy it, and scenarios broken
         * (original satisfies, pruned violates) or repaired by pruning */
        printf("spec (%zu propert%s, satisfied when robustness > 0):\n", s->cfg->spec->n,
               s->cfg->spec->n == 1 ? "y" : "ies");
        printf("%-24s %9s %9s %7s %9s %12s %12s\n", "variant", "sat_orig", "sat_prn", "broken",
               "repaired", "min_rob_orig", "min_rob_prn");
        for (size_t v = 0; v < s->v.n; v++) {
            long long so = 0, sp = 0, br = 0, rp = 0;
            double mo = INFINITY, mp = INFINITY;
            char a[32], b[32];
            for (size_t i = 0; i < ns; i++) {
                const results_row *row = &s->rows[v * ns + i];
                so += row->spec_sat_orig == 1;
                sp += row->spec_sat_pruned == 1;
                br += row->spec_sat_orig == 1 && row->spec_sat_pruned == 0;
                rp += row->spec_sat_orig == 0 && row->spec_sat_pruned == 1;
                mo = fmin(mo, row->spec_rob_orig);
                mp = fmin(mp, row->spec_rob_pruned);
            }
            snprintf(a, sizeof a, "%lld/%zu", so, ns);
            snprintf(b, sizeof b, "%lld/%zu", sp, ns);
            printf("%-24s %9s %9s %7lld %9lld %12.4g %12.4g\n", s->v.variants[v].label, a, b, br, rp,
                   mo, mp);
        }
    }
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

/* The JSON document of --json: the criterion, then one object per row of
 * /summary with the columns of results_row_cols (docs/CLI.md). */
static json_t *run_json(const run_job *s, const char *out_path)
{
    const cfg_run *c = s->cfg;
    size_t ns = c->n_scenarios;
    json_t *doc = json_object(), *rows = json_array();

    json_object_set_new(doc, "command", json_string("run"));
    json_object_set_new(doc, "file", json_string(out_path));
    json_object_set_new(doc, "config", json_string(c->path));
    json_object_set_new(doc, "criterion",
                        json_pack("{s:f, s:f, s:f, s:o}", "tol", c->crit.tol, "tail", c->crit.tail,
                                  "horizon", c->horizon, "radius", cli_json_num(c->crit.radius)));
    json_object_set_new(doc, "n_variants", json_integer((json_int_t)s->v.n));
    json_object_set_new(doc, "n_scenarios", json_integer((json_int_t)ns));
    json_object_set_new(doc, "violations", json_integer((json_int_t)run_job_violations(s)));
    for (size_t r = 0; r < s->v.n * ns; r++)
        json_array_append_new(rows, cli_json_row(&s->rows[r], results_row_cols,
                                                 results_row_n_cols));
    json_object_set_new(doc, "rows", rows);
    if (s->region) { /* bounds.region: the rows of /region */
        json_t *reg = json_array();
        for (size_t v = 0; v < s->region->n; v++)
            json_array_append_new(
                reg, cli_json_row(&s->region->rows[v], results_region_cols, results_region_n_cols));
        json_object_set_new(doc, "region", reg);
    }
    return doc;
}

enum { OPT_OUTPUT = 1, OPT_SET, OPT_JSON };

static const cli_option run_opts[] = {
    {"output", 'o', 1, OPT_OUTPUT, "a file name"}, {"set", 0, 1, OPT_SET, "key.path=value"}, {"json", 0, 0, OPT_JSON, NULL},
    {NULL, 0, 0, 0, NULL}};

/* Set by SIGINT/SIGTERM; checked between run_job_step calls. */
static volatile sig_atomic_t run_stop_signal;

static void on_signal(int sig)
{
    run_stop_signal = sig;
}

int cmd_run(int argc, char **argv)
{
    const char *sets[RUN_SETS_MAX];
    const char *config = NULL, *out = NULL, *v;
    size_t n_sets = 0;
    cfg_run *c = NULL;
    run_job *j = NULL;
    pb_error err;
    long long viol;
    cli_parser cp;
    cli_progress bar;
    struct sigaction sa, old_int, old_term;
    int rc, id, json = 0, handlers = 0;

    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, run_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        if (id == CLI_ERROR)
            return 2;
        if (id == OPT_OUTPUT) {
            out = v;
        } else if (id == OPT_SET) {
            if (n_sets == RUN_SETS_MAX)
                return cli_usage_error(argv[0], "more than %d --set options", RUN_SETS_MAX);
            sets[n_sets++] = v;
        } else if (id == OPT_JSON) {
            json = 1;
        } else if (!config) {
            config = v;
        } else {
            return cli_usage_error(argv[0], "expected one CONFIG, got '%s' too", v);
        }
    }
    if (!config)
        return cli_usage_error(argv[0], "missing CONFIG");

    if ((rc = cfg_run_load(config, sets, n_sets, &c, &err)))
        goto fail;
    if (!out)
        out = c->output_file;
    if (c->policy_kind == CFG_POLICY_TRAIN && cli_stderr_is_tty() && !cp.quiet)
        fprintf(stderr, "training the policy (imitation of the LQR expert)...\n");
    if (!(j = run_job_alloc(c, &err))) {
        rc = err.code;
        goto fail;
    }
    if (j->v.note[0] && !cp.quiet)
        fprintf(stderr, "prunebound run: %s: %s\n", c->policy_file, j->v.note);
    /* From here a signal stops the run between steps and discards OUT.tmp. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    handlers = 1;
    if ((rc = run_job_open(j, out, &err)))
        goto fail;
    cli_progress_init(&bar, cli_stderr_is_tty() && !cp.quiet);
    cli_progress_stage(&bar, "run", 0);
    while (j->done < c->n_scenarios) {
        cli_progress_show(&bar, j->done, c->n_scenarios, "scenarios");
        if ((rc = run_job_step(j, &err)))
            break;
        if (run_stop_signal) {
            rc = pb_error_set(&err, PB_EINTERRUPTED,
                              "interrupted by %s after %zu of %zu scenarios; %s not written",
                              run_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", j->done,
                              c->n_scenarios, out);
            break;
        }
    }
    cli_progress_end(&bar);
    if (rc || (rc = run_job_commit(j, &err)))
        goto fail;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (json)
        cli_json_print(run_json(j, out));
    else
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
    run_job_free(j); /* discards OUT.tmp */
    cfg_run_free(c);
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    return cli_fail(argv[0], &err);
}
