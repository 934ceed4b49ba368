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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef PB_MPI
#include <mpi.h>
#endif

#include "cfg.h"
#include "cli_args.h"
#include "mc_study.h"
#include "run_job.h"
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

/* ---- The study ---- */

typedef struct mc_state {
    cfg_run *cfg;
    run_variants v; /* the policy and its pruned variants, as `run` builds them */
    sim_model *model;
    mc_pool *pool;
    mc_row *rows;
    double *x0s, *ps, *trajs;
    int rank, size; /* MPI (0, 1 without) */
} mc_state;

static void state_free(mc_state *s)
{
    mc_pool_free(s->pool);
    sim_model_free(s->model);
    run_variants_free(&s->v);
    free(s->rows);
    free(s->x0s);
    free(s->ps);
    free(s->trajs);
    cfg_run_free(s->cfg);
}

static void print_table(const mc_state *s, const mc_aggregate *a, const char *path)
{
    const cfg_run *c = s->cfg;
    long long viol = 0, still = 0;

    printf("criterion: converged when ||x - r|| <= %g over the last %g%% of the %g s horizon; "
           "diverged on leaving the plant's limits",
           c->crit.tol, 100.0 * c->crit.tail, c->horizon);
    if (isfinite(c->crit.radius))
        printf(" or ||x - r|| > %g", c->crit.radius);
    printf("\n");
    printf("%-24s %9s %17s %9s %17s %10s %10s %9s %5s %6s\n", "variant", "conv_orig", "95% CI",
           "conv_prn", "95% CI", "rms50_orig", "rms50_prn", "max_bound", "viol", "cert");
    for (size_t v = 0; v < s->v.n; v++) {
        const mc_aggregate *g = &a[v];
        printf("%-24s %9.4f [%6.4f, %6.4f] %9.4f [%6.4f, %6.4f] %10.4g %10.4g %9.3g %5lld %6.3f\n",
               s->v.variants[v].label, g->rate_orig, g->rate_orig_lo, g->rate_orig_hi, g->rate_pruned,
               g->rate_pruned_lo, g->rate_pruned_hi, g->rms_orig_q[2], g->rms_pruned_q[2],
               g->max_dev_bound, g->violations, g->certified_fraction);
        viol += g->violations;
        /* every row of a sample shares its original loop: count that once */
        still += (v == 0 ? g->still_converging_orig : 0) + g->still_converging_pruned;
    }
    printf("%zu sample(s) x %zu variant(s); bound violations: %lld; written to %s\n",
           c->mc->samples, s->v.n, viol, path);
    if (c->spec) {
        /* the spec (docs/SAFETY.md): satisfied fractions, broken and repaired by pruning */
        printf("spec (%zu propert%s, satisfied when robustness > 0):\n", c->spec->n,
               c->spec->n == 1 ? "y" : "ies");
        printf("%-24s %9s %17s %9s %17s %8s %7s %8s %7s\n", "variant", "sat_orig", "95% CI",
               "sat_prn", "95% CI", "broken", "rate", "repaired", "rate");
        for (size_t v = 0; v < s->v.n; v++) {
            const mc_aggregate *g = &a[v];
            printf("%-24s %9.4f [%6.4f, %6.4f] %9.4f [%6.4f, %6.4f] %8lld %7.4f %8lld %7.4f\n",
                   s->v.variants[v].label, g->spec_rate_orig, g->spec_rate_orig_lo,
                   g->spec_rate_orig_hi, g->spec_rate_pruned, g->spec_rate_pruned_lo,
                   g->spec_rate_pruned_hi, g->spec_broken, g->spec_broken_rate, g->spec_repaired,
                   g->spec_repaired_rate);
        }
    }
    if (still)
        printf("note: %lld bounded loop(s) were still converging at the end of the %g s horizon "
               "(columns still_converging_*): a longer simulation.horizon may converge them\n",
               still, c->horizon);
}

/* Runs samples [first, first + count) of this process's share and, under MPI,
 * gathers every rank's rows into rank 0's buffers (contiguous blocks per
 * rank, in rank order, so rank 0 holds the chunk in sample order). */
static int chunk_run(mc_state *s, size_t first, size_t count, pb_error *err)
{
    size_t nv = s->v.n, nx = s->cfg->plant->type->nx, np = s->cfg->mc->n_params;
    size_t traj = mc_traj_size(&(mc_study){s->model, s->cfg->mc, s->cfg->spec});
#ifdef PB_MPI
    size_t base = count / (size_t)s->size, extra = count % (size_t)s->size;
    size_t my_first = (size_t)s->rank * base + ((size_t)s->rank < extra ? (size_t)s->rank : extra);
    size_t my_count = base + ((size_t)s->rank < extra);
    int rc = PB_SUCCESS;

    if (my_count)
        rc = mc_pool_run(s->pool, first + my_first, my_count, s->rows + my_first * nv,
                         s->x0s + my_first * nx, s->ps + my_first * np,
                         s->trajs ? s->trajs + my_first * traj : NULL, err);
    {
        /* Gather each array in place on rank 0 (MPI_IN_PLACE), sizes in bytes. */
        struct {
            void *buf;
            size_t per_sample; /* bytes */
        } parts[4] = {{s->rows, nv * sizeof(mc_row)},
                      {s->x0s, nx * sizeof(double)},
                      {s->ps, np * sizeof(double)},
                      {s->trajs, traj * sizeof(double)}};
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
    return rc;
#else
    (void)traj;
    (void)nv;
    (void)nx;
    (void)np;
    return mc_pool_run(s->pool, first, count, s->rows, s->x0s, s->ps, s->trajs, err);
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
    mc_study st;
    mc_header h;
    mc_file *f = NULL;
    mc_aggregate *agg = NULL;
    size_t nx = c->plant->type->nx, done = 0, traj;
    progress pr;
    long long flag;
    int rc = PB_SUCCESS;

    if ((rc = run_variants_build(c, &s->v, err)))
        return rc;
    if (s->v.note[0] && s->rank == 0)
        fprintf(stderr, "prunebound montecarlo: %s: %s\n", c->policy_file, s->v.note);
    if (s->v.n == 0)
        return pb_error_set(err, PB_EINVAL,
                            "%s: pruning: montecarlo needs at least one variant "
                            "(sparsity 0.0 gives the original's twin)",
                            c->path);
    s->model = sim_model_alloc_observed(c->plant, &c->integ, c->period, c->horizon, &c->ref,
                                        c->input, c->obs, &c->crit,
                                        &(sim_policy){s->v.orig, NULL, NULL}, s->v.n,
                                        s->v.variants, err);
    if (!s->model)
        return err->code;
    s->model->dev_at_orig = c->bound_at_orig;
    s->model->bound_local = c->bound_local;
    if (c->dist.on && (rc = sim_model_set_disturbance(s->model, &c->dist, err)))
        return rc;
    st.model = s->model;
    st.opts = o;
    st.spec = c->spec;
    traj = mc_traj_size(&st);
    s->rows = calloc(o->chunk * s->v.n, sizeof *s->rows);
    s->x0s = calloc(o->chunk * nx, sizeof *s->x0s);
    s->ps = calloc(o->chunk * (o->n_params ? o->n_params : 1), sizeof *s->ps);
    s->trajs = traj ? calloc(o->chunk * traj, sizeof *s->trajs) : NULL;
    if (!s->rows || !s->x0s || !s->ps || (traj && !s->trajs))
        return pb_error_set(err, PB_ENOMEM, "out of memory for a chunk of %zu samples", o->chunk);
    s->pool = mc_pool_alloc(&st, threads, err);
    if (!s->pool)
        return err->code;
    h.config_text = c->text;
    h.config_file = c->path;
    h.plant_name = c->plant->type->name;
    h.nx = nx;
    h.nu = c->plant->type->nu;
    h.n_steps = s->model->n_steps;
    h.period = c->period;
    h.horizon = c->horizon;
    h.n_variants = s->v.n;
    h.variants = s->v.variants;

    /* Rank 0 opens the file; everyone learns where to start (or that it failed). */
    if (s->rank == 0) {
        rc = resume ? mc_file_resume(out, &st, &h, &f, &done, err)
                    : mc_file_create(out, &st, &h, &f, err);
    }
    flag = rc ? -1 : (long long)done;
    bcast_ll(s, &flag);
    if (flag < 0)
        return s->rank == 0 ? rc : PB_EIO;
    done = (size_t)flag;
    if (s->rank == 0 && resume)
        fprintf(stderr, "prunebound montecarlo: resuming %s at sample %zu of %zu\n",
                mc_file_part_path(f), done, o->samples);

    pr.on = s->rank == 0 && cli_stderr_is_tty();
    pr.total = o->samples;
    pr.start = done;
    clock_gettime(CLOCK_MONOTONIC, &pr.t0);
    progress_show(&pr, done);
    while (done < o->samples) {
        size_t count = o->samples - done < o->chunk ? o->samples - done : o->chunk;
        if ((rc = chunk_run(s, done, count, err)))
            break;
        if (s->rank == 0)
            rc = mc_file_append(f, count, s->rows, s->x0s, s->ps, s->trajs, err);
        done += count;
        progress_show(&pr, done);
        /* Stop after this chunk on a signal (rank 0 decides for everyone). */
        flag = rc ? -1 : mc_stop_signal ? 1 : 0;
        bcast_ll(s, &flag);
        if (flag < 0) {
            rc = s->rank == 0 ? rc : PB_EIO;
            break;
        }
        if (flag > 0 && done < o->samples) {
            progress_end(&pr);
            if (s->rank == 0) {
                fprintf(stderr,
                        "prunebound montecarlo: interrupted by %s after %zu of %zu samples; "
                        "%s is complete up to there.\n",
                        mc_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", done, o->samples,
                        mc_file_part_path(f));
                rc = pb_error_set(err, PB_EINTERRUPTED,
                                  "stopped; continue with: prunebound montecarlo %s -o %s "
                                  "--resume (same --samples and --set options)",
                                  c->path, out);
            } else {
                rc = PB_EINTERRUPTED;
            }
            mc_file_close(f);
            return rc;
        }
    }
    progress_end(&pr);
    if (rc) {
        mc_file_close(f);
        return rc;
    }
    if (s->rank != 0)
        return PB_SUCCESS;
    agg = calloc(s->v.n, sizeof *agg);
    if (!agg) {
        mc_file_close(f);
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    }
    if ((rc = mc_file_finish(f, agg, err))) {
        free(agg);
        return rc;
    }
    print_table(s, agg, out);
    for (size_t v = 0; v < s->v.n; v++)
        if (agg[v].violations) {
            rc = pb_error_set(err, PB_EINTERNAL,
                              "%lld recorded deviation(s) of %s exceed their bound: this is a bug, "
                              "please report it with %s",
                              agg[v].violations, s->v.variants[v].label, out);
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
