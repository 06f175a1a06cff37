/* control.c: the control socket and its requests.
 *
 * alliancectl's requests arrive on HOME/control.sock (a ROUTER bound
 * here, owner-only or control_group's): one ZeroMQ message from a REQ
 * client (client id, empty delimiter, body) answered with one reply.
 * Handlers are a table by operation; they read and append through the
 * core library (lib/) and never sync: a handler that appended returns
 * AFTER_SYNC, and its reply waits for daemon.c's group commit. Nothing
 * here blocks the reactor beyond the request it handles.
 */
#include "reactor.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "act.h"
#include "charter.h"
#include "control.h"
#include "err.h"
#include "file.h"
#include "grow.h"
#include "hex.h"
#include "log.h"
#include "home.h"
#include "ledger.h"
#include "roster.h"
#include "query.h"
#include "store.h"
#include "when.h"
#include "wire.h"

/* A handler that appended to a log returns AFTER_SYNC: its reply waits
 * for the group commit that covers it. */
#define AFTER_SYNC 1

/* The alliance a request names: id, hex prefix (4+ digits) or title; with
 * one alliance joined, "" names it. NULL with why when none or ambiguous. */
static struct alliance *find_alliance(struct daemon *d, const char *sel, char *why)
{
	struct alliance *hit = NULL;
	size_t hits = 0;
	for (size_t i = 0; i < d->n_alls; i++) {
		struct al_store *s = d->alls[i]->s;
		char hex[2 * AL_HASHLEN + 1];
		hex_encode(s->charter->id.b, AL_HASHLEN, hex);
		bool m = !*sel || !strcmp(s->charter->title, sel) ||
			 (strlen(sel) >= 4 && !strncmp(hex, sel, strlen(sel)));
		if (m)
			hit = d->alls[i], hits++;
	}
	if (hits == 1)
		return hit;
	if (d->n_alls == 0)
		al_errf(why, AL_E_NOENT, "this daemon has joined no alliance yet "
			"(run 'alliancectl join CHARTER')");
	else if (hits == 0)
		al_errf(why, AL_E_NOENT, "no alliance '%s' here (give its id or title)", sel);
	else
		al_errf(why, AL_E_INVAL, "this daemon serves %zu alliances: pick one with "
			"--alliance ID|TITLE", d->n_alls);
	return NULL;
}

static json_t *violations_json(struct alliance *a)
{
	const struct al_roster *ro = store_roster(a->s);
	struct al_ledger *l;
	char why[AL_ERRLEN];
	json_t *v = json_array();
	if (alliance_ledger(a, &l, why)) { /* say so: never an empty list that looks clean */
		json_array_append_new(v, json_pack("{s:s, s:s, s:s}", "member", "?", "id", "?",
						   "rule", why));
		return v;
	}
	for (size_t i = 0; i < l->n_broken; i++) {
		const struct al_member *m = roster_member(ro, &l->broken[i].id.author);
		char id[AL_IDLEN];
		json_array_append_new(v, json_pack("{s:s, s:s, s:s}", "member", m ? m->name : "?",
						   "id", roster_ref_name(ro, &l->broken[i].id, id),
						   "rule", l->broken[i].why));
	}
	return v;
}

static json_t *alliance_status(const struct daemon *d, struct alliance *a, int64_t now)
{
	const struct al_store *s = a->s;
	const struct al_charter *c = s->charter;
	const struct al_roster *ro = store_roster(s);
	char hex[2 * AL_HASHLEN + 1];
	json_t *members = json_array(), *counters = json_object();
	for (size_t i = 0; i < ro->n_members; i++) {
		char feed[AL_IDLEN];
		json_array_append_new(members, json_pack("{s:s, s:s, s:s, s:I, s:s}", "name",
			ro->members[i].name, "feed", roster_feed_name(ro, i, feed), "endpoint",
			ro->members[i].endpoint, "seq",
			(json_int_t)feeds_head(s->feeds, &ro->members[i].sign_key, NULL), "standing",
			roster_standing_name(roster_standing(ro, i))));
	}
	for (int r = 0; r < AL_REASON_COUNT; r++)
		json_object_set_new(counters, feeds_reason_tag((enum al_reason)r),
				    json_integer((json_int_t)s->counts[r]));
	json_error_t err;
	json_t *j = json_pack_ex(&err, 0, "{s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:o, s:o, s:o, s:I}",
			 "id", hex_encode(c->id.b, AL_HASHLEN, hex), "title", c->title, "self",
			 ro->members[a->self].name, "in_force", charter_in_force(c), "authoring",
			 roster_standing(ro, a->self) == AL_CANDIDATE
				 ? "not a member yet: waiting for the amendment that adds it"
			 : roster_standing(ro, a->self) == AL_LEFT ? "closed: this member has left"
			 : roster_standing(ro, a->self) == AL_REPLACED
				 ? "closed: this home's keys were replaced; the home with the new keys "
				   "acts for this member"
			 : a->own_forked ? a->own_forked
			 : d->full ? "disk full: nothing is signed until there is space"
			 : a->own_ok ? "open" : "waiting for peers to confirm this member's feed head",
			 "records", (json_int_t)log_records(s->log), "durable_bytes",
			 (json_int_t)log_durable(s->log), "members", members, "links",
			 peers_links_json(d, a, now), "counters", counters, "equivocations",
			 (json_int_t)s->n_proofs);
	if (!j) {
		dlog(d, L_ERROR, "%s: cannot build its status: %s", c->title, err.text);
		return NULL;
	}
	json_object_set_new(j, "violations", violations_json(a));
	enum al_standing me = roster_standing(ro, a->self);
	json_object_set_new(j, "standing", json_string(roster_standing_name(me)));
	bool held = !a->own_ok && !a->own_forked && me != AL_CANDIDATE && me != AL_LEFT &&
		    me != AL_REPLACED;
	json_object_set_new(j, "authoring_stopped", json_boolean(a->own_forked != NULL));
	json_object_set_new(j, "authoring_held_ms",
			    held ? json_integer((json_int_t)(now - a->gate_since)) : json_null());
	json_object_set_new(j, "log_bytes", json_integer((json_int_t)log_size(s->log)));
	/* The feeds index's allocation: about 8 bytes a record (feeds.h). */
	json_object_set_new(j, "feeds_bytes", json_integer((json_int_t)feeds_bytes(s->feeds)));
	json_object_set_new(j, "checkpoint", json_pack("{s:b, s:b, s:I, s:I, s:I, s:s?, s:s?}",
		"used", s->ckpt.used, "ledger", s->ckpt.ledger, "covered",
		(json_int_t)s->ckpt.covered, "replayed", (json_int_t)s->ckpt.replayed, "written",
		(json_int_t)s->ckpt.written, "warning", *s->ckpt.warning ? s->ckpt.warning : NULL,
		"ledger_warning", *s->ckpt.ledger_why ? s->ckpt.ledger_why : NULL));
	/* How the ledger is kept: applied as messages come, rebuilt from the
	 * log only on membership changes (docs/performance.md). */
	struct ledger_stats ls = { 0 };
	if (s->ledger)
		ledger_stats(s->ledger, &ls);
	json_object_set_new(j, "ledger", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "rebuilds",
		(json_int_t)s->ledger_rebuilds, "added", (json_int_t)ls.added, "replays",
		(json_int_t)ls.replays, "replayed", (json_int_t)ls.replayed, "tail",
		(json_int_t)ls.tail, "held", (json_int_t)ls.held));
	return j;
}

static json_t *rejections_json(const struct daemon *d)
{
	json_t *v = json_array();
	uint64_t n = d->n_rejections < REJECT_RING ? d->n_rejections : REJECT_RING;
	for (uint64_t k = d->n_rejections - n; k < d->n_rejections; k++) {
		const struct rejection *r = &d->rejections[k % REJECT_RING];
		char t[AL_WHENLEN];
		json_array_append_new(v, json_pack("{s:s, s:s, s:s, s:s, s:s}", "at",
						   when_format(r->at, t), "alliance", r->alliance,
						   "from", r->from, "reason", r->reason, "detail",
						   r->why));
	}
	return v;
}

static int handle_status(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char t[AL_WHENLEN], why[AL_ERRLEN];
	int64_t now = when_now();
	json_t *alliances = json_array();
	if (*rq->alliance) { /* --alliance: that one only */
		struct alliance *a = find_alliance(d, rq->alliance, why);
		if (!a) {
			json_decref(alliances);
			rp->error = strdup(why);
			return AL_OK;
		}
		json_array_append_new(alliances, alliance_status(d, a, now));
	} else {
		for (size_t i = 0; i < d->n_alls; i++)
			/* Never an alliance silently left out (a status that cannot be
			 * built, e.g. text that is not UTF-8): say so in its place. */
			if (json_array_append_new(alliances, alliance_status(d, d->alls[i], now)))
				json_array_append_new(alliances, json_pack("{s:s, s:s}", "title",
					"?", "error", "this alliance's status cannot be shown "
					"(see the daemon's log)"));
	}
	json_t *j = json_pack("{s:{s:s, s:s, s:i, s:s, s:s}, s:o, s:{s:I, s:I, s:I, s:I}, s:o}",
			      "daemon", "name", d->home->self.name, "listen",
			      d->home->listen, "pid", (int)getpid(), "started",
			      when_format(d->started, t), "version", ALLIANCE_VERSION,
			      "alliances", alliances, "peer_counters", "handshakes_refused",
			      (json_int_t)d->handshakes_refused, "malformed",
			      (json_int_t)d->peer_malformed, "not_member",
			      (json_int_t)d->peer_unknown, "rejections",
			      (json_int_t)d->n_rejections, "rejections", rejections_json(d));
	json_object_set_new(json_object_get(j, "daemon"), "advertise",
			    json_string(d->home->self.endpoint));
	json_object_set_new(json_object_get(j, "daemon"), "uptime_ms",
			    json_integer((json_int_t)(now - d->started)));
	json_object_set_new(json_object_get(j, "daemon"), "link_timeout_ms",
			    json_integer(LINK_TIMEOUT_MS));
	json_object_set_new(j, "disk", disk_json(d, now));
	rp->json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rp->ok = rp->json != NULL;
	return AL_OK;
}

static int handle_join(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char why[AL_ERRLEN], dir[PATH_MAX], hex[2 * AL_HASHLEN + 1];
	struct al_charter *c = NULL;
	struct al_store *s = NULL;
	int rc = charter_parse(rq->charter, rq->charter_len, &c, why);
	if (rc)
		goto fail;
	hex_encode(c->id.b, AL_HASHLEN, hex);
	const struct al_member *me = charter_founder(c, &d->home->self.sign_key);
	if (!charter_in_force(c)) {
		rc = al_errf(why, AL_E_CHARTER, "charter '%s' is not in force: every member must "
			     "sign it first ('alliancectl charter show FILE' says who has not)", c->title);
		goto fail;
	}
	if (me && memcmp(&me->transport_key, &d->home->self.transport_key, AL_KEYLEN)) {
		rc = al_errf(why, AL_E_CHARTER, "this home ('%s') is not a member of charter '%s' "
			     "with its current keys", d->home->self.name, c->title);
		goto fail;
	}
	/* Not a founder: a newcomer joins to wait for the amendment adding
	 * it, which its card must be able to pass; or, with a member's name
	 * and new keys, for the one replacing that member's keys. */
	const char *replacing = NULL;
	for (size_t i = 0; !me && i < c->n_members; i++) {
		const char *shared = charter_clash(&c->members[i], &d->home->self);
		if (shared && !strcmp(shared, "name")) {
			struct al_member renamed = d->home->self;
			renamed.name[0] = '\0';
			if (!(shared = charter_clash(&c->members[i], &renamed)))
				replacing = c->members[i].name;
		}
		if (shared) {
			rc = al_errf(why, AL_E_CHARTER, "this home ('%s') cannot join charter '%s' as a "
				     "newcomer: its %s is '%s''s (make a home with another name)",
				     d->home->self.name, c->title, shared, c->members[i].name);
			goto fail;
		}
	}
	for (size_t i = 0; i < d->n_alls; i++) {
		if (!memcmp(&d->alls[i]->s->charter->id, &c->id, AL_HASHLEN)) {
			rp->json = strdup("{\"joined\": false, \"already\": true}");
			rp->ok = 1;
			charter_destroy(&c);
			return AL_OK;
		}
	}
	if (disk_is_full(d, why))
		goto fail;
	home_alliance_dir(d->home->dir, &c->id, dir, sizeof dir);
	/* store_open builds ID/ whole (in ID.tmp/, then a rename): only
	 * its parent is made here. On a full disk it leaves nothing. */
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s/alliances", d->home->dir);
	if ((rc = file_mkdirs(parent, 0700, why)) || (rc = store_open(dir, true, c, NULL, &s, why))) {
		on_nospc(d, parent, rc, why);
		goto fail;
	}
	/* A new feed, unless these keys authored elsewhere before: peers
	 * tell, as after a crash. */
	if ((rc = add_alliance(d, s, false))) {
		store_close(&s);
		goto fail;
	}
	dlog(d, L_INFO, "joined alliance '%s' (%s)%s%s", c->title, hex, me ? "" : replacing
	     ? " with new keys for member " : " as a newcomer: waiting for the amendment that "
	     "adds this member", me || !replacing ? "" : replacing);
	json_t *j = json_pack("{s:b, s:s, s:s, s:b}", "joined", 1, "alliance", hex, "title",
			      c->title, "founder", me != NULL);
	if (!me && replacing)
		json_object_set_new(j, "replacing", json_string(replacing));
	rp->json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rp->ok = 1;
	charter_destroy(&c);
	return AL_OK;
fail:
	charter_destroy(&c);
	rp->error = strdup(why);
	return fatal_rc(rc) ? rc : AL_OK;
}

/* Is authoring open for a (see docs/replication.md)? */
static bool may_author(const struct alliance *a, char *why)
{
	const struct al_roster *ro = store_roster(a->s);
	char err[AL_ERRLEN];
	if (roster_check_current(ro, a->self, err)) {
		al_errf(why, AL_E_INVAL, "%s", err);
		return false;
	}
	if (a->own_forked) {
		al_errf(why, AL_E_INVAL, "authoring is stopped for good: %s", a->own_forked);
		return false;
	}
	if (a->own_ok)
		return true;
	al_errf(why, AL_E_INVAL, "not yet: after a start or a new join, allianced learns this "
		"member's feed head from its peers before it authors, so that it never forks its "
		"feed, and no peer has confirmed it yet ('alliancectl status' shows the links); "
		"retry when a peer is up");
	return false;
}

/* New commitments: all checked first, then the new ones authored; the
 * reply (every item's id, in order) waits for the fsync that covers them.
 * An item whose key this member used already is answered with the id of
 * the message that has it, and authors nothing. */
static int handle_commit(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char why[AL_ERRLEN], label[64];
	struct alliance *a = find_alliance(d, rq->alliance, why);
	struct al_store *s = a ? a->s : NULL;
	struct al_body *bodies = NULL;
	al_key **tos = NULL;
	uint64_t *held = NULL;
	int rc = AL_OK;
	if (!a)
		goto fail;
	const al_key *me = &d->home->self.sign_key;
	const struct al_member *self = roster_member(store_roster(s), me);
	if (rq->n_items == 0) {
		al_errf(why, AL_E_INVAL, "no commitment given");
		goto fail;
	}
	bodies = calloc(rq->n_items, sizeof *bodies);
	tos = calloc(rq->n_items, sizeof *tos);
	held = calloc(rq->n_items, sizeof *held);
	if (!bodies || !tos || !held) {
		rc = AL_E_NOMEM;
		goto out;
	}
	if ((rc = act_distinct_keys(rq, why)))
		goto fail;
	size_t fresh = 0;
	for (size_t i = 0; i < rq->n_items; i++) {
		const struct al_commit_item *it = &rq->items[i];
		act_item_label(it, i + 1, label, sizeof label);
		if ((rc = act_check_item(s, self, it, label, &bodies[i], &tos[i], why)) ||
		    (*it->key && (rc = act_key_held(s, me, it->key, &bodies[i], it->due_offset, NULL, 0,
						label, &held[i], why))))
			goto fail;
		fresh += !held[i];
	}
	if (fresh && (disk_is_full(d, why) || !may_author(a, why)))
		goto fail;
	int64_t now = when_now();
	for (size_t i = 0; i < rq->n_items; i++)
		if (!held[i] && (rc = act_due_ok(rq->items[i].due, rq->items[i].past, now,
					     rq->items[i].line != 0,
					     act_item_label(&rq->items[i], i + 1, label, sizeof label),
					     "commitment", why)))
			goto fail;
	/* The ledger's rules too, which for a commitment add only that its
	 * --task is a task (check_item did the rest). */
	bool tasks = false;
	for (size_t i = 0; i < rq->n_items; i++)
		tasks |= !held[i] && bodies[i].u.commitment.task.seq != 0;
	struct al_ledger *l;
	if (tasks && (rc = alliance_ledger(a, &l, why)))
		goto fail;
	for (size_t i = 0; tasks && i < rq->n_items && rc == AL_OK; i++) {
		char err[AL_ERRLEN];
		bodies[i].timestamp = when_now();
		if (!held[i] && ledger_check(l, me, &bodies[i], err))
			rc = al_errf(why, AL_E_INVAL, "%s: %s",
				     act_item_label(&rq->items[i], i + 1, label, sizeof label), err);
	}
	if (rc)
		goto fail;
	/* All or none: a commitment that cannot be written (a full disk)
	 * takes back those of this request written before it. */
	json_t *ids = json_array();
	struct al_store_mark mark;
	store_mark(s, &d->home->self.sign_key, &mark);
	for (size_t i = 0; i < rq->n_items; i++) {
		struct al_ref ref = { *me, held[i] };
		char id[AL_IDLEN], err[AL_ERRLEN];
		if (!held[i] && (rc = store_author(s, d->home->id, &bodies[i], when_now(), &ref, why))) {
			json_decref(ids);
			if (!fatal_rc(rc) && i > 0 && store_rollback(s, &mark, err)) {
				dlog(d, L_ERROR, "cannot take back commitments 1 to %zu of a request: %s",
				     i, err);
				rc = AL_E_FAILED;
			}
			if (rc != AL_E_NOSPC)
				dlog(d, L_ERROR, "cannot author a commitment: %s", why);
			on_nospc(d, s->dir, rc, why);
			goto fail;
		}
		json_array_append_new(ids, json_string(roster_ref_name(store_roster(s), &ref, id)));
	}
	if (fresh) {
		a->own_whole = true;
		a->unreceipted = 0; /* their frontiers acknowledge what came in */
	}
	rp->json = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	rp->ok = 1;
	/* Held ones too: one appended this round is durable only after it. */
	rc = AFTER_SYNC;
	goto out;
fail:
	rp->error = strdup(why);
	if (!fatal_rc(rc))
		rc = AL_OK;
out:
	for (size_t i = 0; tos && i < rq->n_items; i++)
		free(tos[i]);
	free(tos);
	free(held);
	free(bodies); /* their strings are the request's */
	return rc;
}

/* A step by this daemon's member, checked against the ledger's rules; or,
 * when its key was used already for the same step, that message's id
 * (nothing authored). The reply waits for the fsync either way. */
static int handle_act(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char why[AL_ERRLEN], id[AL_IDLEN];
	struct alliance *a = find_alliance(d, rq->alliance, why);
	struct al_ledger *l = NULL;
	struct al_ref out = { d->home->self.sign_key, 0 }, *deps = NULL;
	struct al_body b;
	const struct al_act *act = &rq->act;
	int rc = AL_OK;
	if (!a || (*act->key && (rc = msg_check_idempotency_key(act->key, why))) ||
	    (rc = alliance_ledger(a, &l, why)) ||
	    (rc = act_body(a->s, l, act, &d->home->self.sign_key, &b, &deps, why)))
		goto fail;
	b.key = act->key;
	if (*act->key && (rc = act_key_held(a->s, &d->home->self.sign_key, act->key, &b,
					act->due_offset, act->params, act->n_params, "", &out.seq,
					why)))
		goto fail;
	if (out.seq)
		goto done;
	if (disk_is_full(d, why) || !may_author(a, why))
		goto fail;
	int64_t now = when_now();
	b.timestamp = now; /* the rules look at when it is signed */
	if ((b.kind == AL_KIND_TASK &&
	     (rc = act_due_ok(b.u.task.due, act->past, now, false, "", "task", why))) ||
	    ledger_check(l, &d->home->self.sign_key, &b, why))
		goto fail;
	if ((rc = store_author(a->s, d->home->id, &b, now, &out, why)) ||
	    (rc = peers_members(d, a))) {
		if (rc != AL_E_NOSPC)
			dlog(d, L_ERROR, "cannot author a %s: %s", msg_kind_name(b.kind), why);
		on_nospc(d, a->s->dir, rc, why);
		goto fail;
	}
	a->own_whole = true;
	a->unreceipted = 0; /* its frontier acknowledges what came in */
done:
	free(deps);
	json_t *j = json_pack("{s:s}", "id", roster_ref_name(store_roster(a->s), &out, id));
	rp->json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rp->ok = 1;
	return AFTER_SYNC;
fail:
	free(deps);
	rp->error = strdup(why);
	return fatal_rc(rc) ? rc : AL_OK;
}

/* A read-only query (trust, commitments, alliance, scorecard) from the
 * ledger this daemon holds: "now" from the one it keeps (alliance_ledger),
 * an --as-of from a replay of its own log up to then (verified when it was
 * admitted, so not again). The reply is query.h's JSON, what alliancectl
 * offline computes. A replay reads the whole log on the reactor's thread:
 * a past --as-of costs what an offline read costs, without the signature
 * checks. The series is refused: a trust table per point, up to 10000 of
 * them, would hold the reactor for seconds; alliancectl computes it from
 * the log. Refused as a daemon that never knew it ("no query 'series'"),
 * so that an alliancectl of the release that asked for it reads the log
 * too. */
static int handle_query(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char why[AL_ERRLEN];
	struct alliance *a = find_alliance(d, rq->alliance, why);
	struct al_ledger *l = NULL, *replay = NULL;
	int rc = AL_OK;
	if (!a)
		goto fail;
	if (!strcmp(rq->query.what, "series")) {
		snprintf(why, sizeof why, "no query 'series' (asked of the daemon): alliancectl "
			 "computes the series from the home's log (trust --series)");
		goto fail;
	}
	if (rq->query.now)
		rc = alliance_ledger(a, &l, why);
	else if (!(rc = ledger_of_log(log_path(a->s->log), store_roster(a->s), rq->query.as_of,
				      AL_LEDGER_TRUSTED, &replay, why)))
		l = replay;
	struct al_msgs msgs = { feeds_body, a ? a->s->feeds : NULL };
	if (rc || (rc = query_dump(l, &msgs, &rq->query, &rp->json, why)))
		goto fail;
	ledger_destroy(&replay);
	rp->ok = 1;
	return AL_OK;
fail:
	ledger_destroy(&replay);
	rp->error = strdup(why);
	return AL_OK; /* it changed nothing: no reason to stop, whatever failed */
}

static const struct handler {
	enum al_op op;
	int (*fn)(struct daemon *d, const struct al_request *rq, struct al_reply *rp);
} handlers[] = {
	{ AL_OP_STATUS, handle_status },
	{ AL_OP_JOIN, handle_join },
	{ AL_OP_COMMIT, handle_commit },
	{ AL_OP_ACT, handle_act },
	{ AL_OP_QUERY, handle_query },
};

/* ------------------------------------------------------------ control socket */

static int queue_reply(struct daemon *d, zmq_msg_t *client, uint8_t *buf, size_t len)
{
	if (grow(&d->pending, &d->cap_pending, d->n_pending + 1, sizeof *d->pending))
		return AL_E_NOMEM;
	struct pending_reply *p = &d->pending[d->n_pending];
	p->client_len = zmq_msg_size(client);
	if (!(p->client = malloc(p->client_len ? p->client_len : 1)))
		return AL_E_NOMEM;
	memcpy(p->client, zmq_msg_data(client), p->client_len);
	p->reply = buf;
	p->reply_len = len;
	d->n_pending++;
	return AL_OK;
}

static void free_reply(void *data, void *hint)
{
	(void)hint;
	free(data);
}

void control_send_reply(struct daemon *d, const void *client, size_t client_len,
		       uint8_t *buf, size_t len)
{
	zmq_msg_t m;
	if (zmq_msg_init_data(&m, buf, len, free_reply, NULL)) {
		free(buf);
		dlog(d, L_DEBUG, "control: reply not delivered: %s", zmq_strerror(errno));
		return;
	}
	/* A client that gave up is gone: ROUTER_MANDATORY makes that an error
	 * here (EHOSTUNREACH), which only means nobody is waiting. */
	if (zmq_send(d->control, client, client_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(d->control, "", 0, ZMQ_SNDMORE) < 0 || zmq_msg_send(&m, d->control, 0) < 0) {
		dlog(d, L_DEBUG, "control: reply not delivered: %s", zmq_strerror(errno));
		zmq_msg_close(&m); /* not sent: frees buf */
	}
}

/* Handle one control request if there is one. Returns 1 when there was
 * none, 0 when one was handled, or a fatal error. */
int control_handle(struct daemon *d)
{
	zmq_msg_t part[3];
	int n = recv_parts(d->control, part, 3);
	if (n == 0)
		return 1;
	if (n != 3 || zmq_msg_size(&part[1]) != 0) {
		dlog(d, L_WARN, "control: ignored a malformed request (%d parts)", n);
		for (int i = 0; i < n; i++)
			zmq_msg_close(&part[i]);
		return 0;
	}
	struct al_request rq;
	struct al_reply rp = { 0 };
	char why[AL_ERRLEN];
	int rc = AL_OK;
	if (wire_request_unpack(zmq_msg_data(&part[2]), zmq_msg_size(&part[2]), &rq, why)) {
		rp.error = strdup(why);
	} else {
		size_t i = 0;
		while (i < sizeof handlers / sizeof handlers[0] && handlers[i].op != rq.op)
			i++;
		if (i < sizeof handlers / sizeof handlers[0])
			rc = handlers[i].fn(d, &rq, &rp);
		else
			rp.error = strdup(AL_CONTROL_UNSUPPORTED_OP);
		control_request_clear(&rq);
	}
	uint8_t *buf;
	size_t len;
	int packed = wire_reply_pack(&rp, &buf, &len);
	control_reply_clear(&rp); /* packed: a large answer is not held twice */
	if (packed == AL_OK) {
		if (rc == AFTER_SYNC) {
			rc = queue_reply(d, &part[0], buf, len);
			if (rc)
				free(buf);
		} else {
			control_send_reply(d, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), buf, len);
		}
	} else if (rc == AFTER_SYNC) {
		/* Appended, and no reply can say so. Returned as is, AFTER_SYNC
		 * would read as "no request" (1) and the reply would vanish
		 * unseen: stop instead (out of memory is fatal), acknowledging
		 * nothing; a retry with a key is then safe. */
		dlog(d, L_ERROR, "control: out of memory for the reply to a request that appended");
		rc = AL_E_NOMEM;
	}
	for (int i = 0; i < 3; i++)
		zmq_msg_close(&part[i]);
	return rc;
}

/* The gid of control_group, when this process may give files to it (it
 * is in the group). 0, or -1 with why. */
int control_group_gid(const struct al_home *h, gid_t *gid, char *why)
{
	struct group *g = getgrnam(h->control_group);
	if (!g) {
		al_errf(why, AL_E_INVAL, "control_group '%s' in %s is not a group on this machine "
			"(create it with 'groupadd %s', or remove the setting)", h->control_group,
			AL_CONFIG_FILE, h->control_group);
		return -1;
	}
	gid_t v[NGROUPS_MAX + 1];
	int n = getgroups(NGROUPS_MAX, v);
	bool member = getegid() == g->gr_gid || geteuid() == 0;
	for (int i = 0; i < n && !member; i++)
		member = v[i] == g->gr_gid;
	if (!member) {
		al_errf(why, AL_E_PERM, "control_group '%s': this daemon's user is not in that group, "
			"so it cannot give it the control socket (add the user to it, or under "
			"systemd use Group= or SupplementaryGroups=)", h->control_group);
		return -1;
	}
	*gid = g->gr_gid;
	return 0;
}

/* Who may use the control socket: its owner (mode 0600), or with
 * control_group also that group's members (0660; the home becomes 0710 and
 * the group's, so that they can reach the socket in it, and nothing else:
 * the key files stay 0600). */
static int control_access(struct daemon *d)
{
	char why[AL_ERRLEN];
	gid_t gid;
	struct stat st;
	if (!d->home->control_group[0]) {
		/* A control_group removed: the home goes back to owner-only. */
		if (stat(d->home_abs, &st) == 0 && (st.st_mode & 07777) == 0710 &&
		    chmod(d->home_abs, 0700) == 0)
			dlog(d, L_INFO, "control_group is unset: the home %s is owner-only again",
			     d->home_abs);
		return chmod(d->control_path, 0600) < 0 ? -1 : 0;
	}
	if (control_group_gid(d->home, &gid, why) < 0) {
		dlog(d, L_ERROR, "%s", why);
		return -1;
	}
	if (chown(d->control_path, (uid_t)-1, gid) < 0 || chmod(d->control_path, 0660) < 0 ||
	    chown(d->home_abs, (uid_t)-1, gid) < 0 || chmod(d->home_abs, 0710) < 0) {
		dlog(d, L_ERROR, "control_group '%s': cannot give it the control socket in %s: %s",
		     d->home->control_group, d->home_abs, strerror(errno));
		return -1;
	}
	dlog(d, L_INFO, "control socket: the owner and group '%s' may use it (mode 0660)",
	     d->home->control_group);
	return 0;
}

/* HOME/control.sock into d->control_path (home_abs set). 0, or -1 with
 * why when the path is too long for a Unix socket. */
int control_socket_path(struct daemon *d, char *why)
{
	if (snprintf(d->control_path, sizeof d->control_path, "%s/control.sock", d->home_abs) <
	    (int)sizeof d->control_path)
		return 0;
	al_errf(why, AL_E_INVAL, "home path '%s' is too long for a control socket (at most %zu "
		"characters); move the home", d->home_abs, sizeof d->control_path - 14);
	return -1;
}

int control_bind(struct daemon *d)
{
	char endpoint[sizeof d->control_path + 8], why[AL_ERRLEN];
	if (control_socket_path(d, why) < 0) {
		dlog(d, L_ERROR, "%s", why);
		return -1;
	}
	snprintf(endpoint, sizeof endpoint, "ipc://%s", d->control_path);
	if (!(d->control = dsocket(d, ZMQ_ROUTER, "the control socket")))
		return -1;
	int zero = 0, mandatory = 1;
	/* Linger 0: replies to clients that gave up are dropped at stop;
	 * ROUTER_MANDATORY: a reply to a vanished client fails, not vanishes. */
	zmq_setsockopt(d->control, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(d->control, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
	mode_t old = umask(0077); /* the socket file is born owner-only */
	int rc = zmq_bind(d->control, endpoint);
	umask(old);
	if (rc < 0) {
		dlog(d, L_ERROR, "cannot bind the control socket %s: %s", endpoint, zmq_strerror(errno));
		return -1;
	}
	return control_access(d);
}

