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
# legends sit outside the plot area (each script says where), never over data
set key noopaque nobox

# a log axis cannot show zero or negative values: such points are skipped
pos(v) = (v > 0) ? v : NaN

# one colour per pruning method, the same in every figure (prunebound passes
# each line's method as methods[i] and its rank among that method's lines as
# sub[i]); a method not in this table is grey
mrgb(m) = (m eq 'magnitude') ? 0x1f77b4 : \
          (m eq 'obd')       ? 0x2ca02c : \
          (m eq 'obs')       ? 0x9467bd : \
          (m eq 'sparsegpt') ? 0xff7f0e : 0x7f7f7f
mcol(m) = sprintf('#%06x', mrgb(m))
# the lines of one method differ in dash pattern (1 solid, 2 dashed, ...) and point type
mdash(k) = (k - 1) % 5 + 1
mpt(k) = word('7 5 9 11 13', (k - 1) % 5 + 1) + 0
# the marker of a loop's last row before it diverged (diverged_<i>.dat)
divpt = 2
divps = 2.5

# kept for scripts written against the older palette: one colour per line index
array pal[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']
col(i) = pal[(i - 1) % 8 + 1]
dash(i) = (i - 1) / 8 + 1
