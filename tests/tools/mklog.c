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
 *   mklog charter FILE --title TEXT [--objective TEXT] CARD...
 *       write a new, unsigned charter of the members of the CARD files with
 *       any title and objective (alliancectl charter new refuses control
 *       characters); the members sign it with alliancectl charter sign.
 *   mklog copy FROM TO
 *       offer every record of FROM's log to TO's store, as a relay would;
 *       prints how many were accepted and why others were not.
 *
 * It is not installed and not part of the product.
 */
#include "card.h"
#include "charter.h"
#include "err.h"
#include "file.h"
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
		    !(m = charter_member_named(c, name)))
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
	const char *file = NULL;
	struct al_charter *c = calloc(1, sizeof *c);
	if (!c)
		return die("charter", "out of memory");
	c->version = AL_FORMAT_VERSION;
	charter_default_params(&c->params);
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--title") && i + 1 < argc) {
			c->title = strdup(argv[++i]);
		} else if (!strcmp(argv[i], "--objective") && i + 1 < argc) {
			c->objectives = realloc(c->objectives, (c->n_objectives + 1) * sizeof *c->objectives);
			c->objectives[c->n_objectives++] = strdup(argv[++i]);
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
			c->members = realloc(c->members, (c->n_members + 1) * sizeof *c->members);
			if (card_parse(card, &c->members[c->n_members++], why))
				return die(argv[i], why);
			free(card);
		}
	}
	if (!file || !c->title || c->n_members < 2)
		return die("usage", "mklog charter FILE --title TEXT [--objective TEXT] CARD CARD...");
	c->resolvers = calloc(c->n_members, sizeof *c->resolvers);
	for (size_t i = 0; i < c->n_members; i++)
		c->resolvers[c->n_resolvers++] = strdup(c->members[i].name);
	c->resolver_role = strdup("review committee");
	c->scope = strdup("");
	c->quorum = (uint32_t)(c->n_members / 2 + 1);
	c->created = when_now();
	randombytes_buf(c->nonce, sizeof c->nonce);
	if (charter_build(c, why) || charter_save(c, file, true, why))
		return die(file, why);
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
	return die("usage", "mklog author HOME --charter FILE [--count N] [--what TEXT] | "
		   "mklog copy FROM TO | mklog charter FILE --title TEXT CARD...");
}
