/* control.c: freeing control requests and replies (wire.c packs them). */
#include "control.h"

#include <stdlib.h>
#include <string.h>

void control_request_clear(struct al_request *r)
{
	free(r->alliance);
	free(r->charter);
	for (size_t i = 0; i < r->n_items; i++) {
		free(r->items[i].what);
		for (size_t k = 0; k < r->items[i].n_to; k++)
			free(r->items[i].to[k]);
		free(r->items[i].to);
		free(r->items[i].task);
		free(r->items[i].key);
	}
	free(r->items);
	free(r->act.verb);
	free(r->act.id);
	free(r->act.text);
	free(r->act.evidence_ref);
	free(r->act.name);
	free(r->act.deliverable);
	free(r->act.card);
	free(r->act.remove);
	free(r->act.endpoint);
	free(r->act.replace);
	free(r->act.key);
	for (size_t i = 0; i < r->act.n_depends; i++)
		free(r->act.depends[i]);
	free(r->act.depends);
	for (size_t i = 0; i < r->act.n_params; i++)
		free(r->act.params[i]);
	free(r->act.params);
	free(r->query.what);
	free(r->query.name);
	free(r->query.state);
	memset(r, 0, sizeof *r);
}

void control_reply_clear(struct al_reply *r)
{
	free(r->error);
	free(r->json);
	memset(r, 0, sizeof *r);
}
