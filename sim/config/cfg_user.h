/* cfg_user.h: user-defined plants (plant.name = "linear" or "expr", or
 * plant.plugin) and the policy's observation map (policy.observation) from
 * a config (cfg_user.c; docs/PLANTS.md, docs/CONFIG.md). */
#ifndef PB_SIM_CONFIG_CFG_USER_H
#define PB_SIM_CONFIG_CFG_USER_H

#include "cfg_internal.h"

/* Non-zero when the plant section g (whose name is `name`) is a user plant. */
int cfg_plant_is_user(const config_setting_t *g, const char *name);

/* Builds the user plant of section g into r->user and sets *t to its type.
 * PB_EINVAL ("FILE:LINE: key: what is wrong"), PB_EIO (a plugin that does
 * not load), PB_ENOMEM. */
int cfg_plant_user_load(const cfg_ctx *c, config_setting_t *root, config_setting_t *g,
                        const char *name, cfg_run *r, const plant_type **t);

/* policy.observation, when given, compiled into r->obs over the names
 * [states, r_<state>..., t] of r's plant (sim_model_alloc_observed). */
int cfg_observation_load(const cfg_ctx *c, config_setting_t *root, cfg_run *r);

#endif
