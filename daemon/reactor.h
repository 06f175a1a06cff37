/* reactor.h: what the two halves of allianced's one reactor share.
 *
 * daemon.c owns the loop, the alliances' stores, signals and the group
 * commit; control.c owns the control socket and its requests (status,
 * join, commit, act); peer.c owns the links to the other partners'
 * daemons (CurveZMQ, ZAP), replication and receipts. All run on the one
 * thread of daemon_run().
 */
#ifndef REACTOR_H
#define REACTOR_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>
#include <zmq.h>

#include "err.h"
#include "feeds.h"
#include "home.h"
#include "store.h"

/* Timers (ms). */
#define HEARTBEAT_MS 1000     /* a Have to every peer at least this often */
#define LINK_TIMEOUT_MS 4000  /* a peer silent this long is shown down */
#define RESEND_MS 3000        /* sent but not confirmed by a Have this long: send again */
#define RECEIPT_DELAY_MS 1000 /* receipts are batched over this long */
#define OWN_WAIT_MS 3000      /* after a crash, how long to wait for every peer */
#define CLAIM_WAIT_MS 6000    /* a Have claiming more of our feed: how long it has to
			       * back the claim with the messages */
#define RESEND_MAX_MS 60000   /* a resend refused again and again: at most this often */
#define WARN_EVERY_MS 10000   /* one warning per kind and sender this often, with a count */

/* Sizes. */
#define BATCH_BYTES (256 * 1024) /* envelopes per Batch message (at least one) */
#define PEER_MAXMSG (BATCH_BYTES + AL_MAX_ENVELOPE + 4096)
#define PEER_HWM 16              /* Batches queued per peer before EAGAIN */
#define PEER_ROUND 8             /* peer messages handled per poll round */
#define REJECT_RING 32           /* rejections kept for status */

enum level { L_ERROR, L_WARN, L_INFO, L_DEBUG };

/* One DEALER per distinct peer daemon (by transport key), shared by
 * every alliance the two have in common. */
enum peer_state { P_CONNECTING, P_CONNECTED, P_DISCONNECTED, P_REFUSED };

struct peer {
	al_key transport_key;
	char endpoint[AL_ENDPOINT_MAX];
	void *sock;
	void *mon;           /* PAIR: the DEALER's connection events */
	enum peer_state state;
	int64_t retry_at;    /* refused: connect again then */
	uint64_t refusals;   /* handshakes the peer refused */
};

/* What one alliance knows of one other member's daemon. Arrays are
 * indexed by member (the charter's order). */
struct link {
	struct peer *peer;
	int64_t heard;      /* last valid message from it (ms), 0: not this run */
	int64_t *progress;  /* per feed: last time its Have showed something new */
	int64_t *backoff;   /* per feed: resend interval, doubled while a resend is refused */
	uint64_t *forked;   /* per feed: the seq of a fork we showed it (once) */
	int64_t have_sent;  /* last Have we sent it */
	int64_t rewound;    /* last resend it asked for */
	bool want_have;     /* send it our Have at the next pump */
	bool want_rewind;   /* ...asking it to resend (we saw a gap) */
	uint64_t *have;     /* what its last Have said it holds */
	uint64_t *sent;     /* what we have sent it, up to */
	enum al_standing standing; /* its member's, as last logged */
	uint64_t *cap;      /* per feed: a member who left gets nothing beyond, or NULL */
	uint64_t msgs_in, msgs_out;
	/* Its claims to hold more of our own feed than we do: asked for at
	 * claim_at, ignored (and counted) when not backed by the messages. */
	uint64_t claim;
	int64_t claim_at;
	uint64_t claim_head; /* our head at claim_at */
	bool claim_ignored;
	uint64_t unbacked_claims;
};

struct alliance {
	struct al_store *s;
	size_t self;        /* our index among the charter's members */
	bool own_ok;        /* our feed's head is known: we may author */
	bool own_whole;     /* this home holds every message its key signed (a clean
			     * start, or it has authored since): one from a peer that
			     * extends our feed was signed elsewhere */
	char *own_forked;   /* not NULL: our key signed a chain this home does not
			     * hold; authoring is stopped for good (why, kept in a file) */
	int64_t gate_since; /* when authoring was last held (start, join, a peer ahead) */
	int64_t unreceipted; /* first message taken in since our last one, 0: none */
	struct link *links; /* one per member; links[self] unused */
	size_t n_links;
	uint64_t member_changes; /* the charter's count, when links last followed it */
};

/* Warnings of one kind from one sender, logged at most every WARN_EVERY_MS. */
struct warn_rate {
	char key[96];
	int64_t logged;
	uint64_t quiet; /* not logged since */
};
#define WARN_RATES 16

struct rejection {
	int64_t at;
	char alliance[64];
	char from[AL_NAME_MAX + 1];
	const char *reason; /* stable tag */
	char why[AL_ERRLEN];
};

struct pending_reply {
	uint8_t *client; /* ROUTER identity */
	size_t client_len;
	uint8_t *reply;
	size_t reply_len;
};

struct daemon {
	struct al_home *home;
	char home_abs[PATH_MAX];
	enum level level;
	int lock_fd;
	int64_t started;
	void *zctx;
	void *control;
	char control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct alliance **alls;
	size_t n_alls, cap_alls;
	bool ledger_check;  /* ALLIANCE_LEDGER_CHECK: compare the ledger with a replay */
	int64_t busy_at, trimmed_at; /* last work, last malloc_trim (trim_when_idle) */
	uint64_t trim_records;       /* records held at the last look */
	struct pending_reply *pending; /* acknowledgements waiting for fsync */
	size_t n_pending, cap_pending;
	/* peer.c */
	void *router; /* bound on the listen endpoint: CURVE server */
	void *zap;    /* the ZAP handler (REP on inproc://zeromq.zap.01) */
	struct peer **peers;
	size_t n_peers, cap_peers;
	struct al_verify *verify; /* the signature-checking threads */
	uint64_t handshakes_refused, peer_malformed, peer_unknown;
	struct rejection rejections[REJECT_RING];
	uint64_t n_rejections;
	struct warn_rate rates[WARN_RATES];
	bool clean_stop; /* stopping on a signal, every store synced */
	/* status: can the daemon write in its home? A small file is created
	 * and removed there at most once a second, when status is asked. */
	int64_t disk_probed;      /* last probe (ms), 0: never */
	bool disk_writable;       /* the last probe succeeded */
	uint64_t write_errors;    /* failed probes since start */
	int64_t write_error_at;   /* the last failure (ms), 0: none */
	char write_error[AL_ERRLEN];
	/* A full disk (docs/operations.md, "A full disk"): an append failed
	 * with no space (ENOSPC, EDQUOT) before its fsync and was taken back.
	 * Until a probe finds room in full_dir again (disk_retry), nothing is
	 * signed, peers' Batches are not taken in (our Have does not move, so
	 * they keep them and send them again) and requests that would sign are
	 * refused at once. */
	bool full;
	int64_t full_since, full_probed; /* ms */
	uint64_t full_episodes;          /* times the disk filled since start */
	char full_dir[PATH_MAX];         /* where the write failed */
	char full_error[AL_ERRLEN];      /* how */
};

void dlog(const struct daemon *d, enum level lv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Receive one multipart message from sock without waiting for it: its
 * first max parts into part (the caller closes them), the rest dropped.
 * Returns the parts kept, 0 when nothing was waiting. */
int recv_parts(void *sock, zmq_msg_t *part, int max);

/* A ZeroMQ socket of d's context, or NULL after logging why (for what). */
void *dsocket(const struct daemon *d, int type, const char *what);

/* Keep a rejection for status (and log it). */
void note_rejection(struct daemon *d, const struct alliance *a, const char *from,
		    const char *reason, const char *why);

/* A store in dir failed with AL_E_NOSPC (why: how): enter the full-disk
 * state (logged once, not per attempt). */
void disk_full(struct daemon *d, const char *dir, const char *why);

/* Is the disk full? Then why (may be NULL) gets the refusal for a request
 * that would write: "disk full: HOME has no space left (N bytes free);
 * nothing was written; ...". */
bool disk_is_full(const struct daemon *d, char *why);

/* Errors after which the daemon must stop (storage failed). A full disk
 * (AL_E_NOSPC) is not one: see disk_full. */
static inline bool fatal_rc(int rc)
{
	return rc == AL_E_NOMEM || rc == AL_E_IO || rc == AL_E_FSYNC || rc == AL_E_FAILED;
}

/* daemon.c: the alliances and their state. */

/* Open a's store s as one more alliance served (the caller keeps s on
 * failure). own_whole: this home holds every message its key signed. */
int add_alliance(struct daemon *d, struct al_store *s, bool own_whole);

/* The one way to the ledger of everything a holds (borrowed: a's store
 * owns it; valid until the next call into the store): kept as messages
 * are admitted (store_ledger), never rebuilt for a query or an act. */
int alliance_ledger(struct alliance *a, struct al_ledger **out, char *why);

/* After a store call in dir returned rc: when the disk was full, enter
 * that state and put the refusal in why. Returns rc. */
int on_nospc(struct daemon *d, const char *dir, int rc, char *why);

/* The home's filesystem for status (space, a write probe, the full state). */
json_t *disk_json(struct daemon *d, int64_t now);

/* control.c */

/* Bind HOME/control.sock and give it its owner (and control_group). 0, or
 * -1 after logging why. */
int control_bind(struct daemon *d);

/* HOME/control.sock into d->control_path (home_abs set). 0, or -1 with
 * why when the path is too long for a Unix socket. */
int control_socket_path(struct daemon *d, char *why);

/* The gid of control_group, when this process may give files to it (it
 * is in the group). 0, or -1 with why. */
int control_group_gid(const struct al_home *h, gid_t *gid, char *why);

/* Handle one control request if there is one. Returns 1 when there was
 * none, 0 when one was handled, or a fatal error. */
int control_handle(struct daemon *d);

/* Send one reply to a control client (dropped, at debug level, when the
 * client has gone). It takes buf (malloc'd): ZeroMQ sends it without a
 * copy and frees it once sent, so that a large answer is held once. */
void control_send_reply(struct daemon *d, const void *client, size_t client_len,
			uint8_t *buf, size_t len);

/* peer.c */
int peers_start(struct daemon *d);
/* Give a its links (one per member, each with per-feed arrays), dialling
 * the members' daemons (the peers, shared by alliances, are d's). 0 or
 * AL_E_NOMEM (a keeps the links it had; peers_remove frees them). */
int peers_add(struct daemon *d, struct alliance *a);
/* Free what peers_add and peers_members gave a (its links); the peers
 * stay d's until peers_stop. */
void peers_remove(struct alliance *a);
/* After anything entered a's log: when members joined or left, log it and
 * grow the links (a link pointer taken before may move). 0 or AL_E_NOMEM. */
int peers_members(struct daemon *d, struct alliance *a);
int peers_on_zap(struct daemon *d);
int peers_on_monitor(struct daemon *d, struct peer *p);
int peers_on_router(struct daemon *d); /* 1: nothing waiting; <0 fatal */
int peers_receipts(struct daemon *d, int64_t now);
void peers_pump(struct daemon *d, int64_t now);
json_t *peers_links_json(const struct daemon *d, const struct alliance *a, int64_t now);
void peers_stop(struct daemon *d);

/* daemon.c: our key signed a chain this home does not hold: stop authoring
 * in a for good, say why (in the log, status and a file that outlives
 * restarts). */
void own_feed_forked(struct daemon *d, struct alliance *a, const char *evidence);

#endif
