/* cfg_train.h: the `policy.train` section of a config (docs/TRAINING.md)
 * read into a sim_train_opts.  The config loader (cfg*.c, the only code that
 * includes libconfig) passes the section's libconfig setting; this header
 * only forward-declares libconfig's type so that nothing else depends on it.
 *
 *   policy: { train: {
 *       hidden = [32, 32]; activation = "tanh"; seed = 1;
 *       box = [0.5, 1.0];             # half-widths of the initial tracking error, nx entries
 *       trajectories = 100; steps = 100; uniform = 0; noise = 0.1;
 *       dagger_rounds = 2; dagger_keep = 2.0;
 *       epochs = 200; batch = 64; learning_rate = 3e-3; learning_rate_final = 3e-4;
 *       validation = 0.2; q = [...]; r = [...]; pin_equilibrium = true; alpha = 0.01;
 *   }; };
 */
#ifndef PB_SIM_CONFIG_CFG_TRAIN_H
#define PB_SIM_CONFIG_CFG_TRAIN_H

#include "pb_error.h"
#include "plant.h"
#include "sim_train.h"

struct config_setting_t; /* libconfig */

/* Fills *o from the group `train` (defaults for absent keys, sim_train_opts_init)
 * for a plant of type t, and validates it (sim_train_opts_validate).  Unknown
 * keys, wrong types and bad values give PB_EINVAL with the message
 * "FILE:LINE: policy.train.KEY: what is wrong"; FILE is the setting's source
 * file, or `file` when libconfig does not know it (an override). */
int cfg_train_parse(const struct config_setting_t *train, const plant_type *t, const char *file,
                    sim_train_opts *o, pb_error *err);

/* Reads only `policy.train` (and nothing else) from the config file at
 * path, for callers without the full loader; PB_EIO when the file cannot be
 * read, PB_EINVAL for a syntax error or a missing section. */
int cfg_train_load(const char *path, const plant_type *t, sim_train_opts *o, pb_error *err);

#endif
