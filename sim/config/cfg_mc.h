/* cfg_mc.h: the `montecarlo = { ... }` section of a config (docs/MONTECARLO.md)
 * read into an mc_options (mc_study.h).  Included only by the cfg*.c files, which
 * alone include libconfig. */
#ifndef PB_SIM_CONFIG_CFG_MC_H
#define PB_SIM_CONFIG_CFG_MC_H

#include "cfg_internal.h"

/* When the root group has a `montecarlo` section, validates it against the
 * plant of r (already loaded) and stores a malloc'd mc_options in r->mc;
 * leaves r->mc NULL otherwise.  Defaults: mc_options_init, with seed =
 * r->seed and eps = r->bound_eps.  PB_EINVAL with "FILE:LINE: montecarlo.KEY:
 * problem", PB_ENOMEM. */
int cfg_mc_load(const cfg_ctx *c, config_setting_t *root, cfg_run *r);

#endif
