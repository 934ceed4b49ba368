# tube.gp: per scenario, one panel per pruned variant: the certified tube
# traj_dev_bound (a wide black line: where the tube is tight it shows as a
# black outline around the drift), the actual drift ||x_orig - x_pruned|| (the
# method's colour) and the sampled Lipschitz recursion, an ESTIMATE that is
# not a bound (grey, dashed), over time on a log axis (zeros skipped;
# docs/TUBE.md).  Data: tube_<label>_<scenario>.dat, columns 1 t, 2 traj_dev,
# 3 traj_dev_bound, 4 traj_dev_estimate; the y axis ends at 1000 times the
# largest drift.  Variables: plant, scen, crit, n,
# cols, rows, array files[n], titles[n], methods[n], sub[n].
if (!exists("w")) w = 1400
if (!exists("h")) h = 900
load scripts.'/common.gp'

top = 1.0 - 100.0 / h
set multiplot layout rows, cols title sprintf("%s, scenario %s: certified tube vs actual drift\n%s", plant, scen, crit) \
    margins (80.0 / w), (1.0 - 20.0 / w), (55.0 / h), top spacing (95.0 / w), (85.0 / h)
set logscale y
set format y '%.0e'
set xlabel 'time t (s)'
set ylabel '||x_orig - x_pruned||'
set key at screen (10.0 / w), screen (1.0 - 8.0 / h) left top vertical Left reverse font ',9' samplen 3
do for [i=1:n] {
    set title titles[i] font ',10'
    # the y axis up to 1000 times the largest drift: the estimate, which
    # grows geometrically, leaves the panel rather than flattening the rest
    # (stats leaves STATS_* undefined for a panel without a finite drift:
    # every row of a loop that left the plant's limits at once)
    stats files[i] using (pos($2)) nooutput
    if (exists("STATS_records") && STATS_records > 0 && STATS_max > 0) { set yrange [*:1e3 * STATS_max] } else { set yrange [1e-12:1] }
    if (i > 1) { unset key }
    plot files[i] using 1:(pos($4)) with lines lw 1.2 dt 2 lc rgb '#888888' title 'sampled Lipschitz recursion (estimate, not a bound)', \
         '' using 1:(pos($3)) with lines lw 5 lc rgb 'black' title 'certified tube traj_dev_bound (wide black)', \
         '' using 1:(pos($2)) with lines lw 1.5 lc rgb mcol(methods[i]) title 'actual drift traj_dev (method colour, on top)'
}
unset multiplot
