# deviation.gp: per scenario, one panel per pruned variant: the actual action
# deviation ||pi(s) - pi^(s)|| (in the method's colour) and its two bounds
# (forward-pass black, closed form grey dashed) over time, at the pruned
# loop's states, on a log axis (zeros skipped); a cross where the pruned loop
# diverged (its last row).  Data: run_<label>_<scenario>.dat, columns 1 t,
# 2 dev_actual, 3 dev_bound, 4 dev_bound_closed; div (diverged_<i>.dat:
# 1 line, 2 t, 4 dev_actual).  Variables: plant, scen, crit, dev_unit, n,
# cols, rows, array files[n], titles[n], methods[n], sub[n], div, ndiv,
# divs[n] (1: that pruned loop diverged).
if (!exists("w")) w = 1400
if (!exists("h")) h = 900
load scripts.'/common.gp'

# room at the top for the title, the criterion and one legend for all
# panels; margins and gaps in pixels (tic labels and axis labels need them)
top = 1.0 - 100.0 / h
set multiplot layout rows, cols title sprintf("%s, scenario %s: action deviation and its bounds\n%s", plant, scen, crit) \
    margins (80.0 / w), (1.0 - 20.0 / w), (55.0 / h), top spacing (95.0 / w), (85.0 / h)
set logscale y
set format y '%.0e'
set xlabel 'time t (s)'
set ylabel sprintf('deviation (%s)', dev_unit)
# the legend, once, in the top left corner above the panels
set key at screen (10.0 / w), screen (1.0 - 8.0 / h) left top vertical Left reverse font ',9' samplen 3
# the cross, in the panels whose pruned loop diverged (eval: no clause otherwise)
panel = "plot files[i] using 1:(pos($4)) with lines lw 1.5 dt 2 lc rgb '#888888' title 'closed-form bound', " . \
        "'' using 1:(pos($3)) with lines lw 1.5 lc rgb 'black' title 'forward-pass bound', " . \
        "'' using 1:(pos($2)) with lines lw 2 lc rgb mcol(methods[i]) title 'actual (method colour)'"
divclause = ", div using ($1 == i ? $2 : NaN):(pos($4)) with points pt divpt ps divps lw 2 lc rgb 'black' title 'diverged after this row'"
# the legend (on the first panel) names the cross when any panel has one
anydiv = 0
do for [i=1:n] { anydiv = anydiv + divs[i] }
keyclause = ", 1/0 with points pt divpt ps divps lw 2 lc rgb 'black' title 'diverged after this row'"
do for [i=1:n] {
    set title titles[i]
    eval panel . (divs[i] ? divclause : ((i == 1 && anydiv) ? keyclause : ''))
    set key off
}
unset multiplot
