/* test_plot.c: `prunebound plot` (placeholder while being written). */
#include "pb_test.h"

static void test_nothing(void)
{
    CU_ASSERT_TRUE(1);
}

static const pb_test_case plot_tests[] = {{"nothing", test_nothing}, {NULL, NULL}};
const pb_test_suite pb_test_suites[] = {{"plot", plot_tests}, {NULL, NULL}};
