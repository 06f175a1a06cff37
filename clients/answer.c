/* answer.c: where a read-only query (trust, commitments, series) is
 * answered.
 *
 * By the daemon serving the home when one runs: it holds the ledger, so
 * nothing is read or verified again (control op QUERY). Otherwise (no
 * daemon, one older than the op or the query, --offline, --verify, a log or alliance
 * directory named, --charter given) from the log, as audit reads it. Both give
 * lib/query.c's JSON, from which the commands print: the same bytes
 * either way for the same --as-of. The series is not a ledger's answer,
 * and is always computed here, in one pass over the log (query_series):
 * it costs a table per point, seconds on a long log, and the daemon's
 * single thread must not stop serving its peers and other requests for
 * that.
 */
#include "ctl.h"
#include "err.h"
#include "feeds.h"
#include "home.h"
#include "ledger.h"
#include "query.h"
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Is arg a home (a directory with allianced.conf), as a daemon serves? */
static bool is_home(const char *arg)
{
	char path[4096];
	struct stat st;
	return stat(arg, &st) == 0 && S_ISDIR(st.st_mode) &&
	       snprintf(path, sizeof path, "%s/%s", arg, AL_CONFIG_FILE) < (int)sizeof path &&
	       stat(path, &st) == 0;
}

/* The series (query_series) of the log that arg names, read here in one
 * pass, checked as ctl_load_ledger reads it. */
static int series_of_log(const char *arg, const char *charter_path, const char *sel, bool verify,
			 const struct al_query *q, json_t **out, char *why)
{
	struct ctl_source src;
	struct al_charter *c;
	struct al_roster *ro;
	if (ctl_open_log(arg, charter_path, sel, true, &src, &c))
		return CTL_EXIT_FAIL;
	if (roster_new(c, &ro)) {
		charter_destroy(&c);
		return ctl_error("out of memory");
	}
	enum al_ledger_check check = src.own && !verify ? AL_LEDGER_OWN : AL_LEDGER_VERIFY;
	int rc = query_series(src.log, ro, check, q, out, why);
	roster_destroy(&ro);
	charter_destroy(&c);
	/* A bad value is refused in why, as the daemon would; the log's own
	 * error leaves no answer. */
	return rc && rc != AL_E_INVAL ? ctl_error("%s", why) : 0;
}

int ctl_answer(const char *arg, const char *charter_path, const char *sel, bool offline,
	       bool verify, const struct al_query *q, json_t **out, char *why, const char **from)
{
	*out = NULL;
	*why = '\0';
	if (from)
		*from = "daemon";
	bool series = !strcmp(q->what, "series");
	if (!series && !offline && !verify && !charter_path && is_home(arg)) {
		struct al_request rq = { .op = AL_OP_QUERY, .alliance = (char *)(sel ? sel : ""),
					 .query = *q };
		struct al_reply rp;
		json_error_t err;
		int rc = ctl_call_query(arg, &rq, &rp);
		/* A daemon older than the query refuses it by name (query_answer):
		 * then the log answers, never the daemon something else. */
		char older[64];
		snprintf(older, sizeof older, "no query '%s'", q->what);
		if (rc == 0 && !rp.ok && rp.error && !strncmp(rp.error, older, strlen(older))) {
			control_reply_clear(&rp);
			rc = CTL_OFFLINE;
		}
		if (rc != CTL_OFFLINE) {
			if (rc)
				return rc;
			if (!rp.ok)
				snprintf(why, AL_ERRLEN, "%s", rp.error ? rp.error : "refused");
			else if (!(*out = json_loads(rp.json ? rp.json : "", 0, &err)))
				rc = ctl_error("bad answer from the daemon of '%s': %s", arg, err.text);
			control_reply_clear(&rp);
			return rc;
		}
	}
	if (from)
		*from = "log";
	if (series)
		return series_of_log(arg, charter_path, sel, verify, q, out, why);
	struct al_charter *c;
	struct al_roster *ro;
	struct al_ledger *l;
	struct ctl_log_msgs m;
	/* "Now" is every message held, as the daemon's ledger is (a peer's
	 * signed a moment ahead of this clock, within the charter's skew,
	 * included); an --as-of, the messages signed by then. */
	if (ctl_load_ledger(arg, charter_path, sel, q->now ? INT64_MAX : q->as_of, verify, &c, &ro,
			    &l, &m))
		return CTL_EXIT_FAIL;
	struct al_msgs msgs = { feeds_body, m.index };
	query_answer(l, &msgs, q, out, why); /* *out, or why */
	ctl_log_msgs_close(&m);
	ledger_destroy(&l);
	roster_destroy(&ro);
	charter_destroy(&c);
	return 0;
}

int ctl_book_open(struct ctl_book *b, const char *arg, const char *charter_path, const char *sel,
		  int64_t as_of, bool verify)
{
	*b = (struct ctl_book){ .arg = arg, .charter_path = charter_path, .sel = sel,
				.as_of = as_of, .verify = verify };
	return ctl_load_ledger(arg, charter_path, sel, as_of, verify, &b->c, &b->ro, &b->l, &b->m);
}

int ctl_book_answer(const struct ctl_book *b, const struct al_query *query, json_t **out,
		    char *why)
{
	/* The book's time, whatever q says: every answer about the same
	 * messages, evaluated at the same moment. */
	struct al_query q = *query;
	q.as_of = b->as_of;
	q.now = false;
	*out = NULL;
	*why = '\0';
	if (!strcmp(q.what, "series"))
		return series_of_log(b->arg, b->charter_path, b->sel, b->verify, &q, out, why);
	struct al_msgs msgs = { feeds_body, b->m.index };
	int rc = query_answer(b->l, &msgs, &q, out, why);
	/* A bad value is refused in why; a log that cannot be read again
	 * (a commitment's text) leaves no answer. */
	return rc && rc != AL_E_INVAL ? ctl_error("%s", why) : 0;
}

void ctl_book_close(struct ctl_book *b)
{
	ctl_log_msgs_close(&b->m);
	ledger_destroy(&b->l);
	roster_destroy(&b->ro);
	charter_destroy(&b->c);
}

int ctl_answer_all(const char *arg, const char *charter_path, const char *sel, bool verify,
		   int64_t as_of, const struct al_query *qs, size_t n, json_t **outs, char *why)
{
	struct ctl_book b;
	for (size_t i = 0; i < n; i++)
		outs[i] = NULL;
	*why = '\0';
	if (ctl_book_open(&b, arg, charter_path, sel, as_of, verify))
		return CTL_EXIT_FAIL;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		if (!(rc = ctl_book_answer(&b, &qs[i], &outs[i], why)) && !outs[i])
			break; /* refused: why says so */
	ctl_book_close(&b);
	return rc;
}
