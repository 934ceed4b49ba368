# sparsity.gp: against sparsity, one line per pruning method: (left) the mean
# change of RMS tracking error over the horizon, pruned minus original, over
# the scenarios where neither loop diverged (a diverged loop's RMS covers
# fewer rows; a point with every scenario diverged is missing);
# (right) the largest actual action deviation and the bound's prediction for
# it (largest forward-pass bound), log axis (sparsity 0: both 0, skipped).
# Data: sparsity.dat, one block per method: 1 sparsity, 2 degradation,
# 3 rms_orig_mean, 4 rms_pruned_mean, 5 max_dev_actual, 6 max_dev_bound,
# 7 converged_pruned, 8 n_scenarios, 9 diverged_pruned.
# A line's colour is its method's (common.gp mcol); lines of one method
# differ in point type and dash pattern.  Legend right of the
# right panel.
# Variables: plant, crit, track_unit, dev_unit, horizon, n, array keys[n],
# methods[n], sub[n].
if (!exists("w")) w = 1300
if (!exists("h")) h = 640
load scripts.'/common.gp'

set multiplot layout 1, 2 title sprintf("%s: what pruning costs, per method and sparsity\n%s", plant, crit)
set xlabel 'sparsity (fraction of weights removed)'
set xrange [-0.02:1]
set key off
set title sprintf('tracking degradation over the %g s horizon (mean over scenarios without a divergence)', horizon)
set ylabel sprintf('RMS ||x - r||, pruned - original (%s)', track_unit)
# No point at all (every scenario diverged at every sparsity): an empty
# panel that says so, rather than gnuplot's "all points y value undefined".
stats 'sparsity.dat' using 2 nooutput
if (!exists("STATS_records") || STATS_records == 0) { set yrange [-1:1]; set label 1 'no scenario where both loops stayed bounded: no RMS to compare' at graph 0.5, 0.5 center }
plot for [i=1:n] 'sparsity.dat' index (i-1) using 1:2 with linespoints lw 2 pt mpt(sub[i]) dt mdash(sub[i]) lc rgb mcol(methods[i]) title keys[i]
unset label 1
set yrange [*:*]
stats 'sparsity.dat' using (pos($5)):(pos($6)) nooutput
if (!exists("STATS_records") || STATS_records == 0) { set yrange [1e-12:1] }
set key outside right top vertical font ',9'
set title 'action deviation: actual (filled, solid) and forward-pass bound (open, dashed)'
set ylabel sprintf('largest ||pi(s) - pi^(s)|| (%s)', dev_unit)
set logscale y
set format y '%.0e'
plot for [i=1:n] 'sparsity.dat' index (i-1) using 1:(pos($5)) with linespoints lw 2 pt mpt(sub[i]) lc rgb mcol(methods[i]) title keys[i], \
     for [i=1:n] 'sparsity.dat' index (i-1) using 1:(pos($6)) with linespoints lw 1.5 dt 2 pt (mpt(sub[i]) - 1) lc rgb mcol(methods[i]) notitle
unset multiplot
