# deviation.gp: per scenario, one panel per pruned variant: the actual action
# deviation ||pi(s) - pi^(s)|| and its two bounds (forward-pass and closed
# form) over time, at the pruned loop's states, on a log axis (zeros skipped).
# Data: run_<label>_<scenario>.dat, columns 1 t, 2 dev_actual, 3 dev_bound,
# 4 dev_bound_closed.  Variables: plant, scen, dev_unit, n, cols, rows,
# array files[n], array titles[n].
if (!exists("w")) w = 1400
if (!exists("h")) h = 900
load scripts.'/common.gp'

set multiplot layout rows, cols title sprintf('%s, scenario %s: action deviation and its bounds', plant, scen)
set logscale y
set format y '%.0e'
set xlabel 'time t (s)'
set ylabel sprintf('deviation (%s)', dev_unit)
set key top right font ',8'
do for [i=1:n] {
    set title titles[i]
    plot files[i] using 1:(pos($4)) with lines lw 1.5 dt 2 lc rgb '#2ca02c' title 'closed-form bound', \
         ''       using 1:(pos($3)) with lines lw 1.5 lc rgb '#1f77b4' title 'forward-pass bound', \
         ''       using 1:(pos($2)) with lines lw 2 lc rgb '#d62728' title 'actual'
    set key off
}
unset multiplot
