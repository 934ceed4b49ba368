/* cli_args.c: the option parser of every command (cli_args.h): one table of
 * options per command, long and short spellings, `--name=value`, and the
 * options every command shares (--quiet, --help). */
#include <stdio.h>
#include <string.h>

#include "cli_args.h"

static const cli_option common_opts[] = {
    {"quiet", 'q', 0, -100, NULL}, {"help", 'h', 0, -101, NULL}, {NULL, 0, 0, 0, NULL}};

void cli_parser_init(cli_parser *p, int argc, char **argv, const cli_option opts[])
{
    memset(p, 0, sizeof *p);
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
    p->opts = opts;
}

static const cli_option *find_long(const cli_option *t, const char *name, size_t len)
{
    for (; t && (t->name || t->short_name); t++)
        if (t->name && strlen(t->name) == len && strncmp(t->name, name, len) == 0)
            return t;
    return NULL;
}

static const cli_option *find_short(const cli_option *t, char c)
{
    for (; t && (t->name || t->short_name); t++)
        if (t->short_name == c)
            return t;
    return NULL;
}

int cli_next(cli_parser *p, const char **value)
{
    const char *cmd = p->argv[0];

    for (;;) {
        const char *a, *eq = NULL;
        const cli_option *o;

        *value = NULL;
        if (p->i >= p->argc)
            return CLI_END;
        a = p->argv[p->i++];
        /* positional: after "--", a lone "-", or anything not starting with '-' */
        if (p->only_args || a[0] != '-' || a[1] == '\0') {
            *value = a;
            return CLI_ARG;
        }
        if (strcmp(a, "--") == 0) {
            p->only_args = 1;
            continue;
        }
        if (a[1] == '-') {
            size_t len;
            eq = strchr(a + 2, '=');
            len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            o = find_long(p->opts, a + 2, len);
            if (!o)
                o = find_long(common_opts, a + 2, len);
            snprintf(p->name, sizeof p->name, "--%.*s", (int)(len < 100 ? len : 100), a + 2);
            if (!o) {
                cli_usage_error(cmd, "unknown argument '%s'", p->name);
                return CLI_ERROR;
            }
            if (eq && !o->takes_value) {
                cli_usage_error(cmd, "%s takes no value (got '%s')", p->name, a);
                return CLI_ERROR;
            }
            if (eq)
                *value = eq + 1;
        } else {
            o = find_short(p->opts, a[1]);
            if (!o)
                o = find_short(common_opts, a[1]);
            snprintf(p->name, sizeof p->name, "-%c", a[1]);
            if (!o) {
                cli_usage_error(cmd, "unknown argument '%s'", a);
                return CLI_ERROR;
            }
            if (a[2] != '\0') {
                if (!o->takes_value) {
                    cli_usage_error(cmd, "unknown argument '%s'", a);
                    return CLI_ERROR;
                }
                *value = a + 2; /* -oFILE */
            }
        }
        if (o->takes_value && !*value) {
            if (p->i >= p->argc) {
                cli_usage_error(cmd, "%s needs %s", p->name, o->what ? o->what : "a value");
                return CLI_ERROR;
            }
            *value = p->argv[p->i++];
        }
        if (o->id == -100) {
            p->quiet = 1;
            continue;
        }
        if (o->id == -101) {
            p->help = 1;
            continue;
        }
        return o->id;
    }
}
