# stability.gp: Monte Carlo stability rate (fraction of sampled initial states
# whose loop converged) against sparsity, one line per pruning method, with
# the 95 % Wilson interval as a band and error bars; the original policy's
# rate and interval in grey.  Data: stability.dat, one block per method:
# 1 sparsity, 2 rate_pruned, 3 rate_pruned_lo, 4 rate_pruned_hi.
# Variables: plant, crit (the criterion and horizon in words), samples, orig_rate, orig_lo,
# orig_hi, n, array keys[n], methods[n], sub[n] (colour: the method's,
# common.gp mcol).  Legend outside, right.
if (!exists("w")) w = 1100
if (!exists("h")) h = 600
load scripts.'/common.gp'

set title sprintf("%s: stability rate over %d sampled initial states (95%% Wilson intervals)\n%s", plant, samples, crit)
set xlabel 'sparsity (fraction of weights removed)'
set ylabel 'converged fraction of samples (1)'
set xrange [-0.02:1]
set yrange [0:1.05]
set key outside right top font ',9'
set style fill transparent solid 0.18 noborder
plot '+' using 1:(orig_lo):(orig_hi) with filledcurves lc rgb '#888888' notitle, \
     orig_rate with lines lw 2 dt 2 lc rgb '#444444' title 'original policy', \
     for [i=1:n] 'stability.dat' index (i-1) using 1:3:4 with filledcurves lc rgb mcol(methods[i]) notitle, \
     for [i=1:n] 'stability.dat' index (i-1) using 1:2:3:4 with yerrorlines lw 2 pt mpt(sub[i]) dt mdash(sub[i]) lc rgb mcol(methods[i]) title keys[i]
