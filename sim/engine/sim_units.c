/* sim_units.c: units of norms over a plant's states or inputs (sim_units.h). */
#include "sim_units.h"

#include <stdio.h>
#include <string.h>

void sim_units_norm(const plant_var v[], size_t n, char *buf, size_t len)
{
    size_t i, used;

    if (len == 0)
        return;
    if (n == 0) {
        snprintf(buf, len, "1");
        return;
    }
    for (i = 1; i < n; i++)
        if (strcmp(v[i].unit ? v[i].unit : "", v[0].unit ? v[0].unit : "") != 0)
            break;
    if (i == n) {
        snprintf(buf, len, "%s", v[0].unit ? v[0].unit : "");
        return;
    }
    /* Mixed units: the norm has none of its own; name the components'. */
    snprintf(buf, len, "norm of (");
    for (i = 0; i < n; i++) {
        used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "", v[i].unit ? v[i].unit : "");
    }
    used = strlen(buf);
    snprintf(buf + used, len - used, ")");
}
