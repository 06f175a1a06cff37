/* answer.c: where a read-only query (trust, commitments) is answered.
 *
 * By the daemon serving the home when one runs: it holds the ledger, so
 * nothing is read or verified again (control op QUERY). Otherwise (no
 * daemon, one older than the op, --offline, --verify, a log or alliance
 * directory named, --charter given) from the log, as audit reads it. Both give
 * lib/query.c's JSON, from which the commands print: the same bytes
 * either way for the same --as-of.
 */
#include "ctl.h"
#include "err.h"
#include "feeds.h"
#include "home.h"
#include "ledger.h"
#include "query.h"

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

int ctl_answer(const char *arg, const char *charter_path, const char *sel, bool offline,
	       bool verify, const struct al_query *q, json_t **out, char *why, const char **from)
{
	*out = NULL;
	*why = '\0';
	if (from)
		*from = "daemon";
	if (!offline && !verify && !charter_path && is_home(arg)) {
		struct al_request rq = { .op = AL_OP_QUERY, .alliance = (char *)(sel ? sel : ""),
					 .query = *q };
		struct al_reply rp;
		json_error_t err;
		int rc = ctl_call_query(arg, &rq, &rp);
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
