/* daemon.h: allianced's one reactor.
 *
 * daemon_run() owns the process from start to clean stop: it opens the
 * home and every alliance store it has joined, takes the home's lock (one
 * daemon per home), binds the control socket HOME/control.sock (owner-only)
 * and loops over zmq_poll. Signal handlers only set a flag. It returns the
 * exit status: 0 after a clean stop on SIGTERM/SIGINT, 1 on a fatal error
 * (a failed fsync among them).
 * Peer links and replication are daemon/peer.c; what both share is
 * daemon/reactor.h.
 */
#ifndef DAEMON_H
#define DAEMON_H

int daemon_run(const char *home_dir);

/* allianced check: open the home as daemon_run would (modes and owners,
 * config, keys, control_group, each alliance's charter and log framing) and start
 * nothing. Prints what it found; returns the exit status (0: it would
 * start, 1: it would not, with the reasons on stderr). */
int daemon_check(const char *home_dir);

#endif
