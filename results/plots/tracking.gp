# tracking.gp: per scenario, the tracking error ||x - r|| over time of the
# original loop (black) and of every pruned loop (the method's colour, one
# dash pattern per variant of a method), log axis (zeros skipped); a cross
# at the last row of a loop that diverged.
# Data: run_<label>_<scenario>.dat, columns 1 t, 5 track_err_orig,
# 6 track_err_pruned; div (diverged_<i>.dat: 1 line (0 original), 2 t,
# 3 track_err).  Variables: plant, scen, crit, track_unit, orig (a file with
# the original loop), n, array files[n], titles[n], methods[n], sub[n]
# (n may be 0), div, ndiv.
if (!exists("w")) w = 1100
if (!exists("h")) h = 620
load scripts.'/common.gp'

set title sprintf("%s, scenario %s: tracking error, original vs pruned\n%s", plant, scen, crit)
set logscale y
set format y '%.0e'
set xlabel 'time t (s)'
set ylabel sprintf('tracking error ||x - r|| (%s)', track_unit)
set key outside right top font ',9'
# one cross per diverged loop in its line's colour (a gnuplot macro: no clause without one)
d = (ndiv > 0) ? ", div using 2:(pos($3)):($1 == 0 ? 0 : mrgb(methods[int($1)])) with points pt divpt ps divps lw 2 lc rgb variable notitle, 1/0 with points pt divpt ps divps lw 2 lc rgb 'black' title 'diverged after this row'" : ''
plot for [i=1:n] files[i] using 1:(pos($6)) with lines lw 1.5 lc rgb mcol(methods[i]) dt mdash(sub[i]) title titles[i], \
     orig using 1:(pos($5)) with lines lw 2 lc rgb 'black' title 'original' @d
