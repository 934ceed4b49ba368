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

#endif
