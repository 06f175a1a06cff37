/* file.h: whole-file reads and durable writes.
 *
 * The durability rules of docs/log-format.md live here for small files:
 * a replaced file is written to a temporary name, fsynced, renamed over the
 * old one, and the directory is fsynced. A failed fsync returns AL_E_FSYNC.
 */
#ifndef AL_FILE_H
#define AL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Open path for reading (O_RDONLY plus flags, e.g. O_NOFOLLOW) when it is a
 * regular file, never waiting on a FIFO; *st gets its fstat. Returns 0
 * with *fd (the caller's), or AL_E_NOENT, AL_E_INVAL (not a regular file)
 * or AL_E_IO with *fd = -1. */
int file_open_regular(const char *path, int flags, int *fd, struct stat *st, char *why);

/* Read the whole file (at most max bytes) into a new buffer the caller
 * frees, NUL-terminated (the NUL is not counted in *len).
 * Returns 0, AL_E_NOENT, AL_E_IO, AL_E_INVAL (too large) or AL_E_NOMEM. */
int file_read(const char *path, size_t max, uint8_t **buf, size_t *len, char *why);

/* Replace path durably with buf (mode applies to a new file).
 * Returns 0, AL_E_NOSPC (nothing changed), AL_E_IO or AL_E_FSYNC. */
int file_replace(const char *path, const void *buf, size_t len, mode_t mode, char *why);

/* Create path exclusively (O_EXCL|O_NOFOLLOW) with mode, write buf, fsync
 * it and its directory. Returns 0, AL_E_EXIST, AL_E_NOSPC (nothing left
 * behind), AL_E_IO or AL_E_FSYNC. */
int file_create(const char *path, const void *buf, size_t len, mode_t mode, char *why);

/* fsync the directory that holds path (or path itself if it is a
 * directory when is_dir). Returns 0 or AL_E_FSYNC. */
int file_sync_dir(const char *path, int is_dir, char *why);

/* mkdir -p with mode for the directories it creates, fsyncing the parent
 * of each one it creates. Returns 0, AL_E_NOSPC, AL_E_IO or AL_E_FSYNC. */
int file_mkdirs(const char *path, mode_t mode, char *why);

/* Remove the directory path and the files in it (not subdirectories: that
 * is an error). An absent directory is fine. Returns 0 or AL_E_IO. */
int file_remove_dir(const char *path, char *why);

/* fsync wrapper honouring fault injection. Returns 0 or -1 with errno. */
int file_fsync(int fd);

/* The error code for a failed write or allocation with errno err:
 * AL_E_NOSPC for ENOSPC and EDQUOT (no space: nothing is lost, retry when
 * there is), AL_E_IO for anything else. */
int file_err(int err);

/* Is there room for bytes more in the filesystem of the directory dir?
 * Allocates them (posix_fallocate) in a temporary file there, then removes
 * it; nothing is synced. Returns 0, AL_E_NOSPC or AL_E_IO with why. */
int file_probe_space(const char *dir, uint64_t bytes, char *why);

#endif
