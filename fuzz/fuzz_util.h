/* fuzz_util.h: what the libFuzzer harnesses of fuzz/ share: the loaders
 * under test take a file path, so each input is written to one scratch file
 * per process first. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Writes data[0..size) to a scratch file of this process whose name ends
 * with suffix (".cfg", ".nnet", ...) and returns its path (static storage),
 * or NULL when the file cannot be written. */
const char *fuzz_write_input(const uint8_t *data, size_t size, const char *suffix);

#endif
