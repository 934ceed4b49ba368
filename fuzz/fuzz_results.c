/* fuzz_results.c: libFuzzer harness of the results-file reader of
 * `prunebound info` (sim/results/results_info.h).  HDF5 itself is not instrumented. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>

#include "fuzz_util.h"
#include "results_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    const char *path = fuzz_write_input(data, size, ".h5");
    pb_error err;
    hid_t f;

    if (!path)
        return 0;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        return 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return 0;
    pb_error_clear(&err);
    if (results_info_is_kind(f) && results_info_describe(path, f, sink, &err) != PB_SUCCESS &&
        !err.msg[0])
        abort();
    H5Fclose(f);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        abort(); /* results_info left an HDF5 object open */
    return 0;
}
