/* cmd_bound.c: `prunebound bound -m ORIGINAL.h5 -p PRUNED.h5 -s STATES.h5 -o OUT.h5`:
 * on logged states, the actual action deviation of a policy pair and the
 * forward-pass and closed-form bounds of docs/BOUNDS.md (multi-layer
 * telescoping sum when several layers differ; bias changes covered), through
 * sim/certify/certify_states.h. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certify_states.h"
#include "cli_args.h"
#include "cli_json.h"
#include "cli_progress.h"
#include "mlp_io.h"

static const char *const bound_usage =
    "usage: prunebound bound -m ORIGINAL.h5 -p PRUNED.h5 -s STATES.h5 -o OUT.h5\n"
    "\n"
    "For every state x (dataset `states` [n, n_in] of STATES.h5, in the policy's\n"
    "state space: the input map is applied) computes\n"
    "  dev_actual        ||pi(x) - pi^(x)||, both output maps applied (scaled: it\n"
    "                    neither overflows nor underflows)\n"
    "  dev_actual_err    a certified bound of the rounding error of dev_actual\n"
    "  dev_bound         forward-pass bound g sum_k D^_k (||dW_k|| ||h_k(s)|| + ||db_k||)\n"
    "  dev_bound_closed  the same with ||h_k(s)|| replaced by its closed-form bound eta_k(||s||)\n"
    "  tightness         dev_actual / dev_bound\n"
    "  dev_bound_local   activation-aware bound of every perturbation with the pair's\n"
    "                    layer norms (docs/BOUNDS.md section 12), min'd with dev_bound\n"
    "and writes them (datasets of length n) with per-layer attributes to OUT.h5\n"
    "(written to OUT.h5.tmp, renamed when complete).  The changed layers are\n"
    "found by comparing weights: dW_k = W^_k - W_k is the full difference,\n"
    "compensation of kept weights included; bias changes db_k are covered too.\n"
    "Both bounds are certified in floating point (every norm and product rounded\n"
    "up, the forward passes' rounding included): a state whose dev_actual exceeds a\n"
    "bound by less than dev_actual_err is counted as attained to rounding, and only\n"
    "dev_actual - dev_actual_err > bound is a violation.  docs/BOUNDS.md derives it.\n"
    "\n"
    "options:\n"
    "  -m, --model FILE    original policy\n"
    "  -p, --pruned FILE   pruned (or otherwise perturbed) policy of the same shape\n"
    "  -s, --states FILE   HDF5 file with dataset `states`\n"
    "  -o, --output FILE   result file\n"
    "  --json              print one JSON document (docs/CLI.md) instead of the summary\n"
    "  -q, --quiet         no progress line on stderr\n"
    "Every long option also reads --name=VALUE.\n"
    "\n"
    "Exit status: 0 success; 2 bad usage, unreadable or mismatched input; 1 an\n"
    "internal failure, including a true bound violation (a bug: please report it).\n";

enum { OPT_MODEL = 1, OPT_PRUNED, OPT_STATES, OPT_OUTPUT, OPT_JSON };

static const cli_option bound_opts[] = {
    {"model", 'm', 1, OPT_MODEL, "a file name"},   {"pruned", 'p', 1, OPT_PRUNED, "a file name"},
    {"states", 's', 1, OPT_STATES, "a file name"}, {"output", 'o', 1, OPT_OUTPUT, "a file name"},
    {"json", 0, 0, OPT_JSON, NULL},                {NULL, 0, 0, 0, NULL}};

/* The JSON document of --json (docs/CLI.md). */
static json_t *bound_json(const certify_states *r, const mlp *m, size_t n, const char *mpath,
                          const char *ppath, const char *spath, const char *opath)
{
    json_t *doc = json_object(), *layers = json_array();

    json_object_set_new(doc, "command", json_string("bound"));
    json_object_set_new(doc, "file", json_string(opath));
    json_object_set_new(doc, "model", json_string(mpath));
    json_object_set_new(doc, "pruned", json_string(ppath));
    json_object_set_new(doc, "states", json_string(spath));
    json_object_set_new(doc, "n_states", json_integer((json_int_t)n));
    for (size_t k = 0; k < m->n_layers; k++)
        if (r->changed[k])
            json_array_append_new(layers,
                                  json_pack("{s:I, s:o, s:o}", "layer", (json_int_t)(k + 1),
                                            "dW_norm", cli_json_num(r->pair->dW_norm[k]),
                                            "db_norm", cli_json_num(r->pair->db_norm[k])));
    json_object_set_new(doc, "changed_layers", layers);
    json_object_set_new(doc, "output_gain", cli_json_num(r->bm->gain));
    json_object_set_new(doc, "max_dev_actual", cli_json_num(r->max_actual));
    json_object_set_new(doc, "max_dev_bound", cli_json_num(r->max_bound));
    json_object_set_new(doc, "max_dev_bound_closed", cli_json_num(r->max_closed));
    json_object_set_new(doc, "median_tightness", cli_json_num(r->median_tight));
    json_object_set_new(doc, "max_tightness", cli_json_num(r->max_tight));
    json_object_set_new(doc, "attained_to_rounding", json_integer((json_int_t)r->attained));
    json_object_set_new(doc, "violations", json_integer((json_int_t)r->violations));
    return doc;
}

int cmd_bound(int argc, char **argv)
{
    const char *mpath = NULL, *ppath = NULL, *spath = NULL, *opath = NULL;
    mlp *m = NULL, *p = NULL;
    certify_states *r = NULL;
    double *X = NULL;
    size_t n = 0;
    pb_error err;
    cli_parser cp;
    cli_progress bar;
    const char *v;
    int rc = 1, id, json = 0;

    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        fputs(bound_usage, stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, bound_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        if (id == CLI_ERROR)
            return 2;
        if (id == CLI_ARG)
            return cli_usage_error(argv[0], "unknown argument '%s'", v);
        if (id == OPT_MODEL)
            mpath = v;
        else if (id == OPT_PRUNED)
            ppath = v;
        else if (id == OPT_STATES)
            spath = v;
        else if (id == OPT_OUTPUT)
            opath = v;
        else
            json = 1;
    }
    if (!mpath || !ppath || !spath || !opath)
        return cli_usage_error(argv[0], "-m, -p, -s and -o are all required");

    if (mlp_read_h5(mpath, &m, &err) || mlp_read_h5(ppath, &p, &err))
        goto fail;
    if (bounds_pair_check(m, p, &err)) {
        pb_error_prefix(&err, "%s and %s: ", mpath, ppath);
        goto fail;
    }
    if (mlp_states_read_h5(spath, m->n_in, &X, &n, &err) ||
        !(r = certify_states_alloc(m, p, n, X, &err)))
        goto fail;
    /* The loop over states, in steps with a progress line on a terminal. */
    cli_progress_init(&bar, n >= 100000 && cli_stderr_is_tty() && !cp.quiet);
    cli_progress_stage(&bar, "bound", 0);
    while (r->done < n) {
        cli_progress_show(&bar, r->done, n, "states");
        certify_states_step(r, 4096);
    }
    cli_progress_end(&bar);
    certify_states_finish(r);
    if (certify_states_write(r, opath, &(certify_states_names){mpath, ppath, spath}, &err))
        goto fail;

    if (json) {
        cli_json_print(bound_json(r, m, n, mpath, ppath, spath, opath));
        goto verdict;
    }
    printf("%zu states; layers changed:", n);
    if (!r->pair->n_changed)
        printf(" none (the policies have equal weights and biases)");
    for (size_t k = 0; k < m->n_layers; k++)
        if (r->changed[k])
            printf(" %zu (||dW||_2 <= %.4g%s)", k + 1, r->pair->dW_norm[k],
                   r->pair->db_norm[k] > 0 ? ", bias changed" : "");
    printf("\n");
    for (size_t k = 0; k < m->n_layers; k++)
        if (r->pair->db_norm[k] > 0.0) {
            printf("  bias changes are included in the bound\n");
            break;
        }
    printf("  output gain %.4g\n", r->bm->gain);
    printf("  max dev_actual        %.6g\n", r->max_actual);
    printf("  max dev_bound         %.6g   (forward pass%s)\n", r->max_bound,
           r->pair->n_changed > 1 ? ", telescoping sum over the changed layers" : "");
    printf("  max dev_bound_closed  %.6g\n", r->max_closed);
    printf("  max dev_bound_local   %.6g   (activation-aware, never above dev_bound)\n",
           r->max_local);
    printf("  tightness actual/bound: median %.4g, max %.4g\n", r->median_tight, r->max_tight);
    printf("  attained to rounding  %lld   (dev_actual above a bound by less than its rounding "
           "error dev_actual_err)\n",
           r->attained);
    printf("  violations            %lld\n", r->violations);
    printf("wrote %s\n", opath);
verdict:
    rc = 0;
    if (r->violations) {
        fprintf(stderr,
                "prunebound %s: %lld state(s) where the deviation exceeds a bound by more "
                "than its rounding error: this is a bug, please report it with the three "
                "input files\n",
                argv[0], r->violations);
        rc = 1;
    }
    goto cleanup;
fail:
    rc = cli_fail(argv[0], &err);
cleanup:
    certify_states_free(r);
    mlp_free(m);
    mlp_free(p);
    free(X);
    return rc;
}
