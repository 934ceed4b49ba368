/* mc_read.h: a finished Monte Carlo file read back (`prunebound info`): the
 * criterion, the sample count and the per-variant aggregates of
 * /aggregates, the same numbers `montecarlo` prints when it finishes. */
#ifndef PB_SIM_MC_MC_READ_H
#define PB_SIM_MC_MC_READ_H

#include <stddef.h>

#include <hdf5.h>

#include "mc_study.h"
#include "pb_error.h"

typedef struct mc_summary {
    size_t samples;                 /* samples of the study */
    size_t n_variants;
    double crit_tol, crit_tail, crit_radius, horizon; /* the outcome criterion */
    int complete;                   /* 0: an interrupted study (no aggregates) */
    char (*labels)[SIM_LABEL_MAX];  /* [n_variants] */
    mc_aggregate *agg;              /* [n_variants] */
    int has_spec;                   /* the study had a spec: the spec_* aggregates are set */
    size_t n_props;                 /* with a spec: its properties */
    mc_spec_agg_row *props;         /* [n_variants * n_props], variant-major: /spec_aggregates */
    int has_region;                 /* the file has /region (bounds.region): region_* are set */
    double *region_upper, *region_lower; /* [n_variants] /region's max_deviation_upper and
                                            _lower by label (NaN for a label not in it) */
} mc_summary;

/* Non-zero when the open file f carries format = "prunebound-montecarlo". */
int mc_file_is_kind(hid_t f);

/* Fills s from the open Monte Carlo file f (path names it in messages); s owns
 * two arrays released by mc_summary_free.  A file that is not complete is
 * read with n_variants = 0.  PB_EFORMAT naming the table or field that is
 * missing; PB_ENOMEM. */
int mc_summary_read(hid_t f, const char *path, mc_summary *s, pb_error *err);

/* Releases s's arrays (a zeroed s is fine). */
void mc_summary_free(mc_summary *s);

#endif
