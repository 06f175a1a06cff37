/* notify.h: telling systemd how the daemon is doing (sd_notify(3)).
 *
 * Under a unit with Type=notify, systemd passes $NOTIFY_SOCKET, a Unix
 * datagram socket (a path, or "@name" in the abstract namespace); the
 * daemon sends "READY=1" once its control socket answers, "RELOADING=1"
 * and "READY=1" around a SIGHUP reload and "STOPPING=1" when it stops.
 * Without $NOTIFY_SOCKET nothing is sent. This is the whole protocol the
 * daemon needs, so it does not link libsystemd.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

/* Send state (e.g. "READY=1\nSTATUS=serving 2 alliances") to systemd.
 * Returns 1 when sent, 0 when not under systemd, -1 (errno set) when the
 * socket named could not be reached. */
int notify_send(const char *state);

#endif
