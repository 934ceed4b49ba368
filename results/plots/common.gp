# common.gp: terminal, output file and style shared by the prunebound figures;
# every script loads it first.  Variables (set with gnuplot -e "..."):
#   term  'pngcairo' (default), 'svg' or 'pdfcairo'
#   name  output file name without extension (written to the working folder)
#   w, h  size in pixels (pdf: w/100 by h/100 inches); each script sets a default
if (!exists("term")) term = 'pngcairo'
if (!exists("name")) name = 'figure'
if (!exists("w")) w = 900
if (!exists("h")) h = 600
ext = (term eq 'svg') ? 'svg' : ((term eq 'pdfcairo') ? 'pdf' : 'png')
if (term eq 'pdfcairo') {
    set terminal pdfcairo size (w/100.0),(h/100.0) font 'Sans,7' noenhanced
} else {
    if (term eq 'svg') {
        set terminal svg size w,h font 'Sans,11' noenhanced background rgb 'white'
    } else {
        set terminal pngcairo size w,h font 'Sans,10' noenhanced
    }
}
set output name.'.'.ext

# the .dat files write NaN for rows a diverged loop did not reach
set datafile missing 'NaN'
set grid lc rgb '#dddddd'
set key opaque box lc rgb '#cccccc'

# a log axis cannot show zero or negative values: such points are skipped
pos(v) = (v > 0) ? v : NaN

# one colour per line, the same order in every figure
array pal[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']
col(i) = pal[(i - 1) % 8 + 1]
# after eight lines the colours repeat with another dash pattern
dash(i) = (i - 1) / 8 + 1
