# spec_map.gp: Monte Carlo safety on a 2-D grid of initial states: where the
# original loop satisfies the config's spec, and per pruned variant the cells
# broken by pruning (red: the original satisfies, the pruned loop violates),
# repaired by pruning (blue), both satisfying (green) or both violating (grey).
# Data: spec_map.dat: 1, 2 the grid coordinates, 3 the original's cell
# (0 satisfies, 1 violates), 3 + i variant i's (0 both satisfy, 1 both
# violate, 2 broken, 3 repaired).
# Variables: plant, crit (horizon and what "satisfied" means), xlab, ylab,
# n, cols, rows, array titles[n].
if (!exists("w")) w = 1300
if (!exists("h")) h = 800
load scripts.'/common.gp'

set multiplot layout rows, cols title sprintf("%s: spec broken by pruning, per grid point of initial states\n%s", plant, crit)
set palette defined (0 '#2ca02c', 1 '#bdbdbd', 2 '#d62728', 3 '#1f77b4')
set palette maxcolors 4
set cbrange [-0.5:3.5]
set cbtics ('both satisfy' 0, 'both violate' 1, 'broken' 2, 'repaired' 3)
set xlabel xlab
set ylabel ylab
set autoscale fix
set grid front
unset key
do for [i=0:n] {
    set title (i == 0) ? 'original policy (green satisfies, grey violates)' : titles[i] font ',9'
    # one colour key, on the last panel
    if (i < n) { unset colorbox } else { set colorbox }
    plot 'spec_map.dat' using 1:2:(column(3 + i)) with image notitle
}
unset multiplot
