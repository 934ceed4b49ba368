/* cli_mc.c: the Monte Carlo aggregates table and JSON (cli_mc.h). */
#include <math.h>
#include <stdio.h>

#include "cli_json.h"
#include "cli_mc.h"

void cli_mc_table_print(FILE *out, const mc_summary *s, const char *path)
{
    long long viol = 0, still = 0;

    fprintf(out,
            "criterion: converged when ||x - r|| <= %g over the last %g%% of the %g s horizon; "
            "diverged on leaving the plant's limits",
            s->crit_tol, 100.0 * s->crit_tail, s->horizon);
    if (isfinite(s->crit_radius))
        fprintf(out, " or ||x - r|| > %g", s->crit_radius);
    fprintf(out, "\n");
    fprintf(out, "%-24s %9s %17s %9s %17s %10s %10s %9s %5s %6s", "variant", "conv_orig",
            "95% CI", "conv_prn", "95% CI", "rms50_orig", "rms50_prn", "max_bound", "viol", "cert");
    /* bounds.region: the certificate over the sampler's box (/region) */
    if (s->has_region)
        fprintf(out, " %12s %12s", "region_upper", "region_lower");
    fprintf(out, "\n");
    for (size_t v = 0; v < s->n_variants; v++) {
        const mc_aggregate *g = &s->agg[v];
        fprintf(out,
                "%-24s %9.4f [%6.4f, %6.4f] %9.4f [%6.4f, %6.4f] %10.4g %10.4g %9.3g %5lld %6.3f",
                s->labels[v], g->rate_orig, g->rate_orig_lo, g->rate_orig_hi, g->rate_pruned,
                g->rate_pruned_lo, g->rate_pruned_hi, g->rms_orig_q[2], g->rms_pruned_q[2],
                g->max_dev_bound, g->violations, g->certified_fraction);
        if (s->has_region)
            fprintf(out, " %12.4g %12.4g", s->region_upper[v], s->region_lower[v]);
        fprintf(out, "\n");
        viol += g->violations;
        /* every row of a sample shares its original loop: count that once */
        still += (v == 0 ? g->still_converging_orig : 0) + g->still_converging_pruned;
    }
    fprintf(out, "%zu sample(s) x %zu variant(s); bound violations: %lld; written to %s\n",
            s->samples, s->n_variants, viol, path);
    if (s->has_spec) {
        /* the spec (docs/SAFETY.md): satisfied fractions, broken and repaired by pruning */
        fprintf(out, "spec (satisfied when robustness > 0):\n");
        fprintf(out, "%-24s %9s %17s %9s %17s %8s %7s %8s %7s\n", "variant", "sat_orig",
                "95% CI", "sat_prn", "95% CI", "broken", "rate", "repaired", "rate");
        for (size_t v = 0; v < s->n_variants; v++) {
            const mc_aggregate *g = &s->agg[v];
            fprintf(out, "%-24s %9.4f [%6.4f, %6.4f] %9.4f [%6.4f, %6.4f] %8lld %7.4f %8lld %7.4f\n",
                    s->labels[v], g->spec_rate_orig, g->spec_rate_orig_lo, g->spec_rate_orig_hi,
                    g->spec_rate_pruned, g->spec_rate_pruned_lo, g->spec_rate_pruned_hi,
                    g->spec_broken, g->spec_broken_rate, g->spec_repaired, g->spec_repaired_rate);
        }
    }
    if (s->n_props > 1) {
        /* each property alone (/spec_aggregates): which one pruning breaks */
        fprintf(out, "spec, per property:\n");
        fprintf(out, "%-24s %-16s %9s %9s %8s %7s %8s %7s\n", "variant", "property", "sat_orig",
                "sat_prn", "broken", "rate", "repaired", "rate");
        for (size_t k = 0; k < s->n_variants * s->n_props; k++) {
            const mc_spec_agg_row *p = &s->props[k];
            fprintf(out, "%-24s %-16s %9.4f %9.4f %8lld %7.4f %8lld %7.4f\n",
                    s->labels[k / s->n_props], p->property, p->rate_orig, p->rate_pruned,
                    p->broken, p->broken_rate, p->repaired, p->repaired_rate);
        }
    }
    if (still)
        fprintf(out,
                "note: %lld bounded loop(s) were still converging at the end of the %g s horizon "
                "(columns still_converging_*): a longer simulation.horizon may converge them\n",
                still, s->horizon);
}

static json_t *quantiles(const double q[MC_QUANTILES])
{
    json_t *a = json_array();
    for (size_t i = 0; i < MC_QUANTILES; i++)
        json_array_append_new(a, cli_json_num(q[i]));
    return a;
}

/* The spec's counts and rates, of the conjunction or of one property. */
static json_t *spec_json(long long sat_orig, long long sat_pruned, double rate_orig,
                         double rate_orig_lo, double rate_orig_hi, double rate_pruned,
                         double rate_pruned_lo, double rate_pruned_hi, long long broken,
                         double broken_rate, long long repaired, double repaired_rate)
{
    return json_pack("{s:I, s:I, s:o, s:[o, o], s:o, s:[o, o], s:I, s:o, s:I, s:o}",
                     "satisfied_orig", (json_int_t)sat_orig, "satisfied_pruned",
                     (json_int_t)sat_pruned, "rate_orig", cli_json_num(rate_orig),
                     "rate_orig_ci95", cli_json_num(rate_orig_lo), cli_json_num(rate_orig_hi),
                     "rate_pruned", cli_json_num(rate_pruned), "rate_pruned_ci95",
                     cli_json_num(rate_pruned_lo), cli_json_num(rate_pruned_hi), "broken",
                     (json_int_t)broken, "broken_rate", cli_json_num(broken_rate), "repaired",
                     (json_int_t)repaired, "repaired_rate", cli_json_num(repaired_rate));
}

json_t *cli_mc_json(const mc_summary *s, const char *path)
{
    json_t *doc = json_object(), *vs = json_array(), *lv = json_array();
    long long viol = 0;

    for (size_t i = 0; i < MC_QUANTILES; i++)
        json_array_append_new(lv, json_real(mc_quantile_levels[i]));
    json_object_set_new(doc, "file", json_string(path));
    json_object_set_new(doc, "criterion",
                        json_pack("{s:o, s:o, s:o, s:o}", "tol", cli_json_num(s->crit_tol), "tail",
                                  cli_json_num(s->crit_tail), "horizon", cli_json_num(s->horizon),
                                  "radius", cli_json_num(s->crit_radius)));
    json_object_set_new(doc, "samples", json_integer((json_int_t)s->samples));
    json_object_set_new(doc, "complete", json_boolean(s->complete));
    json_object_set_new(doc, "quantile_levels", lv);
    for (size_t v = 0; v < s->n_variants; v++) {
        const mc_aggregate *g = &s->agg[v];
        json_t *o = json_object();
        json_object_set_new(o, "label", json_string(s->labels[v]));
        json_object_set_new(o, "n", json_integer(g->n));
        json_object_set_new(o, "converged_orig", json_integer(g->converged_orig));
        json_object_set_new(o, "bounded_orig", json_integer(g->bounded_orig));
        json_object_set_new(o, "diverged_orig", json_integer(g->diverged_orig));
        json_object_set_new(o, "converged_pruned", json_integer(g->converged_pruned));
        json_object_set_new(o, "bounded_pruned", json_integer(g->bounded_pruned));
        json_object_set_new(o, "diverged_pruned", json_integer(g->diverged_pruned));
        json_object_set_new(o, "still_converging_orig", json_integer(g->still_converging_orig));
        json_object_set_new(o, "still_converging_pruned",
                            json_integer(g->still_converging_pruned));
        json_object_set_new(o, "rate_orig", cli_json_num(g->rate_orig));
        json_object_set_new(o, "rate_orig_ci95",
                            json_pack("[o, o]", cli_json_num(g->rate_orig_lo),
                                      cli_json_num(g->rate_orig_hi)));
        json_object_set_new(o, "rate_pruned", cli_json_num(g->rate_pruned));
        json_object_set_new(o, "rate_pruned_ci95",
                            json_pack("[o, o]", cli_json_num(g->rate_pruned_lo),
                                      cli_json_num(g->rate_pruned_hi)));
        json_object_set_new(o, "rms_orig_quantiles", quantiles(g->rms_orig_q));
        json_object_set_new(o, "rms_pruned_quantiles", quantiles(g->rms_pruned_q));
        json_object_set_new(o, "max_dev_actual", cli_json_num(g->max_dev_actual));
        json_object_set_new(o, "max_dev_bound", cli_json_num(g->max_dev_bound));
        json_object_set_new(o, "max_dev_bound_closed", cli_json_num(g->max_dev_bound_closed));
        json_object_set_new(o, "max_tightness", cli_json_num(g->max_tightness));
        json_object_set_new(o, "violations", json_integer(g->violations));
        json_object_set_new(o, "certified_fraction", cli_json_num(g->certified_fraction));
        if (s->has_region) {
            json_object_set_new(o, "region_upper", cli_json_num(s->region_upper[v]));
            json_object_set_new(o, "region_lower", cli_json_num(s->region_lower[v]));
        }
        if (s->has_spec) {
            /* the conjunction, and each property alone when the file has them */
            json_t *sp = spec_json(g->spec_sat_orig, g->spec_sat_pruned, g->spec_rate_orig,
                                   g->spec_rate_orig_lo, g->spec_rate_orig_hi,
                                   g->spec_rate_pruned, g->spec_rate_pruned_lo,
                                   g->spec_rate_pruned_hi, g->spec_broken, g->spec_broken_rate,
                                   g->spec_repaired, g->spec_repaired_rate);
            json_t *props = json_array();
            for (size_t q = 0; q < s->n_props; q++) {
                const mc_spec_agg_row *p = &s->props[v * s->n_props + q];
                json_t *po = spec_json(p->sat_orig, p->sat_pruned, p->rate_orig, p->rate_orig_lo,
                                       p->rate_orig_hi, p->rate_pruned, p->rate_pruned_lo,
                                       p->rate_pruned_hi, p->broken, p->broken_rate, p->repaired,
                                       p->repaired_rate);
                json_object_set_new(po, "property", json_string(p->property));
                json_array_append_new(props, po);
            }
            json_object_set_new(sp, "properties", props);
            json_object_set_new(o, "spec", sp);
        }
        json_array_append_new(vs, o);
        viol += g->violations;
    }
    json_object_set_new(doc, "violations", json_integer(viol));
    json_object_set_new(doc, "variants", vs);
    return doc;
}
