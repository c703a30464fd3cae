/* rundir.h - tend's run folder, its lock, and the pidfile.
 *
 * rundir_open() makes the folder (0700, or 0711 when the control FIFO is
 * meant for others) or checks an existing one: a real directory (not a
 * symlink), owned by tend's user, writable by nobody else. It then takes an
 * advisory lock on <rundir>/lock; when another tend holds it, the message
 * says "already running (pid N)". The lock lives as long as the process.
 */
#ifndef TEND_RUNDIR_H
#define TEND_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fsutil.h"   /* write_file_atomic, write_all: callers reach them here too */

/* Returns the lock fd (>= 0), or -1 with a message in ERR; *LOCKED is set
 * when the failure is another tend holding the lock. */
int rundir_open(const char *rundir, bool shared, char *err, size_t errlen, bool *locked);

/* Write our pid to PATH (atomically). Returns 0 or -1 with errno. */
int pidfile_write(const char *path);

#endif
