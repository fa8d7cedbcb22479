/* core/api_local.c - struct engine_api over the core in-process: what the CLI
 * uses when no daemon answers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "api.h"
#include "util.h"

static int l_create(void *h, const struct engine_create_req *req, char ret_id[65],
                    struct engine_error *err)
{
    return engine_container_create(h, req, ret_id, err);
}

static int l_start(void *h, const char *ref, const struct engine_attach *attach, int *ret_exit_code,
                   struct engine_error *err)
{
    struct engine_attach a;
    int p[2], q;
    pid_t monitor;
    char buf[32];
    ssize_t n;
    size_t len = 0;

    if (!attach)
        return engine_container_start(h, ref, NULL, err) < 0 ? -(err->code) : 0;
    if (pipe2(p, O_CLOEXEC) < 0)
        return engine_error_errno(err, errno, "pipe");
    a = *attach;
    a.exit_fd = p[1];
    q = engine_container_start(h, ref, &a, err);
    (void)close(p[1]);
    if (q < 0) {
        (void)close(p[0]);
        return q;
    }
    monitor = q;
    while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
        if (memchr(buf, '\n', len))
            break; /* a driver's helper may still hold the pipe: no EOF wait */
    }
    buf[len] = '\0';
    (void)close(p[0]);
    (void)waitpid(monitor, NULL, 0);
    if (len == 0)
        return engine_error_set(err, EIO, "The monitor of '%s' ended without an exit code", ref);
    *ret_exit_code = atoi(buf);
    return 0;
}

static int l_stop(void *h, const char *ref, unsigned t, struct engine_error *err)
{
    return engine_container_stop(h, ref, t, err);
}

static int l_kill(void *h, const char *ref, int sig, struct engine_error *err)
{
    return engine_container_kill(h, ref, sig, err);
}

static int l_remove(void *h, const char *ref, bool force, struct engine_error *err)
{
    return engine_container_remove(h, ref, force, err);
}

static int l_pause(void *h, const char *ref, bool pause, struct engine_error *err)
{
    return engine_container_pause(h, ref, pause, err);
}

static int l_stats(void *h, const char *ref, struct engine_stats *st, struct engine_error *err)
{
    return engine_container_stats(h, ref, st, err);
}

static int l_inspect(void *h, const char *ref, struct json_object **ret, struct engine_error *err)
{
    struct engine_record *r;
    int q = engine_container_inspect(h, ref, &r, err);

    if (q < 0)
        return q;
    *ret = engine_record_to_json(r);
    engine_record_free(r);
    return 0;
}

static int l_list(void *h, struct json_object **ret, struct engine_error *err)
{
    struct engine_record **v;
    size_t n;
    struct json_object *a;
    int q = engine_container_list(h, &v, &n, err);

    if (q < 0)
        return q;
    a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, engine_record_to_json(v[i]));
    engine_records_free(v, n);
    *ret = a;
    return 0;
}

static int l_logs(void *h, const char *ref, bool follow, int out_fd, int err_fd,
                  struct engine_error *err)
{
    return engine_container_logs(h, ref, follow, out_fd, err_fd, err);
}

static int l_wait(void *h, const char *ref, int *code, struct engine_error *err)
{
    return engine_container_wait(h, ref, code, err);
}

static int l_drivers(void *h, struct json_object **ret, struct engine_error *err)
{
    *ret = engine_drivers_to_json(h);
    return 0;
}

static void l_free(void *h)
{
    engine_ctx_free(h);
}

void engine_api_local(struct engine_ctx *ctx, struct engine_api *ret)
{
    *ret = (struct engine_api){
        .kind = "local",
        .h = ctx,
        .create = l_create,
        .start = l_start,
        .stop = l_stop,
        .kill = l_kill,
        .remove = l_remove,
        .pause = l_pause,
        .stats = l_stats,
        .inspect = l_inspect,
        .list = l_list,
        .logs = l_logs,
        .wait = l_wait,
        .drivers = l_drivers,
        .free = l_free,
    };
}
