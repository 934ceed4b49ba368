# roa.gp: Monte Carlo region of attraction on a 2-D grid of initial states:
# the outcome of the original loop and of every pruned loop, side by side
# (green converged, amber bounded, red diverged).  Data: roa.dat: 1, 2 the
# grid coordinates, 3 the original's outcome, 3 + i variant i's.
# Variables: plant, xlab, ylab, n, cols, rows, array titles[n].
if (!exists("w")) w = 1300
if (!exists("h")) h = 800
load scripts.'/common.gp'

set multiplot layout rows, cols title sprintf('%s: region of attraction, original and pruned', plant)
set palette defined (0 '#2ca02c', 1 '#ffbf00', 2 '#d62728')
set palette maxcolors 3
set cbrange [-0.5:2.5]
set cbtics ('converged' 0, 'bounded' 1, 'diverged' 2)
set xlabel xlab
set ylabel ylab
set autoscale fix
set grid front
unset key
do for [i=0:n] {
    set title (i == 0) ? 'original policy' : titles[i]
    # one colour key, on the last panel
    if (i < n) { unset colorbox } else { set colorbox }
    plot 'roa.dat' using 1:2:(column(3 + i)) with image notitle
}
unset multiplot
