/* fault.c: counters behind fault_hit(); see fault.h. */
#include "fault.h"

#include <stdlib.h>
#include <string.h>

static unsigned countdown[AL_FAULT_NPOINTS];
static bool env_read;

static const char *const names[AL_FAULT_NPOINTS] = { "fsync", "write", "logsync" };

static void read_env(void)
{
	env_read = true;
	const char *s = getenv("ALLIANCE_FAULT");
	while (s && *s) {
		for (int p = 0; p < AL_FAULT_NPOINTS; p++) {
			size_t n = strlen(names[p]);
			if (strncmp(s, names[p], n) == 0 && s[n] == ':')
				countdown[p] = (unsigned)strtoul(s + n + 1, NULL, 10);
		}
		s = strchr(s, ',');
		if (s)
			s++;
	}
}

void fault_arm(enum al_fault_point point, unsigned n)
{
	env_read = true;
	countdown[point] = n;
}

bool fault_hit(enum al_fault_point point)
{
	if (!env_read)
		read_env();
	if (countdown[point] == 0)
		return false;
	return --countdown[point] == 0;
}
