/* control.h: the control protocol between alliancectl and allianced.
 *
 * One request, one reply, over HOME/control.sock (ZeroMQ ipc, owner-only).
 * lib/wire.c packs and unpacks them (proto Request/Reply); results travel
 * as one JSON document so the CLI can print --json as it comes.
 */
#ifndef AL_CONTROL_H
#define AL_CONTROL_H

#include <stddef.h>
#include <stdint.h>

enum al_op { AL_OP_NONE, AL_OP_STATUS, AL_OP_JOIN };

struct al_request {
	enum al_op op;
	char *alliance;   /* selector: id, hex prefix or title; "" = the only one */
	uint8_t *charter; /* AL_OP_JOIN: the charter file's bytes */
	size_t charter_len;
};

struct al_reply {
	int ok;
	char *error; /* when !ok */
	char *json;  /* the result, may be "" */
};

void control_request_clear(struct al_request *r);
void control_reply_clear(struct al_reply *r);

#endif
