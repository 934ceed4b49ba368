# tightness.gp: actual action deviation against the bound's prediction at the
# same state, log-log, one colour per method, with y = x (a point above it
# would be a violated bound); left the forward-pass bound, right the closed
# form.  Data: tightness.dat, one block per method: 1 dev_bound,
# 2 dev_bound_closed, 3 dev_actual (rows with both > 0 only).
# Colour: the method's (common.gp mcol); point type: the variant line
# within the method.  Legend right of the right panel.
# Variables: plant, crit, dev_unit, n, array keys[n], methods[n], sub[n].
if (!exists("w")) w = 1300
if (!exists("h")) h = 680
load scripts.'/common.gp'

set multiplot layout 1, 2 title sprintf("%s: tightness of the bounds (points below y = x hold)\n%s", plant, crit)
set logscale xy
set format x '%.0e'
set format y '%.0e'
set ylabel sprintf('actual deviation ||pi(s) - pi^(s)|| (%s)', dev_unit)
set key off
set title 'forward-pass bound'
set xlabel sprintf('predicted: forward-pass bound (%s)', dev_unit)
plot for [i=1:n] 'tightness.dat' index (i-1) using 1:3 with points pt mpt(sub[i]) ps 0.5 lc rgb mcol(methods[i]) title keys[i], \
     x with lines lw 2 lc rgb 'black' title 'y = x'
set key outside right top vertical font ',9'
set title 'closed-form bound (spectral norms and biases)'
set xlabel sprintf('predicted: closed-form bound (%s)', dev_unit)
plot for [i=1:n] 'tightness.dat' index (i-1) using 2:3 with points pt mpt(sub[i]) ps 0.5 lc rgb mcol(methods[i]) title keys[i], \
     x with lines lw 2 lc rgb 'black' title 'y = x'
unset multiplot
