# path.gp: per scenario, the path in the plane of the original loop and of
# every pruned loop against the reference.  Data: run_<label>_<scenario>.dat;
# the columns of the two coordinates come as variables: cx, cy (original),
# px, py (pruned), rx, ry (reference).  Variables: plant, scen, xlab, ylab,
# orig, n, array files[n], array titles[n].
if (!exists("w")) w = 900
if (!exists("h")) h = 750
load scripts.'/common.gp'

set title sprintf('%s, scenario %s: path of both loops against the reference', plant, scen)
set xlabel xlab
set ylabel ylab
set size ratio -1
set key outside right top font ',9'
plot orig using rx:ry with lines lw 4 dt 2 lc rgb '#999999' title 'reference', \
     for [i=1:n] files[i] using px:py with lines lw 1.5 lc rgb col(i) dt dash(i) title titles[i], \
     orig using cx:cy with lines lw 1.5 lc rgb 'black' title 'original'
