/* cmd_montecarlo.c: `prunebound montecarlo CONFIG [-o FILE] [--samples N]
 * [--threads N] [--resume] [--set key.path=value]...`: the Monte Carlo
 * stability study of docs/MONTECARLO.md.  This file owns the study loop:
 * chunks of samples over the thread pool (and, in a PB_MPI build, over the
 * ranks), one append and flush per chunk, SIGINT/SIGTERM handling, progress
 * on a terminal, the aggregates and the table on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef PB_MPI
#include <mpi.h>
#endif

#include "cfg.h"
#include "cli_args.h"
#include "cli_json.h"
#include "cli_mc.h"
#include "cli_progress.h"
#include "h5_io.h"
#include "mc_study.h"
#include "run_job.h"
#include "run_mc.h"
#include "mlp.h"
#include "sim.h"

#define MC_SETS_MAX 256

/* Set by SIGINT/SIGTERM; the loop finishes the current chunk, then stops. */
static volatile sig_atomic_t mc_stop_signal;

static void on_signal(int sig)
{
    mc_stop_signal = sig;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: prunebound montecarlo CONFIG [-o FILE] [--samples N] [--threads N] [--resume]\n"
            "                             [--set key.path=value]...\n\n"
            "Monte Carlo stability study: sampled initial states (box, Gaussian or a 2-D grid),\n"
            "optional parameter randomisation and input or measurement noise, the original and\n"
            "every configured pruned policy; each loop is classified converged, bounded or\n"
            "diverged.  One summary row per sample and variant streams to FILE in chunks;\n"
            "per variant: stability rate with a Wilson 95%% interval, RMS quantiles, bounds,\n"
            "violations and the fraction certified at bounds.eps (docs/MONTECARLO.md).\n\n"
            "  -o FILE              results file (default: the config's output.file)\n"
            "  --samples N          number of samples (overrides montecarlo.samples)\n"
            "  --threads N          worker threads (default: the online CPUs); results are\n"
            "                       bit-identical for every N\n"
            "  --resume             continue the interrupted study in FILE.part\n"
            "  --set key.path=value override one key of the config (or add it)\n"
            "  --json               print one JSON document (docs/CLI.md) instead of the table\n"
            "  -q, --quiet          no progress line and no notes on stderr\n"
            "  -h, --help           this text\n\n"
            "Every long option also reads --name=VALUE.  The folder of FILE must exist.\n"
            "While running, the study lives in FILE.part, flushed after every chunk; SIGINT or\n"
            "SIGTERM finish the current chunk, leave FILE.part and print the command that resumes.  In an MPI build\n"
            "(-DPB_MPI=ON) run it under mpirun: the ranks share the samples, rank 0 writes.\n"
            "Exit status: 0 success, 2 bad usage or input, 1 internal failure, interruption or\n"
            "a bound violation.\n");
}

/* ---- The study ---- */

typedef struct mc_state {
    cfg_run *cfg;
    run_mc *job;    /* the policy, its variants, the model, the pool and the file */
    int rank, size; /* MPI (0, 1 without) */
} mc_state;

static void state_free(mc_state *s)
{
    run_mc_free(s->job);
    cfg_run_free(s->cfg);
}

/* The aggregates as the finished file holds them (mc_summary_read), printed
 * by cli_mc as `info FILE` prints them. */
static int print_result(const char *path, int json, pb_error *err)
{
    mc_summary sum;
    hid_t f = h5_open(path, H5F_ACC_RDONLY, err);
    int rc;

    if (f < 0)
        return err ? err->code : PB_EIO;
    rc = mc_summary_read(f, path, &sum, err);
    H5Fclose(f);
    if (rc)
        return rc;
    if (json) {
        json_t *doc = cli_mc_json(&sum, path);
        if (doc)
            json_object_set_new(doc, "command", json_string("montecarlo"));
        cli_json_print(doc);
    } else {
        cli_mc_table_print(stdout, &sum, path);
    }
    mc_summary_free(&sum);
    return PB_SUCCESS;
}

/* Runs samples [first, first + count) of this process's share and, under MPI,
 * gathers every rank's rows into rank 0's buffers (contiguous blocks per
 * rank, in rank order, so rank 0 holds the chunk in sample order). */
static int chunk_run(mc_state *s, pb_error *err)
{
#ifdef PB_MPI
    run_mc *j = s->job;
    size_t first = j->done, chunk = s->cfg->mc->chunk;
    size_t count = j->samples - first < chunk ? j->samples - first : chunk;
    size_t nv = j->v.n, nx = s->cfg->plant->type->nx, np = s->cfg->mc->n_params;
    size_t traj = mc_traj_size(&j->study);
    size_t base = count / (size_t)s->size, extra = count % (size_t)s->size;
    size_t my_first = (size_t)s->rank * base + ((size_t)s->rank < extra ? (size_t)s->rank : extra);
    size_t my_count = base + ((size_t)s->rank < extra);
    int rc = PB_SUCCESS;

    if (my_count)
        rc = mc_pool_run(j->pool, first + my_first, my_count, j->rows + my_first * nv,
                         j->x0s + my_first * nx, j->ps + my_first * np,
                         j->trajs ? j->trajs + my_first * traj : NULL, err);
    {
        /* Gather each array in place on rank 0 (MPI_IN_PLACE), sizes in bytes. */
        struct {
            void *buf;
            size_t per_sample; /* bytes */
        } parts[4] = {{j->rows, nv * sizeof(mc_row)},
                      {j->x0s, nx * sizeof(double)},
                      {j->ps, np * sizeof(double)},
                      {j->trajs, traj * sizeof(double)}};
        int *counts = malloc((size_t)s->size * sizeof *counts);
        int *displs = malloc((size_t)s->size * sizeof *displs);
        if (!counts || !displs) {
            free(counts);
            free(displs);
            return pb_error_set(err, PB_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < 4; k++) {
            if (!parts[k].buf || !parts[k].per_sample)
                continue;
            for (int r = 0; r < s->size; r++) {
                size_t f = (size_t)r * base + ((size_t)r < extra ? (size_t)r : extra);
                size_t c = base + ((size_t)r < extra);
                counts[r] = (int)(c * parts[k].per_sample);
                displs[r] = (int)(f * parts[k].per_sample);
            }
            if (s->rank == 0)
                MPI_Gatherv(MPI_IN_PLACE, 0, MPI_BYTE, parts[k].buf, counts, displs, MPI_BYTE, 0,
                            MPI_COMM_WORLD);
            else
                MPI_Gatherv((char *)parts[k].buf + my_first * parts[k].per_sample, counts[s->rank],
                            MPI_BYTE, NULL, NULL, NULL, MPI_BYTE, 0, MPI_COMM_WORLD);
        }
        free(counts);
        free(displs);
    }
    if (!rc && s->rank == 0)
        rc = mc_file_append(j->file, count, j->rows, j->x0s, j->ps, j->trajs, err);
    j->done += count;
    return rc;
#else
    return run_mc_step(s->job, err);
#endif
}

/* Broadcasts v from rank 0 (no-op without MPI). */
static void bcast_ll(const mc_state *s, long long *v)
{
#ifdef PB_MPI
    MPI_Bcast(v, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
#endif
    (void)s;
    (void)v;
}

/* What the command line asked for. */
typedef struct mc_args {
    const char *out;
    int resume, json, quiet;
    size_t threads;
    const char *resume_cmd; /* the command to paste after an interruption */
} mc_args;

static int study(mc_state *s, const mc_args *args, pb_error *err)
{
    const char *out = args->out;
    cfg_run *c = s->cfg;
    mc_options *o = c->mc;
    run_mc *j;
    mc_aggregate *agg = NULL;
    cli_progress pr;
    long long flag;
    int rc = PB_SUCCESS;

    /* The policy, its variants, the engine model and the pool (sim/run/run_mc.h). */
    if (!(j = s->job = run_mc_alloc(c, args->threads, err)))
        return err->code;
    if (j->v.note[0] && s->rank == 0 && !args->quiet)
        fprintf(stderr, "prunebound montecarlo: %s: %s\n", c->policy_file, j->v.note);

    /* Rank 0 opens the file; everyone learns where to start (or that it failed). */
    if (s->rank == 0)
        rc = run_mc_open(j, out, args->resume, err);
    flag = rc ? -1 : (long long)j->done;
    bcast_ll(s, &flag);
    if (flag < 0)
        return s->rank == 0 ? rc : PB_EIO;
    j->done = (size_t)flag;
    if (s->rank == 0 && args->resume && !args->quiet)
        fprintf(stderr, "prunebound montecarlo: resuming %s at sample %zu of %zu\n",
                mc_file_part_path(j->file), j->done, o->samples);

    cli_progress_init(&pr, s->rank == 0 && cli_stderr_is_tty() && !args->quiet);
    cli_progress_stage(&pr, "montecarlo", j->done);
    cli_progress_show(&pr, j->done, o->samples, "samples");
    while (j->done < o->samples) {
        rc = chunk_run(s, err);
        cli_progress_show(&pr, j->done, o->samples, "samples");
        /* Stop after this chunk on a signal (rank 0 decides for everyone). */
        flag = rc ? -1 : mc_stop_signal ? 1 : 0;
        bcast_ll(s, &flag);
        if (flag < 0) {
            rc = s->rank == 0 ? rc : PB_EIO;
            break;
        }
        if (flag > 0 && j->done < o->samples) {
            cli_progress_end(&pr);
            if (s->rank == 0) {
                fprintf(stderr,
                        "prunebound montecarlo: interrupted by %s after %zu of %zu samples; "
                        "%s is complete up to there.  Continue with:\n  %s\n",
                        mc_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", j->done, o->samples,
                        mc_file_part_path(j->file), args->resume_cmd);
                rc = pb_error_set(err, PB_EINTERRUPTED, "stopped (the command above resumes)");
            } else {
                rc = PB_EINTERRUPTED;
            }
            return rc; /* run_mc_free closes the file and keeps FILE.part */
        }
    }
    cli_progress_end(&pr);
    if (rc)
        return rc;
    if (s->rank != 0)
        return PB_SUCCESS;
    agg = calloc(j->v.n, sizeof *agg);
    if (!agg)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    if ((rc = run_mc_finish(j, agg, err))) {
        free(agg);
        return rc;
    }
    if ((rc = print_result(out, args->json, err))) {
        free(agg);
        return rc;
    }
    for (size_t v = 0; v < j->v.n; v++)
        if (agg[v].violations) {
            rc = pb_error_set(err, PB_EINTERNAL,
                              "%lld recorded deviation(s) of %s exceed their bound: this is a bug, "
                              "please report it with %s",
                              agg[v].violations, j->v.variants[v].label, out);
            break;
        }
    free(agg);
    return rc;
}

static int parse_size(const char *s, size_t *v)
{
    char *end;
    unsigned long long x;
    errno = 0;
    if (!s[0] || s[0] == '-')
        return -1;
    x = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = (size_t)x;
    return 0;
}

/* Appends word to buf (len bytes) quoted for a POSIX shell when it needs it. */
static void shell_append(char *buf, size_t len, const char *word)
{
    size_t n = strlen(buf);
    int plain = word[0] != '\0';

    for (const char *c = word; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%", *c))
            plain = 0;
    if (n && n + 1 < len)
        buf[n++] = ' ';
    if (plain) {
        snprintf(buf + n, len - n, "%s", word);
        return;
    }
    if (n + 1 < len)
        buf[n++] = '\'';
    for (const char *c = word; *c && n + 5 < len; c++) {
        if (*c == '\'') {
            memcpy(buf + n, "'\\''", 4); /* close, escaped quote, reopen */
            n += 4;
        } else {
            buf[n++] = *c;
        }
    }
    if (n + 1 < len)
        buf[n++] = '\'';
    buf[n < len ? n : len - 1] = '\0';
}

/* The command that resumes this study: the same arguments, --samples N
 * and -o FILE made explicit, and --resume. */
static void resume_command(char *buf, size_t len, int argc, char **argv, int have_samples,
                           int have_out, size_t samples, const char *out, int resume)
{
    char num[32];

    buf[0] = '\0';
    shell_append(buf, len, "prunebound");
    for (int i = 0; i < argc; i++)
        shell_append(buf, len, argv[i]);
    if (!have_out) {
        shell_append(buf, len, "-o");
        shell_append(buf, len, out);
    }
    if (!have_samples) {
        snprintf(num, sizeof num, "--samples=%zu", samples);
        shell_append(buf, len, num);
    }
    if (!resume)
        shell_append(buf, len, "--resume");
}

enum { OPT_OUTPUT = 1, OPT_SAMPLES, OPT_THREADS, OPT_RESUME, OPT_SET, OPT_JSON };

static const cli_option mc_opts[] = {
    {"output", 'o', 1, OPT_OUTPUT, "a file name"}, {"samples", 0, 1, OPT_SAMPLES, NULL}, {"threads", 0, 1, OPT_THREADS, NULL},
    {"resume", 0, 0, OPT_RESUME, NULL},   {"set", 0, 1, OPT_SET, "key.path=value"},         {"json", 0, 0, OPT_JSON, NULL},
    {NULL, 0, 0, 0, NULL}};

int cmd_montecarlo(int argc, char **argv)
{
    const char *sets[MC_SETS_MAX];
    const char *config = NULL, *v;
    char resume_cmd[8192];
    size_t n_sets = 0, samples = 0;
    int have_samples = 0, have_out = 0, rc, id;
    struct sigaction sa, old_int, old_term;
    mc_state s;
    mc_args args;
    cli_parser cp;
    pb_error err;

    memset(&s, 0, sizeof s);
    memset(&args, 0, sizeof args);
    s.size = 1;
    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, mc_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        switch (id) {
        case CLI_ERROR:
            return 2;
        case OPT_OUTPUT:
            args.out = v;
            have_out = 1;
            break;
        case OPT_SAMPLES:
            if (parse_size(v, &samples) || samples < 1)
                return cli_usage_error(argv[0], "--samples needs an integer >= 1");
            have_samples = 1;
            break;
        case OPT_THREADS:
            if (parse_size(v, &args.threads) || args.threads < 1 || args.threads > 4096)
                return cli_usage_error(argv[0], "--threads needs an integer from 1 to 4096");
            break;
        case OPT_RESUME:
            args.resume = 1;
            break;
        case OPT_JSON:
            args.json = 1;
            break;
        case OPT_SET:
            if (n_sets == MC_SETS_MAX)
                return cli_usage_error(argv[0], "more than %d --set options", MC_SETS_MAX);
            sets[n_sets++] = v;
            break;
        default: /* CLI_ARG */
            if (config)
                return cli_usage_error(argv[0], "expected one CONFIG, got '%s' too", v);
            config = v;
        }
    }
    args.quiet = cp.quiet;
    if (!config)
        return cli_usage_error(argv[0], "missing CONFIG");
    if (!args.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        args.threads = n > 0 ? (size_t)n : 1;
    }
#ifdef PB_MPI
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s.size);
#endif

    if ((rc = cfg_run_load(config, sets, n_sets, &s.cfg, &err)))
        goto fail;
    if (!s.cfg->mc) {
        rc = pb_error_set(&err, PB_EINVAL,
                          "%s: no montecarlo section (montecarlo = { sampler = {...}; ... }; see "
                          "docs/MONTECARLO.md)",
                          config);
        goto fail;
    }
    if (have_samples) {
        if (s.cfg->mc->sampler.kind == MC_SAMPLER_GRID && samples != s.cfg->mc->samples) {
            rc = pb_error_set(&err, PB_EINVAL,
                              "--samples %zu: the grid sampler of %s has %zu points; change "
                              "montecarlo.sampler.points instead",
                              samples, config, s.cfg->mc->samples);
            goto fail;
        }
        s.cfg->mc->samples = samples;
    }
    if (!args.out)
        args.out = s.cfg->output_file;
    resume_command(resume_cmd, sizeof resume_cmd, argc, argv, have_samples, have_out,
                   s.cfg->mc->samples, args.out, args.resume);
    args.resume_cmd = resume_cmd;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = study(&s, &args, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc)
        goto fail;
    state_free(&s);
#ifdef PB_MPI
    MPI_Finalize();
#endif
    return 0;
fail:
    state_free(&s);
    rc = s.rank == 0 ? cli_fail(argv[0], &err) : pb_exit_code(rc);
#ifdef PB_MPI
    MPI_Finalize();
#endif
    return rc;
}
