# path.gp: per scenario, the path in the plane of the original loop and of
# every pruned loop against the reference (the method's colour, one dash
# pattern per variant of a method); a cross at the last row of a loop that
# diverged.  Data: run_<label>_<scenario>.dat; the columns of the two
# coordinates come as variables: cx, cy (original), px, py (pruned), rx, ry
# (reference); div (diverged_<i>.dat: 1 line, 5 and 6 the coordinates).
# Variables: plant, scen, crit, xlab, ylab, orig, n, array files[n],
# titles[n], methods[n], sub[n], div, ndiv.
if (!exists("w")) w = 1000
if (!exists("h")) h = 750
load scripts.'/common.gp'

set title sprintf("%s, scenario %s: path of both loops against the reference\n%s", plant, scen, crit)
set xlabel xlab
set ylabel ylab
set size ratio -1
set key outside right top font ',9'
# one cross per diverged loop in its line's colour (a gnuplot macro: no clause without one)
d = (ndiv > 0) ? ", div using 5:6:($1 == 0 ? 0 : mrgb(methods[int($1)])) with points pt divpt ps divps lw 2 lc rgb variable notitle, 1/0 with points pt divpt ps divps lw 2 lc rgb 'black' title 'diverged after this point'" : ''
plot orig using rx:ry with lines lw 4 dt 2 lc rgb '#999999' title 'reference', \
     for [i=1:n] files[i] using px:py with lines lw 1.5 lc rgb mcol(methods[i]) dt mdash(sub[i]) title titles[i], \
     orig using cx:cy with lines lw 1.5 lc rgb 'black' title 'original' @d
