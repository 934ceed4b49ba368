/* cli_args.h: the commands of the prunebound executable.  Each command is one
 * file sim/cli/cmd_<name>.c with an entry `int cmd_<name>(int argc, char **argv)`
 * (argv[0] is the command name) that returns the process exit code:
 * 0 success, 2 bad usage or bad input, 1 internal failure. */
#ifndef PB_SIM_CLI_CLI_ARGS_H
#define PB_SIM_CLI_CLI_ARGS_H

#include <stdio.h>

#include "pb_error.h"

typedef struct cli_command {
    const char *name;
    const char *summary; /* one line for `prunebound --help` */
    int (*fn)(int argc, char **argv); /* NULL: not built yet */
} cli_command;

extern const cli_command cli_commands[];

/* Prints "prunebound <cmd>: <message>" to stderr and returns the exit code of
 * err->code (pb_exit_code). */
int cli_fail(const char *cmd, const pb_error *err);

/* Prints a usage error "prunebound <cmd>: <printf message>" plus a hint to
 * run --help, and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Non-zero when argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);

/* Non-zero when stderr is a terminal (progress is shown only then). */
int cli_stderr_is_tty(void);

/* ---- The option parser every command shares (cli_args.c) ----
 * A command declares its options in a const table and owns the loop:
 *
 *     static const cli_option opts[] = {{"output", 'o', 1, OPT_OUTPUT}, ..., {NULL, 0, 0, 0}};
 *     cli_parser p;
 *     const char *v;
 *     int id;
 *     cli_parser_init(&p, argc, argv, opts);
 *     while ((id = cli_next(&p, &v)) != CLI_END) {
 *         if (id == CLI_ERROR) return 2;            (the message is printed)
 *         if (id == CLI_ARG) ... a positional argument in v ...
 *         if (id == OPT_OUTPUT) out = v;
 *     }
 *
 * Long options take their value as `--name VALUE` or `--name=VALUE`, short
 * ones as `-o VALUE` or `-oVALUE`; a flag given `--flag=x` is refused.  Every
 * command also accepts `-q`/`--quiet` (p.quiet: no progress and no notes on
 * stderr) and `-h`/`--help` (p.help; commands check cli_wants_help first);
 * after `--` every argument is positional. */
typedef struct cli_option {
    const char *name; /* long name without the dashes, or NULL; NULL name and short 0 end a table */
    char short_name;  /* e.g. 'o' for -o, or 0 */
    int takes_value;  /* 1: needs a value; 0: a flag */
    int id;           /* returned by cli_next, > 0 */
    const char *what; /* the value in messages ("a file name"), or NULL: "a value" */
} cli_option;

enum { CLI_END = 0, CLI_ARG = -1, CLI_ERROR = -2 };

typedef struct cli_parser {
    int argc;
    char **argv; /* argv[0] is the command name */
    int i;       /* next argument */
    const cli_option *opts;
    int quiet; /* -q or --quiet seen */
    int help;  /* -h or --help seen */
    int only_args; /* after "--" */
    char name[128]; /* spelling of the last option returned, for messages */
} cli_parser;

void cli_parser_init(cli_parser *p, int argc, char **argv, const cli_option opts[]);

/* The next option's id (its value, or NULL for a flag, in *value), CLI_ARG
 * with a positional argument in *value, CLI_END, or CLI_ERROR after printing
 * a usage error (unknown option, missing or unexpected value): the command
 * then returns 2. */
int cli_next(cli_parser *p, const char **value);

/* The spelling of the option last returned by cli_next ("--output" or "-o"),
 * for messages. */
static inline const char *cli_last_name(const cli_parser *p)
{
    return p->name;
}

#endif
