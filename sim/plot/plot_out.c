/* plot_out.c: the output folder of `prunebound plot`, written whole or not at
 * all: every file goes into DIR.tmp-XXXXXX (mkdtemp, beside DIR) and reaches
 * DIR only when every figure was drawn (plot_plan.h). */
#define _XOPEN_SOURCE 700
#include "plot_plan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The process's umask (read by setting and restoring it). */
static mode_t umask_get(void)
{
    mode_t m = umask(022);
    umask(m);
    return m;
}

/* Removes folder dir and the files in it (the folder is flat: plot writes
 * no subfolders). */
static void dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PLOT_PATH_MAX + 256];

    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

int plot_out_begin(plot_out *o, const char *dir, pb_error *err)
{
    char buf[PLOT_PATH_MAX];
    size_t n = strlen(dir);
    struct stat st;

    o->made[0] = o->tmp[0] = '\0';
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0 || n + 16 >= sizeof o->dir)
        return pb_error_set(err, PB_EIO, "bad output folder '%s'", dir);
    memcpy(o->dir, dir, n);
    o->dir[n] = '\0';
    if (stat(o->dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return pb_error_set(err, PB_EIO, "%s: not a folder", o->dir);
    /* the missing parents of DIR, remembering the first one made (mkdir -p) */
    memcpy(buf, o->dir, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0777) == 0) {
            if (!o->made[0])
                snprintf(o->made, sizeof o->made, "%s", buf);
        } else if (errno != EEXIST) {
            int e = errno;
            pb_error_set(err, PB_EIO, "cannot create folder %s: %s", buf, strerror(e));
            plot_out_abort(o);
            return PB_EIO;
        }
        buf[i] = '/';
    }
    memcpy(o->tmp, o->dir, n);
    memcpy(o->tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    if (!mkdtemp(o->tmp)) {
        int e = errno;
        pb_error_set(err, PB_EIO, "cannot create folder %s: %s", o->tmp, strerror(e));
        o->tmp[0] = '\0';
        plot_out_abort(o);
        return PB_EIO;
    }
    /* mkdtemp makes it 0700; DIR gets the mode mkdir would give it */
    chmod(o->tmp, 0777 & ~umask_get());
    return PB_SUCCESS;
}

int plot_out_commit(plot_out *o, pb_error *err)
{
    char from[PLOT_PATH_MAX + 256], to[PLOT_PATH_MAX + 256];
    struct dirent *e;
    DIR *d;
    int rc = PB_SUCCESS;

    /* a new or empty DIR: one rename */
    if (rename(o->tmp, o->dir) == 0) {
        o->tmp[0] = o->made[0] = '\0';
        return PB_SUCCESS;
    }
    if (errno != ENOTEMPTY && errno != EEXIST)
        return pb_error_set(err, PB_EIO, "cannot rename %s to %s: %s", o->tmp, o->dir,
                            strerror(errno));
    /* DIR holds files already (an earlier plot, or the user's): each new file
     * replaces the one of its name; the others stay */
    if (!(d = opendir(o->tmp)))
        return pb_error_set(err, PB_EIO, "cannot read folder %s: %s", o->tmp, strerror(errno));
    while ((e = readdir(d)) != NULL && rc == PB_SUCCESS) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(from, sizeof from, "%s/%s", o->tmp, e->d_name);
        snprintf(to, sizeof to, "%s/%s", o->dir, e->d_name);
        if (rename(from, to) != 0)
            rc = pb_error_set(err, PB_EIO, "cannot move %s to %s: %s", from, to,
                              strerror(errno));
    }
    closedir(d);
    if (rc == PB_SUCCESS) {
        rmdir(o->tmp);
        o->tmp[0] = o->made[0] = '\0';
    }
    return rc;
}

void plot_out_abort(plot_out *o)
{
    char buf[PLOT_PATH_MAX];
    size_t m = strlen(o->made);

    if (o->tmp[0])
        dir_remove(o->tmp);
    o->tmp[0] = '\0';
    if (!m)
        return;
    /* the parents this call made, deepest first, up to the first one made */
    snprintf(buf, sizeof buf, "%s", o->dir);
    for (char *s = strrchr(buf, '/'); s && (size_t)(s - buf) >= m; s = strrchr(buf, '/')) {
        *s = '\0';
        rmdir(buf);
    }
    o->made[0] = '\0';
}
