/* cmd_plot.c: `prunebound plot RESULT.h5 [-o DIR] [--format png|svg|pdf]
 * [--variants LABEL,...] [--scenarios I,...]`:
 * the figures of a results file, drawn by gnuplot from .dat files written
 * next to them (plot_plan.h, docs/PLOTS.md). */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_args.h"
#include "cli_progress.h"
#include "plot_plan.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: prunebound plot RESULT.h5 [-o DIR] [--format png|svg|pdf] [--scripts DIR]\n"
            "                       [--variants LABEL,...] [--scenarios I,...]\n\n"
            "Draws the figures of a results file of `prunebound run` (action deviation and\n"
            "bounds over time, tracking error, x-y path, degradation against sparsity,\n"
            "tightness) or of `prunebound montecarlo` (stability rate with Wilson intervals,\n"
            "region-of-attraction maps) with gnuplot.\n\n"
            "  -o, --output DIR output folder (default results/<name>-plots)\n"
            "  -q, --quiet     no notes and no progress line on stderr\n"
            "  --format F      png (default), svg or pdf\n"
            "  --scripts DIR   the gnuplot scripts (default $PB_PLOT_SCRIPTS, else the\n"
            "                  installed PREFIX/" PB_INSTALL_PLOTDIR " beside\n"
            "                  PREFIX/" PB_INSTALL_BINDIR "/prunebound, else the source tree's\n"
            "                  results/plots for a binary run from its build folder)\n"
            "  --variants L,.. draw only these variants (labels as in `prunebound info`)\n"
            "  --scenarios I,.. draw only these scenarios (indices; `run` files only)\n\n"
            "The folder gets the figures, the .dat files they are drawn from and rerun.sh,\n"
            "which redraws them after a script is edited: sh DIR/rerun.sh [png|svg|pdf].\n"
            "Everything is written into DIR.tmp-XXXXXX beside DIR and moved into DIR at the\n"
            "end: a plot that fails leaves nothing behind.\n"
            "gnuplot must be on PATH.  Exit status 0, 2 on bad usage or input (missing\n"
            "dataset, no gnuplot), 1 when gnuplot fails.\n");
}

/* The gnuplot templates that go with this binary: PREFIX/share/prunebound/plots
 * when it runs as PREFIX/bin/prunebound (an installed copy works after the
 * source tree is gone), else the source tree it was built from. */
static void default_scripts(char *dir, size_t len)
{
    char exe[PATH_MAX], probe[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;

    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/'); /* PREFIX/bin/prunebound -> PREFIX/bin */
        if (slash) {
            *slash = '\0';
            slash = strrchr(exe, '/'); /* PREFIX/bin -> PREFIX */
            if (slash && strcmp(slash + 1, PB_INSTALL_BINDIR) == 0) {
                *slash = '\0';
                snprintf(probe, sizeof probe, "%s/" PB_INSTALL_PLOTDIR "/common.gp", exe);
                if (access(probe, R_OK) == 0 &&
                    (size_t)snprintf(dir, len, "%s/" PB_INSTALL_PLOTDIR, exe) < len)
                    return;
            }
        }
    }
    snprintf(dir, len, "%s", PB_SOURCE_DIR "/results/plots");
}

enum { OPT_OUTPUT = 1, OPT_FORMAT, OPT_SCRIPTS, OPT_VARIANTS, OPT_SCENARIOS };

static const cli_option plot_opts[] = {{"output", 'o', 1, OPT_OUTPUT, "a file name"},
                                       {"format", 0, 1, OPT_FORMAT, NULL},
                                       {"scripts", 0, 1, OPT_SCRIPTS, NULL},
                                       {"variants", 0, 1, OPT_VARIANTS, "a list of labels"},
                                       {"scenarios", 0, 1, OPT_SCENARIOS, "a list of scenarios"},
                                       {NULL, 0, 0, 0, NULL}};

int cmd_plot(int argc, char **argv)
{
    const char *input = NULL, *outdir = NULL, *scripts_arg = NULL;
    plot_select sel = {NULL, NULL};
    plot_out out;
    char dir[4096], gnuplot[4096], scripts[PATH_MAX], check[PATH_MAX + 32], deflt[PATH_MAX];
    plot_format fmt = PLOT_PNG;
    plot_plan plan = {0};
    cli_progress bar;
    pb_error err;
    cli_parser cp;
    const char *v;
    int rc, id;

    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, plot_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        if (id == CLI_ERROR)
            return 2;
        if (id == OPT_OUTPUT)
            outdir = v;
        else if (id == OPT_FORMAT) {
            if (plot_format_parse(v, &fmt, &err) != PB_SUCCESS)
                return cli_usage_error("plot", "%s", err.msg);
        } else if (id == OPT_SCRIPTS)
            scripts_arg = v;
        else if (id == OPT_VARIANTS)
            sel.variants = v;
        else if (id == OPT_SCENARIOS)
            sel.scenarios = v;
        else if (input)
            return cli_usage_error("plot", "one results file only ('%s' and '%s')", input, v);
        else
            input = v;
    }
    if (!input)
        return cli_usage_error("plot", "no results file given");

    /* gnuplot first: without it nothing is written */
    if (plot_gnuplot_find(gnuplot, sizeof gnuplot, &err) != PB_SUCCESS)
        return cli_fail("plot", &err);
    /* the scripts, as an absolute path (gnuplot runs in the output folder) */
    if (!scripts_arg)
        scripts_arg = getenv("PB_PLOT_SCRIPTS");
    if (!scripts_arg || !scripts_arg[0]) {
        default_scripts(deflt, sizeof deflt);
        scripts_arg = deflt;
    }
    snprintf(check, sizeof check, "%s/common.gp", scripts_arg);
    if (!realpath(scripts_arg, scripts) || access(check, R_OK) != 0) {
        pb_error_set(&err, PB_EIO, "no gnuplot scripts in %s (common.gp missing; --scripts DIR)",
                     scripts_arg);
        return cli_fail("plot", &err);
    }
    if (strchr(scripts, '\'') || strchr(scripts, '"') || strchr(scripts, '$')) {
        pb_error_set(&err, PB_EINVAL, "the scripts folder %s has a quote or $ in its path",
                     scripts);
        return cli_fail("plot", &err);
    }
    if (outdir)
        snprintf(dir, sizeof dir, "%s", outdir);
    else
        plot_default_dir(input, dir, sizeof dir);

    /* everything goes into out.tmp, which becomes dir at the end */
    if ((rc = plot_out_begin(&out, dir, &err)) != PB_SUCCESS)
        goto fail;
    if ((rc = plot_file_prepare_select(input, out.tmp, &sel, &plan, &err)) != PB_SUCCESS ||
        (rc = plot_rerun_write(&plan, scripts, out.tmp, &err)) != PB_SUCCESS)
        goto abort;
    /* the figures one by one, with a progress line on a terminal */
    cli_progress_init(&bar, cli_stderr_is_tty() && !cp.quiet);
    cli_progress_stage(&bar, "plot", 0);
    for (size_t i = 0; i < plan.n; i++) {
        cli_progress_show(&bar, i, plan.n, "figures");
        if ((rc = plot_plan_render_one(&plan, i, gnuplot, scripts, out.tmp, fmt, &err)) !=
            PB_SUCCESS) {
            cli_progress_end(&bar);
            goto abort;
        }
    }
    cli_progress_show(&bar, plan.n, plan.n, "figures");
    cli_progress_end(&bar);
    if ((rc = plot_out_commit(&out, &err)) != PB_SUCCESS)
        goto abort;
    if (plan.note[0] && !cp.quiet)
        fprintf(stderr, "prunebound plot: note: %s\n", plan.note);
    printf("%s: %zu figures (%s) in %s\n", input, plan.n, plot_format_ext(fmt), dir);
    for (size_t i = 0; i < plan.n; i++)
        printf("  %s.%s\n", plan.jobs[i].name, plot_format_ext(fmt));
    printf("redraw after editing a script in %s: sh %s/rerun.sh [png|svg|pdf]\n", scripts, dir);
    plot_plan_free(&plan);
    return 0;
abort:
    plot_out_abort(&out);
fail:
    plot_plan_free(&plan);
    return cli_fail("plot", &err);
}
