/* fuzz_envelope.c: feeds_check() on arbitrary bytes from a peer: it must
 * return a reason, never crash, leak or read out of bounds. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "feeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct al_roster *ro = fuzz_roster();
	struct al_feeds *f;
	struct al_envelope e;
	char why[AL_ERRLEN];
	if (feeds_new(&f))
		abort();
	enum al_reason r = feeds_check(ro, f, data, size, 1767225600000 + 1000, &e, why);
	if (r >= AL_REASON_COUNT)
		abort();
	if (r == AL_ACCEPT) {
		/* Accepted bytes are the author's valid first message. */
		if (e.b.seq != 1 || !envelope_verify(&e))
			abort();
	}
	envelope_clear(&e);
	feeds_destroy(&f);
	return 0;
}

void fuzz_seeds(void (*emit)(const uint8_t *, size_t))
{
	struct al_identity *const *ids;
	const struct al_charter *c = fuzz_charter(&ids);
	al_key to[2] = { ids[1]->sign_pk, ids[2]->sign_pk };
	for (int kind = AL_KIND_TASK; kind < AL_KIND_COUNT; kind++) {
		struct al_body b;
		struct al_envelope e;
		memset(&b, 0, sizeof b);
		b.version = AL_FORMAT_VERSION;
		b.alliance = c->id;
		b.author = ids[0]->sign_pk;
		b.seq = 1;
		b.timestamp = 1767225600000;
		b.kind = (enum al_kind)kind;
		if (kind == AL_KIND_COMMITMENT) {
			b.u.commitment.what = (char *)"a prototype";
			b.u.commitment.to = to;
			b.u.commitment.n_to = 2;
			b.u.commitment.value = 10;
		} else if (kind == AL_KIND_TASK) {
			b.u.task.title = (char *)"review";
			b.u.task.owner = to[0];
		} else if (kind >= AL_KIND_RESPONSE && kind <= AL_KIND_RELEASE) {
			/* commitment is the first field of each of these payloads */
			b.u.response.commitment = (struct al_ref){ ids[1]->sign_pk, 1 };
		} else if (kind == AL_KIND_ESCALATION || kind == AL_KIND_RESOLUTION) {
			b.u.escalation.subject = (struct al_ref){ ids[1]->sign_pk, 1 };
		} else if (kind == AL_KIND_FEEDBACK) {
			b.u.feedback.about = to[1];
			b.u.feedback.rating = 4;
		}
		if (envelope_seal(ids[0], &b, &e))
			abort();
		emit(e.bytes, e.len);
		envelope_clear(&e);
	}
}
