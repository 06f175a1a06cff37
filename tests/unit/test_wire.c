/* test_wire.c: the wire format: every kind round-trips; bad shapes are refused. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire.h"

static al_key key_of(int b)
{
	al_key k;
	memset(k.b, b, sizeof k.b);
	return k;
}

static void base(struct al_body *b, enum al_kind kind)
{
	memset(b, 0, sizeof *b);
	b->version = AL_FORMAT_VERSION;
	memset(b->alliance.b, 0xaa, AL_HASHLEN);
	b->author = key_of(1);
	b->seq = 7;
	b->has_prev = true;
	memset(b->prev.b, 0xbb, AL_HASHLEN);
	b->timestamp = 1767225600123;
	b->kind = kind;
}

/* Pack, unpack, pack again: the same bytes, and the fields came back. */
static void round_trip(const struct al_body *b, struct al_body *out)
{
	uint8_t *x, *y;
	size_t xl, yl;
	char why[AL_ERRLEN];
	assert_int_equal(wire_body_pack(b, &x, &xl), 0);
	int rc = wire_body_unpack(x, xl, out, why);
	if (rc)
		fail_msg("unpack %s: %s", msg_kind_name(b->kind), why);
	assert_int_equal(wire_body_pack(out, &y, &yl), 0);
	assert_int_equal(xl, yl);
	assert_memory_equal(x, y, xl);
	assert_int_equal(out->kind, b->kind);
	assert_int_equal(out->seq, b->seq);
	assert_int_equal(out->timestamp, b->timestamp);
	assert_true(out->has_prev);
	assert_memory_equal(&out->prev, &b->prev, AL_HASHLEN);
	assert_memory_equal(&out->author, &b->author, AL_KEYLEN);
	free(x);
	free(y);
}

static void every_kind_round_trips(void **state)
{
	(void)state;
	struct al_body b, o;
	al_key to[2] = { key_of(2), key_of(3) };
	struct al_ref deps[2] = { { key_of(4), 1 }, { key_of(5), 9 } };
	struct al_frontier_entry fr[2] = { { key_of(2), 3, { { 0 } } }, { key_of(3), 0, { { 0 } } } };
	memset(fr[0].hash.b, 0xcc, AL_HASHLEN);

	base(&b, AL_KIND_TASK);
	b.frontier = fr;
	b.n_frontier = 2;
	b.u.task = (struct al_task){ (char *)"design review", key_of(2), 1767225700000, 2, deps,
				     (char *)"a report" };
	round_trip(&b, &o);
	assert_string_equal(o.u.task.title, "design review");
	assert_int_equal(o.u.task.n_depends, 2);
	assert_int_equal(o.u.task.depends[1].seq, 9);
	assert_int_equal(o.n_frontier, 2);
	assert_int_equal(o.frontier[0].seq, 3);
	assert_memory_equal(&o.frontier[0].hash, &fr[0].hash, AL_HASHLEN);
	msg_body_clear(&o);

	base(&b, AL_KIND_COMMITMENT);
	b.u.commitment = (struct al_commitment){ (char *)"prototype", 2, to, 1767225900000, 5000,
						 { key_of(4), 2 } };
	round_trip(&b, &o);
	assert_string_equal(o.u.commitment.what, "prototype");
	assert_int_equal(o.u.commitment.n_to, 2);
	assert_memory_equal(&o.u.commitment.to[1], &to[1], AL_KEYLEN);
	assert_int_equal(o.u.commitment.value, 5000);
	assert_int_equal(o.u.commitment.task.seq, 2);
	msg_body_clear(&o);

	base(&b, AL_KIND_RESPONSE);
	b.u.response = (struct al_response){ { key_of(2), 4 }, AL_ANSWER_COUNTER, (char *)"later",
					     1767226000000, 40 };
	round_trip(&b, &o);
	assert_int_equal(o.u.response.answer, AL_ANSWER_COUNTER);
	assert_int_equal(o.u.response.counter_value, 40);
	assert_string_equal(o.u.response.reason, "later");
	msg_body_clear(&o);

	base(&b, AL_KIND_DELIVERY);
	b.u.delivery = (struct al_delivery){ { key_of(1), 2 }, true, { { 0 } }, (char *)"doc.pdf",
					     (char *)"done" };
	memset(b.u.delivery.evidence_hash.b, 0xdd, AL_HASHLEN);
	round_trip(&b, &o);
	assert_true(o.u.delivery.has_evidence);
	assert_memory_equal(&o.u.delivery.evidence_hash, &b.u.delivery.evidence_hash, AL_HASHLEN);
	assert_string_equal(o.u.delivery.note, "done");
	msg_body_clear(&o);

	base(&b, AL_KIND_VERDICT);
	b.u.verdict = (struct al_verdict){ { key_of(2), 2 }, AL_OUTCOME_CONFIRM, 4, 5, (char *)"good" };
	round_trip(&b, &o);
	assert_int_equal(o.u.verdict.quality, 4);
	assert_int_equal(o.u.verdict.timeliness, 5);
	msg_body_clear(&o);

	base(&b, AL_KIND_RELEASE);
	b.u.release = (struct al_release){ { key_of(2), 2 }, (char *)"no longer needed" };
	round_trip(&b, &o);
	assert_string_equal(o.u.release.reason, "no longer needed");
	msg_body_clear(&o);

	base(&b, AL_KIND_FEEDBACK);
	b.u.feedback = (struct al_feedback){ key_of(3), 2, (char *)"slow answers" };
	round_trip(&b, &o);
	assert_int_equal(o.u.feedback.rating, 2);
	msg_body_clear(&o);

	base(&b, AL_KIND_ESCALATION);
	b.u.escalation = (struct al_escalation){ { key_of(2), 5 }, (char *)"disputed" };
	round_trip(&b, &o);
	assert_int_equal(o.u.escalation.subject.seq, 5);
	msg_body_clear(&o);

	base(&b, AL_KIND_RESOLUTION);
	b.u.resolution = (struct al_resolution){ { key_of(2), 5 }, AL_RULING_UPHOLD, (char *)"upheld" };
	round_trip(&b, &o);
	assert_int_equal(o.u.resolution.ruling, AL_RULING_UPHOLD);
	msg_body_clear(&o);

	base(&b, AL_KIND_RECEIPT);
	round_trip(&b, &o);
	msg_body_clear(&o);

	base(&b, AL_KIND_AMENDMENT);
	b.u.amendment.has_add = true;
	strcpy(b.u.amendment.add.name, "hooli");
	b.u.amendment.add.sign_key = key_of(6);
	b.u.amendment.add.transport_key = key_of(7);
	strcpy(b.u.amendment.add.endpoint, "tcp://10.0.0.1:7000");
	b.u.amendment.has_params = true;
	charter_default_params(&b.u.amendment.params);
	b.u.amendment.reason = (char *)"hooli joins";
	round_trip(&b, &o);
	assert_true(o.u.amendment.has_add);
	assert_string_equal(o.u.amendment.add.name, "hooli");
	assert_false(o.u.amendment.has_remove);
	assert_true(o.u.amendment.has_params);
	assert_memory_equal(&o.u.amendment.params, &b.u.amendment.params, sizeof(struct al_params));
	msg_body_clear(&o);
}

/* Text that JSON cannot carry is malformed, in every kind's text fields. */
static void refuses_text_not_utf8(void **state)
{
	(void)state;
	struct al_body b, o;
	uint8_t *x;
	size_t xl;
	char why[AL_ERRLEN];
	static const char *const bad[] = { "caf\xe9", "\xc0\xaf", "\xed\xa0\x80", "ok\xff" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		base(&b, AL_KIND_FEEDBACK);
		b.u.feedback.comment = (char *)bad[i];
		assert_int_equal(wire_body_pack(&b, &x, &xl), 0);
		assert_int_equal(wire_body_unpack(x, xl, &o, why), AL_E_PARSE);
		assert_non_null(strstr(why, "UTF-8"));
		free(x);
	}
	base(&b, AL_KIND_FEEDBACK);
	b.u.feedback.comment = (char *)"caf\xc3\xa9 \xe2\x9c\x93"; /* café ✓ */
	assert_int_equal(wire_body_pack(&b, &x, &xl), 0);
	assert_int_equal(wire_body_unpack(x, xl, &o, why), 0);
	msg_body_clear(&o);
	free(x);
}

static void refuses_bad_shapes(void **state)
{
	(void)state;
	struct al_body b, o;
	uint8_t *x;
	size_t xl;
	char why[AL_ERRLEN];
	base(&b, AL_KIND_RECEIPT);
	assert_int_equal(wire_body_pack(&b, &x, &xl), 0);

	/* An unknown field (number 99, varint 1) is hidden data: refused. */
	uint8_t *y = malloc(xl + 3);
	memcpy(y, x, xl);
	y[xl] = 0x98, y[xl + 1] = 0x06, y[xl + 2] = 0x01;
	assert_int_equal(wire_body_unpack(y, xl + 3, &o, why), AL_E_PARSE);
	assert_non_null(strstr(why, "unknown"));
	/* Truncated bytes. */
	assert_int_equal(wire_body_unpack(x, xl - 1, &o, why), AL_E_PARSE);
	free(y);
	free(x);

	/* The kind field and the payload must agree. */
	base(&b, AL_KIND_RECEIPT);
	b.kind = AL_KIND_FEEDBACK; /* packs a feedback payload ... */
	b.u.feedback.comment = (char *)"";
	assert_int_equal(wire_body_pack(&b, &x, &xl), 0);
	/* ... then rewrite the kind field (tag 0x40) from 7 to 10 (receipt). */
	uint8_t *k = memchr(x, 0x40, xl);
	assert_non_null(k);
	assert_int_equal(k[1], AL_KIND_FEEDBACK);
	k[1] = AL_KIND_RECEIPT;
	assert_int_equal(wire_body_unpack(x, xl, &o, why), AL_E_PARSE);
	assert_non_null(strstr(why, "payload"));
	free(x);

	/* No kind at all. */
	base(&b, AL_KIND_NONE);
	assert_int_equal(wire_body_pack(&b, &x, &xl), 0);
	assert_int_equal(wire_body_unpack(x, xl, &o, why), AL_E_PARSE);
	free(x);

	/* A frontier entry with seq > 0 must carry a hash. */
	base(&b, AL_KIND_RECEIPT);
	struct al_frontier_entry fe = { key_of(2), 3, { { 0 } } };
	b.frontier = &fe;
	b.n_frontier = 1;
	assert_int_equal(wire_body_pack(&b, &x, &xl), 0);
	assert_int_equal(wire_body_unpack(x, xl, &o, why), 0); /* packed with the hash */
	msg_body_clear(&o);
	free(x);
}

/* The idempotency key (Body field 9): absent is no key, and absent means
 * not written at all, so a body without one is byte for byte what it was
 * before the field existed (logs from then read as before); present, it
 * round-trips; a key of the wrong form is a malformed body. */
static void idempotency_key(void **state)
{
	(void)state;
	struct al_body b, o;
	uint8_t *x, *y;
	size_t xl, yl;
	char why[AL_ERRLEN];
	base(&b, AL_KIND_RECEIPT);
	assert_int_equal(wire_body_pack(&b, &x, &xl), 0);
	/* The bytes of this body as written before keys existed: version,
	 * alliance, author, seq, prev, timestamp, kind, the empty receipt. */
	uint8_t before[2 + 34 + 34 + 2 + 34 + 7 + 2 + 3], *p = before;
	*p++ = 0x08, *p++ = AL_FORMAT_VERSION;
	*p++ = 0x12, *p++ = 32, memset(p, 0xaa, 32), p += 32;
	*p++ = 0x1a, *p++ = 32, memset(p, 0x01, 32), p += 32;
	*p++ = 0x20, *p++ = 7;
	*p++ = 0x2a, *p++ = 32, memset(p, 0xbb, 32), p += 32;
	memcpy(p, "\x30\xfb\xd0\xea\xb6\xb7\x33", 7), p += 7; /* 1767225600123 */
	*p++ = 0x40, *p++ = AL_KIND_RECEIPT;
	*p++ = 0xca, *p++ = 0x01, *p++ = 0x00; /* field 25, empty */
	assert_int_equal(xl, sizeof before);
	assert_memory_equal(x, before, sizeof before);
	assert_int_equal(wire_body_unpack(x, xl, &o, why), 0);
	assert_non_null(o.key);
	assert_string_equal(o.key, "");
	msg_body_clear(&o);
	b.key = (char *)""; /* "" is absent too */
	assert_int_equal(wire_body_pack(&b, &y, &yl), 0);
	assert_int_equal(yl, xl);
	assert_memory_equal(x, y, xl);
	free(y);

	/* Present: 0x4a, length, the key, right after the kind (field 8). */
	b.key = (char *)"batch-7:line_12.A";
	assert_int_equal(wire_body_pack(&b, &y, &yl), 0);
	assert_int_equal(yl, xl + 2 + strlen(b.key));
	const uint8_t *k = memmem(y, yl, "\x4a\x11" "batch-7:line_12.A", 19);
	assert_non_null(k);
	assert_int_equal(k[-2], 0x40); /* the kind's tag just before */
	assert_int_equal(wire_body_unpack(y, yl, &o, why), 0);
	assert_string_equal(o.key, "batch-7:line_12.A");
	msg_body_clear(&o);
	free(y);
	free(x);

	/* A payload kind with its strings: the key rides along. */
	base(&b, AL_KIND_COMMITMENT);
	al_key to = key_of(2);
	b.u.commitment.what = (char *)"x";
	b.u.commitment.to = &to;
	b.u.commitment.n_to = 1;
	b.key = (char *)"k";
	round_trip(&b, &o);
	assert_string_equal(o.key, "k");
	msg_body_clear(&o);

	/* Keys of the wrong form: refused as malformed, whoever signed them. */
	static const char *const bad[] = {
		"a b", "tab\t", "slash/", "caf\xc3\xa9", "semi;colon", "quote'",
		"0123456789012345678901234567890123456789012345678901234567890123X", /* 65 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		base(&b, AL_KIND_RECEIPT);
		b.key = (char *)bad[i];
		assert_int_equal(wire_body_pack(&b, &x, &xl), 0); /* pack does not judge */
		if (wire_body_unpack(x, xl, &o, why) != AL_E_PARSE)
			fail_msg("key '%s' accepted", bad[i]);
		assert_non_null(strstr(why, "idempotency key"));
		free(x);
	}
	/* 64 characters, every kind of character allowed: fine. */
	base(&b, AL_KIND_RECEIPT);
	b.key = (char *)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
	assert_int_equal(strlen(b.key), 64);
	assert_int_equal(wire_body_pack(&b, &x, &xl), 0);
	assert_int_equal(wire_body_unpack(x, xl, &o, why), 0);
	msg_body_clear(&o);
	free(x);
	assert_int_equal(msg_check_idempotency_key("a:b-c", why), 0);
	assert_int_equal(msg_check_idempotency_key("", why), AL_E_INVAL);
	assert_int_equal(msg_check_idempotency_key("a b", why), AL_E_INVAL);
	assert_non_null(strstr(why, "'a b'"));
	assert_non_null(strstr(why, "1 to 64 characters"));
}

/* A control request carries each commitment's key, past, due_offset and
 * batch line, and an act's key, past and due_offset. */
static void request_carries_keys(void **state)
{
	(void)state;
	char *to[] = { (char *)"globex" };
	struct al_commit_item items[2] = {
		{ .what = (char *)"a", .n_to = 1, .to = to, .due = 0, .value = 5, .task = (char *)"",
		  .key = (char *)"k1", .past = true, .due_offset = false, .line = 7 },
		{ .what = (char *)"b", .n_to = 1, .to = to, .due = 42, .task = (char *)"",
		  .key = (char *)"", .due_offset = true, .line = 9 },
	};
	struct al_request rq = { .op = AL_OP_COMMIT, .alliance = (char *)"", .n_items = 2,
				 .items = items }, out;
	uint8_t *x;
	size_t xl;
	char why[AL_ERRLEN];
	assert_int_equal(wire_request_pack(&rq, &x, &xl), 0);
	assert_int_equal(wire_request_unpack(x, xl, &out, why), 0);
	free(x);
	assert_int_equal(out.n_items, 2);
	assert_string_equal(out.items[0].key, "k1");
	assert_true(out.items[0].past);
	assert_false(out.items[0].due_offset);
	assert_int_equal(out.items[0].line, 7);
	assert_int_equal(out.items[0].due, 0);
	assert_string_equal(out.items[1].key, "");
	assert_false(out.items[1].past);
	assert_true(out.items[1].due_offset);
	assert_int_equal(out.items[1].line, 9);
	control_request_clear(&out);

	struct al_request act = { .op = AL_OP_ACT, .alliance = (char *)"" };
	act.act.verb = (char *)"task";
	act.act.key = (char *)"t-1";
	act.act.past = true;
	act.act.due_offset = true;
	assert_int_equal(wire_request_pack(&act, &x, &xl), 0);
	assert_int_equal(wire_request_unpack(x, xl, &out, why), 0);
	free(x);
	assert_string_equal(out.act.key, "t-1");
	assert_true(out.act.past);
	assert_true(out.act.due_offset);
	control_request_clear(&out);
}

/* A query carries the series' step and since (and the rest of it). */
static void request_carries_series(void **state)
{
	(void)state;
	struct al_request rq = { .op = AL_OP_QUERY, .alliance = (char *)"x",
				 .query = { .what = (char *)"series", .as_of = 1767225600000LL,
					    .name = (char *)"", .state = (char *)"",
					    .step = 7 * 86400, .since = -62167219200000LL } }, out;
	uint8_t *x;
	size_t xl;
	char why[AL_ERRLEN];
	assert_int_equal(wire_request_pack(&rq, &x, &xl), 0);
	assert_int_equal(wire_request_unpack(x, xl, &out, why), 0);
	free(x);
	assert_int_equal(out.op, AL_OP_QUERY);
	assert_string_equal(out.query.what, "series");
	assert_int_equal(out.query.as_of, 1767225600000LL);
	assert_int_equal(out.query.step, 7 * 86400);
	assert_int_equal(out.query.since, -62167219200000LL); /* year 0000: negative */
	control_request_clear(&out);
}

static void envelope_shapes(void **state)
{
	(void)state;
	uint8_t sig[AL_SIGLEN], sig2[AL_SIGLEN], *env, *body;
	size_t len, body_len;
	char why[AL_ERRLEN];
	memset(sig, 0x5a, sizeof sig);
	const uint8_t payload[] = { 1, 2, 3 };
	assert_int_equal(wire_envelope_pack(payload, 3, sig, &env, &len), 0);
	assert_int_equal(wire_envelope_unpack(env, len, &body, &body_len, sig2, why), 0);
	assert_int_equal(body_len, 3);
	assert_memory_equal(body, payload, 3);
	assert_memory_equal(sig, sig2, AL_SIGLEN);
	free(body);
	/* Cut the signature short. */
	assert_int_not_equal(wire_envelope_unpack(env, len - 1, &body, &body_len, sig2, why), 0);
	assert_null(body);
	free(env);
	/* An empty body. */
	assert_int_equal(wire_envelope_pack(payload, 0, sig, &env, &len), 0);
	assert_int_equal(wire_envelope_unpack(env, len, &body, &body_len, sig2, why), AL_E_PARSE);
	free(env);
}

/* Only the canonical wrapper is an envelope: 0x0a len body 0x12 0x40 sig.
 * The hash covers the whole envelope, so every other encoding of the same
 * body and signature (which protobuf-c would parse) would let a relay
 * change a message's hash. */
static void envelope_canonical_only(void **state)
{
	(void)state;
	uint8_t sig[AL_SIGLEN], sig2[AL_SIGLEN], *env, *body;
	size_t len, body_len;
	char why[AL_ERRLEN];
	memset(sig, 0x5a, sizeof sig);
	const uint8_t payload[] = { 1, 2, 3 };
	assert_int_equal(wire_envelope_pack(payload, 3, sig, &env, &len), 0);
	/* The canonical layout, byte for byte. */
	assert_int_equal(len, 2 + 3 + 2 + AL_SIGLEN);
	static const uint8_t head[] = { 0x0a, 0x03, 1, 2, 3, 0x12, 0x40 };
	assert_memory_equal(env, head, sizeof head);
	assert_memory_equal(env + sizeof head, sig, AL_SIGLEN);

	const size_t S = 2 + AL_SIGLEN; /* the signature field */
	uint8_t x[512];
	size_t n;
	struct {
		const char *name, *why;
	} bad[] = {
		{ "signature first", "must start with its body" },
		{ "body repeated (the last one wins in protobuf)", "followed by its 64-byte" },
		{ "signature repeated", "where the 64-byte signature should end it" },
		{ "body length padded to two bytes", "shortest encoding" },
		{ "signature length padded to two bytes", "followed by its 64-byte" },
		{ "a trailing zero byte", "where the 64-byte signature should end it" },
		{ "an unknown field after the signature", "should end it" },
		{ "an empty body field first", "empty body" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		switch (i) {
		case 0: /* sig, body */
			memcpy(x, env + 5, S);
			memcpy(x + S, env, 5);
			n = S + 5;
			break;
		case 1: /* body {9}, body, sig */
			x[0] = 0x0a, x[1] = 0x01, x[2] = 9;
			memcpy(x + 3, env, len);
			n = 3 + len;
			break;
		case 2: /* body, sig, sig */
			memcpy(x, env, len);
			memcpy(x + len, env + 5, S);
			n = len + S;
			break;
		case 3: /* 0x0a 0x83 0x00 body sig */
			x[0] = 0x0a, x[1] = 0x83, x[2] = 0x00;
			memcpy(x + 3, env + 2, len - 2);
			n = len + 1;
			break;
		case 4: /* body 0x12 0xc0 0x00 sig */
			memcpy(x, env, 6);
			x[6] = 0xc0, x[7] = 0x00;
			memcpy(x + 8, sig, AL_SIGLEN);
			n = len + 1;
			break;
		case 5:
			memcpy(x, env, len);
			x[len] = 0;
			n = len + 1;
			break;
		case 6: /* field 3, varint 1 */
			memcpy(x, env, len);
			x[len] = 0x18, x[len + 1] = 0x01;
			n = len + 2;
			break;
		default: /* 0x0a 0x00, then the canonical envelope */
			x[0] = 0x0a, x[1] = 0x00;
			memcpy(x + 2, env, len);
			n = len + 2;
			break;
		}
		body = (uint8_t *)"not touched";
		int rc = wire_envelope_unpack(x, n, &body, &body_len, sig2, why);
		if (rc != AL_E_PARSE)
			fail_msg("%s: accepted (rc %d)", bad[i].name, rc);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: why '%s' lacks '%s'", bad[i].name, why, bad[i].why);
		assert_null(body);
		assert_int_equal(body_len, 0);
	}
	/* The canonical bytes with a longer body: a two-byte length is fine. */
	free(env);
	uint8_t big[200];
	memset(big, 7, sizeof big);
	assert_int_equal(wire_envelope_pack(big, sizeof big, sig, &env, &len), 0);
	assert_int_equal(env[1], 0xc8);
	assert_int_equal(env[2], 0x01);
	assert_int_equal(wire_envelope_unpack(env, len, &body, &body_len, sig2, why), 0);
	assert_int_equal(body_len, sizeof big);
	free(body);
	/* Its length claiming more than there is. */
	env[2] = 0x02;
	assert_int_equal(wire_envelope_unpack(env, len, &body, &body_len, sig2, why), AL_E_PARSE);
	assert_non_null(strstr(why, "runs past its end"));
	free(env);
}

static void equivocation_round_trip(void **state)
{
	(void)state;
	uint8_t *p, *a, *b;
	size_t pl, al, bl;
	char why[AL_ERRLEN];
	assert_int_equal(wire_equivocation_pack((const uint8_t *)"first", 5,
						(const uint8_t *)"second", 6, &p, &pl), 0);
	assert_int_equal(wire_equivocation_unpack(p, pl, &a, &al, &b, &bl, why), 0);
	assert_int_equal(al, 5);
	assert_int_equal(bl, 6);
	assert_memory_equal(a, "first", 5);
	assert_memory_equal(b, "second", 6);
	free(a);
	free(b);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_round_trips),
		cmocka_unit_test(refuses_bad_shapes),
		cmocka_unit_test(refuses_text_not_utf8),
		cmocka_unit_test(envelope_shapes),
		cmocka_unit_test(envelope_canonical_only),
		cmocka_unit_test(equivocation_round_trip),
		cmocka_unit_test(idempotency_key),
		cmocka_unit_test(request_carries_keys),
		cmocka_unit_test(request_carries_series),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
