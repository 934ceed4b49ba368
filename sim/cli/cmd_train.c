/* cmd_train.c: `prunebound train CONFIG -o POLICY.h5`: imitation of the
 * plant's LQR expert (sim_train.h) with the plant, control period,
 * integrator and policy.train section of a config (docs/TRAINING.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli_args.h"
#include "cli_progress.h"
#include "mlp_io.h"
#include "sim_train.h"

#define MAX_SETS 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: prunebound train CONFIG -o POLICY.h5 [--set key.path=value]...\n\n"
            "Trains an MLP policy to imitate the LQR expert of the config's plant, from the\n"
            "config's policy.train section (docs/TRAINING.md), and writes it as a policy file.\n"
            "The policy sees the tracking error x - x* and outputs the input u.\n"
            "Phases: expert rollouts (clean and with input noise), then DAgger rounds;\n"
            "each prints its data counts and the RMS action error (plant units) on the\n"
            "training and the held-out validation data.  Same config and seed: same file.\n\n"
            "options:\n"
            "  -o, --output FILE   the policy file to write (required)\n"
            "  --set KEY=VALUE     override a config key (repeatable)\n"
            "  -q, --quiet         no progress line on stderr\n"
            "  -h, --help          this help\n"
            "Every long option also reads --name=VALUE.\n");
}

enum { OPT_OUTPUT = 1, OPT_SET };

static const cli_option train_opts[] = {
    {"output", 'o', 1, OPT_OUTPUT, "a file name"}, {"set", 0, 1, OPT_SET, "key.path=value"}, {NULL, 0, 0, 0, NULL}};

int cmd_train(int argc, char **argv)
{
    const char *cfg_path = NULL, *out_path = NULL;
    const char *sets[MAX_SETS];
    size_t n_sets = 0;
    cfg_run *c = NULL;
    const sim_train_opts *o;
    sim_trainer *t = NULL;
    pb_error err;
    int tty = cli_stderr_is_tty();
    int rc, id;
    cli_parser cp;
    cli_progress bar;
    const char *v;

    pb_error_clear(&err);
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    cli_parser_init(&cp, argc, argv, train_opts);
    while ((id = cli_next(&cp, &v)) != CLI_END) {
        if (id == CLI_ERROR)
            return 2;
        if (id == OPT_OUTPUT) {
            out_path = v;
        } else if (id == OPT_SET) {
            if (n_sets >= MAX_SETS)
                return cli_usage_error(argv[0], "more than %d --set options", MAX_SETS);
            sets[n_sets++] = v;
        } else if (!cfg_path) {
            cfg_path = v;
        } else {
            return cli_usage_error(argv[0], "more than one config ('%s', '%s')", cfg_path, v);
        }
    }
    cli_progress_init(&bar, tty && !cp.quiet);
    if (!cfg_path)
        return cli_usage_error(argv[0], "no config given");
    if (!out_path)
        return cli_usage_error(argv[0], "no output file given (-o POLICY.h5)");

    if ((rc = cfg_run_load(cfg_path, sets, n_sets, &c, &err)) != PB_SUCCESS)
        return cli_fail(argv[0], &err);
    if (c->policy_kind != CFG_POLICY_TRAIN || !c->train) {
        pb_error_set(&err, PB_EINVAL, "the config has no policy.train section to train from");
        cfg_error_at(&err, &c->where_policy);
        rc = cli_fail(argv[0], &err);
        goto free_cfg;
    }
    o = c->train;
    t = sim_trainer_alloc(c->plant, &c->integ, c->period, o, &err);
    if (!t) {
        cfg_error_at(&err, &c->where_policy);
        rc = cli_fail(argv[0], &err);
        goto free_cfg;
    }
    printf("train %s: plant %s, period %g s, %zu phase(s), %zu epochs each\n", cfg_path,
           c->plant->type->name, c->period, sim_trainer_n_phases(t), o->epochs);
    for (size_t k = 0; k < sim_trainer_n_phases(t); k++) {
        sim_train_phase ph;
        if ((rc = sim_trainer_collect(t, &ph, &err)) != PB_SUCCESS)
            goto fail;
        if (k == 0)
            printf("phase 0 (expert): %zu rollouts, %zu diverged; samples %zu train, %zu "
                   "validation\n",
                   ph.rollouts, ph.diverged, ph.n_train, ph.n_val);
        else
            printf("phase %zu (DAgger): %zu learner rollouts, %zu settled, %zu diverged; "
                   "samples %zu train, %zu validation\n",
                   k, ph.rollouts, ph.settled, ph.diverged, ph.n_train, ph.n_val);
        {
            char label[64];
            snprintf(label, sizeof label, "train phase %zu", k);
            cli_progress_stage(&bar, label, 0);
        }
        for (size_t e = 0; e < o->epochs; e++) {
            sim_trainer_epoch(t);
            cli_progress_show(&bar, e + 1, o->epochs, "epochs");
        }
        cli_progress_end(&bar);
        if ((rc = sim_trainer_finish_phase(t, &ph, &err)) != PB_SUCCESS)
            goto fail;
        printf("  RMS action error: training %.4g, validation %.4g (max %.4g); loss %.3e\n",
               ph.rms_train, ph.rms_val, ph.max_val, ph.loss);
        fflush(stdout);
    }
    if ((rc = mlp_write_h5(sim_trainer_policy(t), out_path, &err)) != PB_SUCCESS)
        goto fail;
    printf("wrote %s\n", out_path);
    rc = 0;
    goto free_trainer;
fail:
    rc = cli_fail(argv[0], &err);
free_trainer:
    sim_trainer_free(t);
free_cfg:
    cfg_run_free(c);
    return rc;
}
