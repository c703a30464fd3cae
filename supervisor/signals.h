/* signals.h - every signal arrives through a signalfd and is handled in the
 * loop, never in a handler.
 *
 * signals_setup() blocks every catchable signal (saving the mask and the
 * ignored set tend was started with, for the main program) and watches a
 * signalfd. Then: SIGCHLD reaps; SIGTERM/SIGINT/SIGQUIT shut down (first
 * forwarded to the main program); SIGHUP reloads or is forwarded; SIGUSR2
 * reopens logs; fault signals sent with kill (SEGV, BUS, FPE, ILL, TRAP,
 * SYS) are logged and ignored; SIGPIPE is ignored; everything else,
 * real-time signals included, is forwarded to the main program, else to
 * every running program.
 */
#ifndef TEND_SIGNALS_H
#define TEND_SIGNALS_H

struct supervisor;

/* Returns 0, or -1 with errno. */
int signals_setup(struct supervisor *sv);

#endif
