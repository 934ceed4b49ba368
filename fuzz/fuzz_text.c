/* fuzz_text.c: libFuzzer harness of the line reader all text importers
 * share (controller/import/import_type.h import_text_*): every line is split into
 * numbers; no read outside the buffer, no crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "import_type.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".txt");
    import_text t;
    pb_error err;
    double v[16];
    char *line;

    if (!path)
        return 0;
    pb_error_clear(&err);
    if (import_text_open(&t, path, &err) != PB_SUCCESS)
        return 0;
    while ((line = import_text_next_line(&t, size && data[0] == '#' ? "#" : "//"))) {
        size_t n = 0;
        if (import_text_numbers(&t, line, v, 16, &n, &err) == PB_SUCCESS && n > 16)
            abort();
    }
    import_text_close(&t);
    return 0;
}
