/* fault.h: failure injection for faults that are hard to cause for real.
 *
 * Tests (and integration tests, through the environment variable
 * ALLIANCE_FAULT="point:n[,point:n]") make the n-th call at a point fail:
 * "fsync:3" fails the third fsync, "write:1" makes the first log write short,
 * "logsync:1" fails the first group commit of a log (and no other fsync),
 * "nospc:2/100" makes the second log write stop after 100 bytes with
 * ENOSPC (no "/BYTES": after none).
 * In normal runs nothing is set and fault_hit() is one branch.
 */
#ifndef AL_FAULT_H
#define AL_FAULT_H

#include <stdbool.h>
#include <stddef.h>

enum al_fault_point {
	AL_FAULT_FSYNC,  /* fsync/fdatasync returns EIO */
	AL_FAULT_WRITE,  /* a write stops halfway (short write, then EIO) */
	AL_FAULT_LOGSYNC, /* a log's group-commit fdatasync returns EIO */
	AL_FAULT_NOSPC,  /* a log write stops after fault_bytes() bytes with ENOSPC */
	AL_FAULT_NPOINTS
};

/* Arm point to fail on its n-th call from now (n >= 1); n = 0 disarms. */
void fault_arm(enum al_fault_point point, unsigned n);

/* Arm point to fail on its n-th call, letting bytes through first (for
 * points that write, AL_FAULT_NOSPC). */
void fault_arm_bytes(enum al_fault_point point, unsigned n, size_t bytes);

/* How many bytes the failing call at point lets through (0 unless armed
 * with fault_arm_bytes or "point:n/bytes"). */
size_t fault_bytes(enum al_fault_point point);

/* Called at the point: true when this call must fail. Reads ALLIANCE_FAULT
 * the first time it is called. */
bool fault_hit(enum al_fault_point point);

#endif
