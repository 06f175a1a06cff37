/* fuzz_peer.c: what a member's daemon may send on a link. wire_peer_unpack()
 * must parse or refuse any bytes, and every envelope of a Batch then goes
 * through feeds_check(), never crashing, leaking or reading out of bounds. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "feeds.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct al_roster *ro = fuzz_roster();
	struct al_peer_msg pm;
	char why[AL_ERRLEN];
	if (wire_peer_unpack(data, size, &pm, why))
		return 0;
	if (pm.op != AL_PEER_HAVE && pm.op != AL_PEER_BATCH)
		abort();
	struct al_feeds *f;
	if (feeds_new(&f))
		abort();
	for (size_t i = 0; i < pm.n_env; i++) {
		struct al_envelope e;
		if (feeds_check(ro, f, pm.env[i], pm.env_len[i], 1767225600000 + 1000, &e, why) >=
		    AL_REASON_COUNT)
			abort();
		envelope_clear(&e);
	}
	/* What parsed packs again and parses to the same message. */
	uint8_t *buf;
	size_t len;
	struct al_peer_msg again;
	if (wire_peer_pack(&pm, &buf, &len) || wire_peer_unpack(buf, len, &again, why))
		abort();
	if (again.op != pm.op || again.n_env != pm.n_env || again.n_have != pm.n_have ||
	    memcmp(&again.alliance, &pm.alliance, AL_HASHLEN))
		abort();
	for (size_t i = 0; i < pm.n_env; i++)
		if (again.env_len[i] != pm.env_len[i] || memcmp(again.env[i], pm.env[i], pm.env_len[i]))
			abort();
	if (pm.n_have && memcmp(again.have, pm.have, pm.n_have * sizeof *pm.have))
		abort();
	free(buf);
	wire_peer_clear(&again);
	wire_peer_clear(&pm);
	feeds_destroy(&f);
	return 0;
}

void fuzz_seeds(void (*emit)(const uint8_t *, size_t))
{
	struct al_identity *const *ids;
	const struct al_charter *c = fuzz_charter(&ids);
	struct al_body b;
	struct al_envelope e[2];
	memset(&b, 0, sizeof b);
	b.version = AL_FORMAT_VERSION;
	b.alliance = c->id;
	b.author = ids[0]->sign_pk;
	b.seq = 1;
	b.timestamp = 1767225600000;
	b.kind = AL_KIND_RECEIPT;
	if (envelope_seal(ids[0], &b, &e[0]))
		abort();
	b.seq = 2;
	b.has_prev = true;
	b.prev = e[0].hash;
	if (envelope_seal(ids[0], &b, &e[1]))
		abort();
	struct al_frontier_entry have[2] = { { ids[0]->sign_pk, 2, e[1].hash },
					     { ids[1]->sign_pk, 0, { { 0 } } } };
	uint8_t *env[2] = { e[0].bytes, e[1].bytes };
	size_t env_len[2] = { e[0].len, e[1].len };
	struct al_peer_msg pm[2] = {
		{ .alliance = c->id, .op = AL_PEER_HAVE, .have = have, .n_have = 2 },
		{ .alliance = c->id, .op = AL_PEER_BATCH, .env = env, .env_len = env_len, .n_env = 2 },
	};
	for (int i = 0; i < 2; i++) {
		uint8_t *buf;
		size_t len;
		if (wire_peer_pack(&pm[i], &buf, &len))
			abort();
		emit(buf, len);
		free(buf);
	}
	envelope_clear(&e[0]);
	envelope_clear(&e[1]);
}
