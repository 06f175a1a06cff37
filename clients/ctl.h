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
#include <stdbool.h>
#include <stdint.h>

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
 * document and a newline, through ctl_json_dumps. Returns 0, or prints an
 * error and returns CTL_EXIT_FAIL when there is nothing to print. */
int ctl_print_json(json_t *j);

/* The one place alliancectl turns JSON into text: json_dumps(j, flags),
 * then text_escape_json, so that no control, bidi or separator character
 * of a partner's text reaches a terminal raw (C0 as jansson escapes it,
 * the rest as \uXXXX; other UTF-8 stays as it is). The caller frees the
 * result; NULL when j is NULL or the text cannot be made. */
char *ctl_json_dumps(const json_t *j, size_t flags);

/* Text views print text that came from a log or a charter (other firms'
 * text) only escaped (text_escape, text.h): a partner's ESC, newline or
 * bidi override shows as \x1b, \n, \u202e and drives nothing. Views that
 * print from JSON escape the whole document first with ctl_json_escape;
 * a field printed on its own goes through ctl_esc. Tables (table.h) then
 * measure the escaped text as a terminal shows it, so columns stay
 * aligned. */

/* Rewrite every string in j (values and object keys, at any depth) as
 * text_escape shows it. 0, or -1 when memory ran out (j is then partly
 * rewritten, and still valid JSON). */
int ctl_json_escape(json_t *j);

/* s escaped into buf (n bytes; cut only between escapes); returns buf,
 * for one field of a printf. */
const char *ctl_esc(const char *s, char *buf, size_t n);

/* Send rq to the daemon of home and wait for its reply (at most
 * $ALLIANCE_TIMEOUT seconds, default 10). On failure prints the error
 * (no daemon, no answer, the daemon's refusal) and returns CTL_EXIT_FAIL;
 * on success fills *rp (control_reply_clear it) and returns 0. */
int ctl_call(const char *home, const struct al_request *rq, struct al_reply *rp);

/* ctl_call, telling also whether it failed because the daemon refused the
 * request (*refused: it then changed nothing) rather than for want of an
 * answer (then the request may or may not have been carried out). */
int ctl_call_refused(const char *home, const struct al_request *rq, struct al_reply *rp,
		     bool *refused);

/* ctl_call for a read-only query that alliancectl can also answer from
 * the log: CTL_OFFLINE (nothing printed) when no daemon serves home (no
 * control socket, or a stale one) or the daemon is older than the op;
 * 0 with *rp the daemon's answer, or its refusal (rp->ok false, not
 * printed: rp->error says why); CTL_EXIT_FAIL after printing why there is
 * no answer (permission, a timeout). */
#define CTL_OFFLINE (-1)
int ctl_call_query(const char *home, const struct al_request *rq, struct al_reply *rp);

/* The answer to query q (what, as_of, now, name, state) about the
 * alliance of arg (HOME|LOG, as ctl_log_arg gives it; sel: --alliance):
 * from the daemon serving arg when arg is a home with a daemon running and
 * none of offline, verify (every signature checked again: only the log can
 * be) or charter_path is given, and q is not "series" (never asked of the
 * daemon: a table per point would stop its reactor); otherwise computed
 * here from the log
 * (ctl_load_ledger, verify as it takes it). Either way the same JSON (query.h). 0 with
 * *out (the caller's), or with *out NULL and why (AL_ERRLEN) holding the
 * refusal of a bad value (the same words either way), not printed;
 * CTL_EXIT_FAIL after printing an error that leaves no answer. *from
 * (may be NULL) says which answered: "daemon" or "log". */
int ctl_answer(const char *arg, const char *charter_path, const char *sel, bool offline,
	       bool verify, const struct al_query *q, json_t **out, char *why, const char **from);

/* A log to read offline, as named on the command line. */
struct ctl_source {
	const char *label;
	char log[4096];
	char proofs[4096];
	char charter[4096]; /* the charter beside the log, if any */
	bool has_proofs;
	bool own; /* a home or alliance directory here, not a bare log file */
};

/* Point s at the log that arg names: a log file, an alliance directory, or
 * a home (its one alliance; with several, the one of charter c or of
 * --alliance sel). Prints the error and returns CTL_EXIT_FAIL, or 0. */
struct al_charter;
int ctl_resolve(const char *arg, const struct al_charter *c, const char *sel,
		struct ctl_source *s);

/* What log, commitments and trust read: the HOME|LOG argument (may be
 * NULL), or else the home of -H or $ALLIANCE_HOME. NULL after printing a
 * usage error (both given, or neither). */
const char *ctl_log_arg(const char *cmd, const char *arg, const char *home_opt);

/* The words after the options of a command that explains one partner
 * (trust, scorecard): [NAME] [HOME|LOG], a HOME|LOG being a path (it has a
 * '/'). *name and *arg (NULL when not given) point into argv. 0, or
 * prints a usage error for a third word and returns CTL_EXIT_USAGE. */
int ctl_name_and_log(const char *cmd, int argc, char **argv, int first, const char **name,
		     const char **arg);

/* Resolve arg as ctl_resolve does and load the charter: charter_path, or
 * the one beside the log (*c stays NULL when there is none and
 * !need_charter). Prints the error and returns CTL_EXIT_FAIL, or 0. */
int ctl_open_log(const char *arg, const char *charter_path, const char *sel, bool need_charter,
		 struct ctl_source *src, struct al_charter **c);

/* The messages of a log read offline, where ctl_load_ledger found them:
 * query.h's al_msgs is { feeds_body, index } (the index reads the log). */
struct al_feeds;
struct al_log;
struct ctl_log_msgs {
	struct al_feeds *index; /* (author, seq) -> offset */
	struct al_log *log;     /* opened to read */
};
void ctl_log_msgs_close(struct ctl_log_msgs *m);

/* The ledger of the log that arg names (as ctl_open_log; the charter is
 * required), as of as_of, over the roster its amendments make. A home's
 * own log (arg a home or an alliance directory) is checked but its
 * signatures are not verified again unless verify; a bare log file always
 * is. With msgs (may be NULL), where its messages are read again (the
 * caller's: ctl_log_msgs_close). Prints the error and returns
 * CTL_EXIT_FAIL, or 0 with *c, *ro and *l the caller's (l borrows ro,
 * which borrows c: destroy them in that order). */
struct al_ledger;
struct al_roster;
int ctl_load_ledger(const char *arg, const char *charter_path, const char *sel, int64_t as_of,
		    bool verify, struct al_charter **c, struct al_roster **ro,
		    struct al_ledger **l, struct ctl_log_msgs *msgs);

/* One ledger of the log that arg names, as of one time, to answer many
 * queries from (answer.c): every answer is about the same messages, those
 * signed at or before as_of, evaluated at as_of, whatever arrives at the
 * daemon meanwhile, and the daemon is not asked (its thread is not held
 * for a replay per query). What a report and a portfolio are made of. */
struct ctl_book {
	const char *arg, *charter_path, *sel; /* borrowed: for the series */
	int64_t as_of;
	bool verify;
	struct al_charter *c;
	struct al_roster *ro;
	struct al_ledger *l;
	struct ctl_log_msgs m;
};

/* Load the ledger (ctl_load_ledger: same arguments, same checks). 0, or
 * CTL_EXIT_FAIL after printing the error (nothing to close then). */
int ctl_book_open(struct ctl_book *b, const char *arg, const char *charter_path, const char *sel,
		  int64_t as_of, bool verify);

/* The answer to q (its as_of and now ignored: the book's as_of) from the
 * book's ledger; "series" from one pass over the same log. As
 * ctl_answer: 0 with *out, or 0 with *out NULL and why holding a refusal;
 * CTL_EXIT_FAIL after printing an error that leaves no answer. */
int ctl_book_answer(const struct ctl_book *b, const struct al_query *q, json_t **out, char *why);

void ctl_book_close(struct ctl_book *b);

/* The answers to the n queries qs from one book (open, answer each,
 * close) into outs (the caller's, json_decref each; NULL for those not
 * answered). 0 with every outs[i]; 0 with the first refused one NULL and
 * why (the rest not asked); or CTL_EXIT_FAIL after printing the error. */
int ctl_answer_all(const char *arg, const char *charter_path, const char *sel, bool verify,
		   int64_t as_of, const struct al_query *qs, size_t n, json_t **outs, char *why);

/* The health rule of status --check and metrics (docs/metrics.md), over
 * the JSON of a status request. Free space in the home's filesystem is too
 * little below bytes or below percent of its size (0: that test is off). */
struct ctl_min_free {
	uint64_t bytes;
	double percent;
};
#define CTL_MIN_FREE_DEFAULT { 64ull << 20, 1.0 }

/* Parse --min-free SIZE ("64M", "2G", "5%", "0") into *out (both fields
 * set: one test replaces the defaults). 0, or prints an error and returns
 * CTL_EXIT_FAIL. */
int ctl_parse_min_free(const char *arg, struct ctl_min_free *out);

/* Is status (the whole reply) healthy? Writes the one line of status
 * --check into buf (n bytes, cut to fit): "OK: ..." when it returns true,
 * "DEGRADED: NAME: ..." naming every fault when false, or "CRITICAL: NAME:
 * disk: disk full ...; ..." when the daemon's disk is full. */
bool ctl_health(const json_t *status, const struct ctl_min_free *mf, char *buf, size_t n);

/* A field of an answer's JSON object o: an integer (0 when absent or
 * not one), a number (0), a string ("": never NULL, for printf). Inline:
 * the pure renderers (report.c, table.c's users in unit tests) link no
 * more than they use. */
static inline long long ctl_jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static inline double ctl_jreal(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static inline const char *ctl_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Does a member of this standing (status JSON's "standing") act now: a
 * founder, or one that joined by amendment? */
bool ctl_standing_current(const char *standing);

/* Subcommands. */
int cmd_charter(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_commitments(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_portfolio(int argc, char **argv);

/* The portfolio document (lib/portfolio.h) of home dir: every alliance
 * it has joined asked the queries alliance, commitments and trust from
 * one ledger of its log as of q->as_of (ctl_answer_all; verify as it
 * takes it; q->what is set here on a copy). 0 with *doc the caller's, or
 * CTL_EXIT_FAIL after printing why (not a home, a refused query). */
int ctl_portfolio(const char *dir, bool verify, const struct al_query *q, json_t **doc);

/* That document as one HTML page (portfolio_page.h) written whole to out
 * (report --portfolio). 0, or CTL_EXIT_FAIL after printing why. */
int ctl_portfolio_page(const char *dir, bool verify, const struct al_query *q, const char *out);
int cmd_report(int argc, char **argv);
int cmd_scorecard(int argc, char **argv);

/* The trust table as JSON (trust --json, audit --json) and as text. */
struct al_trust;
json_t *ctl_trust_json(const struct al_roster *ro, const struct al_trust *t);
void ctl_trust_print(const struct al_roster *ro, const struct al_trust *t);
int cmd_accept(int argc, char **argv);
int cmd_decline(int argc, char **argv);
int cmd_deliver(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
int cmd_dispute(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_escalate(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_feedback(int argc, char **argv);
int cmd_task(int argc, char **argv);
int cmd_amend(int argc, char **argv);

/* A message as JSON (members named by ro, which may be NULL), and the
 * one-line summary of such a JSON message that the text views print. The
 * summary holds j's strings as they are: pass j through ctl_json_escape
 * first. */
struct al_envelope;
json_t *ctl_message_json(const struct al_roster *ro, const struct al_envelope *e);
void ctl_message_line(const json_t *j, char *buf, size_t n);

#endif
