/* fuzz_import.c: libFuzzer harness of one policy importer
 * (controller/import/import_type.h), chosen at compile time by FUZZ_IMPORTER ("nnet",
 * "polar", "onnx") with the file suffix FUZZ_SUFFIX.  A success must give a
 * network that mlp_validate accepts; a failure an error with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "import_type.h"
#include "mlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const import_type *t = import_find(FUZZ_IMPORTER);
    const char *path = fuzz_write_input(data, size, FUZZ_SUFFIX);
    import_options o = {0};
    char note[512];
    mlp *m = NULL;
    pb_error err;
    int rc;

    if (!t)
        abort();
    if (!path)
        return 0;
    pb_error_clear(&err);
    rc = t->read(path, &o, &m, note, sizeof note, &err);
    if (rc == PB_SUCCESS) {
        pb_error e2;
        if (!m || mlp_validate(m, &e2) != PB_SUCCESS)
            abort(); /* an importer hands over only valid networks */
    } else if (m || !err.msg[0]) {
        abort();
    }
    mlp_free(m);
    return 0;
}
