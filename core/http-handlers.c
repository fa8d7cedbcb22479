/* core/http-handlers.c - the daemon's endpoints: routing, JSON bodies, the
 * verbs (each calls the core in engine.h) and the streamed responses (stats,
 * logs, events). Errors are {"message": "...", "errno": N} with a 4xx/5xx. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "daemon.h"
#include "monitor.h"
#include "util.h"

struct request {
    char *body;
    size_t len;
    bool too_big;
    bool started;
};

/* ---- responses ---- */

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *type,
                                    const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result r;

    if (!resp)
        return MHD_NO;
    (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    r = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Takes the reference to o. */
static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status,
                                    struct json_object *o)
{
    _cleanup_free_ char *s =
        xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

    json_object_put(o);
    return respond_text(c, status, "application/json", s);
}

static enum MHD_Result respond_empty(struct MHD_Connection *c, unsigned status)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result r;

    if (!resp)
        return MHD_NO;
    r = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static unsigned status_of_errno(int code)
{
    switch (code) {
    case ENOENT:
        return MHD_HTTP_NOT_FOUND;
    case EEXIST:
    case EBUSY:
    case EALREADY:
    case EADDRINUSE:
    case ESRCH:
    case EAGAIN:
        return MHD_HTTP_CONFLICT;
    case EINVAL:
    case ENODEV:
    case E2BIG:
    case ERANGE:
    case ENAMETOOLONG:
    case EBADMSG:
    case EDOM:
        return MHD_HTTP_BAD_REQUEST;
    case ENOTSUP:
    case ENOSYS:
        return MHD_HTTP_NOT_IMPLEMENTED;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

static enum MHD_Result respond_error_status(struct MHD_Connection *c, unsigned status, int code,
                                            const char *msg)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "message", json_object_new_string(msg));
    if (code)
        json_object_object_add(o, "errno", json_object_new_int(code));
    daemon_log(status >= 500 ? ENGINE_LOG_WARN : ENGINE_LOG_DEBUG, "%u: %s", status, msg);
    return respond_json(c, status, o);
}

__attribute__((format(printf, 4, 5))) static enum MHD_Result
respond_error(struct MHD_Connection *c, unsigned status, int code, const char *fmt, ...)
{
    char msg[ENGINE_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return respond_error_status(c, status, code, msg);
}

static enum MHD_Result respond_engine_error(struct MHD_Connection *c, const struct engine_error *e)
{
    int code = e->code ? e->code : EIO;

    return respond_error_status(c, status_of_errno(code), code,
                                e->msg[0] ? e->msg : strerror(code));
}

/* ---- query parameters ---- */

static const char *query(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

static bool query_bool(struct MHD_Connection *c, const char *key)
{
    const char *v = query(c, key);

    return v && (streq(v, "1") || streq(v, "true") || streq(v, "yes") || streq(v, ""));
}

static int parse_signal(const char *s)
{
    int64_t n;

    if (parse_int64(s, &n) == 0)
        return n > 0 && n < NSIG ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 1; i < NSIG; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && strcasecmp(abbrev, s) == 0)
            return i;
    }
    return -1;
}

static int client_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

    return ci ? ci->connect_fd : -1;
}

/* Wait up to timeout_ms; true when the client hung up. */
static bool client_gone(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};

    if (fd < 0) {
        if (timeout_ms > 0)
            poll(NULL, 0, timeout_ms);
        return false;
    }
    if (poll(&p, 1, timeout_ms) <= 0)
        return false;
    return p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL);
}

/* ref (id, prefix or name) -> full id. */
static int resolve(struct engine_ctx *ctx, const char *ref, char id[65], struct engine_error *err)
{
    struct engine_record *r = NULL;
    int ret = engine_state_lookup(ctx, ref, &r, err);

    if (ret < 0)
        return ret;
    snprintf(id, 65, "%s", r->id);
    engine_record_free(r);
    return 0;
}

/* ---- POST /v1/containers body ---- */

struct create_body {
    struct engine_create_req req;
    char **argv, **env, **exec_opts;
    struct json_object *root;
};

static void create_body_free(struct create_body *b)
{
    strv_free(b->argv);
    strv_free(b->env);
    strv_free(b->exec_opts);
    if (b->root)
        json_object_put(b->root);
}

static int field_string(struct json_object *v, const char *key, const char **ret,
                        struct engine_error *err)
{
    if (!json_object_is_type(v, json_type_string))
        return engine_error_set(err, EINVAL, "Field '%s' must be a string", key);
    *ret = json_object_get_string(v);
    return 0;
}

static int field_bool(struct json_object *v, const char *key, bool *ret, struct engine_error *err)
{
    if (!json_object_is_type(v, json_type_boolean))
        return engine_error_set(err, EINVAL, "Field '%s' must be a boolean", key);
    *ret = json_object_get_boolean(v);
    return 0;
}

static int field_strv(struct json_object *v, const char *key, char ***ret, struct engine_error *err)
{
    char **out = xcalloc(1, sizeof(char *));
    size_t n;

    if (!json_object_is_type(v, json_type_array)) {
        free(out);
        return engine_error_set(err, EINVAL, "Field '%s' must be an array of strings", key);
    }
    n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++) {
        struct json_object *s = json_object_array_get_idx(v, i);
        if (!json_object_is_type(s, json_type_string)) {
            strv_free(out);
            return engine_error_set(err, EINVAL, "Field '%s' must be an array of strings", key);
        }
        out = strv_append(out, json_object_get_string(s));
    }
    strv_free(*ret);
    *ret = out;
    return 0;
}

/* A JSON integer >= 0, or a string through parse (sizes: "64m"). */
static int field_count(struct json_object *v, const char *key, bool sizes, int64_t *ret,
                       struct engine_error *err)
{
    int64_t n;

    if (json_object_is_type(v, json_type_int)) {
        n = json_object_get_int64(v);
    } else if (json_object_is_type(v, json_type_string)) {
        if ((sizes ? parse_size(json_object_get_string(v), &n)
                   : parse_int64(json_object_get_string(v), &n)) < 0)
            return engine_error_set(err, EINVAL, "Field '%s': invalid value '%s'", key,
                                    json_object_get_string(v));
    } else {
        return engine_error_set(err, EINVAL, "Field '%s' must be %s", key,
                                sizes ? "a number of bytes or a size string like \"64m\""
                                      : "an integer");
    }
    if (n < 0)
        return engine_error_set(err, EINVAL, "Field '%s' must not be negative", key);
    *ret = n;
    return 0;
}

static int field_cpus(struct json_object *v, struct engine_limits *l, struct engine_error *err)
{
    char buf[64];
    const char *s;

    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
        snprintf(buf, sizeof(buf), "%.6g", json_object_get_double(v));
        s = buf;
    } else if (json_object_is_type(v, json_type_string)) {
        s = json_object_get_string(v);
    } else {
        return engine_error_set(err, EINVAL, "Field 'Cpus' must be a number like 0.5");
    }
    if (parse_cpus(s, &l->cpu_quota_us, &l->cpu_period_us) < 0)
        return engine_error_set(err, EINVAL, "Field 'Cpus': invalid value '%s'", s);
    return 0;
}

static int parse_create_field(struct create_body *b, const char *key, struct json_object *v,
                              struct engine_error *err)
{
    struct engine_create_req *q = &b->req;
    int64_t n = 0;
    int r;

    if (streq(key, "Name"))
        return field_string(v, key, &q->name, err);
    if (streq(key, "Image"))
        return field_string(v, key, &q->image, err);
    if (streq(key, "Driver"))
        return field_string(v, key, &q->driver, err);
    if (streq(key, "WorkingDir"))
        return field_string(v, key, &q->cwd, err);
    if (streq(key, "Hostname"))
        return field_string(v, key, &q->hostname, err);
    if (streq(key, "User"))
        return field_string(v, key, &q->user, err);
    if (streq(key, "CpusetCpus"))
        return field_string(v, key, &q->limits.cpuset_cpus, err);
    if (streq(key, "Cmd"))
        return field_strv(v, key, &b->argv, err);
    if (streq(key, "Env"))
        return field_strv(v, key, &b->env, err);
    if (streq(key, "ExecOpts"))
        return field_strv(v, key, &b->exec_opts, err);
    if (streq(key, "ReadonlyRootfs"))
        return field_bool(v, key, &q->readonly_rootfs, err);
    if (streq(key, "AutoRemove"))
        return field_bool(v, key, &q->auto_remove, err);
    if (streq(key, "NetworkHost"))
        return field_bool(v, key, &q->network_host, err);
    if (streq(key, "Cpus"))
        return field_cpus(v, &q->limits, err);
    if (streq(key, "Memory") || streq(key, "MemorySwap") || streq(key, "Pids") ||
        streq(key, "CpuShares")) {
        r = field_count(v, key, key[0] == 'M', &n, err);
        if (r < 0)
            return r;
        if (streq(key, "Memory"))
            q->limits.memory_bytes = n;
        else if (streq(key, "MemorySwap"))
            q->limits.memory_swap_bytes = n;
        else if (streq(key, "Pids"))
            q->limits.pids_max = n;
        else
            q->limits.cpu_shares = (uint64_t)n;
        return 0;
    }
    return engine_error_set(err, EINVAL, "Unknown field '%s'", key);
}

static int parse_create_body(const char *body, size_t len, struct create_body *b,
                             struct engine_error *err)
{
    struct json_tokener *tok = json_tokener_new();
    enum json_tokener_error jerr;
    int r = 0;

    b->root = json_tokener_parse_ex(tok, body ? body : "", (int)len);
    jerr = json_tokener_get_error(tok);
    if (!b->root || jerr != json_tokener_success || (size_t)json_tokener_get_parse_end(tok) < len) {
        size_t end = json_tokener_get_parse_end(tok);
        bool trailing = b->root && jerr == json_tokener_success;

        json_tokener_free(tok);
        /* Only whitespace may follow the value. */
        if (trailing && strspn(body + end, " \t\r\n") == len - end)
            goto parsed;
        return engine_error_set(err, EINVAL, "Malformed JSON body: %s",
                                len == 0                        ? "empty"
                                : trailing                      ? "trailing data after the value"
                                : jerr == json_tokener_continue ? "unexpected end"
                                                                : json_tokener_error_desc(jerr));
    }
    json_tokener_free(tok);
parsed:
    if (!json_object_is_type(b->root, json_type_object))
        return engine_error_set(err, EINVAL, "Body must be a JSON object");
    json_object_object_foreach(b->root, key, val)
    {
        if (!val || json_object_is_type(val, json_type_null))
            continue;
        r = parse_create_field(b, key, val, err);
        if (r < 0)
            return r;
    }
    if (!b->req.image)
        return engine_error_set(err, EINVAL, "Missing field 'Image'");
    b->req.argv = b->argv && b->argv[0] ? b->argv : NULL;
    b->req.env = b->env;
    b->req.exec_opts = b->exec_opts;
    return 0;
}

/* ---- handlers ---- */

static enum MHD_Result h_version(struct daemon *dm, struct MHD_Connection *c)
{
    struct json_object *o = json_object_new_object();
    char abi[32];

    snprintf(abi, sizeof(abi), "%d.%d", ENGINE_DRIVER_ABI_MAJOR, ENGINE_DRIVER_ABI_MINOR);
    json_object_object_add(o, "Version", json_object_new_string(PACKAGE_VERSION));
    json_object_object_add(o, "ApiVersion", json_object_new_string(ENGINE_API_VERSION));
    json_object_object_add(o, "DriverAbi", json_object_new_string(abi));
    return respond_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result h_info(struct daemon *dm, struct MHD_Connection *c)
{
    struct engine_record **v = NULL;
    struct engine_error err = {0};
    struct json_object *o;
    size_t n = 0, running = 0, paused = 0, stopped = 0;
    int r;

    daemon_ctx_rdlock();
    r = engine_container_list(dm->ctx, &v, &n, &err);
    if (r < 0) {
        daemon_ctx_unlock();
        return respond_engine_error(c, &err);
    }
    for (size_t i = 0; i < n; i++) {
        running += v[i]->status == ENGINE_CTR_RUNNING;
        paused += v[i]->status == ENGINE_CTR_PAUSED;
        stopped += v[i]->status != ENGINE_CTR_RUNNING && v[i]->status != ENGINE_CTR_PAUSED;
    }
    engine_records_free(v, n);
    o = json_object_new_object();
    json_object_object_add(o, "Version", json_object_new_string(PACKAGE_VERSION));
    json_object_object_add(o, "DefaultDriver",
                           json_object_new_string(engine_config_pick_driver(
                               &dm->ctx->cfg, NULL, dm->ctx->daemon_driver)));
    json_object_object_add(o, "StateDir", json_object_new_string(dm->ctx->state_dir));
    json_object_object_add(o, "Root", json_object_new_string(dm->ctx->root));
    json_object_object_add(o, "ConfigFile",
                           dm->ctx->cfg.file ? json_object_new_string(dm->ctx->cfg.file) : NULL);
    json_object_object_add(o, "Socket", json_object_new_string(dm->socket_path));
    json_object_object_add(o, "CgroupMode",
                           json_object_new_string(engine_cgroup_mode_name(engine_cgroup_mode())));
    json_object_object_add(o, "Containers", json_object_new_int64((int64_t)n));
    json_object_object_add(o, "ContainersRunning", json_object_new_int64((int64_t)running));
    json_object_object_add(o, "ContainersPaused", json_object_new_int64((int64_t)paused));
    json_object_object_add(o, "ContainersStopped", json_object_new_int64((int64_t)stopped));
    json_object_object_add(o, "Pid", json_object_new_int((int)getpid()));
    daemon_ctx_unlock();
    return respond_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result h_drivers(struct daemon *dm, struct MHD_Connection *c)
{
    struct json_object *o;

    daemon_ctx_rdlock();
    o = engine_drivers_to_json(dm->ctx);
    daemon_ctx_unlock();
    if (!o)
        return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, EIO, "Cannot list drivers");
    return respond_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result h_list(struct daemon *dm, struct MHD_Connection *c)
{
    struct engine_record **v = NULL;
    struct engine_error err = {0};
    struct json_object *a;
    bool all = query_bool(c, "all");
    size_t n = 0;

    daemon_ctx_rdlock();
    if (engine_container_list(dm->ctx, &v, &n, &err) < 0) {
        daemon_ctx_unlock();
        return respond_engine_error(c, &err);
    }
    daemon_ctx_unlock();
    a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        if (all || v[i]->status == ENGINE_CTR_RUNNING || v[i]->status == ENGINE_CTR_PAUSED)
            json_object_array_add(a, engine_record_to_json(v[i]));
    engine_records_free(v, n);
    return respond_json(c, MHD_HTTP_OK, a);
}

static enum MHD_Result h_create(struct daemon *dm, struct MHD_Connection *c, struct request *rq)
{
    struct create_body b = {0};
    struct engine_error err = {0};
    struct json_object *o;
    char id[65] = "";
    int r;

    r = parse_create_body(rq->body, rq->len, &b, &err);
    if (r < 0) {
        create_body_free(&b);
        return respond_engine_error(c, &err);
    }
    daemon_ctx_rdlock();
    daemon_create_lock();
    r = engine_container_create(dm->ctx, &b.req, id, &err);
    daemon_create_unlock();
    daemon_ctx_unlock();
    create_body_free(&b);
    /* ENOENT here is an unknown driver, image or mount source: the request
     * is wrong, no resource is missing. */
    if (r < 0 && err.code == ENOENT)
        return respond_error_status(c, MHD_HTTP_BAD_REQUEST, err.code, err.msg);
    if (r < 0)
        return respond_engine_error(c, &err);
    /* Emits "create" (the sync in the unlock). */
    daemon_id_lock(id);
    daemon_id_unlock(id);
    daemon_log(ENGINE_LOG_INFO, "Created %.12s", id);
    o = json_object_new_object();
    json_object_object_add(o, "Id", json_object_new_string(id));
    return respond_json(c, MHD_HTTP_CREATED, o);
}

static enum MHD_Result h_inspect(struct daemon *dm, struct MHD_Connection *c, const char *ref)
{
    struct engine_record *r = NULL;
    struct engine_error err = {0};
    struct json_object *o;

    daemon_ctx_rdlock();
    if (engine_container_inspect(dm->ctx, ref, &r, &err) < 0) {
        daemon_ctx_unlock();
        return respond_engine_error(c, &err);
    }
    daemon_ctx_unlock();
    o = engine_record_to_json(r);
    engine_record_free(r);
    return respond_json(c, MHD_HTTP_OK, o);
}

enum verb { V_START, V_STOP, V_KILL, V_PAUSE, V_UNPAUSE, V_REMOVE };

static enum MHD_Result h_verb(struct daemon *dm, struct MHD_Connection *c, const char *ref,
                              enum verb verb)
{
    struct engine_error err = {0};
    char id[65];
    int64_t t = 10;
    int sig = SIGKILL, r;
    const char *s;

    if (verb == V_STOP && (s = query(c, "t")) && (parse_int64(s, &t) < 0 || t < 0))
        return respond_error(c, MHD_HTTP_BAD_REQUEST, EINVAL, "Invalid timeout '%s'", s);
    if (verb == V_KILL && (s = query(c, "signal")) && (sig = parse_signal(s)) < 0)
        return respond_error(c, MHD_HTTP_BAD_REQUEST, EINVAL, "Invalid signal '%s'", s);

    daemon_ctx_rdlock();
    r = resolve(dm->ctx, ref, id, &err);
    if (r < 0) {
        daemon_ctx_unlock();
        return respond_engine_error(c, &err);
    }
    daemon_id_lock(id);
    switch (verb) {
    case V_START:
        r = engine_container_start(dm->ctx, id, NULL, &err);
        break;
    case V_STOP:
        r = engine_container_stop(dm->ctx, id, (unsigned)t, &err);
        break;
    case V_KILL:
        r = engine_container_kill(dm->ctx, id, sig, &err);
        break;
    case V_PAUSE:
    case V_UNPAUSE:
        r = engine_container_pause(dm->ctx, id, verb == V_PAUSE, &err);
        break;
    case V_REMOVE:
        r = engine_container_remove(dm->ctx, id, query_bool(c, "force"), &err);
        break;
    }
    daemon_id_unlock(id);
    daemon_ctx_unlock();
    /* Parameters were checked above: the core's EINVAL here is the state
     * ("is not running", "is paused, not running"), a conflict. */
    if (r < 0 && err.code == EINVAL && verb != V_REMOVE)
        return respond_error_status(c, MHD_HTTP_CONFLICT, err.code, err.msg);
    if (r < 0)
        return respond_engine_error(c, &err);
    return respond_empty(c, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result h_wait(struct daemon *dm, struct MHD_Connection *c, const char *ref)
{
    struct engine_error err = {0};
    struct json_object *o;
    char id[65];
    int code = 0, r;

    r = resolve(dm->ctx, ref, id, &err);
    if (r < 0 && !(engine_id_valid(ref) && daemon_recent_exit(ref, &code)))
        return respond_engine_error(c, &err);
    if (r >= 0) {
        r = engine_container_wait(dm->ctx, id, &code, &err);
        /* Removed as it exited (AutoRemove): we saw it die. */
        if (r == -ENOENT && daemon_recent_exit(id, &code))
            r = 0;
        if (r == -EINVAL) /* not started yet */
            return respond_error_status(c, MHD_HTTP_CONFLICT, err.code, err.msg);
        if (r < 0)
            return respond_engine_error(c, &err);
    }
    o = json_object_new_object();
    json_object_object_add(o, "StatusCode", json_object_new_int(code));
    return respond_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result h_stats_once(struct daemon *dm, struct MHD_Connection *c, const char *ref)
{
    struct engine_stats st = {.struct_size = sizeof(st)};
    struct engine_error err = {0};

    if (engine_container_stats(dm->ctx, ref, &st, &err) < 0)
        return respond_engine_error(c, &err);
    return respond_json(c, MHD_HTTP_OK, engine_stats_to_json(&st));
}

/* ---- streams ---- */

enum stream_kind { S_STATS, S_LOGS, S_EVENTS };

struct stream {
    enum stream_kind kind;
    struct daemon *dm;
    int client_fd;
    char *pending;
    size_t pending_len, pending_off;
    char id[65];
    uint64_t next_ns;
    bool first;
    int pipe_fd;
    int child_fd; /* pidfd of the log copier */
    uint64_t seq;
};

static void stream_free(void *cls)
{
    struct stream *s = cls;

    free(s->pending);
    if (s->pipe_fd >= 0)
        close(s->pipe_fd);
    if (s->child_fd >= 0) {
        /* Through a pidfd: the daemon's reaper may have reaped an exited
         * copier already, and its pid may be someone else's now. */
        siginfo_t si;
        (void)pidfd_send_signal(s->child_fd, SIGKILL, NULL, 0);
        (void)waitid(P_PIDFD, (id_t)s->child_fd, &si, WEXITED);
        close(s->child_fd);
    }
    free(s);
}

/* 1 = s->pending filled, 0 = nothing yet, <0 = a MHD_CONTENT_READER_END_* */
static ssize_t stream_produce(struct stream *s, char *buf, size_t max)
{
    struct engine_error err = {0};

    switch (s->kind) {
    case S_STATS: {
        struct engine_stats st = {.struct_size = sizeof(st)};
        struct engine_record *rec = NULL;
        struct json_object *o;
        uint64_t now = now_ns();

        if (!s->first && now < s->next_ns &&
            client_gone(s->client_fd, (int)((s->next_ns - now) / 1000000) + 1))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (!s->first && now_ns() < s->next_ns)
            return 0;
        s->first = false;
        s->next_ns = now_ns() + 1000000000ull;
        if (engine_state_load(s->dm->ctx, s->id, &rec, NULL) < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (rec->status == ENGINE_CTR_EXITED) {
            engine_record_free(rec);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        engine_record_free(rec);
        if (engine_container_stats(s->dm->ctx, s->id, &st, &err) < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        o = engine_stats_to_json(&st);
        s->pending = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        s->pending_len = strlen(s->pending);
        s->pending_off = 0;
        return 1;
    }
    case S_LOGS: {
        struct pollfd p[2] = {{.fd = s->pipe_fd, .events = POLLIN},
                              {.fd = s->client_fd, .events = POLLRDHUP}};
        ssize_t n;

        if (poll(p, s->client_fd >= 0 ? 2 : 1, 1000) <= 0)
            return 0;
        if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (!p[0].revents)
            return 0;
        n = read(s->pipe_fd, buf, max);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return 0;
        if (n <= 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        return 2 + n; /* data straight into buf */
    }
    case S_EVENTS: {
        char *line = NULL;
        int r = daemon_events_get(s->seq, &line, 1000);

        if (r == -ESPIPE) {
            s->seq = daemon_events_head();
            return 0;
        }
        if (r == 0)
            return client_gone(s->client_fd, 0) ? MHD_CONTENT_READER_END_WITH_ERROR : 0;
        s->seq++;
        s->pending = line;
        s->pending_len = strlen(line);
        s->pending_off = 0;
        return 1;
    }
    }
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;

    for (;;) {
        ssize_t r;

        if (s->pending) {
            size_t n = s->pending_len - s->pending_off;
            if (n > max)
                n = max;
            memcpy(buf, s->pending + s->pending_off, n);
            s->pending_off += n;
            if (s->pending_off == s->pending_len) {
                free(s->pending);
                s->pending = NULL;
            }
            return (ssize_t)n;
        }
        if (s->dm->shutting_down)
            return MHD_CONTENT_READER_END_OF_STREAM;
        r = stream_produce(s, buf, max);
        if (r < 0)
            return r;
        if (r >= 2)
            return r - 2;
    }
}

static enum MHD_Result respond_stream(struct MHD_Connection *c, struct stream *s, const char *type)
{
    struct MHD_Response *resp;
    enum MHD_Result r;

    s->client_fd = client_fd(c);
    resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    r = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return r;
}

static struct stream *stream_new(struct daemon *dm, enum stream_kind kind)
{
    struct stream *s = xcalloc(1, sizeof(*s));

    s->kind = kind;
    s->dm = dm;
    s->pipe_fd = -1;
    s->child_fd = -1;
    s->client_fd = -1;
    s->first = true;
    return s;
}

static enum MHD_Result h_stats(struct daemon *dm, struct MHD_Connection *c, const char *ref)
{
    struct engine_error err = {0};
    struct stream *s;
    char id[65];

    if (!query_bool(c, "stream"))
        return h_stats_once(dm, c, ref);
    if (resolve(dm->ctx, ref, id, &err) < 0)
        return respond_engine_error(c, &err);
    s = stream_new(dm, S_STATS);
    memcpy(s->id, id, sizeof(id));
    return respond_stream(c, s, "application/json");
}

/* Copy whole frames ([stream, 0, 0, 0, len be32] + data, as the monitor
 * writes them) from *off on. -EPIPE when the reader went away. */
static int copy_log_frames(int log, off_t *off, int out_fd)
{
    unsigned char hdr[8];
    char buf[65536];

    for (;;) {
        size_t len;

        if (pread(log, hdr, sizeof(hdr), *off) != (ssize_t)sizeof(hdr))
            return 0;
        len = ((size_t)hdr[4] << 24) | ((size_t)hdr[5] << 16) | ((size_t)hdr[6] << 8) | hdr[7];
        if (len > sizeof(buf))
            return -EBADMSG;
        if (pread(log, buf, len, *off + 8) != (ssize_t)len)
            return 0;
        for (size_t done = 0; done < len;) {
            ssize_t w = write(out_fd, buf + done, len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -EPIPE;
            done += (size_t)w;
        }
        *off += 8 + (off_t)len;
    }
}

/* The copier: follows through the fd opened before the fork, so a container
 * removed as it exits (AutoRemove) still has all its output read; a created
 * container is waited for, so a client can follow before it starts. */
static _Noreturn void logs_child(struct engine_ctx *ctx, const char *id, bool follow, int log,
                                 int out)
{
    off_t off = 0;

    for (;;) {
        struct engine_record *r = NULL;
        bool done;

        if (copy_log_frames(log, &off, out) < 0 || !follow)
            _exit(0);
        done = engine_state_load(ctx, id, &r, NULL) < 0 ||
               (r->status != ENGINE_CTR_RUNNING && r->status != ENGINE_CTR_PAUSED &&
                r->status != ENGINE_CTR_CREATED && r->status != ENGINE_REC_CREATING);
        /* A dead monitor that never wrote "exited" ends the follow too. */
        if (!done && (r->status == ENGINE_CTR_RUNNING || r->status == ENGINE_CTR_PAUSED) &&
            !engine_monitor_alive(r))
            done = true;
        engine_record_free(r);
        if (done) {
            (void)copy_log_frames(log, &off, out);
            _exit(0);
        }
        usleep(20000);
    }
}

/* The log is copied by a forked child: when the client goes, the child is
 * killed, so a followed silent container holds nothing. */
static pid_t logs_spawn(struct engine_ctx *ctx, const char *id, bool follow, int *ret_fd)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    _cleanup_free_ char *path = engine_log_path(ctx, id);
    _cleanup_close_ int log = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0640);
    int p[2];
    pid_t pid;

    if (log < 0)
        return -errno;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    if (pid == 0) {
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
            signal(sigs[i], SIG_DFL);
        signal(SIGPIPE, SIG_IGN); /* EPIPE ends the copy */
        if (dup2(p[1], 3) < 0 || dup2(log, 4) < 0)
            _exit(1);
        /* Not the listening socket nor other clients' connections. */
        (void)close_range(5, ~0U, 0);
        logs_child(ctx, id, follow, 4, 3);
    }
    close(p[1]);
    *ret_fd = p[0];
    return pid;
}

static enum MHD_Result h_logs(struct daemon *dm, struct MHD_Connection *c, const char *ref)
{
    struct engine_error err = {0};
    struct stream *s;
    char id[65];
    pid_t pid;
    int fd = -1;

    if (resolve(dm->ctx, ref, id, &err) < 0)
        return respond_engine_error(c, &err);
    pid = logs_spawn(dm->ctx, id, query_bool(c, "follow"), &fd);
    if (pid < 0)
        return respond_error(c, status_of_errno((int)-pid), (int)-pid, "Read the log of %.12s: %s",
                             id, strerror((int)-pid));
    s = stream_new(dm, S_LOGS);
    s->pipe_fd = fd;
    s->child_fd = pidfd_open(pid, 0);
    if (s->child_fd < 0)
        (void)waitpid(pid, NULL, WNOHANG); /* cannot happen on Linux >= 5.3 */
    return respond_stream(c, s, "text/plain; charset=utf-8");
}

static enum MHD_Result h_events(struct daemon *dm, struct MHD_Connection *c)
{
    struct stream *s = stream_new(dm, S_EVENTS);

    s->seq = daemon_events_head();
    return respond_stream(c, s, "application/json");
}

/* ---- routing ---- */

static enum MHD_Result method_not_allowed(struct MHD_Connection *c, const char *allow,
                                          const char *method, const char *url)
{
    struct json_object *o = json_object_new_object();
    _cleanup_free_ char *msg =
        xasprintf("Method %s not allowed on %s (allowed: %s)", method, url, allow);
    _cleanup_free_ char *s = NULL;
    struct MHD_Response *resp;
    enum MHD_Result r;

    json_object_object_add(o, "message", json_object_new_string(msg));
    s = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    r = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
    MHD_destroy_response(resp);
    return r;
}

#define MAX_SEGS 4

static enum MHD_Result route(struct daemon *dm, struct MHD_Connection *c, const char *url,
                             const char *method, struct request *rq)
{
    _cleanup_free_ char *path = NULL;
    char *seg[MAX_SEGS + 1], *save = NULL, *tok;
    size_t n = 0;
    bool get = streq(method, "GET") || streq(method, "HEAD"), post = streq(method, "POST");

    if (strncmp(url, "/v1/", 4) != 0)
        return respond_error(c, MHD_HTTP_NOT_FOUND, ENOENT, "No such endpoint: %s %s", method, url);
    path = xstrdup(url + 4);
    for (tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS)
            return respond_error(c, MHD_HTTP_NOT_FOUND, ENOENT, "No such endpoint: %s %s", method,
                                 url);
        seg[n++] = tok;
    }
    if (n == 1 && streq(seg[0], "version"))
        return get ? h_version(dm, c) : method_not_allowed(c, "GET", method, url);
    if (n == 1 && streq(seg[0], "info"))
        return get ? h_info(dm, c) : method_not_allowed(c, "GET", method, url);
    if (n == 1 && streq(seg[0], "drivers"))
        return get ? h_drivers(dm, c) : method_not_allowed(c, "GET", method, url);
    if (n == 1 && streq(seg[0], "events"))
        return get ? h_events(dm, c) : method_not_allowed(c, "GET", method, url);
    if (n >= 1 && streq(seg[0], "containers")) {
        if (n == 1) {
            if (get)
                return h_list(dm, c);
            if (post)
                return h_create(dm, c, rq);
            return method_not_allowed(c, "GET, POST", method, url);
        }
        if (n == 2) {
            if (get)
                return h_inspect(dm, c, seg[1]);
            if (streq(method, "DELETE"))
                return h_verb(dm, c, seg[1], V_REMOVE);
            return method_not_allowed(c, "GET, DELETE", method, url);
        }
        if (n == 3) {
            static const struct {
                const char *name;
                bool post;
                int verb; /* enum verb, or -1 for a handler below */
            } actions[] = {
                {.name = "start", .post = true, .verb = V_START},
                {.name = "stop", .post = true, .verb = V_STOP},
                {.name = "kill", .post = true, .verb = V_KILL},
                {.name = "pause", .post = true, .verb = V_PAUSE},
                {.name = "unpause", .post = true, .verb = V_UNPAUSE},
                {.name = "wait", .post = true, .verb = -1},
                {.name = "stats", .post = false, .verb = -1},
                {.name = "logs", .post = false, .verb = -1},
            };
            for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
                if (!streq(seg[2], actions[i].name))
                    continue;
                if (actions[i].post ? !post : !get)
                    return method_not_allowed(c, actions[i].post ? "POST" : "GET", method, url);
                if (actions[i].verb >= 0)
                    return h_verb(dm, c, seg[1], (enum verb)actions[i].verb);
                if (streq(seg[2], "wait"))
                    return h_wait(dm, c, seg[1]);
                if (streq(seg[2], "stats"))
                    return h_stats(dm, c, seg[1]);
                return h_logs(dm, c, seg[1]);
            }
        }
    }
    return respond_error(c, MHD_HTTP_NOT_FOUND, ENOENT, "No such endpoint: %s %s", method, url);
}

enum MHD_Result daemon_http_access(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    struct daemon *dm = cls;
    struct request *rq = *con_cls;

    if (!rq) {
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t len;

        rq = xcalloc(1, sizeof(*rq));
        *con_cls = rq;
        if (cl && parse_int64(cl, &len) == 0 && len > ENGINE_DAEMON_MAX_BODY)
            rq->too_big = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!rq->too_big && rq->len + *upload_data_size > ENGINE_DAEMON_MAX_BODY)
            rq->too_big = true;
        if (!rq->too_big) {
            rq->body = realloc(rq->body, rq->len + *upload_data_size + 1);
            if (!rq->body)
                abort();
            memcpy(rq->body + rq->len, upload_data, *upload_data_size);
            rq->len += *upload_data_size;
            rq->body[rq->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->started)
        return MHD_YES;
    rq->started = true;
    daemon_log(ENGINE_LOG_DEBUG, "%s %s", method, url);
    if (rq->too_big) {
        free(rq->body);
        rq->body = NULL;
        return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, E2BIG,
                             "Request body larger than %d bytes", ENGINE_DAEMON_MAX_BODY);
    }
    if (dm->shutting_down)
        return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, ESHUTDOWN, "Daemon shutting down");
    return route(dm, c, url, method, rq);
}

void daemon_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;

    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}
