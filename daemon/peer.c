/* peer.c: links to the other partners' daemons, and replication.
 *
 * Every daemon binds one ROUTER on its listen endpoint as a CURVE server
 * and connects one DEALER, as a CURVE client, to each peer daemon. It
 * receives only on the ROUTER and sends only on its DEALERs, so a link is
 * two one-way channels and nothing is ever routed back by identity.
 *
 * Who is talking is decided by the ZAP handler below: it admits a CURVE
 * client only when its transport key belongs to a member of an alliance
 * this daemon has joined, and names the connection by that key (the ZAP
 * user id). Each message is then checked against the alliance it names;
 * nothing the peer says about itself is trusted.
 *
 * Replication is frontier-driven. Every HEARTBEAT_MS, and whenever it has
 * taken something in, a daemon sends each peer a Have (what it holds of
 * every feed). On a Have, the other side pushes what is missing, in chain
 * order, from any author: a relay cannot alter signed messages. Only
 * durable records are sent. What was sent and not confirmed by a Have
 * within RESEND_MS is sent again; duplicates are harmless. The log is the
 * send queue, so nothing is lost when a peer is down.
 */
#include <errno.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "charter.h"
#include "err.h"
#include "grow.h"
#include "hex.h"
#include "roster.h"
#include "reactor.h"
#include "verify.h"
#include "when.h"
#include "wire.h"

#define ZAP_DOMAIN "alliance"
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* a DRAFT option in libzmq 4.3 */
#endif

static void setopt(void *sock, int opt, int v)
{
	zmq_setsockopt(sock, opt, &v, sizeof v);
}

/* Options both ends of a link share, and why. */
static void link_options(void *sock)
{
	/* ZMTP heartbeats find a dead TCP connection within seconds instead
	 * of the kernel's hours. */
	setopt(sock, ZMQ_HEARTBEAT_IVL, HEARTBEAT_MS);
	setopt(sock, ZMQ_HEARTBEAT_TIMEOUT, 3 * HEARTBEAT_MS);
	setopt(sock, ZMQ_HEARTBEAT_TTL, 3 * HEARTBEAT_MS);
	/* A half-finished handshake (or garbage) is dropped after 3 s. */
	setopt(sock, ZMQ_HANDSHAKE_IVL, 3000);
	/* The log is the send queue: nothing in a socket buffer needs to
	 * outlive the process, so stopping never waits. */
	setopt(sock, ZMQ_LINGER, 0);
	/* A peer cannot make us allocate more than one full Batch. */
	int64_t max = PEER_MAXMSG;
	zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
	/* IPv6 addresses and names too (dual-stack: IPv4 keeps working);
	 * without it libzmq binds and dials IPv4 only. */
	setopt(sock, ZMQ_IPV6, 1);
}

static struct peer *peer_by_key(const struct daemon *d, const al_key *k)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (!memcmp(&d->peers[i]->transport_key, k, AL_KEYLEN))
			return d->peers[i];
	return NULL;
}

/* Is k the transport key of a member of some alliance joined here? */
static bool admitted(const struct daemon *d, const uint8_t *k)
{
	for (size_t i = 0; i < d->n_alls; i++) {
		const struct al_roster *ro = store_roster(d->alls[i]->s);
		for (size_t m = 0; m < ro->n_members; m++)
			if (!memcmp(ro->members[m].transport_key.b, k, AL_KEYLEN) &&
			    roster_current(ro, m))
				return true;
	}
	return false;
}

int peers_start(struct daemon *d)
{
	const char *ep = d->home->listen;
	/* Workers that verify what peers send (verify.h): one per core, the
	 * reactor's thread being one of them. */
	if (verify_new(0, &d->verify)) {
		dlog(d, L_ERROR, "cannot start the signature-checking threads: out of memory");
		return -1;
	}
	if (!zmq_has("curve")) {
		dlog(d, L_ERROR, "this libzmq has no CURVE support: links cannot be secured");
		return -1;
	}
	/* The ZAP handler must be bound before any CURVE socket exists. */
	if (!(d->zap = dsocket(d, ZMQ_REP, "the ZAP handler")))
		return -1;
	setopt(d->zap, ZMQ_LINGER, 0);
	if (zmq_bind(d->zap, "inproc://zeromq.zap.01") < 0) {
		dlog(d, L_ERROR, "cannot bind the ZAP handler: %s", zmq_strerror(errno));
		return -1;
	}
	if (!(d->router = dsocket(d, ZMQ_ROUTER, "the peer port")))
		return -1;
	link_options(d->router);
	setopt(d->router, ZMQ_CURVE_SERVER, 1);
	zmq_setsockopt(d->router, ZMQ_CURVE_SECRETKEY, d->home->id->transport_sk, AL_KEYLEN);
	/* CURVE without ZAP admits any client that knows our public key:
	 * name a domain and enforce it, so no handler means no entry. Stable
	 * libzmq 4.3 builds refuse the DRAFT option ENFORCE_DOMAIN; there the
	 * guarantee is that our handler is bound before this socket exists and
	 * closed only after it (peers_stop), so every handshake reaches it. */
	zmq_setsockopt(d->router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN));
	if (zmq_setsockopt(d->router, ZMQ_ZAP_ENFORCE_DOMAIN, &(int){ 1 }, sizeof(int)) < 0)
		dlog(d, L_DEBUG, "ZAP_ENFORCE_DOMAIN not available (%s): the handler is always "
		     "bound", zmq_strerror(errno));
	/* We never send on the ROUTER; should that change, a message to a
	 * peer that is gone must fail, not vanish. */
	setopt(d->router, ZMQ_ROUTER_MANDATORY, 1);
	setopt(d->router, ZMQ_RCVHWM, 4 * PEER_HWM);
	if (zmq_bind(d->router, ep) < 0) {
		dlog(d, L_ERROR, "cannot listen on %s: %s (is another daemon using it? is it an "
		     "address of this machine? the endpoint is 'listen' in allianced.conf)", ep,
		     zmq_strerror(errno));
		return -1;
	}
	dlog(d, L_INFO, "listening for peers on %s (CURVE, members only); partners dial %s", ep,
	     d->home->self.endpoint);
	return 0;
}

static struct peer *peer_open(struct daemon *d, const struct al_member *m)
{
	struct peer *p = peer_by_key(d, &m->transport_key);
	if (p)
		return p;
	if (grow(&d->peers, &d->cap_peers, d->n_peers + 1, sizeof *d->peers))
		return NULL;
	if (!(p = calloc(1, sizeof *p)))
		return NULL;
	p->transport_key = m->transport_key;
	snprintf(p->endpoint, sizeof p->endpoint, "%s", m->endpoint);
	char what[AL_NAME_MAX + 32];
	snprintf(what, sizeof what, "the link to %s", m->name);
	if (!(p->sock = dsocket(d, ZMQ_DEALER, what)) ||
	    !(p->mon = dsocket(d, ZMQ_PAIR, what))) {
		if (p->sock)
			zmq_close(p->sock);
		free(p);
		return NULL;
	}
	link_options(p->sock);
	zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, m->transport_key.b, AL_KEYLEN);
	zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, d->home->self.transport_key.b, AL_KEYLEN);
	zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, d->home->id->transport_sk, AL_KEYLEN);
	/* Queue nothing for a peer that is not connected (IMMEDIATE): sends
	 * fail with EAGAIN and the log keeps what it would have held. A
	 * small HWM is the backpressure of a bulk catch-up. */
	setopt(p->sock, ZMQ_IMMEDIATE, 1);
	setopt(p->sock, ZMQ_SNDHWM, PEER_HWM);
	/* Reconnect quickly at first, backing off to 5 s for a peer that
	 * stays down. */
	setopt(p->sock, ZMQ_RECONNECT_IVL, 100);
	setopt(p->sock, ZMQ_RECONNECT_IVL_MAX, 5000);
	/* A connection attempt made during a partition must not wait on the
	 * kernel's SYN retries (which back off for minutes): give up after
	 * 3 s and try again, so a healed link is found within seconds. */
	setopt(p->sock, ZMQ_CONNECT_TIMEOUT, 3000);
	/* Connection events tell the link's state, and a handshake the peer
	 * refused (it has not joined yet, or does not know our key) is
	 * retried by us: libzmq does not retry a refused handshake. */
	char mon[64];
	snprintf(mon, sizeof mon, "inproc://peer-monitor-%zu", d->n_peers);
	zmq_socket_monitor(p->sock, mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
				 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
				 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
				 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
	setopt(p->mon, ZMQ_LINGER, 0);
	zmq_connect(p->mon, mon);
	p->state = P_CONNECTING;
	if (zmq_connect(p->sock, m->endpoint) < 0) {
		dlog(d, L_WARN, "cannot connect to %s at %s: %s", m->name, m->endpoint,
		     zmq_strerror(errno));
	}
	d->peers[d->n_peers++] = p;
	return p;
}

/* Extend a per-feed array from n to n1 entries, the new ones zero. Sized
 * exactly, not grow(): it changes only when a member joins. */
static int extend(void *pp, size_t size, size_t n, size_t n1)
{
	void **p = pp;
	uint8_t *v = realloc(*p, n1 * size);
	if (!v)
		return AL_E_NOMEM;
	memset(v + n * size, 0, (n1 - n) * size);
	*p = v;
	return AL_OK;
}

/* Free l's per-feed arrays (its peer is d's: peers_stop closes it). */
static void free_link(struct link *l)
{
	free(l->have);
	free(l->sent);
	free(l->progress);
	free(l->backoff);
	free(l->forked);
	free(l->cap);
	memset(l, 0, sizeof *l);
}

/* One link per member, each with per-feed arrays, for as many members as
 * the roster has now: members only ever join (roster.h), so links only
 * grow. A new member's link connects to its endpoint. */
static int grow_links(struct daemon *d, struct alliance *a)
{
	const struct al_roster *ro = store_roster(a->s);
	size_t n = a->n_links, n1 = ro->n_members;
	if (n1 == n)
		return AL_OK;
	if (extend(&a->links, sizeof *a->links, n, n1))
		return AL_E_NOMEM;
	for (size_t m = 0; m < n1; m++) {
		struct link *l = &a->links[m];
		size_t was = m < n ? n : 0;
		if (extend(&l->have, sizeof *l->have, was, n1) ||
		    extend(&l->sent, sizeof *l->sent, was, n1) ||
		    extend(&l->progress, sizeof *l->progress, was, n1) ||
		    extend(&l->backoff, sizeof *l->backoff, was, n1) ||
		    extend(&l->forked, sizeof *l->forked, was, n1) ||
		    (l->cap && extend(&l->cap, sizeof *l->cap, was, n1)))
			goto undo;
		/* No link to a member who had left before we started. */
		if (m >= n && m != a->self && roster_standing(ro, m) != AL_LEFT &&
		    roster_standing(ro, m) != AL_REPLACED &&
		    !(l->peer = peer_open(d, &ro->members[m])))
			goto undo;
	}
	a->n_links = n1;
	return AL_OK;
undo:
	/* a keeps n_links links (the old ones' longer arrays are harmless):
	 * the new ones give back what they got, which peers_remove, freeing
	 * n_links links, would not reach. */
	for (size_t m = n; m < n1; m++)
		free_link(&a->links[m]);
	return AL_E_NOMEM;
}

int peers_add(struct daemon *d, struct alliance *a)
{
	a->member_changes = store_roster(a->s)->member_changes;
	int rc = grow_links(d, a);
	for (size_t m = 0; rc == AL_OK && m < a->n_links; m++)
		a->links[m].standing = roster_standing(store_roster(a->s), m);
	return rc;
}

void peers_remove(struct alliance *a)
{
	for (size_t m = 0; a->links && m < a->n_links; m++)
		free_link(&a->links[m]);
	free(a->links);
	a->links = NULL;
	a->n_links = 0;
}

static void peer_redial(struct daemon *d, struct peer *p, const struct al_member *m);

int peers_members(struct daemon *d, struct alliance *a)
{
	const struct al_roster *ro = store_roster(a->s);
	if (a->member_changes == store_roster(a->s)->member_changes)
		return AL_OK; /* peers_add below brings it up to date */
	for (size_t m = 0; m < ro->n_members; m++) {
		enum al_standing now = roster_standing(ro, m);
		enum al_standing was = m < a->n_links ? a->links[m].standing : AL_CANDIDATE;
		struct link *l = m < a->n_links ? &a->links[m] : NULL;
		/* A member that moved its endpoint is dialled there from now on. */
		if (l && l->peer && m != a->self && al_standing_current(now) &&
		    strcmp(l->peer->endpoint, ro->members[m].endpoint))
			peer_redial(d, l->peer, &ro->members[m]);
		if (now == was)
			continue;
		/* A member who left, or keys that were replaced, get the log as
		 * it is now, which holds the amendment, and nothing after. */
		if ((now == AL_LEFT || now == AL_REPLACED) && l && !l->cap) {
			if (!(l->cap = calloc(a->n_links, sizeof *l->cap)))
				return AL_E_NOMEM;
			for (size_t k = 0; k < a->n_links; k++)
				l->cap[k] = feeds_head(a->s->feeds, &ro->members[k].sign_key, NULL);
		}
		if (m == a->self)
			dlog(d, now == AL_REPLACED ? L_WARN : L_INFO, "%s: this member %s", ro->c->title,
			     now == AL_LEFT ? "has left the alliance: it authors nothing more"
			     : now == AL_REPLACED ? "has new keys (an amendment replaced this home's): "
						    "this home signs nothing more; the home with the "
						    "new keys acts for it"
			     : was == AL_CANDIDATE && roster_party(ro, m) != m
				     ? "is admitted with new keys: the amendment replacing its old "
				       "ones is in effect"
				     : "is admitted: the amendment adding it is in effect");
		else
			dlog(d, L_INFO, "%s: %s %s", ro->c->title, ro->members[m].name,
			     now == AL_LEFT ? "has left the alliance: new connections from it are "
					      "refused"
			     : now == AL_REPLACED ? "has new keys: connections with its old ones are "
						    "refused"
			     : roster_party(ro, m) != m ? "acts with new keys from now on"
							: "has joined the alliance");
	}
	return peers_add(d, a);
}

static const char *peer_state_name(enum peer_state s)
{
	static const char *const names[] = { "connecting", "connected", "disconnected",
					      "refused" };
	return names[s];
}

/* One event from a DEALER's monitor: [u16 event, u32 value][endpoint]. */
int peers_on_monitor(struct daemon *d, struct peer *p)
{
	zmq_msg_t ev, ep;
	zmq_msg_init(&ev);
	zmq_msg_init(&ep);
	if (zmq_msg_recv(&ev, p->mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&ev);
		zmq_msg_close(&ep);
		return 1;
	}
	if (zmq_msg_more(&ev))
		zmq_msg_recv(&ep, p->mon, 0);
	uint16_t event = 0;
	uint32_t value = 0;
	if (zmq_msg_size(&ev) >= 6) {
		memcpy(&event, zmq_msg_data(&ev), 2);
		memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
	}
	enum peer_state was = p->state;
	int64_t now = when_now();
	switch (event) {
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		p->state = P_CONNECTED;
		break;
	case ZMQ_EVENT_DISCONNECTED:
		if (p->state != P_REFUSED)
			p->state = P_DISCONNECTED;
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		p->state = P_REFUSED;
		p->refusals++;
		p->retry_at = now + 2000;
		break;
	default: /* a protocol failure: libzmq reconnects by itself */
		p->state = P_DISCONNECTED;
		break;
	}
	if (p->state != was) {
		if (p->state == P_REFUSED)
			dlog(d, p->refusals == 1 ? L_WARN : L_DEBUG, "the daemon at %s refused our "
			     "handshake (status %u): it has not joined this alliance yet, or its "
			     "charter does not list our transport key; retrying", p->endpoint, value);
		else
			dlog(d, L_INFO, "link to %s: %s", p->endpoint, peer_state_name(p->state));
	}
	zmq_msg_close(&ev);
	zmq_msg_close(&ep);
	return 0;
}

/* A member moved its endpoint ('amend --endpoint'): dial it there. */
static void peer_redial(struct daemon *d, struct peer *p, const struct al_member *m)
{
	dlog(d, L_INFO, "%s moved its endpoint from %s to %s: dialling it there", m->name,
	     p->endpoint, m->endpoint);
	zmq_disconnect(p->sock, p->endpoint);
	snprintf(p->endpoint, sizeof p->endpoint, "%s", m->endpoint);
	if (zmq_connect(p->sock, p->endpoint) < 0)
		dlog(d, L_WARN, "cannot connect to %s at %s: %s", m->name, p->endpoint,
		     zmq_strerror(errno));
	p->state = P_CONNECTING;
	p->retry_at = 0;
}

/* A refused handshake is not retried by libzmq: connect again, slowly. */
static void retry_refused(struct daemon *d, struct peer *p, int64_t now)
{
	if (p->state != P_REFUSED || now < p->retry_at)
		return;
	zmq_disconnect(p->sock, p->endpoint);
	if (zmq_connect(p->sock, p->endpoint) < 0)
		dlog(d, L_WARN, "cannot connect to %s: %s", p->endpoint, zmq_strerror(errno));
	p->state = P_CONNECTING;
	p->retry_at = 0;
}

/* ------------------------------------------------------------ ZAP */

/* One ZAP request (RFC 27): version, request id, domain, address,
 * identity, mechanism, credentials. Answered 200 with the client's
 * transport key in hex as user id, or 400. */
int peers_on_zap(struct daemon *d)
{
	zmq_msg_t f[8];
	int n = recv_parts(d->zap, f, 8);
	if (n == 0)
		return 1;
	const char *status = "400", *text = "not a member";
	char uid[2 * AL_KEYLEN + 1] = "", addr[64] = "?", keyhex[2 * AL_KEYLEN + 1] = "?";
	if (n >= 4)
		snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]),
			 (const char *)zmq_msg_data(&f[3]));
	bool curve = n >= 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5);
	bool domain = n >= 3 && zmq_msg_size(&f[2]) == strlen(ZAP_DOMAIN) &&
		      !memcmp(zmq_msg_data(&f[2]), ZAP_DOMAIN, strlen(ZAP_DOMAIN));
	if (curve && zmq_msg_size(&f[6]) == AL_KEYLEN) {
		hex_encode(zmq_msg_data(&f[6]), AL_KEYLEN, keyhex);
		if (domain && admitted(d, zmq_msg_data(&f[6]))) {
			status = "200";
			text = "OK";
			snprintf(uid, sizeof uid, "%s", keyhex);
		}
	}
	if (*status != '2') {
		d->handshakes_refused++;
		char why[AL_ERRLEN];
		snprintf(why, sizeof why, "handshake from %s refused: transport key %.16s... is not a "
			 "member's", addr, keyhex);
		note_rejection(d, NULL, addr, "not-member", why);
	} else {
		dlog(d, L_DEBUG, "ZAP: admitted %.16s... from %s", keyhex, addr);
	}
	if (n >= 2) { /* REP must answer whatever it got */
		zmq_send(d->zap, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(d->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
		zmq_send(d->zap, status, 3, ZMQ_SNDMORE);
		zmq_send(d->zap, text, strlen(text), ZMQ_SNDMORE);
		zmq_send(d->zap, uid, strlen(uid), ZMQ_SNDMORE);
		zmq_send(d->zap, "", 0, 0);
	} else {
		zmq_send(d->zap, "", 0, 0);
	}
	for (int i = 0; i < n; i++)
		zmq_msg_close(&f[i]);
	return 0;
}

/* ------------------------------------------------------------ receiving */

static struct alliance *alliance_by_id(const struct daemon *d, const al_hash *id)
{
	for (size_t i = 0; i < d->n_alls; i++)
		if (!memcmp(&d->alls[i]->s->charter->id, id, AL_HASHLEN))
			return d->alls[i];
	return NULL;
}

/* The member of a whose transport key is uid (hex), or -1. A member who
 * has left is still heard on a connection made before (ZAP refuses new
 * ones): it learns that it left, and what it relays is signed. */
static long member_by_uid(const struct alliance *a, const char *uid)
{
	uint8_t k[AL_KEYLEN];
	if (!uid || strlen(uid) != 2 * AL_KEYLEN || hex_decode(uid, k, AL_KEYLEN))
		return -1;
	const struct al_roster *ro = store_roster(a->s);
	for (size_t m = 0; m < ro->n_members; m++)
		if (!memcmp(ro->members[m].transport_key.b, k, AL_KEYLEN))
			return roster_standing(ro, m) == AL_CANDIDATE ? -1 : (long)m;
	return -1;
}

/* Is link l's claim to hold more of our feed than head still to be
 * answered? A claimant has CLAIM_WAIT_MS, counted again whenever our head
 * moves, to send the messages; after that the claim is ignored (and counted
 * against it) until its Have stops claiming. */
static bool claim_pending(struct daemon *d, struct alliance *a, size_t k, uint64_t head,
			  int64_t now)
{
	struct link *l = &a->links[k];
	if (l->claim <= head || l->claim_ignored)
		return false;
	if (disk_is_full(d, NULL))
		l->claim_at = now; /* it cannot back the claim while we take nothing in */
	if (now - l->claim_at <= CLAIM_WAIT_MS)
		return true;
	char why[AL_ERRLEN], feed[AL_IDLEN];
	const struct al_roster *ro = store_roster(a->s);
	l->claim_ignored = true;
	l->unbacked_claims++;
	snprintf(why, sizeof why, "its Have claims to hold %s's feed up to %" PRIu64 ", but it sent "
		 "nothing signed beyond %s/%" PRIu64 " in %d s when asked: claim ignored",
		 roster_feed_name(ro, a->self, feed), l->claim, feed, head, CLAIM_WAIT_MS / 1000);
	note_rejection(d, a, ro->members[k].name, "unbacked-claim", why);
	return false;
}

/* Authoring after any start, a join, or a claim to hold more of our feed
 * (docs/replication.md): it opens once peers confirm the head we hold, so
 * that we never sign a sequence number twice. After a clean stop (this
 * home holds all its key signed) the first peer to answer is enough; after
 * a crash, all of them, or one after OWN_WAIT_MS. A claim holds it until
 * backed (after a crash: our own lost messages, adopted; otherwise proof
 * that someone else signed with our key: own_feed_forked) or ignored. With
 * no peer answering, author_alone_after (the operator's) opens it. */
static void own_gate(struct daemon *d, struct alliance *a, int64_t now)
{
	const struct al_roster *ro = store_roster(a->s);
	uint64_t head = feeds_head(a->s->feeds, &ro->members[a->self].sign_key, NULL);
	bool all = true, any = false, asked = false, peers = false;
	for (size_t k = 0; k < ro->n_members; k++) {
		if (k == a->self || !a->links[k].peer || !roster_current(ro, k))
			continue; /* a member who left neither holds nor confirms our feed */
		peers = true;
		asked |= claim_pending(d, a, k, head, now); /* open or not: they run out */
		if (!a->links[k].heard)
			all = false;
		else
			any = true;
	}
	if (a->own_ok || a->own_forked)
		return;
	int64_t alone = d->home->author_alone_after_ms, held = now - a->gate_since;
	if (asked || (any && !a->own_whole && !all && held <= OWN_WAIT_MS))
		return;
	if (!peers)
		dlog(d, L_INFO, "%s: no other member to confirm this member's feed head (%" PRIu64
		     "): authoring is open", ro->c->title, head);
	else if (any)
		dlog(d, L_INFO, "%s: peers confirm this member's feed ends at %" PRIu64
		     ": authoring is open", ro->c->title, head);
	else if (alone && held >= alone)
		dlog(d, L_WARN, "%s: no peer answered in %" PRId64 " s: authoring alone from %" PRIu64
		     " (author_alone_after in %s)", ro->c->title, held / 1000, head, AL_CONFIG_FILE);
	else
		return;
	a->own_ok = true;
}

/* A Have's claim about our own feed, from the member of link `from`. */
static void own_claim(struct daemon *d, struct alliance *a, size_t from, uint64_t seq,
		      int64_t now)
{
	const struct al_roster *ro = store_roster(a->s);
	struct link *l = &a->links[from];
	uint64_t head = feeds_head(a->s->feeds, &ro->members[a->self].sign_key, NULL);
	char feed[AL_IDLEN];
	if (seq <= head) { /* confirmed, or the claim is withdrawn */
		l->claim = 0;
		l->claim_ignored = false;
		return;
	}
	if (l->claim_ignored) {
		l->unbacked_claims++;
		return;
	}
	if (!l->claim || head > l->claim_head) { /* a new claim, or it is being backed */
		if (!l->claim)
			dlog(d, L_WARN, "%s: %s claims to hold %s's feed up to %" PRIu64 ", beyond our "
			     "%" PRIu64 ": asking it for the messages", ro->c->title, ro->members[from].name,
			     roster_feed_name(ro, a->self, feed), seq, head);
		l->claim_at = now;
		l->claim_head = head;
		l->want_have = l->want_rewind = true;
	}
	l->claim = seq;
}

static int send_msg(struct peer *p, const struct al_peer_msg *pm);

/* A Have naming, at a sequence number we hold, a different message than
 * ours: the author has forked its feed. Send the peer our message once, so
 * that it keeps the equivocation proof (it sends us its own the same way),
 * rather than waiting for the fork to surface later, or never. */
static void spot_fork(struct daemon *d, struct alliance *a, size_t from, size_t k,
		      const struct al_frontier_entry *h)
{
	const struct al_roster *ro = store_roster(a->s);
	struct link *l = &a->links[from];
	char why[AL_ERRLEN], feed[AL_IDLEN];
	uint64_t mine = feeds_offset(a->s->feeds, &h->author, h->seq, NULL);
	/* Ours differs: by the prefix the index keeps, or else by the log. */
	int rc = mine ? feeds_holds(a->s->feeds, &h->author, h->seq, &h->hash, why) : 1;
	uint8_t *buf;
	size_t len;
	if (rc < 0) {
		dlog(d, L_ERROR, "%s: %s", ro->c->title, why);
		return;
	}
	if (!rc && !memcmp(&h->author, &d->home->self.sign_key, AL_KEYLEN)) {
		snprintf(why, sizeof why, "%s holds a different %s/%" PRIu64 " than this home",
			 ro->members[from].name, roster_feed_name(ro, k, feed), h->seq);
		own_feed_forked(d, a, why);
	}
	if (!l->peer || rc || l->forked[k] == h->seq || mine >= log_durable(a->s->log) ||
	    (l->cap && h->seq > l->cap[k])) /* nothing after it left */
		return;
	if (store_get(a->s, &h->author, h->seq, &buf, &len, why)) {
		dlog(d, L_ERROR, "%s: %s", ro->c->title, why);
		return;
	}
	struct al_peer_msg pm = { .alliance = ro->c->id, .op = AL_PEER_BATCH, .env = &buf,
				  .env_len = &len, .n_env = 1 };
	if (send_msg(l->peer, &pm) == 0) {
		l->forked[k] = h->seq;
		dlog(d, L_WARN, "%s: %s holds a different %s/%" PRIu64 " than we do: %s signed two "
		     "messages with one sequence number; sending ours so that both keep the proof",
		     ro->c->title, ro->members[from].name, ro->members[k].name, h->seq,
		     ro->members[k].name);
	}
	free(buf);
}

static void on_have(struct daemon *d, struct alliance *a, size_t from,
		    const struct al_peer_msg *pm, int64_t now)
{
	const struct al_roster *ro = store_roster(a->s);
	struct link *l = &a->links[from];
	bool back = !l->heard || now - l->heard > LINK_TIMEOUT_MS;
	if (back)
		dlog(d, L_INFO, "%s: link to %s is up", ro->c->title, ro->members[from].name);
	l->want_have |= back;
	l->heard = now;
	/* It links to us, so it lists us as a member: if it refused our
	 * handshake (before it knew we joined), try again now. */
	if (l->peer && l->peer->state == P_REFUSED)
		l->peer->retry_at = now;
	/* A peer may ask for a resend at most once per RESEND_MS: asking in
	 * a loop must not make us stream the log in a loop. */
	bool rewind = pm->rewind && now - l->rewound > RESEND_MS;
	/* A Have is the whole frontier: a feed it does not name is held up to
	 * 0 (a peer that lost its log starts again from nothing). */
	for (size_t k = 0; k < ro->n_members; k++) {
		uint64_t seq = 0;
		for (size_t i = 0; i < pm->n_have; i++)
			if (!memcmp(&pm->have[i].author, &ro->members[k].sign_key, AL_KEYLEN)) {
				seq = pm->have[i].seq;
				spot_fork(d, a, from, k, &pm->have[i]);
			}
		if (k == a->self)
			own_claim(d, a, from, seq, now);
		if (seq != l->have[k]) {
			l->progress[k] = now;
			l->backoff[k] = 0;
		}
		l->have[k] = seq;
		/* Send everything again when the link is new or the peer holds
		 * less than before. What it has not confirmed, send again when
		 * it asks (a gap) or after RESEND_MS; each time that brings no
		 * progress, wait twice as long (up to RESEND_MAX_MS), and send
		 * one message (send_batch) until the peer takes it: a chain the
		 * peer refuses (a fork) is not streamed to it in a loop. A peer
		 * that asks gets that one message at once (it was away, or its
		 * disk was full); it asks at most once per RESEND_MS. */
		if (back || l->sent[k] < l->have[k]) {
			l->sent[k] = l->have[k];
		} else if (l->sent[k] > l->have[k] &&
			   now - l->progress[k] >= (rewind ? 0 : l->backoff[k] ? l->backoff[k]
						    : RESEND_MS)) {
			l->sent[k] = l->have[k];
			l->progress[k] = now;
			l->backoff[k] = l->backoff[k] ? 2 * l->backoff[k] : RESEND_MS;
			if (l->backoff[k] > RESEND_MAX_MS)
				l->backoff[k] = RESEND_MAX_MS;
		}
	}
	if (rewind)
		l->rewound = now;
	own_gate(d, a, now);
}

/* A message signed with our own key came from a peer: our lost messages
 * back (after a crash or a restore), or proof that our key signed what this
 * home did not: a fork (r names the conflict), or an extension of a feed
 * this home held whole. */
static void own_received(struct daemon *d, struct alliance *a, size_t from, enum al_reason r,
			 const struct al_ref *id)
{
	const struct al_roster *ro = store_roster(a->s);
	char why[AL_ERRLEN], feed[AL_IDLEN];
	roster_feed_name(ro, a->self, feed);
	if (r == AL_R_EQUIVOCATION)
		snprintf(why, sizeof why, "%s sent a %s/%" PRIu64 " other than this home's",
			 ro->members[from].name, feed, id->seq);
	else if (r == AL_R_PREV)
		snprintf(why, sizeof why, "%s sent a %s/%" PRIu64 " that follows another %s/%" PRIu64
			 " than this home's", ro->members[from].name, feed, id->seq, feed, id->seq - 1);
	else if (a->own_whole)
		snprintf(why, sizeof why, "%s sent %s/%" PRIu64 ", which this home never signed, though "
			 "it held every message of its feed", ro->members[from].name, feed, id->seq);
	else
		return; /* ours, lost here: adopted before authoring opens */
	own_feed_forked(d, a, why);
}

/* A copy of an envelope held (the peers relay what they hold to everyone):
 * feeds_check calls it a duplicate before it looks at the signature, so
 * the pool need not verify it. Read by the pool's workers while the
 * reactor waits in verify_batch: the feeds do not change meanwhile. By the
 * hash prefix the index keeps (it reads no log): a hint, since feeds_check
 * confirms a duplicate and verifies whatever was skipped and is not one. */
static bool held_already(void *arg, const struct al_envelope *e)
{
	return feeds_may_hold(arg, &e->b.author, e->b.seq, &e->hash);
}

static int on_batch(struct daemon *d, struct alliance *a, size_t from,
		    const struct al_peer_msg *pm, int64_t now)
{
	const struct al_roster *ro = store_roster(a->s);
	struct link *l = &a->links[from];
	/* A full disk: take nothing in. Our Have does not move, so the peer
	 * keeps what it sent and sends it again once we hold more. */
	if (disk_is_full(d, NULL))
		return AL_OK;
	/* The signatures first, on every core; then each envelope offered in
	 * order here, where all state changes (the verdicts travel with the
	 * envelopes they were computed on). */
	struct al_verify_item *items = calloc(pm->n_env ? pm->n_env : 1, sizeof *items);
	if (!items) {
		dlog(d, L_ERROR, "%s: out of memory", ro->c->title);
		return AL_E_NOMEM;
	}
	for (size_t i = 0; i < pm->n_env; i++) {
		items[i].buf = pm->env[i];
		items[i].len = pm->env_len[i];
	}
	verify_batch(d->verify, items, pm->n_env, held_already, a->s->feeds);
	int rc = AL_OK;
	for (size_t i = 0; i < pm->n_env; i++) {
		enum al_reason r;
		char why[AL_ERRLEN];
		struct al_ref id;
		rc = store_offer_item(a->s, &items[i], now, &r, &id, why);
		if (rc == AL_E_NOSPC) { /* nothing appended; the rest waits too */
			disk_full(d, a->s->dir, why);
			rc = AL_OK;
			break;
		}
		if (rc == AL_OK)
			rc = peers_members(d, a); /* links may grow: l moves */
		if (rc) {
			dlog(d, L_ERROR, "%s: %s", ro->c->title, rc == AL_E_NOMEM ? "out of memory" : why);
			break; /* the store failed: fatal */
		}
		l = &a->links[from];
		l->msgs_in++;
		if ((r == AL_ACCEPT || r == AL_R_EQUIVOCATION || r == AL_R_PREV) &&
		    !memcmp(&id.author, &d->home->self.sign_key, AL_KEYLEN))
			own_received(d, a, from, r, &id);
		if (r == AL_ACCEPT) {
			enum al_kind kind;
			uint64_t at = feeds_offset(a->s->feeds, &id.author, id.seq, &kind);
			/* Receipts are not receipted, so receipts never answer
			 * receipts; our own messages coming back need none. */
			if (at && kind != AL_KIND_RECEIPT && !a->unreceipted &&
			    memcmp(&id.author, &ro->members[a->self].sign_key, AL_KEYLEN))
				a->unreceipted = now;
		} else if (r == AL_R_AHEAD || r == AL_R_AUTHOR) {
			/* A gap, or a member whose admission has not reached us
			 * yet: ask for a resend (the store counted it). */
			l->want_have = l->want_rewind = true;
		} else if (r != AL_DUPLICATE) {
			note_rejection(d, a, ro->members[from].name, feeds_reason_tag(r), why);
		}
	}
	for (size_t i = 0; i < pm->n_env; i++) /* those not offered */
		envelope_clear(&items[i].env);
	free(items);
	if (rc)
		return rc;
	l->want_have = true; /* our Have confirms what came in */
	return AL_OK;
}

int peers_on_router(struct daemon *d)
{
	/* [routing id][one PeerMessage]; any further frames are dropped */
	zmq_msg_t part[2];
	int n = recv_parts(d->router, part, 2), rc = AL_OK;
	if (n < 2) {
		if (n == 1)
			zmq_msg_close(&part[0]);
		return n == 0;
	}
	zmq_msg_t *body = &part[1];
	const char *uid = zmq_msg_gets(body, "User-Id");
	char why[AL_ERRLEN], from[24];
	snprintf(from, sizeof from, "%.16s", uid ? uid : "?");
	struct al_peer_msg pm;
	int64_t now = when_now();
	if (wire_peer_unpack(zmq_msg_data(body), zmq_msg_size(body), &pm, why)) {
		d->peer_malformed++;
		note_rejection(d, NULL, from, "malformed", why);
		goto out;
	}
	struct alliance *a = alliance_by_id(d, &pm.alliance);
	long m = a ? member_by_uid(a, uid) : -1;
	if (!a || m < 0 || (size_t)m == a->self) {
		d->peer_unknown++;
		char hex[2 * AL_HASHLEN + 1];
		snprintf(why, sizeof why, "a message for alliance %.16s... from a daemon that is not "
			 "a member of it here", hex_encode(pm.alliance.b, AL_HASHLEN, hex));
		note_rejection(d, a, from, "not-member", why);
		wire_peer_clear(&pm);
		goto out;
	}
	if (pm.op == AL_PEER_HAVE) {
		on_have(d, a, (size_t)m, &pm, now);
	} else if (roster_standing(store_roster(a->s), (size_t)m) == AL_LEFT ||
		   roster_standing(store_roster(a->s), (size_t)m) == AL_REPLACED) {
		dlog(d, L_DEBUG, "%s: ignoring messages sent by %s's daemon, which has left or "
		     "whose keys were replaced", a->s->charter->title,
		     store_roster(a->s)->members[m].name);
	} else {
		a->links[m].heard = now;
		rc = on_batch(d, a, (size_t)m, &pm, now);
	}
	wire_peer_clear(&pm);
out:
	zmq_msg_close(&part[0]);
	zmq_msg_close(&part[1]);
	return rc;
}

/* ------------------------------------------------------------ receipts */

/* A receipt is a bare frontier: authored when others' messages have come
 * in and we have said nothing since, at most once per RECEIPT_DELAY_MS.
 * Receipts do not start the clock, so receipts never answer receipts. */
int peers_receipts(struct daemon *d, int64_t now)
{
	for (size_t i = 0; i < d->n_alls; i++) {
		struct alliance *a = d->alls[i];
		if (!a->unreceipted || !a->own_ok || now - a->unreceipted < RECEIPT_DELAY_MS ||
		    !roster_current(store_roster(a->s), a->self) || disk_is_full(d, NULL))
			continue; /* on a full disk, the receipt waits for space */
		struct al_body b;
		struct al_ref id;
		char why[AL_ERRLEN];
		memset(&b, 0, sizeof b);
		b.kind = AL_KIND_RECEIPT;
		int rc = store_author(a->s, d->home->id, &b, now, &id, why);
		if (rc == AL_E_NOSPC) {
			disk_full(d, a->s->dir, why);
			continue; /* authored once there is space */
		}
		if (rc) {
			dlog(d, L_ERROR, "%s: cannot author a receipt: %s", a->s->charter->title, why);
			if (fatal_rc(rc))
				return rc;
		} else {
			a->own_whole = true;
		}
		a->unreceipted = 0;
	}
	return AL_OK;
}

/* ------------------------------------------------------------ sending */

static int send_msg(struct peer *p, const struct al_peer_msg *pm)
{
	uint8_t *buf;
	size_t len;
	int rc = wire_peer_pack(pm, &buf, &len);
	if (rc)
		return rc;
	rc = zmq_send(p->sock, buf, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
	free(buf);
	return rc;
}

static void send_have(struct daemon *d, struct alliance *a, struct link *l, int64_t now)
{
	struct al_peer_msg pm = { .op = AL_PEER_HAVE, .rewind = l->want_rewind };
	pm.alliance = a->s->charter->id;
	long n = feeds_frontier(a->s->feeds, &pm.have);
	if (n < 0)
		return;
	pm.n_have = (size_t)n;
	if (send_msg(l->peer, &pm) == 0) {
		l->have_sent = now;
		l->want_have = l->want_rewind = false;
	} else if (errno != EAGAIN) {
		dlog(d, L_DEBUG, "send to %s: %s", l->peer->endpoint, zmq_strerror(errno));
	}
	free(pm.have);
}

/* One Batch of durable envelopes l lacks, in chain order. Returns 1 when
 * one was sent, 0 when there is nothing to send or the peer is full. */
static int send_batch(struct daemon *d, struct alliance *a, struct link *l)
{
	const struct al_roster *ro = store_roster(a->s);
	uint64_t durable = log_durable(a->s->log);
	uint64_t *upto = calloc(ro->n_members, sizeof *upto);
	struct al_peer_msg pm = { .op = AL_PEER_BATCH };
	size_t cap = 0, bytes = 0;
	int sent = 0;
	int events = 0;
	size_t evlen = sizeof events;
	if (!upto || zmq_getsockopt(l->peer->sock, ZMQ_EVENTS, &events, &evlen) ||
	    !(events & ZMQ_POLLOUT)) { /* full or not connected: read nothing */
		free(upto);
		return 0;
	}
	pm.alliance = ro->c->id;
	for (size_t k = 0; k < ro->n_members && bytes < BATCH_BYTES; k++) {
		const al_key *author = &ro->members[k].sign_key;
		uint64_t head = feeds_head(a->s->feeds, author, NULL);
		if (l->cap && head > l->cap[k])
			head = l->cap[k]; /* it left */
		upto[k] = l->sent[k];
		/* Sent again without progress (backoff): one message, a probe,
		 * until the peer takes it; a chain it refuses costs it one
		 * signature check per try, not the whole chain. */
		if (l->backoff[k] && head > l->have[k] + 1)
			head = l->have[k] + 1;
		for (uint64_t q = l->sent[k] + 1; q <= head && bytes < BATCH_BYTES; q++) {
			uint64_t at = feeds_offset(a->s->feeds, author, q, NULL);
			uint8_t *buf;
			size_t len;
			char why[AL_ERRLEN];
			if (!at || at >= durable)
				break; /* only what is durable leaves this daemon */
			if (pm.n_env && bytes + AL_MAX_ENVELOPE > BATCH_BYTES)
				break;
			if (store_get(a->s, author, q, &buf, &len, why)) {
				dlog(d, L_ERROR, "%s: %s", ro->c->title, why);
				break;
			}
			/* The two share cap: the lesser room, once both have grown. */
			size_t room[2] = { cap, cap };
			if (grow(&pm.env, &room[0], pm.n_env + 1, sizeof *pm.env) ||
			    grow(&pm.env_len, &room[1], pm.n_env + 1, sizeof *pm.env_len)) {
				free(buf);
				goto out;
			}
			cap = room[0] < room[1] ? room[0] : room[1];
			pm.env[pm.n_env] = buf;
			pm.env_len[pm.n_env++] = len;
			bytes += len;
			upto[k] = q;
		}
	}
	if (pm.n_env && send_msg(l->peer, &pm) == 0) {
		for (size_t k = 0; k < ro->n_members; k++)
			l->sent[k] = upto[k];
		l->msgs_out += pm.n_env;
		sent = 1;
	}
out: /* pm is ours, not an unpacked one: free what we allocated */
	for (size_t i = 0; i < pm.n_env; i++)
		free(pm.env[i]);
	free(pm.env);
	free(pm.env_len);
	free(upto);
	return sent;
}

/* After the round's group commit: Haves that are due, then what each live
 * peer lacks, a few Batches at a time so the loop stays responsive. */
void peers_pump(struct daemon *d, int64_t now)
{
	for (size_t i = 0; i < d->n_peers; i++)
		retry_refused(d, d->peers[i], now);
	for (size_t i = 0; i < d->n_alls; i++) {
		struct alliance *a = d->alls[i];
		for (size_t m = 0; m < a->n_links; m++) {
			struct link *l = &a->links[m];
			if (m == a->self || !l->peer)
				continue;
			if (l->want_have || now - l->have_sent >= HEARTBEAT_MS)
				send_have(d, a, l, now);
			if (!l->heard || now - l->heard > LINK_TIMEOUT_MS)
				continue; /* its Have tells us what it lacks */
			for (int k = 0; k < PEER_ROUND && send_batch(d, a, l); k++)
				;
		}
		own_gate(d, a, now); /* claims and author_alone_after run out */
	}
}

/* ------------------------------------------------------------ status */

/* What the member's own latest signed message says it holds of feed k. */
static uint64_t signed_ack(const struct alliance *a, size_t member, size_t k)
{
	const struct al_roster *ro = store_roster(a->s);
	uint64_t head = feeds_head(a->s->feeds, &ro->members[member].sign_key, NULL), seq = 0;
	uint8_t *buf;
	size_t len;
	char why[AL_ERRLEN];
	struct al_envelope e;
	if (!head || store_get(a->s, &ro->members[member].sign_key, head, &buf, &len, why))
		return 0;
	if (envelope_open(buf, len, &e, why) == AL_OK) {
		for (size_t i = 0; i < e.b.n_frontier; i++)
			if (!memcmp(&e.b.frontier[i].author, &ro->members[k].sign_key, AL_KEYLEN))
				seq = e.b.frontier[i].seq;
		envelope_clear(&e);
	}
	free(buf);
	return seq;
}

json_t *peers_links_json(const struct daemon *d, const struct alliance *a, int64_t now)
{
	(void)d;
	const struct al_roster *ro = store_roster(a->s);
	json_t *v = json_array();
	for (size_t m = 0; m < ro->n_members; m++) {
		const struct link *l = &a->links[m];
		char t[AL_WHENLEN];
		if (m == a->self || roster_standing(ro, m) == AL_REPLACED)
			continue; /* replaced keys: their member's link is its new keys' */
		const char *state = !l->heard ? "never" : now - l->heard > LINK_TIMEOUT_MS ? "down"
											 : "up";
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "member",
				      ro->members[m].name, "endpoint", /* where we dial it */
				      l->peer ? l->peer->endpoint : ro->members[m].endpoint,
				      "state", state, "holds_ours", (json_int_t)l->have[a->self],
				      "acked", (json_int_t)signed_ack(a, m, a->self),
				      "received", (json_int_t)l->msgs_in, "sent",
				      (json_int_t)l->msgs_out);
		json_object_set_new(j, "connection", json_string(l->peer ? peer_state_name(l->peer->state)
								   : "none"));
		json_object_set_new(j, "standing",
				    json_string(roster_standing_name(roster_standing(ro, m))));
		json_object_set_new(j, "unbacked_claims", json_integer((json_int_t)l->unbacked_claims));
		json_object_set_new(j, "silent_ms", l->heard ? json_integer((json_int_t)(now - l->heard))
							     : json_null());
		json_object_set_new(j, "last_heard",
				    l->heard ? json_string(when_format(l->heard, t)) : json_null());
		json_array_append_new(v, j);
	}
	return v;
}

void peers_stop(struct daemon *d)
{
	for (size_t i = 0; i < d->n_peers; i++) {
		zmq_socket_monitor(d->peers[i]->sock, NULL, 0);
		zmq_close(d->peers[i]->mon);
		zmq_close(d->peers[i]->sock);
		free(d->peers[i]);
	}
	free(d->peers);
	d->peers = NULL;
	d->n_peers = 0;
	if (d->router)
		zmq_close(d->router);
	if (d->zap)
		zmq_close(d->zap);
	d->router = d->zap = NULL;
	verify_destroy(&d->verify);
}
