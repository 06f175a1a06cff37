/* bench.c: make bench: the core pipeline against the machine's own limits,
 * measured in the same run. Prints one line per measure with the rate and
 * its ratio to the raw primitive it is built on. Never asserted in tests.
 *
 *   raw Ed25519 sign / verify (libsodium)   vs envelope_seal / feeds_check
 *   raw fdatasync of a small write           vs store_offer + group commit
 *   audit of a 20k-record log (records/s)
 *   ledger + trust table of 20k commitments (the work of every query)
 *   raw ZeroMQ: envelope-sized messages over CURVE on loopback TCP
 *
 * It also writes the raw rates to the file named by $BENCH_RAW (if set),
 * as "name rate" lines, for bench/report.py to compare against.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <zmq.h>

#include "audit.h"
#include "ledger.h"
#include "trust.h"
#include "charter.h"
#include "roster.h"
#include "err.h"
#include "file.h"
#include "store.h"
#include "when.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void row(const char *what, double rate, const char *unit, double base)
{
	if (base > 0)
		printf("  %-44s %12.0f %-10s %6.2fx of raw\n", what, rate, unit, rate / base);
	else
		printf("  %-44s %12.0f %s\n", what, rate, unit);
}

static struct al_charter *make_charter(struct al_identity **ids, int n)
{
	struct al_charter *c = calloc(1, sizeof *c);
	char why[AL_ERRLEN];
	c->version = AL_FORMAT_VERSION;
	c->title = strdup("bench");
	c->scope = strdup("");
	c->resolver_role = strdup("");
	c->members = calloc((size_t)n, sizeof *c->members);
	c->n_members = (size_t)n;
	for (int i = 0; i < n; i++) {
		if (key_generate(NULL, NULL, &ids[i]))
			exit(1);
		snprintf(c->members[i].name, sizeof c->members[i].name, "b%d", i);
		snprintf(c->members[i].endpoint, sizeof c->members[i].endpoint, "tcp://127.0.0.1:%d", 7500 + i);
		c->members[i].sign_key = ids[i]->sign_pk;
		c->members[i].transport_key = ids[i]->transport_pk;
	}
	c->quorum = 1;
	charter_default_params(&c->params);
	randombytes_buf(c->nonce, sizeof c->nonce);
	if (charter_build(c, why))
		exit(1);
	for (int i = 0; i < n; i++)
		if (charter_sign(c, ids[i], why))
			exit(1);
	return c;
}

static void fill(struct al_body *b, const struct al_charter *c, const al_key *to)
{
	memset(b, 0, sizeof *b);
	b->kind = AL_KIND_COMMITMENT;
	b->u.commitment.what = (char *)"a deliverable of typical length for a commitment";
	b->u.commitment.to = (al_key *)to;
	b->u.commitment.n_to = 1;
	b->u.commitment.due = when_now() + 86400000;
	b->u.commitment.value = 1000;
	(void)c;
}

/* Messages/s of size len from a CURVE DEALER to a CURVE ROUTER over
 * loopback TCP, one thread: send in bursts that fit the pipes, then drain. */
static double raw_zmq_curve(int n, size_t len)
{
	uint8_t spk[32], ssk[32], cpk[32], csk[32];
	crypto_box_keypair(spk, ssk);
	crypto_box_keypair(cpk, csk);
	void *ctx = zmq_ctx_new(), *r = zmq_socket(ctx, ZMQ_ROUTER), *d = zmq_socket(ctx, ZMQ_DEALER);
	int one = 1, zero = 0, hwm = 100000;
	zmq_setsockopt(r, ZMQ_CURVE_SERVER, &one, sizeof one);
	zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, ssk, 32);
	zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, spk, 32);
	zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, cpk, 32);
	zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, csk, 32);
	zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(r, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(r, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
	char ep[64];
	size_t eplen = sizeof ep;
	if (zmq_bind(r, "tcp://127.0.0.1:*") || zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, ep, &eplen) ||
	    zmq_connect(d, ep))
		return 0;
	uint8_t *buf = calloc(1, len), id[256];
	zmq_send(d, buf, len, 0); /* the handshake, outside the clock */
	zmq_recv(r, id, sizeof id, 0);
	zmq_recv(r, buf, len, 0);
	double t = now_s();
	for (int i = 0; i < n; i++)
		zmq_send(d, buf, len, 0);
	for (int i = 0; i < n; i++) {
		zmq_recv(r, id, sizeof id, 0);
		zmq_recv(r, buf, len, 0);
	}
	double rate = n / (now_s() - t);
	free(buf);
	zmq_close(d);
	zmq_close(r);
	zmq_ctx_term(ctx);
	return rate;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	char why[AL_ERRLEN];
	if (key_init())
		return 1;
	struct al_identity *ids[3];
	struct al_charter *c = make_charter(ids, 3);
	struct al_roster *ro;
	if (roster_new(c, &ro))
		return 1;
	printf("alliance bench: %d messages per measure\n", n);

	/* Raw primitives. */
	uint8_t msg[200], sig[64];
	randombytes_buf(msg, sizeof msg);
	double t = now_s();
	for (int i = 0; i < n; i++)
		crypto_sign_detached(sig, NULL, msg, sizeof msg, ids[0]->sign_sk);
	double raw_sign = n / (now_s() - t);
	t = now_s();
	for (int i = 0; i < n; i++)
		if (crypto_sign_verify_detached(sig, msg, sizeof msg, ids[0]->sign_pk.b))
			return 1;
	double raw_verify = n / (now_s() - t);
	row("raw Ed25519 sign (libsodium, 200 B)", raw_sign, "/s", 0);
	row("raw Ed25519 verify (libsodium, 200 B)", raw_verify, "/s", 0);

	/* Sealing: pack + sign + parse back. */
	struct al_envelope *envs = calloc((size_t)n, sizeof *envs);
	struct al_body b;
	fill(&b, c, &ids[1]->sign_pk);
	b.version = AL_FORMAT_VERSION;
	b.alliance = c->id;
	b.author = ids[0]->sign_pk;
	al_hash prev = { { 0 } };
	t = now_s();
	for (int i = 0; i < n; i++) {
		b.seq = (uint64_t)i + 1;
		b.has_prev = i > 0;
		b.prev = prev;
		b.timestamp = when_now();
		if (envelope_seal(ids[0], &b, &envs[i]))
			return 1;
		prev = envs[i].hash;
	}
	row("envelope_seal (pack, sign, hash)", n / (now_s() - t), "/s", raw_sign);
	printf("  envelope size: %zu bytes\n", envs[0].len);

	/* Admission: the full validation of what a peer sends. */
	struct al_feeds *f;
	feeds_new(&f);
	t = now_s();
	for (int i = 0; i < n; i++) {
		struct al_envelope e;
		if (feeds_check(ro, f, envs[i].bytes, envs[i].len, when_now(), &e, why) != AL_ACCEPT)
			return fprintf(stderr, "bench: %s\n", why), 1;
		struct al_feed_entry fe = { (uint64_t)i, 0, e.hash, e.b.timestamp, e.b.kind };
		feeds_add(f, &e.b.author, e.b.seq, &fe);
		envelope_clear(&e);
	}
	row("feeds_check (parse, verify, chain)", n / (now_s() - t), "/s", raw_verify);
	feeds_destroy(&f);

	/* Durable writes: raw fdatasync vs group commit through the store. */
	char dir[] = "/tmp/alliance-bench.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[4200];
	snprintf(path, sizeof path, "%s/raw", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int syncs = n / 20 > 200 ? 200 : n / 20;
	t = now_s();
	for (int i = 0; i < syncs; i++) {
		if (write(fd, envs[i].bytes, envs[i].len) < 0 || fdatasync(fd))
			return 1;
	}
	double raw_sync = syncs / (now_s() - t);
	close(fd);
	row("raw write + fdatasync", raw_sync, "/s", 0);

	struct al_store *s;
	snprintf(path, sizeof path, "%s/store", dir);
	if (file_mkdirs(path, 0700, why) || store_open(path, true, c, NULL, &s, why))
		return fprintf(stderr, "bench: %s\n", why), 1;
	int batch = 100;
	t = now_s();
	for (int i = 0; i < n; i++) {
		enum al_reason r;
		if (store_offer(s, envs[i].bytes, envs[i].len, when_now(), &r, NULL, why) || r != AL_ACCEPT)
			return fprintf(stderr, "bench: %s\n", why), 1;
		if ((i + 1) % batch == 0 && store_sync(s, why))
			return 1;
	}
	store_sync(s, why);
	double stored = n / (now_s() - t);
	row("store_offer, group commit of 100 (msgs)", stored, "/s", raw_sync);
	t = now_s();
	for (int i = 0; i < syncs; i++) {
		struct al_body b2;
		fill(&b2, c, &ids[2]->sign_pk);
		if (store_author(s, ids[1], &b2, when_now(), NULL, why) || store_sync(s, why))
			return fprintf(stderr, "bench: %s\n", why), 1;
	}
	row("store_author + sync each (acked msgs)", syncs / (now_s() - t), "/s", raw_sync);

	/* Offline audit of the whole log. */
	struct al_audit a;
	struct al_audit_source src = { "bench", log_path(s->log), NULL };
	uint64_t records = log_records(s->log);
	t = now_s();
	if (audit_run(c, &src, 1, when_now(), &a, why) || !a.ok)
		return fprintf(stderr, "bench: audit: %s\n", why), 1;
	row("audit (records verified)", records / (now_s() - t), "/s", raw_verify);
	audit_clear(&a);
	/* The daemon's rebuild of its ledger from its own log (status, and
	 * commands after the log has grown). */
	struct al_ledger *own;
	t = now_s();
	if (ledger_from_store(s, &own, why))
		return fprintf(stderr, "bench: %s\n", why), 1;
	row("ledger rebuild from the store (records)", records / (now_s() - t), "/s", raw_verify);
	ledger_destroy(&own);
	store_close(&s);

	/* What the messages mean: the ledger and the trust table of n
	 * commitments (the CLI and the audit do this on every query). */
	struct al_envelope **ep = calloc((size_t)n, sizeof *ep);
	for (int i = 0; i < n; i++)
		ep[i] = &envs[i];
	struct al_ledger *led;
	struct al_trust *tr;
	t = now_s();
	if (ledger_build(ro, ep, (size_t)n, INT64_MAX, &led) || trust_compute(led, when_now(), &tr))
		return fprintf(stderr, "bench: ledger\n"), 1;
	row("ledger + trust table (messages)", n / (now_s() - t), "/s", raw_verify);
	trust_destroy(&tr);
	ledger_destroy(&led);
	free(ep);

	double zmq_rate = raw_zmq_curve(n, envs[0].len);
	row("raw ZeroMQ CURVE, loopback (envelope-sized)", zmq_rate, "/s", 0);
	const char *raw = getenv("BENCH_RAW");
	FILE *out = raw ? fopen(raw, "w") : NULL;
	if (out) {
		fprintf(out, "sign %.0f\nverify %.0f\nzmq_curve %.0f\nfsync %.0f\n", raw_sign,
			raw_verify, zmq_rate, raw_sync);
		fclose(out);
	}

	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	for (int i = 0; i < n; i++)
		envelope_clear(&envs[i]);
	free(envs);
	roster_destroy(&ro);
	charter_destroy(&c);
	for (int i = 0; i < 3; i++)
		key_destroy(&ids[i]);
	return 0;
}
