/* rpc.h - supervisord's XML-RPC interface (API 3.0) over http.c.
 *
 * Methods with supervisord 4.2's names, arguments, results and fault codes,
 * mapped onto proc's API: rpc never changes a process itself. Calls that
 * wait (startProcess with wait, stopProcess, the group and "all" forms)
 * answer from a proc observer once the state is reached; other clients are
 * served meanwhile. reloadConfig, addProcessGroup, removeProcessGroup and
 * restart go through supervisor.h's group API (a config read and kept
 * pending, applied a group at a time); clear* through capture and log. A
 * method tend does not implement answers UNKNOWN_METHOD, as supervisord
 * does for any unknown name.
 */
#ifndef TEND_RPC_H
#define TEND_RPC_H

#include <stddef.h>

struct supervisor;
struct rpc;

/* supervisord's fault codes */
enum rpc_fault {
    RPC_UNKNOWN_METHOD = 1, RPC_INCORRECT_PARAMETERS = 2, RPC_BAD_ARGUMENTS = 3,
    RPC_SIGNATURE_UNSUPPORTED = 4, RPC_SHUTDOWN_STATE = 6, RPC_BAD_NAME = 10,
    RPC_BAD_SIGNAL = 11, RPC_NO_FILE = 20, RPC_NOT_EXECUTABLE = 21, RPC_FAILED = 30,
    RPC_ABNORMAL_TERMINATION = 40, RPC_SPAWN_ERROR = 50, RPC_ALREADY_STARTED = 60,
    RPC_NOT_RUNNING = 70, RPC_SUCCESS = 80, RPC_ALREADY_ADDED = 90, RPC_STILL_RUNNING = 91,
    RPC_CANT_REREAD = 92,
};
/* "BAD_NAME"... ; "UNKNOWN" for a code not in the list. */
const char *rpc_fault_name(int code);

/* Serve the config's [unix_http_server] / [inet_http_server] from SV's
 * loop. Returns NULL when there is nothing to serve (ERR empty) or on
 * failure (the reason in ERR: tend should exit 1, as supervisord does). */
struct rpc *rpc_open(struct supervisor *sv, char *err, size_t errlen);
/* Answer nothing more; close every connection and the sockets. NULL ok. */
void rpc_close(struct rpc *r);
/* SUPERVISOR_SERVER_URL for the children, or NULL. */
const char *rpc_server_url(const struct rpc *r);

#endif
