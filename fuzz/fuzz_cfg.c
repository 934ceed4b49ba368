/* fuzz_cfg.c: libFuzzer harness of the experiment config loader
 * (sim/config/cfg.h cfg_run_load): any bytes must give PB_SUCCESS or an error
 * code with a message, never a crash, leak or hang. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".cfg");
    cfg_run *c = NULL;
    pb_error err;
    int rc;

    if (!path)
        return 0;
    pb_error_clear(&err);
    rc = cfg_run_load(path, NULL, 0, &c, &err);
    if (rc == PB_SUCCESS && !c)
        abort(); /* success must hand over a config */
    if (rc != PB_SUCCESS && !err.msg[0])
        abort(); /* every failure carries a message */
    cfg_run_free(c);
    return 0;
}
