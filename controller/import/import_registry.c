/* import_registry.c: the importer registry. */
#define _POSIX_C_SOURCE 200809L
#include "import_type.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ONNX needs protobuf-c: absent from a build configured with PB_WITH_ONNX=OFF. */
const import_type *const import_types[] = {&import_nnet, &import_polar,
#ifndef PB_NO_ONNX
                                           &import_onnx,
#endif
                                           NULL};

const import_type *import_find(const char *name)
{
    for (const import_type *const *t = import_types; *t; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

const import_type *import_find_by_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    size_t n;

    if (!dot || (slash && dot < slash))
        return NULL;
    n = strlen(dot);
    for (const import_type *const *t = import_types; *t; t++) {
        const char *e = (*t)->extensions;
        while (*e) {
            size_t len = strcspn(e, " ");
            if (len == n && strncasecmp(e, dot, n) == 0)
                return *t;
            e += len;
            e += strspn(e, " ");
        }
    }
    return NULL;
}

int import_options_parse_acts(import_options *opt, const char *list, pb_error *err)
{
    const char *p = list;

    opt->n_acts = 0;
    while (*p) {
        char name[48];
        size_t len = strcspn(p, ",");
        char *colon;
        double alpha = 0.01;

        if (opt->n_acts == IMPORT_MAX_ACTS)
            return pb_error_set(err, PB_EINVAL, "more than %d activations", IMPORT_MAX_ACTS);
        if (len == 0 || len >= sizeof name)
            return pb_error_set(err, PB_EINVAL, "activation %zu of '%s' is empty or too long",
                                opt->n_acts + 1, list);
        memcpy(name, p, len);
        name[len] = '\0';
        colon = strchr(name, ':');
        if (colon) {
            char *end;
            *colon = '\0';
            alpha = strtod(colon + 1, &end);
            if (end == colon + 1 || *end || !(alpha >= 0.0 && alpha <= 1.0) ||
                strcmp(name, "leaky_relu") != 0)
                return pb_error_set(err, PB_EINVAL,
                                    "activation %zu: '%s:%s' (only leaky_relu:ALPHA with "
                                    "0 <= ALPHA <= 1 takes a parameter)",
                                    opt->n_acts + 1, name, colon + 1);
        }
        if (mlp_act_parse(name, &opt->acts[opt->n_acts]) != PB_SUCCESS)
            return pb_error_set(err, PB_EINVAL,
                                "unknown activation '%s' (known: linear, relu, leaky_relu, tanh, "
                                "sigmoid, hardtanh)",
                                name);
        opt->alphas[opt->n_acts] = alpha;
        opt->n_acts++;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p)
                return pb_error_set(err, PB_EINVAL, "activation list '%s' ends with a comma", list);
        }
    }
    if (opt->n_acts == 0)
        return pb_error_set(err, PB_EINVAL, "empty activation list");
    return PB_SUCCESS;
}
