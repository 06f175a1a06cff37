/* fuzz_ledger_load.c: ledger_load with arbitrary bytes against the fixed
 * fuzz charter: an error with why, or a ledger that saves back to exactly
 * the bytes it read and takes more messages (ledger_add) without a crash.
 * Seeds: the saved state of a real incremental ledger after each add of a
 * small history delivered out of order (a tail, held-back messages,
 * commitments, deliveries, a task, a rating, a violation, an amendment
 * in effect). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "envelope.h"
#include "err.h"
#include "ledger.h"

#define N_MSG 14

static struct al_envelope env[N_MSG];
static int order[N_MSG]; /* the arrival order: each feed in sequence */

/* Member a signs b at time t, having seen the others up to seen[]. */
static void sign(int i, int a, struct al_body *b, int64_t t, const int seen[3])
{
	static uint64_t len[3];
	static al_hash prev[3];
	static int last[3][64]; /* env index by seq */
	struct al_identity *const *ids;
	const struct al_charter *c = fuzz_charter(&ids);
	struct al_frontier_entry fr[3];
	size_t nf = 0;
	for (int k = 0; k < 3; k++)
		if (k != a && seen[k])
			fr[nf++] = (struct al_frontier_entry){ ids[k]->sign_pk, (uint64_t)seen[k],
							       env[last[k][seen[k]]].hash };
	b->version = AL_FORMAT_VERSION;
	b->alliance = c->id;
	b->author = ids[a]->sign_pk;
	b->seq = ++len[a];
	b->has_prev = b->seq > 1;
	b->prev = prev[a];
	b->timestamp = t;
	b->frontier = fr;
	b->n_frontier = nf;
	if (envelope_seal(ids[a], b, &env[i]))
		abort();
	prev[a] = env[i].hash;
	last[a][b->seq] = i;
}

static void blank(struct al_body *b, enum al_kind kind)
{
	memset(b, 0, sizeof *b);
	b->kind = kind;
}

/* The history, signed once. */
static void history(void)
{
	static bool made;
	if (made)
		return;
	made = true;
	struct al_identity *const *ids;
	const struct al_charter *c = fuzz_charter(&ids);
	int64_t t0 = c->created + 1000;
	struct al_body b;
	al_key to1 = ids[1]->sign_pk, to2 = ids[2]->sign_pk;
	struct al_ref c0 = { ids[0]->sign_pk, 1 }, c1 = { ids[1]->sign_pk, 1 };
	blank(&b, AL_KIND_COMMITMENT);
	b.u.commitment = (struct al_commitment){ (char *)"a widget", 1, &to1, t0 + 86400000, 5,
						 { { { 0 } }, 0 } };
	sign(0, 0, &b, t0, (int[3]){ 0, 0, 0 });                     /* f0/1 */
	blank(&b, AL_KIND_COMMITMENT);
	b.u.commitment = (struct al_commitment){ (char *)"gadgets", 1, &to2, t0 + 5000, 7,
						 { { { 0 } }, 0 } };
	sign(1, 1, &b, t0 + 10, (int[3]){ 0, 0, 0 });                /* f1/1 */
	blank(&b, AL_KIND_RESPONSE);
	b.u.response.commitment = c0;
	b.u.response.answer = AL_ANSWER_ACCEPT;
	sign(2, 1, &b, t0 + 20, (int[3]){ 1, 0, 0 });                /* f1/2 */
	blank(&b, AL_KIND_DELIVERY);
	b.u.delivery.commitment = c0;
	sign(3, 0, &b, t0 + 30, (int[3]){ 0, 2, 0 });                /* f0/2 */
	blank(&b, AL_KIND_TASK);
	b.u.task.title = (char *)"t";
	b.u.task.owner = ids[2]->sign_pk;
	sign(4, 2, &b, t0 + 5, (int[3]){ 0, 0, 0 });                 /* f2/1 */
	blank(&b, AL_KIND_VERDICT);
	b.u.verdict.commitment = c0;
	b.u.verdict.outcome = AL_OUTCOME_CONFIRM;
	b.u.verdict.quality = b.u.verdict.timeliness = 4;
	sign(5, 1, &b, t0 + 40, (int[3]){ 2, 0, 1 });                /* f1/3 */
	blank(&b, AL_KIND_DELIVERY);
	b.u.delivery.commitment = c1; /* not the promisor's: a violation */
	sign(6, 2, &b, t0 + 45, (int[3]){ 2, 3, 0 });                /* f2/2 */
	blank(&b, AL_KIND_FEEDBACK);
	b.u.feedback.about = ids[0]->sign_pk;
	b.u.feedback.rating = 5;
	sign(7, 2, &b, t0 + 50, (int[3]){ 2, 3, 0 });                /* f2/3 */
	blank(&b, AL_KIND_RESPONSE);
	b.u.response.commitment = c1;
	b.u.response.answer = AL_ANSWER_DECLINE;
	sign(8, 2, &b, t0 + 60, (int[3]){ 2, 3, 0 });                /* f2/4 */
	blank(&b, AL_KIND_RECEIPT);
	sign(9, 0, &b, t0 + 70, (int[3]){ 0, 3, 4 });                /* f0/3 */
	blank(&b, AL_KIND_RELEASE);
	b.u.release.commitment = c1;
	sign(10, 1, &b, t0 + 80, (int[3]){ 3, 3, 4 });               /* f1/4 */
	blank(&b, AL_KIND_AMENDMENT);
	b.u.amendment.endpoint = (char *)"";
	b.u.amendment.has_params = true;
	charter_default_params(&b.u.amendment.params);
	b.u.amendment.params.grace = 3600;
	sign(11, 0, &b, t0 + 90, (int[3]){ 0, 4, 4 });               /* f0/4 */
	blank(&b, AL_KIND_AMENDMENT);
	b.u.amendment.endpoint = (char *)"";
	b.u.amendment.approves = (struct al_ref){ ids[0]->sign_pk, 4 };
	sign(12, 1, &b, t0 + 100, (int[3]){ 4, 4, 4 });              /* f1/5 */
	blank(&b, AL_KIND_RECEIPT);
	sign(13, 2, &b, t0 + 60, (int[3]){ 2, 3, 0 });               /* f2/5 */
	/* Out of order: f1's answers before what they saw, f2 late. */
	static const int arrive[N_MSG] = { 1, 2, 5, 0, 3, 10, 12, 9, 11, 4, 6, 7, 8, 13 };
	memcpy(order, arrive, sizeof order);
}

static int save_fn(void *arg, struct al_ckpt_writer *w)
{
	return ledger_save(arg, w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct al_roster *ro = fuzz_roster();
	struct al_ckpt_reader r = { data, size, false, NULL, 0 };
	struct al_ledger *l;
	char why[AL_ERRLEN];
	uint8_t *again;
	size_t n;
	history();
	int rc = ledger_load(ro, &r, &l, why);
	if (rc) {
		if (l || !why[0] || (rc != AL_E_PARSE && rc != AL_E_INVAL && rc != AL_E_NOMEM))
			abort();
		return 0;
	}
	/* What it loaded is what it read, saved again. */
	if (ckpt_write_mem(save_fn, l, &again, &n) || n != size - r.left || memcmp(again, data, n)) {
		fprintf(stderr, "fuzz_ledger_load: a loaded state saves to other bytes\n");
		abort();
	}
	free(again);
	for (int i = 0; i < N_MSG; i++)
		if (ledger_add(l, &env[order[i]], why) == LEDGER_REBUILD)
			break;
	ledger_destroy(&l);
	return 0;
}

void fuzz_seeds(void (*emit)(const uint8_t *, size_t))
{
	const struct al_roster *ro = fuzz_roster();
	struct al_ledger *l;
	char why[AL_ERRLEN];
	uint8_t *bytes;
	size_t n;
	history();
	if (ledger_new(ro, &l))
		abort();
	for (int i = 0; i <= N_MSG; i++) {
		if (i % 3 == 0 || i >= N_MSG - 2) {
			if (ckpt_write_mem(save_fn, l, &bytes, &n))
				abort();
			emit(bytes, n);
			free(bytes);
		}
		if (i < N_MSG && ledger_add(l, &env[order[i]], why)) {
			fprintf(stderr, "fuzz_ledger_load: seed message %d: %s\n", order[i], why);
			abort();
		}
	}
	ledger_destroy(&l);
}
