/* control.c: freeing control requests and replies (wire.c packs them). */
#include "control.h"

#include <stdlib.h>
#include <string.h>

void control_request_clear(struct al_request *r)
{
	free(r->alliance);
	free(r->charter);
	memset(r, 0, sizeof *r);
}

void control_reply_clear(struct al_reply *r)
{
	free(r->error);
	free(r->json);
	memset(r, 0, sizeof *r);
}
