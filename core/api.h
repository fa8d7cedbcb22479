/* core/api.h - the verbs as one table with two implementations: local (the
 * core in-process, api_local.c) and remote (the daemon over its Unix socket,
 * client.c). The CLI only calls through this table, so each verb's logic lives
 * once in libengine (engine.h) and the daemon's handlers call the same. */
#ifndef ENGINE_API_H
#define ENGINE_API_H

#include <stdbool.h>

#include "engine.h"

struct json_object;

struct engine_api {
    const char *kind; /* "local" or "remote" */
    void *h;          /* struct engine_ctx * or struct engine_client * */

    int (*create)(void *h, const struct engine_create_req *req, char ret_id[65],
                  struct engine_error *err);
    /* attach NULL = detached. Attached: output goes to attach->out_fd/err_fd
     * and the call returns once the container exited, with *ret_exit_code. */
    int (*start)(void *h, const char *ref, const struct engine_attach *attach, int *ret_exit_code,
                 struct engine_error *err);
    int (*stop)(void *h, const char *ref, unsigned timeout_s, struct engine_error *err);
    int (*kill)(void *h, const char *ref, int sig, struct engine_error *err);
    int (*remove)(void *h, const char *ref, bool force, struct engine_error *err);
    int (*pause)(void *h, const char *ref, bool pause, struct engine_error *err);
    int (*stats)(void *h, const char *ref, struct engine_stats *st, struct engine_error *err);
    /* JSON as engine_record_to_json() makes it. */
    int (*inspect)(void *h, const char *ref, struct json_object **ret, struct engine_error *err);
    /* JSON array of records. */
    int (*list)(void *h, struct json_object **ret, struct engine_error *err);
    int (*logs)(void *h, const char *ref, bool follow, int out_fd, int err_fd,
                struct engine_error *err);
    int (*wait)(void *h, const char *ref, int *ret_exit_code, struct engine_error *err);
    /* JSON as engine_drivers_to_json() makes it. */
    int (*drivers)(void *h, struct json_object **ret, struct engine_error *err);
    void (*free)(void *h);
};

/* In-process API over a context (takes ownership of ctx). */
void engine_api_local(struct engine_ctx *ctx, struct engine_api *ret);
/* Remote API over a daemon socket; fails with ECONNREFUSED/ENOENT when no
 * daemon answers there (the CLI then falls back to local). */
int engine_api_remote(const char *socket_path, struct engine_api *ret, struct engine_error *err);

#endif
