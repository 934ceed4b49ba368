/* plant_expr.c: expression maps y = g(v) over libmatheval (GNU libmatheval
 * 1.1, Debian libmatheval-dev), with their Jacobian by its symbolic
 * derivative.  libmatheval's scanner echoes characters it does not know to
 * stdout and its parser answers any error with NULL, so every expression is
 * first checked here: its characters, its function names and their number
 * of arguments (every libmatheval function takes one), then parsed, then its
 * variables are checked against the declared names. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <matheval.h>

#include "plant_user.h"

/* libmatheval 1.1's functions (all of one argument) and constants
 * (lib/symbol_table.c of its source). */
static const char *const functions[] = {
    "exp",  "log",  "sqrt", "sin",   "cos",   "tan",   "cot",   "sec",   "csc",   "asin",
    "acos", "atan", "acot", "asec",  "acsc",  "sinh",  "cosh",  "tanh",  "coth",  "sech",
    "csch", "asinh", "acosh", "atanh", "acoth", "asech", "acsch", "abs", "step", "delta",
    "nandelta", "erf", NULL};
static const char *const constants[] = {"e",    "log2e", "log10e", "ln2",   "ln10",
                                        "pi",   "pi_2",  "pi_4",   "1_pi",  "2_pi",
                                        "2_sqrtpi", "sqrt2", "sqrt1_2", NULL};

static int in_list(const char *const list[], const char *s, size_t len)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
            return 1;
    return 0;
}

struct plant_expr_map {
    size_t n_out, n_vars, n_diff;
    char **vars;          /* [n_vars] copies (libmatheval takes char **) */
    void **g;             /* [n_out] */
    void **dg;            /* [n_out x n_diff] */
    pthread_mutex_t lock; /* libmatheval writes variable values into the tree */
};

/* The lexical and call-arity checks libmatheval does not report. */
static int expr_scan(const char *e, pb_error *err)
{
    size_t n = strlen(e);
    int depth = 0;

    if (strspn(e, " \t") == n)
        return pb_error_set(err, PB_EINVAL, "empty expression");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)e[i];
        if (isalpha(ch) || ch == '_') {
            size_t j = i;
            while (j < n && (isalnum((unsigned char)e[j]) || e[j] == '_'))
                j++;
            size_t k = j + strspn(e + j, " \t");
            if (k < n && e[k] == '(') {
                /* A call: a known function of exactly one argument. */
                int d = 0, args = 1, empty = 1;
                if (!in_list(functions, e + i, j - i))
                    return pb_error_set(err, PB_EINVAL, "unknown function '%.*s' at column %zu",
                                        (int)(j - i), e + i, i + 1);
                for (size_t q = k; q < n; q++) {
                    if (e[q] == '(')
                        d++;
                    else if (e[q] == ')' && --d == 0)
                        break;
                    else if (e[q] == ',' && d == 1)
                        args++;
                    else if (d == 1 && !isspace((unsigned char)e[q]))
                        empty = 0;
                }
                if (args != 1 || empty)
                    return pb_error_set(err, PB_EINVAL,
                                        "function '%.*s' takes 1 argument, got %d", (int)(j - i),
                                        e + i, empty && args == 1 ? 0 : args);
            }
            i = j - 1;
            continue;
        }
        if (ch == '(')
            depth++;
        else if (ch == ')' && --depth < 0)
            return pb_error_set(err, PB_EINVAL, "unbalanced ')' at column %zu", i + 1);
        else if (ch == ',')
            return pb_error_set(err, PB_EINVAL, "',' outside a function call at column %zu",
                                i + 1);
        else if (!isdigit(ch) && !strchr(" \t.+-*/^()", ch))
            return pb_error_set(err, PB_EINVAL, "unexpected character '%c' at column %zu", ch,
                                i + 1);
    }
    if (depth != 0)
        return pb_error_set(err, PB_EINVAL, "%d unclosed '('", depth);
    return PB_SUCCESS;
}

/* Parses e and checks its variables against vars; *out owns the evaluator. */
static int expr_parse(const char *e, size_t n_vars, const char *const vars[], void **out,
                      pb_error *err)
{
    char *copy, **names;
    int count, rc;
    void *f;

    *out = NULL;
    if ((rc = expr_scan(e, err)))
        return rc;
    copy = strdup(e);
    if (!copy)
        return pb_error_set(err, PB_ENOMEM, "out of memory");
    f = evaluator_create(copy);
    free(copy);
    if (!f)
        return pb_error_set(err, PB_EINVAL, "syntax error in '%s'", e);
    evaluator_get_variables(f, &names, &count);
    for (int i = 0; i < count; i++) {
        int known = 0;
        for (size_t j = 0; j < n_vars && !known; j++)
            known = strcmp(names[i], vars[j]) == 0;
        if (!known) {
            char list[512] = "";
            for (size_t j = 0; j < n_vars; j++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", vars[j]);
            }
            rc = pb_error_set(err, PB_EINVAL, "unknown name '%s' (known: %s)", names[i], list);
            evaluator_destroy(f);
            return rc;
        }
    }
    *out = f;
    return PB_SUCCESS;
}

int plant_expr_check(const char *expr, size_t n_vars, const char *const vars[], pb_error *err)
{
    void *f;
    int rc = expr_parse(expr, n_vars, vars, &f, err);
    if (f)
        evaluator_destroy(f);
    return rc;
}

/* Checks a declared name: an identifier that is not a libmatheval function
 * or constant. */
static int name_check(const char *v, pb_error *err)
{
    size_t n = strlen(v);
    if (n == 0 || !(isalpha((unsigned char)v[0]) || v[0] == '_'))
        return pb_error_set(err, PB_EINVAL, "'%s' is not a name (a letter or _, then letters, "
                            "digits or _)", v);
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)v[i]) || v[i] == '_'))
            return pb_error_set(err, PB_EINVAL, "'%s' is not a name", v);
    if (in_list(functions, v, n) || in_list(constants, v, n))
        return pb_error_set(err, PB_EINVAL, "'%s' is a function or constant of the expression "
                            "language and cannot name a variable", v);
    return PB_SUCCESS;
}

void plant_expr_map_free(plant_expr_map *g)
{
    if (!g)
        return;
    for (size_t i = 0; g->g && i < g->n_out; i++)
        if (g->g[i])
            evaluator_destroy(g->g[i]);
    for (size_t i = 0; g->dg && i < g->n_out * g->n_diff; i++)
        if (g->dg[i])
            evaluator_destroy(g->dg[i]);
    for (size_t j = 0; g->vars && j < g->n_vars; j++)
        free(g->vars[j]);
    free(g->vars);
    free(g->g);
    free(g->dg);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

plant_expr_map *plant_expr_map_alloc(size_t n_out, const char *const exprs[], size_t n_vars,
                                     const char *const vars[], size_t n_diff, size_t *bad,
                                     pb_error *err)
{
    plant_expr_map *g;

    *bad = (size_t)-1;
    if (n_out == 0 || n_diff > n_vars)
        return pb_error_set(err, PB_EINVAL, "an expression map needs 1 or more expressions"),
               NULL;
    for (size_t j = 0; j < n_vars; j++) {
        if (name_check(vars[j], err))
            return NULL;
        for (size_t k = 0; k < j; k++)
            if (strcmp(vars[j], vars[k]) == 0)
                return pb_error_set(err, PB_EINVAL, "the name '%s' is declared twice", vars[j]),
                       NULL;
    }
    g = calloc(1, sizeof *g);
    if (!g)
        return pb_error_set(err, PB_ENOMEM, "out of memory"), NULL;
    pthread_mutex_init(&g->lock, NULL);
    g->n_out = n_out;
    g->n_vars = n_vars;
    g->n_diff = n_diff;
    g->vars = calloc(n_vars ? n_vars : 1, sizeof *g->vars);
    g->g = calloc(n_out, sizeof *g->g);
    g->dg = calloc(n_diff ? n_out * n_diff : 1, sizeof *g->dg);
    if (!g->vars || !g->g || !g->dg)
        goto nomem;
    for (size_t j = 0; j < n_vars; j++)
        if (!(g->vars[j] = strdup(vars[j])))
            goto nomem;
    for (size_t i = 0; i < n_out; i++) {
        if (expr_parse(exprs[i], n_vars, vars, &g->g[i], err)) {
            *bad = i;
            plant_expr_map_free(g);
            return NULL;
        }
        /* The Jacobian row: d g_i / d v_j, simplified by libmatheval. */
        for (size_t j = 0; j < n_diff; j++)
            if (!(g->dg[i * n_diff + j] = evaluator_derivative(g->g[i], g->vars[j])))
                goto nomem;
    }
    return g;
nomem:
    plant_expr_map_free(g);
    return pb_error_set(err, PB_ENOMEM, "out of memory compiling expressions"), NULL;
}

size_t plant_expr_map_n_out(const plant_expr_map *g)
{
    return g->n_out;
}

size_t plant_expr_map_n_vars(const plant_expr_map *g)
{
    return g->n_vars;
}

int plant_expr_map_eval(const plant_expr_map *g, const double v[], double y[], double dy[])
{
    plant_expr_map *m = (plant_expr_map *)g; /* the lock only */
    int ok = 1;

    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < g->n_out; i++) {
        y[i] = evaluator_evaluate(g->g[i], (int)g->n_vars, g->vars, (double *)v);
        ok &= isfinite(y[i]) != 0;
    }
    if (dy)
        for (size_t i = 0; i < g->n_out * g->n_diff; i++) {
            dy[i] = evaluator_evaluate(g->dg[i], (int)g->n_vars, g->vars, (double *)v);
            ok &= isfinite(dy[i]) != 0;
        }
    pthread_mutex_unlock(&m->lock);
    return ok ? PB_SUCCESS : PB_EDIVERGED;
}

int plant_expr_map_affine(const plant_expr_map *g, double D[])
{
    plant_expr_map *m = (plant_expr_map *)g; /* the lock only */
    int affine = g->n_diff > 0;

    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < g->n_out * g->n_diff && affine; i++) {
        char **names;
        int count;
        evaluator_get_variables(g->dg[i], &names, &count);
        if (count != 0)
            affine = 0;
        else {
            D[i] = evaluator_evaluate(g->dg[i], 0, NULL, NULL);
            affine = isfinite(D[i]) != 0;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return affine;
}
