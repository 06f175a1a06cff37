/* mklog: a test tool that writes alliance logs through the core library.
 *
 * Until the daemon authors and replicates messages (issue 3), tests and the
 * demo use it to put real, signed messages into a home's log:
 *
 *   mklog author HOME --charter FILE [--count N] [--at WHEN] [--deliver ID]
 *                [--what TEXT] [--note TEXT]
 *       HOME's member authors N commitments (to the next member) into
 *       HOME/alliances/ID/ (created from the charter when missing); with
 *       --deliver NAME/SEQ, a delivery of that commitment instead, whatever
 *       the rules say (a misbehaving member, for tests of violations).
 *       --what and --note give the commitments' text and the delivery's
 *       note, any text at all (a partner's modified software, for tests of
 *       how other homes show text the daemon would refuse to sign).
 *   mklog charter FILE --title TEXT [--objective TEXT] [--created WHEN]
 *                [--grace SECONDS] CARD...
 *       write a new, unsigned charter of the members of the CARD files with
 *       any title and objective (alliancectl charter new refuses control
 *       characters); the members sign it with alliancectl charter sign.
 *   mklog copy FROM TO
 *       offer every record of FROM's log to TO's store, as a relay would;
 *       prints how many were accepted and why others were not.
 *   mklog fill HOME... --charter FILE --count N [--seed S] [--days D]
 *       a large, realistic log fast (make bench): N messages signed with the
 *       keys of every HOME given (members of the charter) into the first
 *       HOME's store (created when missing), with timestamps spread evenly
 *       over the last D days (default 365; the charter must be that old:
 *       mklog charter --created). Commitments from random promisors to
 *       random beneficiaries, and for open ones the next step in order:
 *       accept (or decline), deliver, confirm (or dispute), some late,
 *       some never done (missed); plus a few feedback messages. Every
 *       message follows the rules (no violations). Deterministic for a seed.
 *
 * It is not installed and not part of the product.
 */
#include "card.h"
#include "charter.h"
#include "err.h"
#include "file.h"
#include "grow.h"
#include "home.h"
#include "store.h"
#include "when.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int die(const char *what, const char *why)
{
	fprintf(stderr, "mklog: %s: %s\n", what, why);
	return 1;
}

/* The single alliance store of a home (created from c when missing). */
static int open_store(const char *home, struct al_charter *c, struct al_store **s, char *why)
{
	char dir[4096];
	if (c) {
		home_alliance_dir(home, &c->id, dir, sizeof dir);
		char log[4200];
		snprintf(log, sizeof log, "%s/log", dir);
		bool create = access(log, F_OK) != 0;
		if (create && file_mkdirs(dir, 0700, why))
			return 1;
		return store_open(dir, create, c, NULL, s, why);
	}
	al_hash *ids;
	size_t n;
	if (home_alliances(home, &ids, &n, why) || n != 1)
		return n == 1 ? 1 : al_errf(why, 1, "home '%s' has %zu alliances, not 1", home, n);
	home_alliance_dir(home, &ids[0], dir, sizeof dir);
	free(ids);
	return store_open(dir, false, NULL, NULL, s, why);
}

static int author(int argc, char **argv)
{
	const char *home = NULL, *charter = NULL, *at = NULL, *deliver = NULL, *what_arg = NULL,
		   *note = "not mine to deliver";
	long count = 1;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--charter") && i + 1 < argc)
			charter = argv[++i];
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = atol(argv[++i]);
		else if (!strcmp(argv[i], "--at") && i + 1 < argc)
			at = argv[++i];
		else if (!strcmp(argv[i], "--deliver") && i + 1 < argc)
			deliver = argv[++i];
		else if (!strcmp(argv[i], "--what") && i + 1 < argc)
			what_arg = argv[++i];
		else if (!strcmp(argv[i], "--note") && i + 1 < argc)
			note = argv[++i];
		else
			home = argv[i];
	}
	char why[AL_ERRLEN];
	struct al_home *h;
	struct al_charter *c;
	struct al_store *s;
	if (!home || !charter)
		return die("usage", "mklog author HOME --charter FILE [--count N] [--at WHEN]");
	if (home_open(home, &h, why))
		return die(home, why);
	if (charter_load(charter, &c, why))
		return die(charter, why);
	if (open_store(home, c, &s, why))
		return die(home, why);
	int64_t now = when_now();
	if (at && when_parse(at, now, &now, why))
		return die("--at", why);
	const al_key *to = NULL;
	for (size_t i = 0; i < c->n_members; i++)
		if (memcmp(&c->members[i].sign_key, &h->self.sign_key, AL_KEYLEN)) {
			to = &c->members[i].sign_key;
			break;
		}
	if (deliver) {
		char name[64];
		unsigned long long seq;
		const struct al_member *m;
		struct al_body b;
		struct al_ref ref;
		if (sscanf(deliver, "%63[^/]/%llu", name, &seq) != 2 ||
		    !(m = roster_member_named(store_roster(s), name)))
			return die("--deliver", "give a commitment id, like acme/1");
		memset(&b, 0, sizeof b);
		b.kind = AL_KIND_DELIVERY;
		b.u.delivery.commitment = (struct al_ref){ m->sign_key, seq };
		b.u.delivery.note = (char *)note;
		if (store_author(s, h->id, &b, now, &ref, why))
			return die("author", why);
		count = 0;
	}
	for (long k = 0; k < count; k++) {
		struct al_body b;
		struct al_ref ref;
		char what[96];
		memset(&b, 0, sizeof b);
		snprintf(what, sizeof what, "deliverable %ld of %s", k + 1, h->self.name);
		b.kind = AL_KIND_COMMITMENT;
		b.u.commitment.what = what_arg ? (char *)what_arg : what;
		b.u.commitment.to = (al_key *)to;
		b.u.commitment.n_to = 1;
		b.u.commitment.due = now + 7 * 86400000LL;
		b.u.commitment.value = 100;
		if (store_author(s, h->id, &b, now, &ref, why))
			return die("author", why);
	}
	if (store_sync(s, why))
		return die("sync", why);
	printf("%s authored %ld; log holds %" PRIu64 " records\n", h->self.name, deliver ? 1 : count,
	       log_records(s->log));
	store_close(&s);
	charter_destroy(&c);
	home_close(&h);
	return 0;
}

struct copy {
	struct al_store *to;
	uint64_t counts[AL_REASON_COUNT];
};

static int copy_record(void *arg, const struct al_log_rec *r)
{
	struct copy *cp = arg;
	enum al_reason reason;
	char why[AL_ERRLEN];
	int rc = store_offer(cp->to, r->data, r->len, when_now(), &reason, NULL, why);
	if (rc)
		return rc;
	cp->counts[reason]++;
	if (reason != AL_ACCEPT && reason != AL_DUPLICATE)
		fprintf(stderr, "mklog: record %" PRIu64 " %s: %s\n", r->index,
			feeds_reason_tag(reason), why);
	return 0;
}

static int copy(int argc, char **argv)
{
	char why[AL_ERRLEN], dir[4096], log[4200];
	if (argc != 2)
		return die("usage", "mklog copy FROM TO");
	struct al_store *from, *to;
	if (open_store(argv[0], NULL, &from, why))
		return die(argv[0], why);
	home_alliance_dir(argv[1], &from->charter->id, dir, sizeof dir);
	snprintf(log, sizeof log, "%s/log", dir);
	bool create = access(log, F_OK) != 0;
	if (create && file_mkdirs(dir, 0700, why))
		return die(argv[1], why);
	if (store_open(dir, create, from->charter, NULL, &to, why))
		return die(argv[1], why);
	struct copy cp = { to, { 0 } };
	int rc = log_scan(log_path(from->log), copy_record, NULL, &cp, why);
	if (rc)
		return die("copy", why);
	if (store_sync(to, why))
		return die("sync", why);
	printf("copied: %" PRIu64 " accepted, %" PRIu64 " duplicate, %" PRIu64 " rejected\n",
	       cp.counts[AL_ACCEPT], cp.counts[AL_DUPLICATE],
	       log_records(from->log) - cp.counts[AL_ACCEPT] - cp.counts[AL_DUPLICATE]);
	store_close(&from);
	store_close(&to);
	return 0;
}

static int new_charter(int argc, char **argv)
{
	char why[AL_ERRLEN];
	const char *file = NULL, *created = NULL;
	size_t cap_objectives = 0, cap_members = 0;
	struct al_charter *c = calloc(1, sizeof *c);
	if (!c)
		return die("charter", "out of memory");
	c->version = AL_FORMAT_VERSION;
	charter_default_params(&c->params);
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--title") && i + 1 < argc) {
			c->title = strdup(argv[++i]);
		} else if (!strcmp(argv[i], "--objective") && i + 1 < argc) {
			if (grow(&c->objectives, &cap_objectives, c->n_objectives + 1,
				 sizeof *c->objectives))
				return die("charter", "out of memory");
			c->objectives[c->n_objectives++] = strdup(argv[++i]);
		} else if (!strcmp(argv[i], "--created") && i + 1 < argc) {
			created = argv[++i];
		} else if (!strcmp(argv[i], "--grace") && i + 1 < argc) {
			/* seconds: a miss within a test's time */
			c->params.grace = strtoull(argv[++i], NULL, 10);
		} else if (!file) {
			file = argv[i];
		} else {
			uint8_t *buf;
			size_t len;
			if (file_read(argv[i], 4096, &buf, &len, why))
				return die(argv[i], why);
			char *card = strndup((char *)buf, len), *nl = strchr(card, '\n');
			if (nl)
				*nl = '\0';
			free(buf);
			if (grow(&c->members, &cap_members, c->n_members + 1, sizeof *c->members))
				return die("charter", "out of memory");
			if (card_parse(card, &c->members[c->n_members++], why))
				return die(argv[i], why);
			free(card);
		}
	}
	if (!file || !c->title || c->n_members < 2)
		return die("usage", "mklog charter FILE --title TEXT [--objective TEXT] "
			   "[--created WHEN] [--grace SECONDS] CARD CARD...");
	c->resolvers = calloc(c->n_members, sizeof *c->resolvers);
	for (size_t i = 0; i < c->n_members; i++)
		c->resolvers[c->n_resolvers++] = strdup(c->members[i].name);
	c->resolver_role = strdup("review committee");
	c->scope = strdup("");
	c->quorum = (uint32_t)(c->n_members / 2 + 1);
	c->created = when_now();
	if (created && when_parse(created, c->created, &c->created, why))
		return die("--created", why);
	randombytes_buf(c->nonce, sizeof c->nonce);
	if (charter_build(c, why) || charter_save(c, file, true, why))
		return die(file, why);
	charter_destroy(&c);
	return 0;
}

/* fill: a commitment still open in the generated history, and its state. */
struct open_item {
	struct al_ref ref;
	size_t promisor, beneficiary; /* indexes into the homes */
	int state;                    /* 0 proposed, 1 accepted, 2 delivered */
};

static uint64_t next_rand(uint64_t *x)
{
	/* xorshift64*: fast, deterministic for a seed; not for secrets. */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

static const char *const fill_what[] = {
	"quarterly market analysis for the northern region",
	"prototype of the shared sensor board, rev B",
	"joint press release draft",
	"integration test report for the common API",
	"supplier audit of the packaging line",
	"training session for the partner's field engineers",
	"translated user manual (de, fr, it)",
	"forecast of Q3 component demand",
};

static int fill(int argc, char **argv)
{
	const char *charter = NULL;
	long count = 0, days = 365;
	uint64_t x = 1;
	char **homes = NULL;
	size_t n_homes = 0, cap_homes = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--charter") && i + 1 < argc)
			charter = argv[++i];
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = atol(argv[++i]);
		else if (!strcmp(argv[i], "--days") && i + 1 < argc)
			days = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			x = strtoull(argv[++i], NULL, 10) | 1; /* xorshift needs a non-zero state */
		else if (grow(&homes, &cap_homes, n_homes + 1, sizeof *homes))
			return die("fill", "out of memory");
		else
			homes[n_homes++] = argv[i];
	}
	if (!charter || n_homes < 2 || count < 1 || days < 1)
		return die("usage", "mklog fill HOME HOME... --charter FILE --count N [--seed S] "
			   "[--days D]");
	char why[AL_ERRLEN];
	struct al_charter *c;
	struct al_store *s;
	struct al_home **h = calloc(n_homes, sizeof *h);
	if (!h)
		return die("fill", "out of memory");
	if (charter_load(charter, &c, why))
		return die(charter, why);
	for (size_t i = 0; i < n_homes; i++) {
		if (home_open(homes[i], &h[i], why))
			return die(homes[i], why);
		bool member = false;
		for (size_t m = 0; m < c->n_members; m++)
			member |= !memcmp(&c->members[m].sign_key, &h[i]->self.sign_key, AL_KEYLEN);
		if (!member)
			return die(homes[i], "its member is not in the charter");
	}
	int64_t end = when_now() - 1000, start = end - days * 86400000LL;
	int64_t step = (end - start) / count;
	if (step < 1)
		return die("--count", "more messages than milliseconds in --days: give more days");
	if (start < c->created - (int64_t)(c->params.skew * 1000)) {
		char t[64];
		snprintf(why, sizeof why, "the charter was created at %s, after the first timestamp "
			 "(%ld days ago): make it with mklog charter --created -%ldd",
			 when_format(c->created, t), days, days + 1);
		return die(charter, why);
	}
	if (open_store(homes[0], c, &s, why))
		return die(homes[0], why);
	struct open_item *open = NULL;
	size_t n_open = 0, cap_open = 0;
	uint64_t kinds[AL_KIND_COUNT] = { 0 };
	for (long k = 0; k < count; k++) {
		int64_t t = start + k * step;
		unsigned r = (unsigned)(next_rand(&x) % 100);
		size_t a = next_rand(&x) % n_homes;
		struct al_body b;
		struct al_ref ref;
		char text[128];
		memset(&b, 0, sizeof b);
		if (n_open == 0 || r < 20) {
			/* A new commitment from a to another member. */
			size_t to = (a + 1 + next_rand(&x) % (n_homes - 1)) % n_homes;
			snprintf(text, sizeof text, "%s (%ld)",
				 fill_what[next_rand(&x) % (sizeof fill_what / sizeof *fill_what)], k);
			b.kind = AL_KIND_COMMITMENT;
			b.u.commitment.what = text;
			b.u.commitment.to = &h[to]->self.sign_key;
			b.u.commitment.n_to = 1;
			b.u.commitment.due = t + (int64_t)(1 + next_rand(&x) % 30) * 86400000LL;
			b.u.commitment.value = 10 * (1 + next_rand(&x) % 100);
			if (store_author(s, h[a]->id, &b, t, &ref, why))
				return die("fill", why);
			if (grow(&open, &cap_open, n_open + 1, sizeof *open))
				return die("fill", "out of memory");
			open[n_open++] = (struct open_item){ ref, a, to, 0 };
		} else if (r < 23) {
			/* Feedback from a about another member, outside any commitment. */
			size_t about = (a + 1 + next_rand(&x) % (n_homes - 1)) % n_homes;
			b.kind = AL_KIND_FEEDBACK;
			b.u.feedback.about = h[about]->self.sign_key;
			b.u.feedback.rating = (uint32_t)(1 + next_rand(&x) % 5);
			b.u.feedback.comment = (char *)"responsive in the weekly calls";
			if (store_author(s, h[a]->id, &b, t, NULL, why))
				return die("fill", why);
		} else {
			/* The next step of an open commitment, by whoever takes it. */
			size_t i = next_rand(&x) % n_open;
			struct open_item *o = &open[i];
			unsigned p = (unsigned)(next_rand(&x) % 100);
			bool done = false;
			size_t by = o->beneficiary;
			if (o->state == 0) {
				b.kind = AL_KIND_RESPONSE;
				b.u.response.commitment = o->ref;
				b.u.response.answer = p < 90 ? AL_ANSWER_ACCEPT : AL_ANSWER_DECLINE;
				b.u.response.reason = p < 90 ? (char *)"" : (char *)"no capacity this quarter";
				done = p >= 90;
			} else if (o->state == 1 && p < 5) {
				/* Never delivered: it will be missed. Nothing is signed. */
				open[i] = open[--n_open];
				k--;
				continue;
			} else if (o->state == 1) {
				by = o->promisor;
				b.kind = AL_KIND_DELIVERY;
				b.u.delivery.commitment = o->ref;
				b.u.delivery.note = (char *)"see the shared folder";
			} else {
				b.kind = AL_KIND_VERDICT;
				b.u.verdict.commitment = o->ref;
				b.u.verdict.outcome = p < 85 ? AL_OUTCOME_CONFIRM : AL_OUTCOME_DISPUTE;
				b.u.verdict.quality = (uint32_t)(p < 85 ? 3 + p % 3 : 1);
				b.u.verdict.timeliness = b.u.verdict.quality;
				b.u.verdict.comment = p < 85 ? (char *)"" : (char *)"does not meet the spec";
				done = true;
			}
			if (store_author(s, h[by]->id, &b, t, NULL, why))
				return die("fill", why);
			if (done)
				open[i] = open[--n_open];
			else
				o->state++;
		}
		kinds[b.kind]++;
		if ((k + 1) % 10000 == 0 && store_sync(s, why))
			return die("sync", why);
	}
	if (store_sync(s, why))
		return die("sync", why);
	printf("filled: %" PRIu64 " commitments, %" PRIu64 " responses, %" PRIu64
	       " deliveries, %" PRIu64 " verdicts, %" PRIu64 " feedback; log holds %" PRIu64
	       " records\n", kinds[AL_KIND_COMMITMENT], kinds[AL_KIND_RESPONSE],
	       kinds[AL_KIND_DELIVERY], kinds[AL_KIND_VERDICT], kinds[AL_KIND_FEEDBACK],
	       log_records(s->log));
	free(open);
	store_close(&s);
	for (size_t i = 0; i < n_homes; i++)
		home_close(&h[i]);
	free(h);
	free(homes);
	charter_destroy(&c);
	return 0;
}

int main(int argc, char **argv)
{
	if (key_init())
		return die("init", "libsodium");
	if (argc >= 2 && !strcmp(argv[1], "author"))
		return author(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "copy"))
		return copy(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "charter"))
		return new_charter(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "fill"))
		return fill(argc - 2, argv + 2);
	return die("usage", "mklog author HOME --charter FILE [--count N] [--what TEXT] | "
		   "mklog copy FROM TO | mklog charter FILE --title TEXT CARD... | "
		   "mklog fill HOME HOME... --charter FILE --count N");
}
