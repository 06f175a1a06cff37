/* fault.c: counters behind fault_hit(); see fault.h. */
#include "fault.h"

#include <stdlib.h>
#include <string.h>

static unsigned countdown[AL_FAULT_NPOINTS];
static size_t bytes_through[AL_FAULT_NPOINTS];
static bool env_read;

static const char *const names[AL_FAULT_NPOINTS] = { "fsync", "write", "logsync", "nospc" };

static void read_env(void)
{
	env_read = true;
	const char *s = getenv("ALLIANCE_FAULT");
	while (s && *s) {
		for (int p = 0; p < AL_FAULT_NPOINTS; p++) {
			size_t n = strlen(names[p]);
			if (strncmp(s, names[p], n) == 0 && s[n] == ':') {
				char *end;
				countdown[p] = (unsigned)strtoul(s + n + 1, &end, 10);
				bytes_through[p] = *end == '/' ? strtoul(end + 1, NULL, 10) : 0;
			}
		}
		s = strchr(s, ',');
		if (s)
			s++;
	}
}

void fault_arm(enum al_fault_point point, unsigned n)
{
	fault_arm_bytes(point, n, 0);
}

void fault_arm_bytes(enum al_fault_point point, unsigned n, size_t bytes)
{
	env_read = true;
	countdown[point] = n;
	bytes_through[point] = bytes;
}

size_t fault_bytes(enum al_fault_point point)
{
	return bytes_through[point];
}

bool fault_hit(enum al_fault_point point)
{
	if (!env_read)
		read_env();
	if (countdown[point] == 0)
		return false;
	return --countdown[point] == 0;
}
