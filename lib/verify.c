/* verify.c: the verify pool and verify_scan; see verify.h.
 *
 * One batch at a time: the caller publishes items and n under the mutex,
 * wakes the workers and works too. Every thread takes a chunk of indices
 * under the mutex, processes it unlocked (items it alone touches) and adds
 * what it did to done; the caller returns once done == n, so no worker
 * touches a batch after verify_batch returns. Nothing is allocated per
 * batch: the pool's memory is its threads.
 */
#include "verify.h"
#include "err.h"
#include "grow.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERIFY_INLINE 4              /* smaller batches run on the caller alone */
#define VERIFY_CHUNK 1024            /* records per verify_scan batch */
#define VERIFY_CHUNK_BYTES (4 << 20) /* and bytes */

struct al_verify {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a batch was published, or stop */
	pthread_cond_t done; /* done reached n */
	pthread_t *threads;
	unsigned n_threads;
	bool stop;
	/* the batch: items[next..n) are not taken yet */
	struct al_verify_item *items;
	size_t n, next, done_n, step;
	verify_skip_fn skip;
	void *skip_arg;
};

static void run_item(struct al_verify_item *it, verify_skip_fn skip, void *arg)
{
	it->rc = envelope_open(it->buf, it->len, &it->env, NULL);
	if (it->rc == AL_OK && !(skip && skip(arg, &it->env)))
		envelope_check_sig(&it->env);
}

/* Take and do chunks of the current batch until none is left. Called and
 * returns with p->mu held. */
static void work_batch(struct al_verify *p)
{
	while (p->next < p->n) {
		size_t i = p->next, k = p->n - i < p->step ? p->n - i : p->step;
		struct al_verify_item *items = p->items;
		verify_skip_fn skip = p->skip;
		void *arg = p->skip_arg;
		p->next += k;
		pthread_mutex_unlock(&p->mu);
		for (size_t j = i; j < i + k; j++)
			run_item(&items[j], skip, arg);
		pthread_mutex_lock(&p->mu);
		p->done_n += k;
		if (p->done_n == p->n)
			pthread_cond_signal(&p->done);
	}
}

static void *worker(void *arg)
{
	struct al_verify *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next >= p->n)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		work_batch(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int verify_new(unsigned workers, struct al_verify **out)
{
	*out = NULL;
	if (workers == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		workers = cores > 1 ? (unsigned)(cores < 64 ? cores : 64) - 1 : 0;
	}
	struct al_verify *p = calloc(1, sizeof *p);
	if (!p || (workers && !(p->threads = calloc(workers, sizeof *p->threads)))) {
		free(p);
		return AL_E_NOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	/* The workers inherit a mask that blocks everything: a signal meant
	 * for the daemon must interrupt its reactor, not a worker. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = AL_OK;
	for (; p->n_threads < workers; p->n_threads++)
		if (pthread_create(&p->threads[p->n_threads], NULL, worker, p)) {
			rc = AL_E_NOMEM;
			break;
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		verify_destroy(&p);
	*out = p;
	return rc;
}

void verify_destroy(struct al_verify **pp)
{
	struct al_verify *p = *pp;
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
	*pp = NULL;
}

unsigned verify_threads(const struct al_verify *p)
{
	return p ? p->n_threads + 1 : 1;
}

void verify_batch(struct al_verify *p, struct al_verify_item *items, size_t n,
		  verify_skip_fn skip, void *arg)
{
	if (!p || !p->n_threads || n < VERIFY_INLINE) {
		for (size_t i = 0; i < n; i++)
			run_item(&items[i], skip, arg);
		return;
	}
	/* Chunks small enough to share the batch evenly (about four per
	 * thread), large enough that the mutex is taken rarely. */
	size_t step = n / (4 * (size_t)verify_threads(p));
	pthread_mutex_lock(&p->mu);
	p->items = items;
	p->skip = skip;
	p->skip_arg = arg;
	p->step = step < 1 ? 1 : step > 64 ? 64 : step;
	p->done_n = p->next = 0;
	p->n = n;
	pthread_cond_broadcast(&p->work);
	work_batch(p);
	while (p->done_n < p->n)
		pthread_cond_wait(&p->done, &p->mu);
	p->items = NULL;
	p->n = p->next = p->done_n = 0;
	pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------ scanning */

struct pending {
	struct al_log_rec rec; /* data: a copy, owned (the map goes at the end) */
	struct al_verify_item it;
};

struct scan {
	struct al_verify *pool;
	verify_record_fn on_record;
	log_fault_fn on_fault;
	void *arg;
	struct pending *v;
	struct al_verify_item *items;
	size_t n, cap, items_cap, bytes;
	bool stopped; /* a callback said stop: what is pending is dropped */
};

static void drop(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free((void *)s->v[i].rec.data);
		envelope_clear(&s->v[i].it.env);
	}
	s->n = s->bytes = 0;
}

/* Verify what is pending and hand it on in order. */
static int flush(struct scan *s)
{
	int rc = AL_OK;
	if (!s->n)
		return AL_OK;
	if (grow(&s->items, &s->items_cap, s->n, sizeof *s->items)) {
		s->stopped = true;
		drop(s);
		return AL_E_NOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		memset(&s->items[i], 0, sizeof s->items[i]);
		s->items[i].buf = s->v[i].rec.data;
		s->items[i].len = s->v[i].rec.len;
	}
	verify_batch(s->pool, s->items, s->n, NULL, NULL);
	for (size_t i = 0; i < s->n; i++)
		s->v[i].it = s->items[i];
	for (size_t i = 0; i < s->n && rc == AL_OK; i++)
		rc = s->on_record(s->arg, &s->v[i].rec, &s->v[i].it);
	if (rc)
		s->stopped = true;
	drop(s);
	return rc;
}

static int scan_record(void *arg, const struct al_log_rec *r)
{
	struct scan *s = arg;
	uint8_t *copy = NULL;
	if (grow(&s->v, &s->cap, s->n + 1, sizeof *s->v) || !(copy = malloc(r->len ? r->len : 1))) {
		s->stopped = true;
		return AL_E_NOMEM;
	}
	memcpy(copy, r->data, r->len);
	struct pending *p = &s->v[s->n++];
	memset(p, 0, sizeof *p);
	p->rec = *r;
	p->rec.data = copy;
	s->bytes += r->len;
	return s->n >= VERIFY_CHUNK || s->bytes >= VERIFY_CHUNK_BYTES ? flush(s) : AL_OK;
}

static int scan_fault(void *arg, const struct al_log_fault *f)
{
	struct scan *s = arg;
	int rc = flush(s); /* the records before it come first */
	if (rc == AL_OK && (rc = s->on_fault(s->arg, f)))
		s->stopped = true;
	return rc;
}

int verify_scan(struct al_verify *pool, const char *path, verify_record_fn on_record,
		log_fault_fn on_fault, void *arg, char *why)
{
	struct scan s = { .pool = pool, .on_record = on_record, .on_fault = on_fault, .arg = arg };
	int rc = log_scan(path, scan_record, on_fault ? scan_fault : NULL, &s, why);
	/* What was read before the end, or before the fault that stopped a
	 * scan without on_fault, is handed on as log_scan would have. */
	if (!s.stopped) {
		int frc = flush(&s);
		if (rc == AL_OK)
			rc = frc;
	}
	drop(&s);
	free(s.v);
	free(s.items);
	return rc;
}
