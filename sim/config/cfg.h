/* cfg.h: experiment configs (libconfig files, docs/CONFIG.md) read into plain
 * option structs.  This header does not expose libconfig; cfg*.c are the
 * only files that include it.  Every key is validated: an unknown key, a
 * wrong type, an out-of-range value or an inconsistent size gives PB_EINVAL
 * with the message "FILE:LINE: key.path: what is wrong". */
#ifndef PB_SIM_CONFIG_CFG_H
#define PB_SIM_CONFIG_CFG_H

#include <stddef.h>

#include "pb_error.h"
#include "plant.h"
#include "plant_step.h"
#include "sim_ref.h"
#include "sim.h"

#define CFG_PATH_MAX     1024
#define CFG_SPARSITY_MAX 32
#define CFG_LIST_MAX     4096 /* pruning entries and scenarios */

/* Where a key was written: the file and line of a setting (line 0 when it
 * came from --set or does not exist), and its full key path. */
typedef struct cfg_where {
    char file[CFG_PATH_MAX];
    int line;
    char key[128];
} cfg_where;

/* One entry of the pruning list. */
typedef struct cfg_prune {
    char method[32];
    size_t n_sparsity;
    double sparsity[CFG_SPARSITY_MAX];
    char pattern[16]; /* "unstructured" or "N:M" */
    char layers[64];  /* "all" or "1,3" */
    int global;       /* one ranking across layers (magnitude) */
    cfg_where where;
} cfg_prune;

typedef struct cfg_scenario {
    char name[64];
    double x0[PLANT_NX_MAX];
    cfg_where where;
} cfg_scenario;

typedef enum cfg_policy_kind {
    CFG_POLICY_FILE = 0, /* policy.file: a prunebound policy file */
    CFG_POLICY_IMPORT,   /* policy.import: a foreign format through controller/import/import_type.h */
    CFG_POLICY_TRAIN     /* policy.train: imitation of the LQR expert (sim_train.h) */
} cfg_policy_kind;

/* Everything `prunebound run` needs, read from one config. */
typedef struct cfg_run {
    char path[CFG_PATH_MAX]; /* the config file as given */
    char dir[CFG_PATH_MAX];  /* its folder: relative paths in the config start here */
    char *text;              /* the config after --set overrides (libconfig's writer) */

    /* plant */
    plant *plant; /* owned */
    cfg_where where_plant;

    /* simulation */
    double period, horizon;
    plant_integrator integ;
    sim_disturbance dist; /* simulation.disturbance (dist.on = 0 when absent) */

    sim_ref ref;
    sim_input input;

    /* policy */
    cfg_policy_kind policy_kind;
    char policy_file[CFG_PATH_MAX]; /* resolved against dir */
    cfg_where where_policy;         /* of policy.file / policy.import.file / policy.train */
    char import_format[16];         /* "" = from the extension */
    char import_acts[256];          /* "" = from the file */
    int has_out_offset, has_out_scale;
    double out_offset, out_scale; /* u = (N - offset) * scale */
    void *train;                  /* sim_train_opts when policy.train is given (owned) */

    /* calibration */
    size_t calib_trajectories;
    double calib_noise;
    unsigned long calib_seed;
    char calib_file[CFG_PATH_MAX]; /* "" = simulate */
    cfg_where where_calib;

    size_t n_prune;
    cfg_prune *prune; /* [n_prune] */

    size_t n_scenarios;
    cfg_scenario *scenarios; /* [n_scenarios] */

    /* criterion: the outcome of every closed loop (sim.h) */
    sim_criterion crit;
    cfg_where where_crit;

    double bound_eps;
    int bound_at_orig; /* bounds.at_orig: evaluate each variant at the original's states too */
    int bound_local;   /* bounds.local: record dev_bound_local too (default 0) */
    int bound_region;  /* bounds.region: the differential certificate per variant over the
                          initial-state box, /region (default 0; sim/run/run_region.h) */
    int bound_tube;    /* bounds.tube: record the certified tube (docs/TUBE.md) */
    int bound_tube_method; /* bounds.tube_method: 0 "centres" (default), 1 "tighter"
                              or 2 "differential" (tube_opts.differential) */
    char output_file[CFG_PATH_MAX]; /* resolved against the current directory as written */
    int traces;
    unsigned long seed;
    struct mc_options *mc; /* the montecarlo section when given (owned; sim/config/cfg_mc.c, mc_study.h) */
    struct spec *spec;     /* the spec section when given (owned; sim/config/cfg_spec.c, spec.h), else NULL */
    cfg_where where_spec;
    plant_user *user;      /* owned: the type of a user-defined plant (cfg_user.c), or NULL */
    plant_expr_map *obs;   /* owned: policy.observation (sim_model_alloc_observed), or NULL */
} cfg_run;

/* Reads the config at path, applies the overrides sets[0..n_sets) ("key.path=value"),
 * validates every key and fills *out (owned by the caller, cfg_run_free).
 * PB_EIO when the file cannot be read, PB_EINVAL for a syntax error or bad
 * key (message "FILE:LINE: key: problem"), PB_ENOMEM. */
int cfg_run_load(const char *path, const char *const sets[], size_t n_sets, cfg_run **out,
                 pb_error *err);
void cfg_run_free(cfg_run *c);

/* Prefixes err's message with "FILE:LINE: key: " from w (an error found after
 * loading, e.g. a policy that does not fit the plant); returns err->code. */
int cfg_error_at(pb_error *err, const cfg_where *w);

#endif
