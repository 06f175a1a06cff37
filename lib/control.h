/* control.h: the control protocol between alliancectl and allianced.
 *
 * One request, one reply, over HOME/control.sock (ZeroMQ ipc, owner-only).
 * lib/wire.c packs and unpacks them (proto Request/Reply); results travel
 * as one JSON document so the CLI can print --json as it comes.
 */
#ifndef AL_CONTROL_H
#define AL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum al_op { AL_OP_NONE, AL_OP_STATUS, AL_OP_JOIN, AL_OP_COMMIT, AL_OP_ACT, AL_OP_QUERY };

/* A read-only query answered from the daemon's ledger (query.h): what
 * alliancectl would otherwise compute from the log. */
struct al_query {
	char *what;   /* "trust", "commitments" or "series" */
	int64_t as_of; /* evaluate at this time (ms) */
	bool now;     /* no --as-of: the ledger as held, evaluated at as_of (the
		       * client's clock); else a replay of what was signed by as_of */
	char *name;   /* trust: the partner to explain, or "" */
	char *state;  /* commitments: only this state, or "" */
	uint64_t step; /* series: seconds between points */
	int64_t since; /* series: the first point (ms); 0: the charter's creation */
};

/* One commitment as the CLI states it: names, not keys. */
struct al_commit_item {
	char *what;
	size_t n_to, cap_to; /* cap_to: room in to (grow.h), 0 is safe */
	char **to;   /* member names */
	int64_t due; /* ms */
	uint64_t value;
	char *task;  /* "name/seq" or "" */
	char *key;   /* idempotency key (msg.h) or "" */
	bool past;   /* a due time already past is meant */
	bool due_offset; /* due was given from now: a retry does not compare it */
	uint32_t line;   /* its line in a --batch file, or 0 */
};

struct al_request {
	enum al_op op;
	char *alliance;   /* selector: id, hex prefix or title; "" = the only one */
	uint8_t *charter; /* AL_OP_JOIN: the charter file's bytes */
	size_t charter_len;
	size_t n_items;   /* AL_OP_COMMIT */
	struct al_commit_item *items;
	struct al_act {   /* AL_OP_ACT */
		char *verb;  /* accept, decline, deliver, confirm, dispute, release,
			      * escalate, resolve, task, feedback, amend, approve */
		char *id;    /* the commitment, "name/seq" */
		char *text;  /* reason, note, comment, or a task's title */
		bool has_evidence;
		uint8_t evidence[32];
		char *evidence_ref;
		uint32_t quality, timeliness; /* feedback: quality is the rating */
		char *name;  /* task: owner; feedback: about */
		int64_t due; /* task */
		size_t n_depends;
		char **depends;
		char *deliverable;
		uint32_t ruling; /* resolve: enum al_ruling */
		size_t n_params; /* amend: KEY=VALUE */
		char **params;
		char *card;      /* amend: a member card to add */
		char *remove;    /* amend: the name of a member to remove */
		char *endpoint;  /* amend: this member's new endpoint */
		char *replace;   /* amend: a member's new card (same name, new keys) */
		char *key;       /* idempotency key (msg.h) or "" */
		bool past;       /* task: a due time already past is meant */
		bool due_offset; /* task: due was given from now */
	} act;
	struct al_query query; /* AL_OP_QUERY */
};

struct al_reply {
	int ok;
	char *error; /* when !ok */
	char *json;  /* the result, may be "" */
};

/* What an older daemon answers to an op it does not know (wire.c's refusal,
 * or its handler table's): alliancectl then reads the log itself. */
#define AL_CONTROL_UNKNOWN_OP "unknown control request"
#define AL_CONTROL_UNSUPPORTED_OP "this request is not supported by this daemon"

void control_request_clear(struct al_request *r);
void control_reply_clear(struct al_reply *r);

#endif
