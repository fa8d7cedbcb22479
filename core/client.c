/* core/client.c - engine_api_remote(): the verbs of struct engine_api as HTTP
 * calls to the daemon's Unix socket (libcurl), turning its JSON back into the
 * core's types and its {"message"} errors into engine_error. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "util.h"

struct engine_client {
    char *socket_path;
    CURL *curl; /* reused: keeps the connection alive between calls */
};

struct xfer {
    CURL *curl;
    int out_fd; /* 2xx bodies go here when >= 0 */
    char *buf;  /* otherwise (and error bodies) here */
    size_t len;
    int write_errno;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;
    long status = 0;

    (void)curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
    if (x->out_fd >= 0 && status >= 200 && status < 300) {
        for (size_t off = 0; off < n;) {
            ssize_t w = write(x->out_fd, p + off, n - off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                x->write_errno = errno;
                return 0;
            }
            off += (size_t)w;
        }
        return n;
    }
    x->buf = realloc(x->buf, x->len + n + 1);
    if (!x->buf)
        abort();
    memcpy(x->buf + x->len, p, n);
    x->len += n;
    x->buf[x->len] = '\0';
    return n;
}

static int errno_of_status(long status)
{
    switch (status) {
    case 400:
    case 405:
        return EINVAL;
    case 404:
        return ENOENT;
    case 409:
        return EEXIST;
    case 413:
        return E2BIG;
    case 501:
        return ENOTSUP;
    case 503:
        return ESHUTDOWN;
    default:
        return EIO;
    }
}

static int error_from_body(long status, const char *body, struct engine_error *err)
{
    struct json_object *o = body ? json_tokener_parse(body) : NULL, *m = NULL, *e = NULL;
    int code = errno_of_status(status);
    int r;

    if (o && json_object_object_get_ex(o, "errno", &e) && json_object_is_type(e, json_type_int))
        code = json_object_get_int(e);
    if (o && json_object_object_get_ex(o, "message", &m) &&
        json_object_is_type(m, json_type_string))
        r = engine_error_set(err, code, "%s", json_object_get_string(m));
    else
        r = engine_error_set(err, code, "Daemon answered HTTP %ld", status);
    if (o)
        json_object_put(o);
    return r;
}

/* One call. path includes the query. body NULL = none. On a 2xx with
 * ret_json, parses the body (NULL for an empty one). */
struct follower;
static size_t follower_header(char *p, size_t size, size_t nmemb, void *userdata);
static int follower_progress(void *userdata, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                             curl_off_t un);

static int call_full(CURL *curl, const char *socket_path, const char *method, const char *path,
                     const char *body, int out_fd, struct follower *hook,
                     struct json_object **ret_json, struct engine_error *err)
{
    _cleanup_free_ char *url = xasprintf("http://localhost%s", path);
    struct curl_slist *hdrs = NULL;
    struct xfer x = {.curl = curl, .out_fd = out_fd};
    char errbuf[CURL_ERROR_SIZE] = "";
    long status = 0;
    CURLcode cr;
    int r = 0;

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (streq(method, "POST")) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (hook) {
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, follower_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, hook);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, follower_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, hook);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    cr = curl_easy_perform(curl);
    curl_slist_free_all(hdrs);
    (void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (cr != CURLE_OK) {
        if (x.write_errno)
            r = engine_error_errno(err, x.write_errno, "Write output");
        else if (cr == CURLE_COULDNT_CONNECT)
            r = engine_error_set(err, ECONNREFUSED, "Cannot connect to the engine daemon at %s",
                                 socket_path);
        else
            r = engine_error_set(err, EIO, "%s %s on %s: %s", method, path, socket_path,
                                 errbuf[0] ? errbuf : curl_easy_strerror(cr));
        goto out;
    }
    if (status < 200 || status >= 300) {
        r = error_from_body(status, x.buf, err);
        goto out;
    }
    if (ret_json) {
        *ret_json = NULL;
        if (x.buf && x.len) {
            *ret_json = json_tokener_parse(x.buf);
            if (!*ret_json)
                r = engine_error_set(err, EBADMSG, "Daemon sent malformed JSON for %s %s", method,
                                     path);
        }
    }
out:
    free(x.buf);
    return r;
}

static int call_on(CURL *curl, const char *socket_path, const char *method, const char *path,
                   const char *body, int out_fd, struct json_object **ret_json,
                   struct engine_error *err)
{
    return call_full(curl, socket_path, method, path, body, out_fd, NULL, ret_json, err);
}

static int call_on_hooked(CURL *curl, const char *socket_path, const char *method, const char *path,
                          int out_fd, struct follower *hook, struct engine_error *err)
{
    return call_full(curl, socket_path, method, path, NULL, out_fd, hook, NULL, err);
}

static int call(struct engine_client *cl, const char *method, const char *path, const char *body,
                struct json_object **ret_json, struct engine_error *err)
{
    return call_on(cl->curl, cl->socket_path, method, path, body, -1, ret_json, err);
}

/* Path-safe container reference (names and ids are [A-Za-z0-9_.-]). */
static char *ref_path(CURL *curl, const char *ref, const char *suffix)
{
    char *esc = curl_easy_escape(curl, ref, 0);
    char *p = xasprintf("/v1/containers/%s%s", esc ? esc : ref, suffix);

    curl_free(esc);
    return p;
}

static void add_strv(struct json_object *o, const char *key, char *const *v)
{
    struct json_object *a;

    if (!v)
        return;
    a = json_object_new_array();
    for (; *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    json_object_object_add(o, key, a);
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
    if (s)
        json_object_object_add(o, key, json_object_new_string(s));
}

static int remote_create(void *h, const struct engine_create_req *q, char ret_id[65],
                         struct engine_error *err)
{
    struct engine_client *cl = h;
    struct json_object *o = json_object_new_object(), *resp = NULL, *id = NULL;
    const struct engine_limits *l = &q->limits;
    int r;

    if (q->n_mounts) {
        json_object_put(o);
        return engine_error_set(err, ENOTSUP, "Mounts are not supported through the daemon");
    }
    add_str(o, "Name", q->name);
    add_str(o, "Image", q->image);
    add_str(o, "Driver", q->driver);
    add_strv(o, "Cmd", q->argv);
    add_strv(o, "Env", q->env);
    add_str(o, "WorkingDir", q->cwd);
    add_str(o, "Hostname", q->hostname);
    add_str(o, "User", q->user);
    add_str(o, "CpusetCpus", l->cpuset_cpus);
    add_strv(o, "ExecOpts", q->exec_opts);
    if (l->memory_bytes)
        json_object_object_add(o, "Memory", json_object_new_int64(l->memory_bytes));
    if (l->memory_swap_bytes)
        json_object_object_add(o, "MemorySwap", json_object_new_int64(l->memory_swap_bytes));
    if (l->cpu_quota_us && l->cpu_period_us) {
        /* As a string, so the daemon's parse_cpus() gets exactly what we had. */
        char cpus[64];
        snprintf(cpus, sizeof(cpus), "%.6g", (double)l->cpu_quota_us / (double)l->cpu_period_us);
        json_object_object_add(o, "Cpus", json_object_new_string(cpus));
    }
    if (l->cpu_shares)
        json_object_object_add(o, "CpuShares", json_object_new_int64((int64_t)l->cpu_shares));
    if (l->pids_max)
        json_object_object_add(o, "Pids", json_object_new_int64(l->pids_max));
    if (q->readonly_rootfs)
        json_object_object_add(o, "ReadonlyRootfs", json_object_new_boolean(1));
    if (q->auto_remove)
        json_object_object_add(o, "AutoRemove", json_object_new_boolean(1));
    if (q->network_host)
        json_object_object_add(o, "NetworkHost", json_object_new_boolean(1));

    r = call(cl, "POST", "/v1/containers",
             json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), &resp, err);
    json_object_put(o);
    if (r < 0)
        return r;
    if (!resp || !json_object_object_get_ex(resp, "Id", &id) ||
        !json_object_is_type(id, json_type_string) ||
        !engine_id_valid(json_object_get_string(id))) {
        if (resp)
            json_object_put(resp);
        return engine_error_set(err, EBADMSG, "Daemon answered create without a valid Id");
    }
    snprintf(ret_id, 65, "%s", json_object_get_string(id));
    json_object_put(resp);
    return 0;
}

static int wait_on(CURL *curl, const char *socket_path, const char *ref, int *ret_exit_code,
                   struct engine_error *err)
{
    _cleanup_free_ char *p = ref_path(curl, ref, "/wait");
    struct json_object *resp = NULL, *code = NULL;
    int r = call_on(curl, socket_path, "POST", p, NULL, -1, &resp, err);

    if (r < 0)
        return r;
    if (!resp || !json_object_object_get_ex(resp, "StatusCode", &code) ||
        !json_object_is_type(code, json_type_int)) {
        if (resp)
            json_object_put(resp);
        return engine_error_set(err, EBADMSG, "Daemon answered wait without a StatusCode");
    }
    *ret_exit_code = json_object_get_int(code);
    json_object_put(resp);
    return 0;
}

static int remote_wait(void *h, const char *ref, int *ret_exit_code, struct engine_error *err)
{
    struct engine_client *cl = h;

    return wait_on(cl->curl, cl->socket_path, ref, ret_exit_code, err);
}

static int remote_logs(void *h, const char *ref, bool follow, int out_fd, int err_fd,
                       struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *p = ref_path(cl->curl, ref, follow ? "/logs?follow=1" : "/logs");

    return call_on(cl->curl, cl->socket_path, "GET", p, NULL, out_fd, NULL, err);
}

struct waiter {
    const char *socket_path;
    char id[65];
    int exit_code;
    int r;
    struct engine_error err;
};

static void *waiter_main(void *p)
{
    struct waiter *w = p;
    CURL *curl = curl_easy_init();

    if (!curl) {
        w->r = engine_error_set(&w->err, ENOMEM, "curl_easy_init failed");
        return NULL;
    }
    w->r = wait_on(curl, w->socket_path, w->id, &w->exit_code, &w->err);
    curl_easy_cleanup(curl);
    return NULL;
}

/* Follows the log in a thread; "ready" once the daemon answered (it then
 * holds the log open, so nothing the container writes is lost). */
struct follower {
    const char *socket_path;
    char id[65];
    int out_fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool ready, finished;
    volatile int abort;
    int r;
    struct engine_error err;
};

static size_t follower_header(char *p, size_t size, size_t nmemb, void *userdata)
{
    struct follower *f = userdata;

    pthread_mutex_lock(&f->mu);
    f->ready = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return size * nmemb;
}

static int follower_progress(void *userdata, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                             curl_off_t un)
{
    struct follower *f = userdata;

    return f->abort;
}

static void *follower_main(void *p)
{
    struct follower *f = p;
    CURL *curl = curl_easy_init();
    _cleanup_free_ char *path = NULL;

    if (!curl) {
        f->r = engine_error_set(&f->err, ENOMEM, "curl_easy_init failed");
    } else {
        path = xasprintf("/v1/containers/%s/logs?follow=1", f->id);
        f->r = call_on_hooked(curl, f->socket_path, "GET", path, f->out_fd, f, &f->err);
        curl_easy_cleanup(curl);
    }
    pthread_mutex_lock(&f->mu);
    f->finished = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Attached: follow the log first (a created container is waited for), then
 * start, then wait (in a thread, already waiting when the container exits, so
 * an AutoRemove container's exit code is not lost). */
static int remote_start(void *h, const char *ref, const struct engine_attach *attach,
                        int *ret_exit_code, struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *p = ref_path(cl->curl, ref, "/start");
    struct waiter w = {.socket_path = cl->socket_path};
    struct follower f = {.socket_path = cl->socket_path,
                         .mu = PTHREAD_MUTEX_INITIALIZER,
                         .cv = PTHREAD_COND_INITIALIZER};
    struct json_object *info = NULL, *id = NULL;
    pthread_t tw, tf;
    int r;

    if (!attach)
        return call(cl, "POST", p, NULL, NULL, err);

    /* The full id, so the wait still finds it after an auto-remove. */
    {
        _cleanup_free_ char *ip = ref_path(cl->curl, ref, "");
        r = call(cl, "GET", ip, NULL, &info, err);
        if (r < 0)
            return r;
        if (!info || !json_object_object_get_ex(info, "Id", &id) ||
            !json_object_is_type(id, json_type_string)) {
            if (info)
                json_object_put(info);
            return engine_error_set(err, EBADMSG, "Daemon answered inspect without an Id");
        }
        snprintf(w.id, sizeof(w.id), "%s", json_object_get_string(id));
        memcpy(f.id, w.id, sizeof(f.id));
        json_object_put(info);
    }
    f.out_fd = attach->out_fd;
    r = pthread_create(&tf, NULL, follower_main, &f);
    if (r)
        return engine_error_errno(err, r, "Start the log thread");
    pthread_mutex_lock(&f.mu);
    while (!f.ready && !f.finished)
        pthread_cond_wait(&f.cv, &f.mu);
    pthread_mutex_unlock(&f.mu);

    r = call(cl, "POST", p, NULL, NULL, err);
    if (r < 0) {
        f.abort = 1;
        pthread_join(tf, NULL);
        return r;
    }
    r = pthread_create(&tw, NULL, waiter_main, &w);
    if (r) {
        f.abort = 1;
        pthread_join(tf, NULL);
        return engine_error_errno(err, r, "Start the wait thread");
    }
    pthread_join(tf, NULL);
    pthread_join(tw, NULL);
    if (w.r < 0) {
        if (err)
            *err = w.err;
        return w.r;
    }
    if (f.r < 0 && f.r != -ENOENT) {
        if (err)
            *err = f.err;
        return f.r;
    }
    if (ret_exit_code)
        *ret_exit_code = w.exit_code;
    if (attach->exit_fd >= 0) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d\n", w.exit_code);
        (void)!write(attach->exit_fd, buf, (size_t)n);
    }
    return 0;
}

static int remote_stop(void *h, const char *ref, unsigned timeout_s, struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *q = xasprintf("/stop?t=%u", timeout_s);
    _cleanup_free_ char *p = ref_path(cl->curl, ref, q);

    return call(cl, "POST", p, NULL, NULL, err);
}

static int remote_kill(void *h, const char *ref, int sig, struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *q = xasprintf("/kill?signal=%d", sig);
    _cleanup_free_ char *p = ref_path(cl->curl, ref, q);

    return call(cl, "POST", p, NULL, NULL, err);
}

static int remote_remove(void *h, const char *ref, bool force, struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *p = ref_path(cl->curl, ref, force ? "?force=1" : "");

    return call(cl, "DELETE", p, NULL, NULL, err);
}

static int remote_pause(void *h, const char *ref, bool pause, struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *p = ref_path(cl->curl, ref, pause ? "/pause" : "/unpause");

    return call(cl, "POST", p, NULL, NULL, err);
}

static int stat_source_of(const char *s)
{
    for (int i = 0; i < ENGINE_SRC__COUNT; i++) {
        const char *n = engine_stat_source_name((enum engine_stat_source)i);
        if (n && streq(n, s))
            return i;
    }
    return ENGINE_SRC_NONE;
}

/* The inverse of engine_stats_to_json(): each field is {"value": N,
 * "source": "cgroup-v1"}, or null / a missing key when not available. */
static int stats_from_json(struct json_object *o, struct engine_stats *st, struct engine_error *err)
{
    struct json_object *fields = o;

    if (!json_object_is_type(o, json_type_object))
        return engine_error_set(err, EBADMSG, "Daemon sent stats that are not an object");
    (void)json_object_object_get_ex(o, "fields", &fields);
    if (!fields || !json_object_is_type(fields, json_type_object))
        fields = o;
    memset(st->field, 0, sizeof(st->field));
    st->struct_size = sizeof(*st);
    st->n_fields = ENGINE_STAT__COUNT;
    for (int f = 0; f < ENGINE_STAT__COUNT; f++) {
        const char *name = engine_stat_name((enum engine_stat_field)f);
        struct json_object *v = NULL, *val = NULL, *src = NULL;

        if (!name || !json_object_object_get_ex(fields, name, &v) || !v)
            continue;
        if (json_object_is_type(v, json_type_object)) {
            if (!json_object_object_get_ex(v, "value", &val) || !val ||
                json_object_is_type(val, json_type_null))
                continue;
            if (json_object_object_get_ex(v, "source", &src) && src &&
                json_object_is_type(src, json_type_string))
                st->field[f].source = (uint32_t)stat_source_of(json_object_get_string(src));
            else
                st->field[f].source = ENGINE_SRC_MONITOR;
            st->field[f].value = (uint64_t)json_object_get_uint64(val);
        } else if (json_object_is_type(v, json_type_int)) {
            st->field[f].value = (uint64_t)json_object_get_uint64(v);
            st->field[f].source = ENGINE_SRC_MONITOR;
        }
    }
    return 0;
}

static int remote_stats(void *h, const char *ref, struct engine_stats *st, struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *p = ref_path(cl->curl, ref, "/stats");
    struct json_object *o = NULL;
    int r = call(cl, "GET", p, NULL, &o, err);

    if (r < 0)
        return r;
    if (!o)
        return engine_error_set(err, EBADMSG, "Daemon sent empty stats");
    r = stats_from_json(o, st, err);
    json_object_put(o);
    return r;
}

static int get_json(struct engine_client *cl, const char *path, struct json_object **ret,
                    struct engine_error *err)
{
    struct json_object *o = NULL;
    int r = call(cl, "GET", path, NULL, &o, err);

    if (r < 0)
        return r;
    if (!o)
        return engine_error_set(err, EBADMSG, "Daemon sent an empty answer to GET %s", path);
    *ret = o;
    return 0;
}

static int remote_inspect(void *h, const char *ref, struct json_object **ret,
                          struct engine_error *err)
{
    struct engine_client *cl = h;
    _cleanup_free_ char *p = ref_path(cl->curl, ref, "");

    return get_json(cl, p, ret, err);
}

static int remote_list(void *h, struct json_object **ret, struct engine_error *err)
{
    return get_json(h, "/v1/containers?all=1", ret, err);
}

static int remote_drivers(void *h, struct json_object **ret, struct engine_error *err)
{
    return get_json(h, "/v1/drivers", ret, err);
}

static void remote_free(void *h)
{
    struct engine_client *cl = h;

    if (!cl)
        return;
    if (cl->curl)
        curl_easy_cleanup(cl->curl);
    free(cl->socket_path);
    free(cl);
}

static void curl_init_once(void)
{
    (void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

int engine_api_remote(const char *socket_path, struct engine_api *ret, struct engine_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct engine_client *cl;
    _cleanup_close_ int fd = -1;

    if (!socket_path || !*socket_path)
        return engine_error_set(err, EINVAL, "No daemon socket given");
    if (strlen(socket_path) >= sizeof(sa.sun_path))
        return engine_error_set(err, ENAMETOOLONG, "Socket path too long: %s", socket_path);
    /* Answering at all is what decides remote vs in-process: fail fast. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return engine_error_errno(err, errno, "socket");
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return engine_error_errno(err, errno, "No engine daemon at %s", socket_path);

    (void)pthread_once(&once, curl_init_once);
    cl = xcalloc(1, sizeof(*cl));
    cl->socket_path = xstrdup(socket_path);
    cl->curl = curl_easy_init();
    if (!cl->curl) {
        remote_free(cl);
        return engine_error_set(err, ENOMEM, "curl_easy_init failed");
    }
    *ret = (struct engine_api){
        .kind = "remote",
        .h = cl,
        .create = remote_create,
        .start = remote_start,
        .stop = remote_stop,
        .kill = remote_kill,
        .remove = remote_remove,
        .pause = remote_pause,
        .stats = remote_stats,
        .inspect = remote_inspect,
        .list = remote_list,
        .logs = remote_logs,
        .wait = remote_wait,
        .drivers = remote_drivers,
        .free = remote_free,
    };
    return 0;
}
