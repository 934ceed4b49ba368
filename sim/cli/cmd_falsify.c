/* cmd_falsify.c: `prunebound falsify CONFIG [--box LO,HI,...] [--variant
 * original|LABEL] [--broken] [--budget N] [--seed S] [-o FILE] [--json] [-q]`:
 * searches the initial states of a box for a violation of the config's spec
 * (sim/falsify/falsify.h, docs/SAFETY.md), prints what it found and, with
 * -o, writes the counterexample's trajectories as a results file. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg.h"
#include "cli_args.h"
#include "cli_progress.h"
#include "falsify.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: prunebound falsify CONFIG [--box LO,HI,...] [--variant original|LABEL] "
            "[--broken]\n"
            "                          [--budget N] [--seed S] [-o FILE] [--json] "
            "[--set key.path=value]...\n\n"
            "Searches initial states in a box for the lowest robustness of CONFIG's spec\n"
            "(Nelder-Mead simplex with seeded random restarts, docs/SAFETY.md); with --broken,\n"
            "for the largest gap between the original's robustness and the pruned variant's\n"
            "where the original satisfies the spec.\n\n"
            "  --box LO,HI,...   the box, one LO,HI pair per state (default: the montecarlo\n"
            "                    sampler's box, else the box of the scenarios' x0)\n"
            "  --variant V       the loop searched: original (default) or a variant label\n"
            "  --broken          search where pruning breaks the spec (needs --variant LABEL)\n"
            "  --budget N        loop evaluations (default 1000)\n"
            "  --seed S          random restarts' seed (default 1)\n"
            "  -o FILE           write the counterexample's run as a results file (plot draws it)\n"
            "  --json            one JSON document on stdout\n"
            "  --set k=v         override one key of the config (or add it)\n"
            "  -q, --quiet       no progress line on stderr\n"
            "  -h, --help        this text\n\n"
            "Every long option also reads --name=VALUE.  Progress (evaluations, rate, time\n"
            "left) is shown on stderr when it is a terminal.\n"
            "Exit status: 0 whether or not a violation was found, 2 bad usage or input,\n"
            "1 internal failure.\n");
}

static int parse_box(const char *s, size_t nx, double lo[], double hi[])
{
    char *end;
    for (size_t i = 0; i < 2 * nx; i++) {
        double v;
        errno = 0;
        v = strtod(s, &end);
        if (end == s || errno || !isfinite(v))
            return -1;
        (i % 2 ? hi : lo)[i / 2] = v;
        s = end;
        if (i + 1 < 2 * nx) {
            if (*s != ',')
                return -1;
            s++;
        }
    }
    return *s ? -1 : 0;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_string(v > 0 ? "inf" : v < 0 ? "-inf" : "nan");
}

enum { OPT_BOX = 1, OPT_VARIANT, OPT_BROKEN, OPT_BUDGET, OPT_SEED, OPT_OUTPUT, OPT_JSON, OPT_SET };

static const cli_option falsify_options[] = {
    {"box", 0, 1, OPT_BOX, "LO,HI pairs"},   {"variant", 0, 1, OPT_VARIANT, "a variant label"},
    {"broken", 0, 0, OPT_BROKEN, NULL},      {"budget", 0, 1, OPT_BUDGET, "a count"},
    {"seed", 0, 1, OPT_SEED, "a count"},     {"output", 'o', 1, OPT_OUTPUT, "a file name"},
    {"json", 0, 0, OPT_JSON, NULL},          {"set", 0, 1, OPT_SET, "key.path=value"},
    {NULL, 0, 0, 0, NULL}};

int cmd_falsify(int argc, char **argv)
{
    const char *sets[64], *config = NULL, *box = NULL, *variant = NULL, *out = NULL, *v;
    size_t n_sets = 0, nx;
    int json = 0, rc, id;
    cli_parser cp;
    cli_progress prog;
    falsify_opts o;
    falsify_result r;
    falsify_job *j = NULL;
    cfg_run *c = NULL;
    pb_error err;

    pb_error_clear(&err);
    memset(&o, 0, sizeof o);
    o.budget = 1000;
    o.seed = 1;
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, falsify_options);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        char *end;
        unsigned long long x;
        switch (id) {
        case CLI_ERROR:
            return 2;
        case CLI_ARG:
            if (config)
                return cli_usage_error(argv[0], "expected one CONFIG, got '%s' too", v);
            config = v;
            break;
        case OPT_BOX:
            box = v;
            break;
        case OPT_VARIANT:
            variant = v;
            break;
        case OPT_OUTPUT:
            out = v;
            break;
        case OPT_SET:
            if (n_sets == 64)
                return cli_usage_error(argv[0], "more than 64 --set options");
            sets[n_sets++] = v;
            break;
        case OPT_BUDGET:
        case OPT_SEED:
            errno = 0;
            x = strtoull(v, &end, 10);
            if (!*v || *end || errno || v[0] == '-' ||
                (id == OPT_BUDGET && (x < 1 || x > 100000000ULL)))
                return cli_usage_error(argv[0], "%s: '%s' is not a valid count",
                                       cli_last_name(&cp), v);
            if (id == OPT_BUDGET)
                o.budget = (size_t)x;
            else
                o.seed = (unsigned long)x;
            break;
        case OPT_BROKEN:
            o.broken = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default:
            break;
        }
    }
    if (!config)
        return cli_usage_error(argv[0], "missing CONFIG");
    if (o.broken && (!variant || strcmp(variant, "original") == 0))
        return cli_usage_error(argv[0], "--broken needs --variant LABEL (a pruned variant)");
    if ((rc = cfg_run_load(config, sets, n_sets, &c, &err)))
        goto fail;
    nx = c->plant->type->nx;
    falsify_default_box(c, o.lo, o.hi);
    if (box && parse_box(box, nx, o.lo, o.hi) != 0) {
        cfg_run_free(c);
        return cli_usage_error(argv[0], "--box needs %zu LO,HI pairs (%zu numbers, commas)", nx,
                               2 * nx);
    }
    if (!(j = falsify_job_alloc(c, variant, &o, &err))) {
        rc = err.code;
        goto fail;
    }
    cli_progress_init(&prog, cli_stderr_is_tty() && !cp.quiet);
    cli_progress_stage(&prog, "falsify", 0);
    while (!falsify_is_done(j->search)) {
        if ((rc = falsify_step(j->search, &err))) {
            cli_progress_end(&prog);
            goto fail;
        }
        falsify_get_result(j->search, &r);
        cli_progress_show(&prog, r.evaluations, o.budget, "evaluations");
    }
    cli_progress_end(&prog);
    falsify_get_result(j->search, &r);
    if (json) {
        json_t *doc = json_object(), *x0 = json_array();
        for (size_t i = 0; i < nx; i++)
            json_array_append_new(x0, json_real(r.x0[i]));
        json_object_set_new(doc, "command", json_string("falsify"));
        json_object_set_new(doc, "config", json_string(config));
        json_object_set_new(doc, "variant", json_string(j->variant < 0
                                                            ? "original"
                                                            : j->v.variants[j->variant].label));
        json_object_set_new(doc, "broken", json_boolean(o.broken));
        json_object_set_new(doc, "found", json_boolean(r.found));
        json_object_set_new(doc, "x0", x0);
        json_object_set_new(doc, "robustness", num(r.robustness));
        if (o.broken)
            json_object_set_new(doc, "robustness_original", num(r.robustness_original));
        json_object_set_new(doc, "evaluations", json_integer((json_int_t)r.evaluations));
        json_object_set_new(doc, "restarts", json_integer((json_int_t)r.restarts));
        json_object_set_new(doc, "seed", json_integer((json_int_t)o.seed));
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("\n");
        json_decref(doc);
    } else {
        printf("%s: %s of the spec %s (%zu evaluations, %zu restarts, seed %lu)\n",
               j->variant < 0 ? "original" : j->v.variants[j->variant].label,
               o.broken ? (r.found ? "pruning BREAKS" : "no break found")
                        : (r.found ? "VIOLATION" : "no violation found"),
               c->spec->props[0].name, r.evaluations, r.restarts, o.seed);
        printf("x0 =");
        for (size_t i = 0; i < nx; i++)
            printf(" %.17g", r.x0[i]);
        printf("\nrobustness %.6g", r.robustness);
        if (o.broken)
            printf(" (original %.6g)", r.robustness_original);
        printf("\n");
    }
    if (out) {
        if ((rc = falsify_job_write(j, &r, out, &err)))
            goto fail;
        if (!json)
            printf("counterexample written to %s\n", out);
    }
    falsify_job_free(j);
    cfg_run_free(c);
    return 0;
fail:
    falsify_job_free(j);
    cfg_run_free(c);
    return cli_fail(argv[0], &err);
}
