/* fuzz_policy.c: libFuzzer harness of the policy-file reader
 * (controller/mlp_io.h mlp_read_h5).  HDF5 itself is not instrumented: the
 * harness targets what prunebound does with what HDF5 hands back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>

#include "fuzz_util.h"
#include "mlp.h"
#include "mlp_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".h5");
    mlp *m = NULL;
    pb_error err;
    int rc;

    if (!path)
        return 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    pb_error_clear(&err);
    rc = mlp_read_h5(path, &m, &err);
    if (rc == PB_SUCCESS) {
        pb_error e2;
        if (!m || mlp_validate(m, &e2) != PB_SUCCESS)
            abort();
    } else if (m || !err.msg[0]) {
        abort();
    }
    mlp_free(m);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        abort(); /* an HDF5 file or object left open */
    return 0;
}
