/* cmd_montecarlo.c: `prunebound montecarlo CONFIG [-o FILE] [--samples N]
 * [--threads N] [--resume] [--set key.path=value]...`: the Monte Carlo
 * stability study of docs/MONTECARLO.md through sim/run/run_mc.h.  This file
 * owns the loop over chunks (in a PB_MPI build, shared by the ranks),
 * SIGINT/SIGTERM handling, progress on a terminal and the table on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef PB_MPI
#include <mpi.h>
#endif

#include "cfg.h"
#include "cli_args.h"
#include "mc_study.h"
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
            "  --set key.path=value override one key of the config\n"
            "  -h, --help           this text\n\n"
            "While running, the study lives in FILE.part, flushed after every chunk; SIGINT or\n"
            "SIGTERM finish the current chunk and leave FILE.part for --resume.  In an MPI build\n"
            "(-DPB_MPI=ON) run it under mpirun: the ranks share the samples, rank 0 writes.\n"
            "Exit status: 0 success, 2 bad usage or input, 1 internal failure, interruption or\n"
            "a bound violation.\n");
}

/* ---- Progress (stderr, terminals only) ---- */

typedef struct progress {
    int on;
    size_t total, start;
    struct timespec t0;
} progress;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void progress_show(const progress *p, size_t done)
{
    char bar[31];
    double el, rate, frac = p->total ? (double)done / (double)p->total : 1.0;
    size_t fill = (size_t)(frac * 30.0);

    if (!p->on)
        return;
    el = seconds_since(&p->t0);
    rate = el > 0.0 ? (double)(done - p->start) / el : 0.0;
    for (size_t i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%% %zu/%zu samples, %.0f/s, %.0f s left   ", bar, 100.0 * frac,
            done, p->total, rate, rate > 0.0 ? (double)(p->total - done) / rate : 0.0);
    fflush(stderr);
}

static void progress_end(const progress *p)
{
    if (p->on)
        fprintf(stderr, "\r%*s\r", 78, "");
}

/* ---- The study (sim/run/run_mc.h) ---- */

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

static void print_table(const mc_state *s, const mc_aggregate *a, const char *path)
{
    const cfg_run *c = s->cfg;
    const run_variants *vs = &s->job->v;
    long long viol = 0, still = 0;

    printf("criterion: converged when ||x - r|| <= %g over the last %g%% of the %g s horizon; "
           "diverged on leaving the plant's limits",
           c->crit.tol, 100.0 * c->crit.tail, c->horizon);
    if (isfinite(c->crit.radius))
        printf(" or ||x - r|| > %g", c->crit.radius);
    printf("\n");
    printf("%-24s %9s %17s %9s %17s %10s %10s %9s %5s %6s\n", "variant", "conv_orig", "95% CI",
           "conv_prn", "95% CI", "rms50_orig", "rms50_prn", "max_bound", "viol", "cert");
    for (size_t v = 0; v < vs->n; v++) {
        const mc_aggregate *g = &a[v];
        printf("%-24s %9.4f [%6.4f, %6.4f] %9.4f [%6.4f, %6.4f] %10.4g %10.4g %9.3g %5lld %6.3f\n",
               vs->variants[v].label, g->rate_orig, g->rate_orig_lo, g->rate_orig_hi, g->rate_pruned,
               g->rate_pruned_lo, g->rate_pruned_hi, g->rms_orig_q[2], g->rms_pruned_q[2],
               g->max_dev_bound, g->violations, g->certified_fraction);
        viol += g->violations;
        /* every row of a sample shares its original loop: count that once */
        still += (v == 0 ? g->still_converging_orig : 0) + g->still_converging_pruned;
    }
    printf("%zu sample(s) x %zu variant(s); bound violations: %lld; written to %s\n",
           c->mc->samples, vs->n, viol, path);
    if (still)
        printf("note: %lld bounded loop(s) were still converging at the end of the %g s horizon "
               "(columns still_converging_*): a longer simulation.horizon may converge them\n",
               still, c->horizon);
}

/* The next chunk: run_mc_step on one process; under MPI, the ranks share
 * the chunk and rank 0 gathers every rank's rows into the job's buffers
 * (contiguous blocks per rank, in rank order, so rank 0 holds the chunk in
 * sample order) and appends them. */
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

static int study(mc_state *s, const char *out, int resume, size_t threads, pb_error *err)
{
    cfg_run *c = s->cfg;
    mc_options *o = c->mc;
    run_mc *j;
    mc_aggregate *agg = NULL;
    progress pr;
    long long flag;
    int rc = PB_SUCCESS;

    if (!(j = s->job = run_mc_alloc(c, threads, err)))
        return err->code;
    if (j->v.note[0] && s->rank == 0)
        fprintf(stderr, "prunebound montecarlo: %s: %s\n", c->policy_file, j->v.note);

    /* Rank 0 opens the file; everyone learns where to start (or that it failed). */
    if (s->rank == 0)
        rc = run_mc_open(j, out, resume, err);
    flag = rc ? -1 : (long long)j->done;
    bcast_ll(s, &flag);
    if (flag < 0)
        return s->rank == 0 ? rc : PB_EIO;
    j->done = (size_t)flag;
    if (s->rank == 0 && resume)
        fprintf(stderr, "prunebound montecarlo: resuming %s at sample %zu of %zu\n",
                mc_file_part_path(j->file), j->done, o->samples);

    pr.on = s->rank == 0 && cli_stderr_is_tty();
    pr.total = o->samples;
    pr.start = j->done;
    clock_gettime(CLOCK_MONOTONIC, &pr.t0);
    progress_show(&pr, j->done);
    while (j->done < o->samples) {
        rc = chunk_run(s, err);
        progress_show(&pr, j->done);
        /* Stop after this chunk on a signal (rank 0 decides for everyone). */
        flag = rc ? -1 : mc_stop_signal ? 1 : 0;
        bcast_ll(s, &flag);
        if (flag < 0) {
            rc = s->rank == 0 ? rc : PB_EIO;
            break;
        }
        if (flag > 0 && j->done < o->samples) {
            progress_end(&pr);
            if (s->rank == 0) {
                fprintf(stderr,
                        "prunebound montecarlo: interrupted by %s after %zu of %zu samples; "
                        "%s is complete up to there.\n",
                        mc_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", j->done, o->samples,
                        mc_file_part_path(j->file));
                rc = pb_error_set(err, PB_EINTERRUPTED,
                                  "stopped; continue with: prunebound montecarlo %s -o %s "
                                  "--resume (same --samples and --set options)",
                                  c->path, out);
            } else {
                rc = PB_EINTERRUPTED;
            }
            return rc; /* run_mc_free keeps FILE.part */
        }
    }
    progress_end(&pr);
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
    print_table(s, agg, out);
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

int cmd_montecarlo(int argc, char **argv)
{
    const char *sets[MC_SETS_MAX];
    const char *config = NULL, *out = NULL;
    size_t n_sets = 0, samples = 0, threads = 0;
    int resume = 0, have_samples = 0, rc;
    struct sigaction sa, old_int, old_term;
    mc_state s;
    pb_error err;

    memset(&s, 0, sizeof s);
    s.size = 1;
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
        } else if (strcmp(a, "--samples") == 0) {
            if (++i >= argc || parse_size(argv[i], &samples) || samples < 1)
                return cli_usage_error(argv[0], "--samples needs an integer >= 1");
            have_samples = 1;
        } else if (strcmp(a, "--threads") == 0) {
            if (++i >= argc || parse_size(argv[i], &threads) || threads < 1 || threads > 4096)
                return cli_usage_error(argv[0], "--threads needs an integer from 1 to 4096");
        } else if (strcmp(a, "--resume") == 0) {
            resume = 1;
        } else if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
            const char *v = a[5] == '=' ? a + 6 : (++i < argc ? argv[i] : NULL);
            if (!v)
                return cli_usage_error(argv[0], "--set needs key.path=value");
            if (n_sets == MC_SETS_MAX)
                return cli_usage_error(argv[0], "more than %d --set options", MC_SETS_MAX);
            sets[n_sets++] = v;
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
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (size_t)n : 1;
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
    if (!out)
        out = s.cfg->output_file;
    {
        /* Create the output folder when it is missing (one level). */
        char dir[CFG_PATH_MAX];
        char *slash;
        struct stat sb;
        snprintf(dir, sizeof dir, "%s", out);
        slash = strrchr(dir, '/');
        if (s.rank == 0 && slash && slash != dir) {
            *slash = '\0';
            if (stat(dir, &sb) != 0)
                mkdir(dir, 0777);
        }
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = study(&s, out, resume, threads, &err);
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
