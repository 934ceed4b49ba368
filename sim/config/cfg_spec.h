/* cfg_spec.h: the `spec = ( ... )` section of a config (docs/CONFIG.md,
 * docs/SAFETY.md) read into a spec (sim/spec/spec.h).  Included only by the
 * cfg*.c files, which alone include libconfig. */
#ifndef PB_SIM_CONFIG_CFG_SPEC_H
#define PB_SIM_CONFIG_CFG_SPEC_H

#include "cfg_internal.h"

/* When the root group has a `spec` list, validates it against the plant (state
 * names) and the simulation (period, horizon) of r, already loaded, and
 * stores a malloc'd spec in r->spec; leaves r->spec NULL otherwise.
 * PB_EINVAL with "FILE:LINE: spec[i].KEY: problem", PB_ENOMEM. */
int cfg_spec_load(const cfg_ctx *c, config_setting_t *root, cfg_run *r);

/* Frees a spec from cfg_spec_load with its compiled expressions (NULL: nothing). */
void cfg_spec_free(struct spec *s);

#endif
