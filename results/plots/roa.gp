# roa.gp: Monte Carlo region of attraction on a 2-D grid of initial states:
# the outcome of the original loop and of every pruned loop, side by side
# (green converged, light green bounded but still converging at the end of
# the horizon, amber bounded, red diverged).  Data: roa.dat: 1, 2 the grid
# coordinates, 3 the original's outcome, 3 + i variant i's (0 converged,
# 1 still converging, 2 bounded, 3 diverged).
# Variables: plant, crit (the criterion and horizon in words), xlab, ylab, n, cols, rows,
# array titles[n].
if (!exists("w")) w = 1300
if (!exists("h")) h = 800
load scripts.'/common.gp'

set multiplot layout rows, cols title sprintf("%s: region of attraction, original and pruned\n%s", plant, crit)
set palette defined (0 '#2ca02c', 1 '#a6dba0', 2 '#ffbf00', 3 '#d62728')
set palette maxcolors 4
set cbrange [-0.5:3.5]
set cbtics ('converged' 0, 'still converging' 1, 'bounded' 2, 'diverged' 3)
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
