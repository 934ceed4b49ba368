/* cmd_plants.c: `prunebound plants [NAME]`: the plant types, their states,
 * inputs and parameters (what a config may set). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plant.h"

static void describe(const plant_type *t)
{
    printf("%s: %zu states, %zu inputs\n  %s\n  states:", t->name, t->nx, t->nu, t->equation);
    for (size_t i = 0; i < t->nx; i++)
        printf(" %s [%s]", t->states[i].name, t->states[i].unit);
    printf("\n  inputs:");
    for (size_t i = 0; i < t->nu; i++)
        printf(" %s [%s]", t->inputs[i].name, t->inputs[i].unit);
    printf("\n  parameters (name = default [unit]: meaning):\n");
    for (size_t i = 0; i < t->np; i++) {
        const plant_param *p = &t->params[i];
        printf("    %-10s = %-8g [%s]: %s\n", p->name, p->def, p->unit, p->doc);
    }
}

int cmd_plants(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: prunebound plants [NAME]\n\n"
               "Lists every plant type with its states, inputs and parameters (the keys of a\n"
               "config's plant.params), or describes the one named.\n");
        return 0;
    }
    if (argc > 2)
        return cli_usage_error(argv[0], "expected at most one plant name");
    if (argc == 2) {
        const plant_type *t = plant_find(argv[1]);
        if (!t)
            return cli_usage_error(argv[0], "unknown plant '%s'", argv[1]);
        describe(t);
        return 0;
    }
    for (const plant_type *const *t = plant_types; *t; t++) {
        describe(*t);
        printf("\n");
    }
    return 0;
}
