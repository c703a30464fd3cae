/* statusfile.h - <rundir>/status, one line per process:
 *   NAME STATE pid=N exit=X restarts=N since=T
 * rewritten atomically (write then rename). Changes are batched: mark the
 * file dirty on every state change, and it is written once before the loop
 * next sleeps, so 1000 programs starting at once cost one write, not 1000.
 */
#ifndef TEND_STATUSFILE_H
#define TEND_STATUSFILE_H

struct supervisor;

/* Listen to every process change (marks the file dirty), and mark it now. */
void statusfile_attach(struct supervisor *sv);
void statusfile_mark(struct supervisor *sv);
/* Write now if marked (the loop's idle hook). */
void statusfile_flush(struct supervisor *sv);
void statusfile_remove(struct supervisor *sv);

#endif
