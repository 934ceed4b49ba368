/* plot.c: `prunebound plot` machinery shared by every kind of results file:
 * formats, finding gnuplot, folders, .dat files, HDF5 reading, running the
 * scripts and writing rerun.sh (plot_plan.h). */
#define _POSIX_C_SOURCE 200809L
#include "plot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Format table: name, gnuplot terminal, file extension. */
static const struct {
    const char *name, *terminal;
} plot_formats[] = {{"png", "pngcairo"}, {"svg", "svg"}, {"pdf", "pdfcairo"}};

int plot_format_parse(const char *s, plot_format *fmt, pb_error *err)
{
    for (size_t i = 0; i < sizeof plot_formats / sizeof plot_formats[0]; i++)
        if (s && strcmp(s, plot_formats[i].name) == 0) {
            *fmt = (plot_format)i;
            return PB_SUCCESS;
        }
    return pb_error_set(err, PB_EINVAL, "unknown format '%s' (png, svg or pdf)", s ? s : "");
}

const char *plot_format_terminal(plot_format fmt)
{
    return plot_formats[fmt].terminal;
}

const char *plot_format_ext(plot_format fmt)
{
    return plot_formats[fmt].name;
}

int plot_gnuplot_find(char *path, size_t len, pb_error *err)
{
    const char *p = getenv("PATH");

    while (p && *p) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        /* an empty PATH entry means the working directory (POSIX) */
        int w =
            n ? snprintf(path, len, "%.*s/gnuplot", (int)n, p) : snprintf(path, len, "./gnuplot");
        if (w > 0 && (size_t)w < len && access(path, X_OK) == 0)
            return PB_SUCCESS;
        p = end ? end + 1 : NULL;
    }
    path[0] = '\0';
    return pb_error_set(err, PB_EUNSUPPORTED,
                        "gnuplot not found on PATH; install it (Debian/Ubuntu: apt-get install "
                        "gnuplot-nox) or add its folder to PATH");
}

void plot_default_dir(const char *results_path, char *dir, size_t len)
{
    const char *base = strrchr(results_path, '/');
    size_t n;

    base = base ? base + 1 : results_path;
    n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".h5") == 0)
        n -= 3;
    snprintf(dir, len, "results/%.*s-plots", (int)n, base);
}

int plot_dir_make(const char *dir, pb_error *err)
{
    char buf[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof buf)
        return pb_error_set(err, PB_EIO, "bad output folder '%s'", dir);
    memcpy(buf, dir, n + 1);
    /* each prefix ending at a '/', then the whole path */
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return pb_error_set(err, PB_EIO, "cannot create folder %s: %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pb_error_set(err, PB_EIO, "%s is not a folder", dir);
    return PB_SUCCESS;
}

int plot_buf_printf(plot_buf *b, pb_error *err, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return pb_error_set(err, PB_EINTERNAL, "bad format in plot text");
    if (b->n + (size_t)n + 1 > b->cap) {
        size_t cap = 2 * (b->n + (size_t)n + 1) + 256;
        char *s = realloc(b->s, cap);
        if (!s)
            return pb_error_set(err, PB_ENOMEM, "out of memory building plot commands");
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
    return PB_SUCCESS;
}

void plot_text_clean(const char *s, char *out, size_t len)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7f || strchr("'\"`$\\", c)) ? '_' : (char)c;
    }
    out[i] = '\0';
}

void plot_name_clean(const char *s, char *out, size_t len)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < len; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        out[i] = ok ? c : '-';
    }
    out[i] = '\0';
}

void plot_label_key(const char *label, char *key, size_t len, const char **suffix)
{
    const char *p = label;
    *suffix = "";
    while ((p = strstr(p, "_s")) != NULL) {
        if (p[2] >= '0' && p[2] <= '9') {
            const char *e = p + 2;
            while ((*e >= '0' && *e <= '9') || *e == '.')
                e++;
            snprintf(key, len, "%.*s%s", (int)(p - label), label, e);
            *suffix = *e == '_' ? e + 1 : e;
            return;
        }
        p += 2;
    }
    snprintf(key, len, "%s", label);
}

void plot_variant_title(const char *label, const char *method, const char *pattern, double sparsity,
                        int with_sparsity, char *out, size_t len)
{
    char key[64], words[64], buf[192];
    const char *suffix;
    int patterned = pattern[0] && strcmp(pattern, "unstructured") != 0;

    plot_label_key(label, key, sizeof key, &suffix);
    /* "L2" (the pruned layers) in words */
    if (suffix[0] == 'L' && suffix[1] >= '0' && suffix[1] <= '9')
        snprintf(words, sizeof words, "layer%s %s", strpbrk(suffix, ",-_") ? "s" : "", suffix + 1);
    else
        snprintf(words, sizeof words, "%s", suffix);
    if (!with_sparsity)
        snprintf(buf, sizeof buf, "%s%s%s%s%s", method, patterned ? " " : "",
                 patterned ? pattern : "", words[0] ? " " : "", words);
    else if (!patterned)
        snprintf(buf, sizeof buf, "%s, s = %.2f%s%s", method, sparsity, words[0] ? ", " : "",
                 words);
    else
        snprintf(buf, sizeof buf, "%s, %s (s = %.2f)%s%s", method, pattern, sparsity,
                 words[0] ? ", " : "", words);
    plot_text_clean(buf, out, len);
}

size_t plot_method_lines(const char *labels, size_t stride, size_t n, char (*keys)[64],
                         size_t line[])
{
    size_t n_keys = 0;

    for (size_t i = 0; i < n; i++) {
        char key[64];
        const char *suffix;
        size_t k;
        plot_label_key(labels + i * stride, key, sizeof key, &suffix);
        for (k = 0; k < n_keys && strcmp(keys[k], key) != 0; k++)
            ;
        if (k == n_keys)
            memcpy(keys[n_keys++], key, sizeof key);
        line[i] = k;
    }
    return n_keys;
}

int plot_dat_open(const char *dir, const char *name, FILE **out, pb_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *out = fopen(path, "w");
    if (!*out)
        return pb_error_set(err, PB_EIO, "cannot write %s: %s", path, strerror(errno));
    return PB_SUCCESS;
}

int plot_dat_close(FILE *fp, const char *dir, const char *name, pb_error *err)
{
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad)
        return pb_error_set(err, PB_EIO, "cannot write %s/%s", dir, name);
    return PB_SUCCESS;
}

void plot_dat_num(FILE *fp, double v, char sep)
{
    if (isnan(v))
        fputs("NaN", fp);
    else if (isinf(v))
        fputs(v > 0 ? "Inf" : "-Inf", fp);
    else
        fprintf(fp, "%.17g", v);
    fputc(sep, fp);
}

void plot_grid_axes(const double x0[], size_t n, size_t nx, const plant_type *type, plot_grid *g)
{
    memset(g, 0, sizeof *g);
    for (size_t j = 0; j < nx; j++) {
        int varies = 0;
        for (size_t i = 1; i < n && !varies; i++)
            varies = x0[i * nx + j] != x0[j];
        if (varies && g->n_varying < 2)
            g->ax[g->n_varying] = j;
        g->n_varying += (size_t)varies;
    }
    for (int i = 0; i < 2; i++)
        if (type && g->ax[i] < type->nx)
            snprintf(g->lab[i], sizeof g->lab[i], "%s (%s)", type->states[g->ax[i]].name,
                     type->states[g->ax[i]].unit);
        else
            snprintf(g->lab[i], sizeof g->lab[i], "x0[%zu]", g->ax[i]);
}

/* A grid point: its two coordinates and its sample. */
typedef struct grid_point {
    double a, b;
    size_t sample;
} grid_point;

static int grid_point_cmp(const void *pa, const void *pb)
{
    const grid_point *p = pa, *q = pb;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return 0;
}

int plot_grid_write(const char *dir, const char *name, const char *header, const plot_grid *g,
                    const double x0[], size_t n, size_t nx, const double vals[], size_t ncol,
                    pb_error *err)
{
    grid_point *pts = malloc((n + 1) * sizeof *pts);
    FILE *fp;
    int rc;

    if (!pts)
        return pb_error_set(err, PB_ENOMEM, "out of memory for %s", name);
    for (size_t i = 0; i < n; i++)
        pts[i] = (grid_point){x0[i * nx + g->ax[0]], x0[i * nx + g->ax[1]], i};
    qsort(pts, n, sizeof *pts, grid_point_cmp);
    if ((rc = plot_dat_open(dir, name, &fp, err)) == PB_SUCCESS) {
        fputs(header, fp);
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && pts[i].a != pts[i - 1].a)
                fputc('\n', fp);
            plot_dat_num(fp, pts[i].a, ' ');
            plot_dat_num(fp, pts[i].b, ' ');
            for (size_t k = 0; k < ncol; k++)
                plot_dat_num(fp, vals[pts[i].sample * ncol + k], k + 1 < ncol ? ' ' : '\n');
        }
        rc = plot_dat_close(fp, dir, name, err);
    }
    free(pts);
    return rc;
}

int plot_h5_fields_check(hid_t f, const char *file, const char *dset, const char *const names[],
                         pb_error *err)
{
    hid_t ds, t;
    int rc = PB_SUCCESS;

    if (!h5_has_object(f, dset) || (ds = H5Dopen2(f, dset, H5P_DEFAULT)) < 0)
        return pb_error_set(err, PB_EFORMAT, "%s: dataset %s is missing", file, dset);
    t = H5Dget_type(ds);
    if (H5Tget_class(t) != H5T_COMPOUND) {
        rc = pb_error_set(err, PB_EFORMAT, "%s: dataset %s is not a table", file, dset);
    } else {
        for (size_t i = 0; names[i]; i++)
            if (H5Tget_member_index(t, names[i]) < 0) {
                rc = pb_error_set(err, PB_EFORMAT, "%s: table %s has no field '%s'", file, dset,
                                  names[i]);
                break;
            }
    }
    H5Tclose(t);
    H5Dclose(ds);
    return rc;
}

int plot_list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && strncmp(p, item, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

int plot_select_check(const char *list, const char *opt, const char *names, size_t stride,
                      size_t n, const char *path, pb_error *err)
{
    char item[256], known[PB_ERRMSG_MAX / 2];

    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p), i = 0;
        snprintf(item, sizeof item, "%.*s", (int)k, p);
        while (i < n && strcmp(names + i * stride, item) != 0)
            i++;
        if (i == n) {
            /* the names, each once, in order of first appearance */
            known[0] = '\0';
            for (i = 0; i < n; i++) {
                const char *nm = names + i * stride;
                size_t j = 0, used = strlen(known);
                while (j < i && strcmp(names + j * stride, nm) != 0)
                    j++;
                if (j == i)
                    snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", nm);
            }
            return pb_error_set(err, PB_EINVAL, "%s '%s': %s has no such one (it has: %s)", opt,
                                item, path, known);
        }
        p = e ? e + 1 : NULL;
    }
    return PB_SUCCESS;
}

void plot_criterion_text(hid_t f, char *out, size_t len)
{
    double tol = h5_attr_read_f64(f, "/", "criterion_tol"),
           tail = h5_attr_read_f64(f, "/", "criterion_tail"),
           radius = h5_attr_read_f64(f, "/", "criterion_radius"),
           horizon = h5_attr_read_f64(f, "/", "horizon");
    int k = snprintf(out, len, "converged: ||x - r|| <= %g over the last %g%% of the %g s horizon",
                     tol, 100.0 * tail, horizon);
    if (isfinite(radius) && k > 0 && (size_t)k < len)
        snprintf(out + k, len - (size_t)k, "; diverged beyond %g", radius);
}

int plot_style_append(plot_buf *b, const char *const methods[], size_t n, pb_error *err)
{
    char m[64];
    int rc = plot_buf_printf(b, err, "; array methods[%zu] = [", n ? n : 1);

    for (size_t i = 0; i < n && rc == PB_SUCCESS; i++) {
        plot_text_clean(methods[i], m, sizeof m);
        rc = plot_buf_printf(b, err, "%s'%s'", i ? ", " : "", m);
    }
    if (rc == PB_SUCCESS)
        rc = plot_buf_printf(b, err, "%s]; array sub[%zu] = [", n ? "" : "''", n ? n : 1);
    /* sub[i]: 1 + the number of earlier lines of the same method */
    for (size_t i = 0; i < n && rc == PB_SUCCESS; i++) {
        int k = 1;
        for (size_t j = 0; j < i; j++)
            k += strcmp(methods[j], methods[i]) == 0;
        rc = plot_buf_printf(b, err, "%s%d", i ? ", " : "", k);
    }
    if (rc == PB_SUCCESS)
        rc = plot_buf_printf(b, err, "%s]", n ? "" : "1");
    return rc;
}

int plot_file_prepare(const char *path, const char *dir, plot_plan *plan, pb_error *err)
{
    return plot_file_prepare_select(path, dir, NULL, plan, err);
}

/* 1 when the file at path begins like a text file (a config given by
 * mistake), not like HDF5. */
static int looks_like_text(const char *path)
{
    unsigned char b[256];
    FILE *fp = fopen(path, "rb");
    size_t n;

    if (!fp)
        return 0;
    n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    for (size_t i = 0; i < n; i++)
        if (b[i] == 0 || (b[i] < 0x20 && !strchr("\t\r\n", b[i])))
            return 0;
    return n > 0;
}

int plot_file_prepare_select(const char *path, const char *dir, const plot_select *sel,
                             plot_plan *plan, pb_error *err)
{
    static const plot_select all = {NULL, NULL};
    h5_quiet q;
    char fmt[64];
    hid_t f;
    int rc;

    if (!sel)
        sel = &all;
    f = h5_open(path, H5F_ACC_RDONLY, err);
    if (f < 0) {
        if (err && err->code == PB_EFORMAT && looks_like_text(path))
            return pb_error_set(err, PB_EFORMAT,
                                "%s is a text file (a config?), not a results file: plot takes "
                                "the HDF5 file of `prunebound run CONFIG -o RESULT.h5` or "
                                "`prunebound montecarlo`",
                                path);
        return err ? err->code : PB_EIO;
    }
    /* HDF5 would print its error stack on stderr: our messages say it better */
    h5_quiet_begin(&q);
    h5_attr_read_str(f, "/", "format", fmt, sizeof fmt, NULL);
    if ((strcmp(fmt, "prunebound-results") == 0 || strcmp(fmt, "prunebound-montecarlo") == 0) &&
        !(h5_attr_read_f64(f, "/", "format_version") >= 2))
        rc = pb_error_set(err, PB_EFORMAT,
                          "%s: written by an older prunebound (format_version %g; this one "
                          "reads 2, whose outcomes follow the top-level criterion): run the "
                          "config again",
                          path, h5_attr_read_f64(f, "/", "format_version"));
    else if (strcmp(fmt, "prunebound-results") == 0)
        rc = plot_run_prepare(f, path, dir, sel, plan, err);
    else if (strcmp(fmt, "prunebound-montecarlo") == 0)
        rc = plot_mc_prepare(f, path, dir, sel, plan, err);
    else
        rc = pb_error_set(err, PB_EFORMAT,
                          "%s: not a prunebound results file (root attribute format is '%s', "
                          "expected prunebound-results or prunebound-montecarlo)",
                          path, fmt);
    H5Fclose(f);
    h5_quiet_end(&q);
    return rc;
}

int plot_plan_add(plot_plan *plan, const char *script, const char *name, const char *vars,
                  pb_error *err)
{
    plot_job *j;

    if (plan->n == plan->cap) {
        size_t cap = plan->cap ? 2 * plan->cap : 16;
        plot_job *jobs = realloc(plan->jobs, cap * sizeof *jobs);
        if (!jobs)
            return pb_error_set(err, PB_ENOMEM, "out of memory listing figures");
        plan->jobs = jobs;
        plan->cap = cap;
    }
    j = &plan->jobs[plan->n];
    snprintf(j->script, sizeof j->script, "%s", script);
    snprintf(j->name, sizeof j->name, "%s", name);
    j->vars = strdup(vars);
    if (!j->vars)
        return pb_error_set(err, PB_ENOMEM, "out of memory listing figures");
    plan->n++;
    return PB_SUCCESS;
}

void plot_plan_free(plot_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n; i++)
        free(plan->jobs[i].vars);
    free(plan->jobs);
    plan->jobs = NULL;
    plan->n = plan->cap = 0;
}

/* The -e text of a job: scripts and term first, then the job's variables. */
static int job_command(const plot_job *j, const char *scripts, const char *term, plot_buf *b,
                       pb_error *err)
{
    b->n = 0;
    return plot_buf_printf(b, err, "scripts='%s'; term='%s'; name='%s'; %s", scripts, term, j->name,
                           j->vars);
}

/* The last lines of gnuplot's log (its complaint), newlines as " | ": the
 * log itself goes with the temporary folder when plot fails. */
static void log_tail(const char *log, char *out, size_t len)
{
    char buf[1024];
    size_t n = 0, k = 0;
    FILE *fp = fopen(log, "rb");

    out[0] = '\0';
    if (!fp)
        return;
    if (fseek(fp, -(long)(sizeof buf - 1), SEEK_END) != 0)
        rewind(fp);
    n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    /* from the start of the third line from the end */
    size_t from = n;
    for (int lines = 0; from > 0 && lines < 3; from--)
        if (buf[from - 1] == '\n' && ++lines == 3)
            break;
    for (size_t i = from; i < n && k + 4 < len; i++) {
        if (buf[i] == '\n') {
            memcpy(out + k, " | ", 3);
            k += 3;
        } else if (buf[i] != ' ' || (k > 0 && out[k - 1] != ' '))
            out[k++] = buf[i]; /* runs of blanks (gnuplot's ^ marker line) as one */
    }
    out[k] = '\0';
}

int plot_plan_render_one(const plot_plan *plan, size_t i, const char *gnuplot,
                         const char *scripts, const char *dir, plot_format fmt, pb_error *err)
{
    char log[4096], script[4096], out[4096];
    const plot_job *j;
    plot_buf cmd = {0};
    int rc = PB_SUCCESS, logfd, status;
    pid_t pid;
    struct stat st;

    if (i >= plan->n)
        return pb_error_set(err, PB_EINVAL, "no figure %zu (the plan has %zu)", i, plan->n);
    j = &plan->jobs[i];
    snprintf(script, sizeof script, "%s/%s", scripts, j->script);
    if (access(script, R_OK) != 0)
        return pb_error_set(err, PB_EIO, "cannot read gnuplot script %s: %s", script,
                            strerror(errno));
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (logfd < 0)
        return pb_error_set(err, PB_EIO, "cannot write %s: %s", log, strerror(errno));
    if ((rc = job_command(j, scripts, plot_format_terminal(fmt), &cmd, err)) != PB_SUCCESS)
        goto close_log;
    pid = fork();
    if (pid < 0) {
        rc = pb_error_set(err, PB_EIO, "cannot start gnuplot: %s", strerror(errno));
        goto close_log;
    }
    if (pid == 0) {
        /* the child: gnuplot in the output folder, its messages to the log */
        char *argv[] = {(char *)gnuplot, (char *)"-e", cmd.s, script, NULL};
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        if (chdir(dir) != 0)
            _exit(126);
        execv(gnuplot, argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            status = -1;
            break;
        }
    snprintf(out, sizeof out, "%s/%s.%s", dir, j->name, plot_format_ext(fmt));
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) == 127)
        rc = pb_error_set(err, PB_EIO, "cannot run %s", gnuplot);
    else if (WEXITSTATUS(status) != 0 || stat(out, &st) != 0 || st.st_size == 0) {
        char tail[400];
        log_tail(log, tail, sizeof tail);
        rc = pb_error_set(err, PB_EINTERNAL, "gnuplot failed on %s for %s.%s (exit %d): %s",
                          script, j->name, plot_format_ext(fmt), WEXITSTATUS(status), tail);
    }
close_log:
    close(logfd);
    free(cmd.s);
    return rc;
}

int plot_plan_render(const plot_plan *plan, const char *gnuplot, const char *scripts,
                     const char *dir, plot_format fmt, pb_error *err)
{
    char log[4096];
    int rc = PB_SUCCESS, logfd;

    /* a fresh log, which every figure then appends to */
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (logfd < 0)
        return pb_error_set(err, PB_EIO, "cannot write %s: %s", log, strerror(errno));
    close(logfd);
    for (size_t i = 0; i < plan->n && rc == PB_SUCCESS; i++)
        rc = plot_plan_render_one(plan, i, gnuplot, scripts, dir, fmt, err);
    return rc;
}

int plot_rerun_write(const plot_plan *plan, const char *scripts, const char *dir, pb_error *err)
{
    char path[4096];
    plot_buf cmd = {0};
    FILE *fp;
    int rc = PB_SUCCESS;

    snprintf(path, sizeof path, "%s/rerun.sh", dir);
    fp = fopen(path, "w");
    if (!fp)
        return pb_error_set(err, PB_EIO, "cannot write %s: %s", path, strerror(errno));
    fprintf(fp,
            "#!/bin/sh\n"
            "# Redraws the figures in this folder from the .dat files beside them with the\n"
            "# gnuplot scripts of prunebound (edit a script, then run this again).\n"
            "# usage: sh rerun.sh [png|svg|pdf]   (PB_PLOT_SCRIPTS=DIR: another script folder)\n"
            "set -e\n"
            "cd \"$(dirname \"$0\")\"\n"
            "S=\"${PB_PLOT_SCRIPTS:-%s}\"\n"
            "case \"${1:-png}\" in\n"
            "  png) T=pngcairo ;;\n"
            "  svg) T=svg ;;\n"
            "  pdf) T=pdfcairo ;;\n"
            "  *) echo \"usage: sh rerun.sh [png|svg|pdf]\" >&2; exit 2 ;;\n"
            "esac\n",
            scripts);
    for (size_t i = 0; i < plan->n; i++) {
        /* the same -e text as plot_plan_render, with $S and $T for the shell */
        if ((rc = job_command(&plan->jobs[i], "$S", "$T", &cmd, err)) != PB_SUCCESS)
            break;
        fprintf(fp, "gnuplot -e \"%s\" \"$S/%s\"\n", cmd.s, plan->jobs[i].script);
    }
    free(cmd.s);
    if (fclose(fp) != 0 && rc == PB_SUCCESS)
        rc = pb_error_set(err, PB_EIO, "cannot write %s", path);
    if (rc == PB_SUCCESS)
        chmod(path, 0755);
    return rc;
}
