/* events.h - supervisord's events and its event listener protocol.
 *
 * Events are born in one place each: process state events from proc's
 * observers (the single place states change), supervisor state and group
 * events from the supervisor's start-up, reload and shutdown, TICK_* from
 * timers that exist only while some pool subscribes to them,
 * REMOTE_COMMUNICATION from XML-RPC, PROCESS_LOG_* and
 * PROCESS_COMMUNICATION_* from proc's capture taps (host->on_log, on_comm;
 * capture mode is commcap.h). Data that is not UTF-8 is sent as
 * supervisord's payload() shows it ("Undecodable: b'...'", Python's repr),
 * and len counts characters of what is sent. Each event goes to every pool
 * ([eventlistener:x], keyed by its section name) subscribed to its type or
 * an ancestor (PROCESS_STATE, EVENT...), with one global serial shared by
 * those pools and a serial per pool; it waits in the pool's buffer of
 * buffer_size (overflow drops the oldest, logged) until a listener of the
 * pool is RUNNING and READY: then it gets the envelope
 * "ver:3.0 server:ID serial:N pool:P poolserial:N eventname:T len:N\n" and
 * the payload on its stdin, and is BUSY until "RESULT N\n" and N bytes: OK
 * acknowledges, anything else puts the event back at the buffer's head, as
 * does the exit of a busy listener. Output outside the protocol puts the
 * listener in UNKNOWN (logged): no more events until it restarts.
 *
 * Payloads and names are supervisord 4.2's (supervisor/events.py). The
 * listener's pipes belong to proc (stdin = pipe plumbing, host->on_output);
 * this room only reads what proc hands it and writes with proc_write_stdin.
 */
#ifndef TEND_EVENTS_H
#define TEND_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

struct events;

/* Observe the processes of H (and their listener output). IDENTIFIER is
 * the envelope's server: (copied). NULL when out of memory. */
struct events *events_new(struct proc_host *h, const char *identifier);
void events_free(struct events *ev);

/* The process table is V (N processes) now: at start-up (first call:
 * PROCESS_GROUP_ADDED for every, then SUPERVISOR_STATE_CHANGE_RUNNING, in supervisord's order) and after each reload (pools made and dropped, ADDED/REMOVED for
 * the groups that came and went). */
void events_sync(struct events *ev, struct process **v, size_t n, const char *identifier);
/* tend begins to shut down: SUPERVISOR_STATE_CHANGE_STOPPING. */
void events_stopping(struct events *ev);
/* REMOTE_COMMUNICATION (XML-RPC sendRemoteCommEvent). */
void events_remote(struct events *ev, const char *type, const char *data);

#endif
