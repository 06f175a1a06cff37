/* msg.c: freeing bodies and naming kinds. */
#include "msg.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

void msg_body_clear(struct al_body *b)
{
	free(b->frontier);
	free(b->key);
	switch (b->kind) {
	case AL_KIND_TASK:
		free(b->u.task.title);
		free(b->u.task.depends);
		free(b->u.task.deliverable);
		break;
	case AL_KIND_COMMITMENT:
		free(b->u.commitment.what);
		free(b->u.commitment.to);
		break;
	case AL_KIND_RESPONSE: free(b->u.response.reason); break;
	case AL_KIND_DELIVERY:
		free(b->u.delivery.evidence_ref);
		free(b->u.delivery.note);
		break;
	case AL_KIND_VERDICT: free(b->u.verdict.comment); break;
	case AL_KIND_RELEASE: free(b->u.release.reason); break;
	case AL_KIND_FEEDBACK: free(b->u.feedback.comment); break;
	case AL_KIND_ESCALATION: free(b->u.escalation.reason); break;
	case AL_KIND_RESOLUTION: free(b->u.resolution.comment); break;
	case AL_KIND_AMENDMENT:
		free(b->u.amendment.reason);
		free(b->u.amendment.endpoint);
		break;
	default: break;
	}
	memset(b, 0, sizeof *b);
}

const char *msg_kind_name(enum al_kind kind)
{
	static const char *const names[AL_KIND_COUNT] = {
		"none", "task", "commitment", "response", "delivery", "verdict",
		"release", "feedback", "escalation", "resolution", "receipt", "amendment",
	};
	if ((unsigned)kind < AL_KIND_COUNT)
		return names[kind];
	return "unknown";
}

int msg_check_idempotency_key(const char *key, char *why)
{
	size_t n = strlen(key);
	bool ok = n >= 1 && n <= AL_IDEMPOTENCY_KEY_MAX &&
		  strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
	if (ok)
		return AL_OK;
	/* Quote at most what fits: the key may be anything. */
	return al_errf(why, AL_E_INVAL, "bad key '%.80s%s' (a key is 1 to %d characters of "
		       "A-Z a-z 0-9 . _ : -)", key, n > 80 ? "..." : "", AL_IDEMPOTENCY_KEY_MAX);
}
