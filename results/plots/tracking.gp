# tracking.gp: per scenario, the tracking error ||x - r|| over time of the
# original loop and of every pruned loop (log axis, zeros skipped).
# Data: run_<label>_<scenario>.dat, columns 1 t, 5 track_err_orig,
# 6 track_err_pruned.  Variables: plant, scen, track_unit, orig (a file with
# the original loop), n, array files[n], array titles[n] (n may be 0).
if (!exists("w")) w = 1000
if (!exists("h")) h = 600
load scripts.'/common.gp'

set title sprintf('%s, scenario %s: tracking error, original vs pruned', plant, scen)
set logscale y
set format y '%.0e'
set xlabel 'time t (s)'
set ylabel sprintf('tracking error ||x - r|| (%s)', track_unit)
set key outside right top font ',9'
plot for [i=1:n] files[i] using 1:(pos($6)) with lines lw 1.5 lc rgb col(i) dt dash(i) title titles[i], \
     orig using 1:(pos($5)) with lines lw 2 lc rgb 'black' title 'original'
