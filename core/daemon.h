/* core/daemon.h - engine -d: the HTTP/JSON API on a Unix socket (daemon.c:
 * socket, signals, restore, events; http-handlers.c: the endpoints). */
#ifndef ENGINE_DAEMON_H
#define ENGINE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "engine.h"

#define ENGINE_DEFAULT_SOCKET ENGINE_DEFAULT_STATE_DIR "/engine.sock"
#define ENGINE_API_VERSION "1"
#define ENGINE_DAEMON_MAX_BODY (1024 * 1024)

struct engine_daemon_opts {
    const char *socket_path;                /* NULL = cfg->socket, else <state_dir>/engine.sock */
    const char *pidfile;                    /* also written when not detached, if set */
    bool detach;                            /* fork; the parent returns once the socket is served */
    int log_level;                          /* enum engine_log_level */
    const struct engine_ctx_opts *ctx_opts; /* to build the context and reload it */
};

/* Serve until SIGTERM/SIGINT. Returns 0 on a clean shutdown. With detach the
 * parent returns 0 as soon as the child serves (or the child's error). */
int engine_daemon_run(const struct engine_daemon_opts *o, struct engine_error *err);

/* Parse "unix:///path" or "/path" into a socket path (pointer into s). */
const char *engine_host_socket_path(const char *s);

/* ---- internals shared by daemon.c and http-handlers.c ---- */

struct daemon {
    struct engine_ctx *ctx;
    const struct engine_daemon_opts *opts;
    char *socket_path;
    int log_level;
    volatile int shutting_down;
};

void daemon_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Readers hold the context while they use the config; SIGHUP swaps it. */
void daemon_ctx_rdlock(void);
void daemon_ctx_unlock(void);

/* Per-container serialisation of state changes. daemon_id_unlock() also turns
 * what changed on disk into events (create/start/die/oom/destroy), so the
 * events of one container are emitted in order. */
void daemon_id_lock(const char *id);
void daemon_id_unlock(const char *id);
/* Creates are serialised globally (name conflicts). */
void daemon_create_lock(void);
void daemon_create_unlock(void);
/* Remember the exit code of a container that died, for a late wait. */
bool daemon_recent_exit(const char *id, int *ret_exit_code);

/* Events: a ring of JSON lines with sequence numbers. */
uint64_t daemon_events_head(void);
/* Copy the line with sequence seq into *ret (malloc'd); waits up to timeout_ms.
 * 1 = got one, 0 = timeout, -ESPIPE = seq fell out of the ring (skip ahead). */
int daemon_events_get(uint64_t seq, char **ret, int timeout_ms);

/* http-handlers.c */
enum MHD_Result daemon_http_access(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls);
void daemon_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode toe);

#endif
