/* ctl.h: what alliancectl's subcommands share.
 *
 * Each subcommand is one function `int cmd_X(int argc, char **argv)` that
 * parses its own options (getopt_long) and returns the exit status:
 * 0 success, 1 failure (an error or, for audit, faults found), 2 usage.
 * Errors go to stderr as "alliancectl: what, and what to do".
 */
#ifndef CTL_H
#define CTL_H

#include <jansson.h>

#include "control.h"
#include "msg.h"

#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

/* The home given with -H before the command (NULL if none). */
extern const char *ctl_global_home;

/* Print "alliancectl: ..." to stderr; returns CTL_EXIT_FAIL. */
int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a usage error and the hint to run --help; returns CTL_EXIT_USAGE. */
int ctl_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The home to use: opt (from -H among the options), the global -H, or
 * $ALLIANCE_HOME; NULL (after printing an error) when none. */
const char *ctl_home(const char *opt);

/* A member card given inline or as a file holding it (its last non-empty
 * line). Returns 0 or prints an error and returns CTL_EXIT_FAIL. */
int ctl_read_card(const char *arg, struct al_member *out);

/* Dump j (stolen; NULL when building it failed) as one indented JSON
 * document and a newline. Returns 0, or prints an error and returns
 * CTL_EXIT_FAIL when there is nothing to print. */
int ctl_print_json(json_t *j);

/* Send rq to the daemon of home and wait for its reply (at most
 * $ALLIANCE_TIMEOUT seconds, default 10). On failure prints the error
 * (no daemon, no answer, the daemon's refusal) and returns CTL_EXIT_FAIL;
 * on success fills *rp (control_reply_clear it) and returns 0. */
int ctl_call(const char *home, const struct al_request *rq, struct al_reply *rp);

/* Subcommands. */
int cmd_charter(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif
