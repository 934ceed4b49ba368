#include "pb_test.h"
static void placeholder(void) { CU_ASSERT(1); }
static const pb_test_case cases[] = {{"placeholder", placeholder}, {NULL, NULL}};
const pb_test_suite pb_test_suites[] = {{"cli", cases}, {NULL, NULL}};
