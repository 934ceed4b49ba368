# spec_rate.gp: Monte Carlo safety: the fraction of sampled initial states
# whose pruned loop satisfies the config's spec (robustness > 0, docs/SAFETY.md)
# against sparsity, one line per pruning method with 95 % Wilson error bars;
# the original policy's fraction and interval in grey as the reference.
# Data: spec_rate.dat, one block per method: 1 sparsity, 2 rate_pruned,
# 3 rate_pruned_lo, 4 rate_pruned_hi, 5-7 the original's, 8 broken_rate,
# 9 repaired_rate, 10 n, 11 broken, 12 repaired.
# Variables: plant, crit (horizon and what "satisfied" means), samples,
# orig_rate, orig_lo, orig_hi, n, array keys[n], methods[n], sub[n] (colour:
# the method's, common.gp mcol).  Legend outside, right.
if (!exists("w")) w = 1100
if (!exists("h")) h = 600
load scripts.'/common.gp'

set title sprintf("%s: spec satisfied over %d sampled initial states (95%% Wilson intervals)\n%s", plant, samples, crit)
set xlabel 'sparsity (fraction of weights removed)'
set ylabel 'fraction of samples whose loop satisfies the spec (1)'
set xrange [-0.02:1]
set yrange [0:1.05]
set key outside right top font ',9'
set style fill transparent solid 0.18 noborder
# methods often share a value (all satisfied): each line is drawn shifted by a
# few thousandths of sparsity so that none hides another (the .dat holds the
# true sparsity)
off(i) = (i - (n + 1) / 2.0) * 0.006
plot '+' using 1:(orig_lo):(orig_hi) with filledcurves lc rgb '#888888' notitle, \
     orig_rate with lines lw 2 dt 2 lc rgb '#444444' title 'original policy', \
     for [i=1:n] 'spec_rate.dat' index (i-1) using ($1 + off(i)):2:3:4 with yerrorlines lw 2 pt mpt(sub[i]) dt mdash(sub[i]) lc rgb mcol(methods[i]) title keys[i]
