/* test_h5.c: the HDF5 layer (common/h5/h5_io.h, h5_write.h).
 *
 * - Every file kind prunebound writes (a policy from `prune` and `convert`,
 *   run results from `run`, a Monte Carlo file from `montecarlo`, and with
 *   the file of `bound`) has a Fletcher-32 checksum on every
 *   dataset and the HDF5 1.8 superblock (version >= 2), as checked by h5py,
 *   an independent reader.
 * - The /summary tables those files hold have exactly the columns, in order,
 *   of the layout tables the readers use (results_row_cols, mc_row_cols).
 * - HDF5's automatic error printing is the same before and after a failing
 *   call of the layer, and is off during it.
 * - A table and a dataset written through the layer read back equal.
 * - A damaged chunk index is refused before HDF5 reads the chunk. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5_io.h"
#include "h5_write.h"
#include "mc_study.h"
#include "mlp_io.h"
#include "pb_test.h"
#include "results_layout.h"

/* h5py: every dataset of the file argv[1] has a Fletcher-32 filter, the
 * superblock is of version >= 2 (HDF5 1.8 format), there is at least one
 * dataset; prints "ok N" (N datasets) or the first offender.  With a second
 * argument prints the field names of that compound dataset, one a line. */
static const char *const checksum_script =
    "import sys, h5py\n"
    "path = sys.argv[1]\n"
    "with open(path, 'rb') as fh:\n"
    "    head = fh.read(9)\n"
    "if head[:8] != b'\\x89HDF\\r\\n\\x1a\\n' or head[8] < 2:\n"
    "    print('superblock version', head[8]); sys.exit(1)\n"
    "f = h5py.File(path, 'r')\n"
    "if len(sys.argv) > 2:\n"
    "    for n in f[sys.argv[2]].dtype.names: print(n)\n"
    "    sys.exit(0)\n"
    "bad, n = [], [0]\n"
    "def visit(name, obj):\n"
    "    if isinstance(obj, h5py.Dataset):\n"
    "        n[0] += 1\n"
    "        if not obj.fletcher32 or obj.chunks is None: bad.append(name)\n"
    "f.visititems(visit)\n"
    "if bad or n[0] == 0:\n"
    "    print('no fletcher32:', bad, 'of', n[0]); sys.exit(1)\n"
    "print('ok', n[0])\n";

/* Asserts the checksum properties of the file at path with h5py. */
static void assert_checksummed(const char *path)
{
    char args[1300], out[4096];
    int rc;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with h5py is missing: cannot check %s's checksums", path);
        return;
    }
    snprintf(args, sizeof args, "'%s'", path);
    rc = pb_test_python(checksum_script, args, out, sizeof out);
    if (rc != 0 || strncmp(out, "ok ", 3) != 0)
        fprintf(stderr, "\n%s: %s\n", path, out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(strncmp(out, "ok ", 3), 0);
}

/* Asserts that the compound dataset dset of path has the columns cols[n],
 * in order, as h5py lists them. */
__attribute__((unused)) static void assert_columns(const char *path, const char *dset, const h5_column cols[], size_t n)
{
    char args[1400], out[8192], *line, *save = NULL;
    size_t i = 0;

    if (!pb_test_have_python()) {
        pb_test_skip("python3 with h5py is missing: cannot list %s's columns", path);
        return;
    }
    snprintf(args, sizeof args, "'%s' '%s'", path, dset);
    CU_ASSERT_EQUAL_FATAL(pb_test_python(checksum_script, args, out, sizeof out), 0);
    for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        CU_ASSERT_FATAL(i < n);
        if (strcmp(line, cols[i].name) != 0)
            fprintf(stderr, "\n%s %s: column %zu is %s, the layout says %s\n", path, dset, i, line,
                    cols[i].name);
        CU_ASSERT_STRING_EQUAL(line, cols[i].name);
    }
    CU_ASSERT_EQUAL(i, n);
}

static void test_policy_checksummed(void)
{
    char args[4096];
    const char *pruned = pb_test_path("pruned.h5"), *conv = pb_test_path("conv.h5");

    snprintf(args, sizeof args,
             "prune -m '%s/configs/policies/pendulum.h5' --method magnitude --sparsity 0.5 -o '%s'",
             PB_SOURCE_DIR, pruned);
    pb_test_run_ok(args);
    assert_checksummed(pruned);
    snprintf(args, sizeof args, "convert '%s/policies/small.polar' -o '%s'", PB_TEST_DATA, conv);
    pb_test_run_ok(args);
    assert_checksummed(conv);
}

static void test_results_checksummed(void)
{
    char args[4096];
    const char *cfg = pb_test_small_cfg("run.cfg"), *res = pb_test_path("run.h5");

    snprintf(args, sizeof args, "run '%s' -o '%s'", cfg, res);
    pb_test_run_ok(args);
    assert_checksummed(res);
    /* The writer's columns are the readers' (results_info, plot). */
    assert_columns(res, "summary", results_row_cols, results_row_n_cols);
}

static void test_montecarlo_checksummed(void)
{
    char args[4096];
    const char *cfg = pb_test_small_cfg("mc.cfg"), *res = pb_test_path("mc.h5");

    snprintf(args, sizeof args, "montecarlo '%s' -o '%s' --threads 1", cfg, res);
    pb_test_run_ok(args);
    assert_checksummed(res);
    {
        /* The layout's columns, then the variant's, so that the table reads flat. */
        h5_column cols[64];
        const char *extra[] = {"label", "method", "sparsity", "pattern"};
        CU_ASSERT_FATAL(mc_row_n_cols + 4 <= 64);
        memcpy(cols, mc_row_cols, mc_row_n_cols * sizeof *cols);
        for (size_t i = 0; i < 4; i++)
            cols[mc_row_n_cols + i] = (h5_column){extra[i], H5W_F64, 0, 0, "", ""};
        assert_columns(res, "summary", cols, mc_row_n_cols + 4);
    }
}

static void test_bound_checksummed(void)
{
    char args[4096];
    const char *states = pb_test_path("states.h5"), *res = pb_test_path("bound.h5");
    const char *pruned = pb_test_path("pruned_b.h5");
    double x[3 * 2] = {0.1, 0.0, -0.3, 0.5, 0.7, -1.0};
    size_t dims[2] = {3, 2};
    h5_file *f;

    CU_ASSERT_EQUAL_FATAL(h5_file_create(states, &f, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(h5_dataset_write(f, "/states", 2, dims, H5W_F64, x, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(h5_file_commit(f, NULL), PB_SUCCESS);
    snprintf(args, sizeof args,
             "prune -m '%s/configs/policies/pendulum.h5' --method magnitude --sparsity 0.5 -o '%s'",
             PB_SOURCE_DIR, pruned);
    pb_test_run_ok(args);
    snprintf(args, sizeof args, "bound -m '%s/configs/policies/pendulum.h5' -p '%s' -s '%s' -o '%s'",
             PB_SOURCE_DIR, pruned, states, res);
    pb_test_run_ok(args);
    assert_checksummed(res);
}

/* ---- HDF5's error printing around the layer's calls ---- */

static int n_printed;

/* An automatic error handler that counts instead of printing. */
static herr_t count_errors(hid_t stack, void *data)
{
    (void)stack;
    (void)data;
    n_printed++;
    return 0;
}

static int handler_data; /* its address tells our handler's data from any other */

/* Asserts that the handler installed is still count_errors with our data
 * and that nothing reached it. */
static void assert_handler_kept(const char *what)
{
    H5E_auto2_t fn = NULL;
    void *data = NULL;

    CU_ASSERT_TRUE(H5Eget_auto2(H5E_DEFAULT, &fn, &data) >= 0);
    if (fn != count_errors || data != &handler_data || n_printed != 0)
        fprintf(stderr, "\nafter %s: handler %s, data %s, %d printed\n", what,
                fn == count_errors ? "kept" : "changed", data == &handler_data ? "kept" : "changed",
                n_printed);
    CU_ASSERT_TRUE(fn == count_errors);
    CU_ASSERT_PTR_EQUAL(data, &handler_data);
    CU_ASSERT_EQUAL(n_printed, 0);
}

static void test_error_printing_restored(void)
{
    const char *junk = pb_test_path("junk.h5"), *good = pb_test_path("good.h5");
    H5E_auto2_t fn0 = NULL;
    void *data0 = NULL;
    char buf[64];
    size_t dims[2];
    double *v = NULL;
    void *rows = NULL;
    size_t n_rows = 0;
    h5_file *wf = NULL;
    mlp *m = NULL;
    pb_error err;
    hid_t f;
    FILE *fp = fopen(junk, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs("not HDF5 at all\n", fp);
    fclose(fp);
    CU_ASSERT_EQUAL_FATAL(h5_file_create(good, &wf, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(h5_file_commit(wf, NULL), PB_SUCCESS);

    CU_ASSERT_TRUE(H5Eget_auto2(H5E_DEFAULT, &fn0, &data0) >= 0);
    CU_ASSERT_TRUE_FATAL(H5Eset_auto2(H5E_DEFAULT, count_errors, &handler_data) >= 0);
    n_printed = 0;

    /* The handler is live: a raw failing call reaches it. */
    CU_ASSERT_TRUE(H5Fopen(junk, H5F_ACC_RDONLY, H5P_DEFAULT) < 0);
    CU_ASSERT_TRUE(n_printed > 0);
    n_printed = 0;

    CU_ASSERT_TRUE(h5_open(junk, H5F_ACC_RDONLY, &err) < 0);
    CU_ASSERT_EQUAL(err.code, PB_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, junk));
    assert_handler_kept("h5_open of a text file");
    CU_ASSERT_TRUE(h5_open(pb_test_path("absent.h5"), H5F_ACC_RDONLY, &err) < 0);
    CU_ASSERT_EQUAL(err.code, PB_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "No such file"));
    assert_handler_kept("h5_open of a missing file");
    CU_ASSERT_TRUE(h5_create(pb_test_path("no/such/dir/x.h5"), &err) < 0);
    CU_ASSERT_EQUAL(err.code, PB_EIO);
    assert_handler_kept("h5_create in a missing folder");
    CU_ASSERT_EQUAL(h5_file_create(pb_test_path("no/such/dir/y.h5"), &wf, &err), PB_EIO);
    assert_handler_kept("h5_file_create in a missing folder");
    CU_ASSERT_EQUAL(mlp_read_h5(junk, &m, &err), PB_EFORMAT);
    assert_handler_kept("mlp_read_h5 of a text file");

    f = h5_open(good, H5F_ACC_RDONLY, &err);
    CU_ASSERT_TRUE_FATAL(f >= 0);
    CU_ASSERT_EQUAL(h5_attr_read_str(f, "/", "format", buf, sizeof buf, &err), PB_EFORMAT);
    CU_ASSERT_STRING_EQUAL(buf, "");
    assert_handler_kept("h5_attr_read_str of a missing attribute");
    CU_ASSERT_TRUE(isnan(h5_attr_read_f64(f, "/no/group", "x")));
    assert_handler_kept("h5_attr_read_f64 below a missing group");
    CU_ASSERT_EQUAL(h5_dataset_read_f64(f, good, "/a/b", 1, dims, &v, &err), PB_EFORMAT);
    CU_ASSERT_PTR_NULL(v);
    assert_handler_kept("h5_dataset_read_f64 of a missing dataset");
    CU_ASSERT_EQUAL(h5_table_read(f, good, "/summary", mc_row_cols, mc_row_n_cols, mc_row_n_cols, sizeof(mc_row),
                                  &rows, &n_rows, &err),
                    PB_EFORMAT);
    CU_ASSERT_PTR_NULL(rows);
    assert_handler_kept("h5_table_read of a missing table");
    CU_ASSERT_FALSE(h5_has_object(f, "/x/y/z"));
    assert_handler_kept("h5_has_object of a missing path");
    H5Fclose(f);

    H5Eset_auto2(H5E_DEFAULT, fn0, data0);
}

/* ---- Round trips through the layer ---- */

typedef struct trip_row {
    char name[12];
    double x;
    long long k;
    unsigned char flag;
} trip_row;

static const h5_column trip_cols[] = {
    {"name", H5W_STR, offsetof(trip_row, name), 12, "", "a name"},
    {"x", H5W_F64, offsetof(trip_row, x), 0, "m", "a length"},
    {"k", H5W_I64, offsetof(trip_row, k), 0, "1", "a count"},
    {"flag", H5W_U8, offsetof(trip_row, flag), 0, "1", "a flag"},
};

static void test_round_trip(void)
{
    const char *path = pb_test_path("trip.h5");
    trip_row rows[3] = {{"alpha", 1.5, -7, 1}, {"b", -0.0, 1LL << 40, 0}, {"", NAN, 0, 255}};
    double m[2 * 3] = {1, 2, 3, 4, 5, 6}, *back = NULL;
    size_t dims[2] = {2, 3}, got[2] = {0, 0}, n = 0;
    trip_row *r = NULL;
    void *rv = NULL;
    h5_file *f;
    hid_t fid;
    char s[32];

    CU_ASSERT_EQUAL_FATAL(h5_file_create(path, &f, NULL), PB_SUCCESS);
    CU_ASSERT_EQUAL(h5_table_write(f, "/g/t", trip_cols, 4, sizeof(trip_row), 3, rows, NULL), 0);
    CU_ASSERT_EQUAL(h5_dataset_write(f, "/g/m", 2, dims, H5W_F64, m, NULL), 0);
    CU_ASSERT_EQUAL(h5_attr_write_str(f, "/g", "note", "hello", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(h5_file_commit(f, NULL), PB_SUCCESS);
    assert_checksummed(path);

    fid = h5_open(path, H5F_ACC_RDONLY, NULL);
    CU_ASSERT_TRUE_FATAL(fid >= 0);
    CU_ASSERT_TRUE(h5_has_object(fid, "/g/t"));
    CU_ASSERT_EQUAL(h5_table_read(fid, path, "/g/t", trip_cols, 4, 4, sizeof(trip_row), &rv, &n, NULL),
                    0);
    r = rv;
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_STRING_EQUAL(r[i].name, rows[i].name);
        CU_ASSERT_EQUAL(r[i].k, rows[i].k);
        CU_ASSERT_EQUAL(r[i].flag, rows[i].flag);
        CU_ASSERT_TRUE(memcmp(&r[i].x, &rows[i].x, sizeof r[i].x) == 0); /* -0 and NaN kept */
    }
    CU_ASSERT_EQUAL(h5_dataset_read_f64(fid, path, "/g/m", 2, got, &back, NULL), 0);
    CU_ASSERT_EQUAL(got[0], 2);
    CU_ASSERT_EQUAL(got[1], 3);
    for (size_t i = 0; back && i < 6; i++)
        CU_ASSERT_EQUAL(back[i], m[i]);
    CU_ASSERT_EQUAL(h5_attr_read_str(fid, "/g", "note", s, sizeof s, NULL), 0);
    CU_ASSERT_STRING_EQUAL(s, "hello");
    /* Too long for the buffer: refused, not truncated. */
    CU_ASSERT_EQUAL(h5_attr_read_str(fid, "/g", "note", s, 5, NULL), PB_EFORMAT);
    H5Fclose(fid);
    free(back);
    free(rv);
}

/* Writes a 2 x 3 float64 dataset /m through the layer into path and returns
 * the file offset of the size field of its (only) chunk's key in the chunk
 * index, a version-1 B-tree in the HDF5 1.8 format: the key is the chunk's
 * size (4 bytes), its filter mask (4) and its offsets ((rank + 1) x 8), and
 * the chunk's address (8) follows it.  *addr: the chunk's address.  -1
 * when the key is not found (a layout this test does not know: it fails). */
static long write_one_chunk(const char *path, unsigned long long *addr)
{
    double m[2 * 3] = {1, 2, 3, 4, 5, 6};
    size_t dims[2] = {2, 3};
    hsize_t at[2] = {0, 0}, size = 0;
    unsigned char *bytes, le[8];
    unsigned mask = 0;
    haddr_t a = HADDR_UNDEF;
    h5_file *f;
    hid_t fid, ds;
    long n, pos = -1;
    FILE *fp;

    if (h5_file_create(path, &f, NULL) != PB_SUCCESS ||
        h5_dataset_write(f, "/m", 2, dims, H5W_F64, m, NULL) != 0 ||
        h5_file_commit(f, NULL) != PB_SUCCESS)
        return -1;
    fid = h5_open(path, H5F_ACC_RDONLY, NULL);
    ds = H5Dopen2(fid, "/m", H5P_DEFAULT);
    if (ds < 0 || H5Dget_chunk_info_by_coord(ds, at, &mask, &a, &size) < 0)
        a = HADDR_UNDEF;
    H5Dclose(ds);
    H5Fclose(fid);
    fp = fopen(path, "rb");
    if (a == HADDR_UNDEF || !fp)
        return fp ? (fclose(fp), -1) : -1;
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    bytes = malloc((size_t)n);
    if (bytes && fread(bytes, 1, (size_t)n, fp) == (size_t)n) {
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)((unsigned long long)a >> (8 * i));
        for (long i = 40; i + 8 <= n && pos < 0; i++) {
            long key = i - 3 * 8 - 8; /* offsets of a rank-2 chunk, then size and mask */
            if (memcmp(bytes + i, le, 8) == 0 && bytes[key] == (size & 0xff) &&
                bytes[key + 1] == ((size >> 8) & 0xff) && bytes[key + 2] == 0 && bytes[key + 3] == 0)
                pos = key;
        }
    }
    free(bytes);
    fclose(fp);
    *addr = (unsigned long long)a;
    return pos;
}

/* Overwrites n bytes of path at offset pos with the little-endian value v. */
static void patch_le(const char *path, long pos, unsigned long long v, int n)
{
    FILE *fp = fopen(path, "r+b");

    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fseek(fp, pos, SEEK_SET);
    for (int i = 0; i < n; i++)
        fputc((int)((v >> (8 * i)) & 0xff), fp);
    fclose(fp);
}

/* A damaged chunk index (the version-1 B-tree carries no checksum) is
 * refused before HDF5 reads the chunk: a chunk shorter than Fletcher-32's
 * 4-byte checksum (HDF5 1.10's filter then reads before its buffer: the
 * crash fuzz_policy found; under valgrind and ASan this test shows it) and
 * a chunk past the end of the file.  The undamaged file reads. */
static void test_damaged_chunk_index(void)
{
    const char *path = pb_test_path("chunk.h5");
    size_t got[2] = {0, 0};
    unsigned long long addr = 0;
    double *back = NULL;
    long key;
    hid_t fid;

    for (int damage = 0; damage < 3; damage++) {
        key = write_one_chunk(path, &addr);
        CU_ASSERT_TRUE_FATAL(key > 0);
        if (damage == 1)
            patch_le(path, key, 2, 4); /* the size: 2 bytes */
        else if (damage == 2)
            patch_le(path, key + 4 + 4 + 3 * 8, addr + (1ULL << 20), 8); /* 1 MiB further */
        fid = h5_open(path, H5F_ACC_RDONLY, NULL);
        CU_ASSERT_TRUE_FATAL(fid >= 0);
        CU_ASSERT_EQUAL(h5_dataset_read_f64(fid, path, "/m", 2, got, &back, NULL),
                        damage ? PB_EFORMAT : PB_SUCCESS);
        CU_ASSERT_TRUE(damage ? back == NULL : back && back[5] == 6);
        free(back);
        back = NULL;
        H5Fclose(fid);
    }
}

static const pb_test_case checksum_tests[] = {
    {"policy files (prune, convert): Fletcher-32 on every dataset", test_policy_checksummed},
    {"run results: Fletcher-32 on every dataset, summary columns", test_results_checksummed},
    {"Monte Carlo file: Fletcher-32 on every dataset, summary columns",
     test_montecarlo_checksummed},
    {"bound file: Fletcher-32 on every dataset", test_bound_checksummed},
    {NULL, NULL}};

static const pb_test_case layer_tests[] = {
    {"error printing: same before and after, off during a failing call",
     test_error_printing_restored},
    {"table, dataset and attribute round trip", test_round_trip},
    {"damaged chunk index (short chunk, chunk past the end) refused before reading",
     test_damaged_chunk_index},
    {NULL, NULL}};

const pb_test_suite pb_test_suites[] = {
    {"h5_checksums", checksum_tests}, {"h5_layer", layer_tests}, {NULL, NULL}};
