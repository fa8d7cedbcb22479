/* core/daemon.c - engine -d: the Unix socket and its lock, signals, config
 * reload, re-adopting containers at start, per-container locks and the event
 * stream (learnt from state.json changes seen with inotify). The endpoints
 * live in http-handlers.c.
 *
 * Concurrency: libmicrohttpd runs one thread per connection. Mutating verbs
 * take a per-container lock (daemon_id_lock); creates take one global lock so
 * two requests cannot both claim a name. Reads (list, inspect, stats, logs,
 * wait, events) take no container lock. Every handler holds the context's read
 * lock while it uses the config; SIGHUP takes the write lock to swap it. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "util.h"

static struct daemon *engine_the_daemon;

static pthread_rwlock_t ctx_lock;
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- logging ---- */

void daemon_log(int level, const char *fmt, ...)
{
    static const char *const names[] = {
        [ENGINE_LOG_ERROR] = "error",
        [ENGINE_LOG_WARN] = "warning",
        [ENGINE_LOG_INFO] = "info",
        [ENGINE_LOG_DEBUG] = "debug",
    };
    char ts[64], msg[2048];
    struct timespec now;
    struct tm tm;
    va_list ap;

    if (engine_the_daemon && level > engine_the_daemon->log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ engine[%d]: %s: %s\n", ts, now.tv_nsec / 1000000, (int)getpid(),
            level >= 0 && level <= ENGINE_LOG_DEBUG ? names[level] : "?", msg);
}

void daemon_ctx_rdlock(void)
{
    (void)pthread_rwlock_rdlock(&ctx_lock);
}
void daemon_ctx_unlock(void)
{
    (void)pthread_rwlock_unlock(&ctx_lock);
}
void daemon_create_lock(void)
{
    (void)pthread_mutex_lock(&create_mu);
}
void daemon_create_unlock(void)
{
    (void)pthread_mutex_unlock(&create_mu);
}

/* ---- events ring ---- */

#define EVENTS_RING 1024

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *lines[EVENTS_RING];
    uint64_t head; /* sequence number of the next event */
} events = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void events_emit(const char *action, const struct engine_record *r, const char *id)
{
    struct json_object *o = json_object_new_object();
    uint64_t t = realtime_ns();
    char *line;

    json_object_object_add(o, "Type", json_object_new_string("container"));
    json_object_object_add(o, "Action", json_object_new_string(action));
    json_object_object_add(o, "Id", json_object_new_string(id));
    if (r && r->name)
        json_object_object_add(o, "Name", json_object_new_string(r->name));
    if (r && r->driver)
        json_object_object_add(o, "Driver", json_object_new_string(r->driver));
    if (r && r->image)
        json_object_object_add(o, "Image", json_object_new_string(r->image));
    if (r && streq(action, "die")) {
        json_object_object_add(o, "ExitCode", json_object_new_int(r->exit_code));
        json_object_object_add(o, "OOMKilled", json_object_new_boolean(r->oom_killed));
    }
    json_object_object_add(o, "Time", json_object_new_int64((int64_t)(t / 1000000000ull)));
    json_object_object_add(o, "TimeNano", json_object_new_int64((int64_t)t));
    line = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);

    daemon_log(ENGINE_LOG_DEBUG, "event %s %.12s", action, id);
    pthread_mutex_lock(&events.mu);
    free(events.lines[events.head % EVENTS_RING]);
    events.lines[events.head % EVENTS_RING] = line;
    events.head++;
    pthread_cond_broadcast(&events.cv);
    pthread_mutex_unlock(&events.mu);
}

uint64_t daemon_events_head(void)
{
    uint64_t h;

    pthread_mutex_lock(&events.mu);
    h = events.head;
    pthread_mutex_unlock(&events.mu);
    return h;
}

int daemon_events_get(uint64_t seq, char **ret, int timeout_ms)
{
    struct timespec deadline;
    int r = 0;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&events.mu);
    while (seq >= events.head && !engine_the_daemon->shutting_down) {
        if (pthread_cond_timedwait(&events.cv, &events.mu, &deadline) == ETIMEDOUT)
            break;
    }
    if (seq < events.head) {
        if (events.head - seq > EVENTS_RING) {
            r = -ESPIPE;
        } else {
            *ret = xstrdup(events.lines[seq % EVENTS_RING]);
            r = 1;
        }
    }
    pthread_mutex_unlock(&events.mu);
    return r;
}

static void events_wake_all(void)
{
    pthread_mutex_lock(&events.mu);
    pthread_cond_broadcast(&events.cv);
    pthread_mutex_unlock(&events.mu);
}

/* ---- per-container table: locks and the last status seen ---- */

struct ctr_entry {
    char id[65];
    bool busy, dirty;
    unsigned waiters;
    bool known; /* state.json seen (create emitted) */
    int status;
    uint64_t started_ns;
};

#define RECENT_EXITS 256

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ctr_entry **v;
    size_t n, cap;
    struct {
        char id[65];
        int exit_code;
    } recent[RECENT_EXITS];
    size_t n_recent;
} tbl = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* tbl.mu held */
static struct ctr_entry *entry_get(const char *id, bool create)
{
    struct ctr_entry *e;

    for (size_t i = 0; i < tbl.n; i++)
        if (streq(tbl.v[i]->id, id))
            return tbl.v[i];
    if (!create)
        return NULL;
    if (tbl.n == tbl.cap) {
        tbl.cap = tbl.cap ? tbl.cap * 2 : 64;
        tbl.v = realloc(tbl.v, tbl.cap * sizeof(*tbl.v));
        if (!tbl.v)
            abort();
    }
    e = xcalloc(1, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "%s", id);
    tbl.v[tbl.n++] = e;
    return e;
}

/* tbl.mu held: drop an entry nobody holds and that has no state any more. */
static void entry_maybe_drop(struct ctr_entry *e)
{
    if (e->busy || e->waiters || e->known)
        return;
    for (size_t i = 0; i < tbl.n; i++)
        if (tbl.v[i] == e) {
            tbl.v[i] = tbl.v[--tbl.n];
            free(e);
            return;
        }
}

static void recent_exit_add(const char *id, int code)
{
    size_t i = tbl.n_recent++ % RECENT_EXITS;

    snprintf(tbl.recent[i].id, sizeof(tbl.recent[i].id), "%s", id);
    tbl.recent[i].exit_code = code;
}

/* tbl.mu held */
static bool recent_exit_find(const char *id, int *ret_exit_code)
{
    for (size_t k = 0; k < RECENT_EXITS && k < tbl.n_recent; k++) {
        size_t i = (tbl.n_recent - 1 - k) % RECENT_EXITS;
        if (streq(tbl.recent[i].id, id)) {
            *ret_exit_code = tbl.recent[i].exit_code;
            return true;
        }
    }
    return false;
}

bool daemon_recent_exit(const char *id, int *ret_exit_code)
{
    bool found;

    pthread_mutex_lock(&tbl.mu);
    found = recent_exit_find(id, ret_exit_code);
    pthread_mutex_unlock(&tbl.mu);
    return found;
}

/* Compare state.json with what we saw last and emit the events in between.
 * The caller holds the entry busy, so one container's events stay in order.
 * silent: learn the state without events (the scan at start). */
static void entry_sync(const char *id, bool silent)
{
    struct engine_record *r = NULL;
    struct ctr_entry *e;
    bool started = false;
    int st, code;

    if (engine_state_load(engine_the_daemon->ctx, id, &r, NULL) < 0)
        r = NULL;

    pthread_mutex_lock(&tbl.mu);
    e = entry_get(id, true);
    if (!r) {
        if (e->known && !silent) {
            if (e->status == ENGINE_CTR_RUNNING || e->status == ENGINE_CTR_PAUSED) {
                struct engine_record gone = {.exit_code = -1};
                bool have = recent_exit_find(id, &gone.exit_code);
                events_emit("die", have ? &gone : NULL, id);
            }
            events_emit("destroy", NULL, id);
        }
        e->known = false;
        goto out;
    }
    st = r->status;
    if (st == ENGINE_REC_CREATING)
        goto out; /* not a container yet: "create" once it is */
    if (!e->known) {
        e->known = true;
        if (silent) {
            e->status = st;
            e->started_ns = r->started_ns;
            goto out;
        }
        events_emit("create", r, id);
        e->status = ENGINE_CTR_CREATED;
        e->started_ns = 0;
    }
    if (silent)
        goto out_status;
    if (r->started_ns && r->started_ns != e->started_ns)
        started = true;
    else if (!r->started_ns && st == ENGINE_CTR_RUNNING &&
             (e->status == ENGINE_CTR_CREATED || e->status == ENGINE_CTR_EXITED))
        started = true;
    if (started) {
        events_emit("start", r, id);
        e->status = ENGINE_CTR_RUNNING;
        e->started_ns = r->started_ns;
    }
    if (st == ENGINE_CTR_PAUSED && e->status == ENGINE_CTR_RUNNING)
        events_emit("pause", r, id);
    if (st == ENGINE_CTR_RUNNING && e->status == ENGINE_CTR_PAUSED)
        events_emit("unpause", r, id);
    if (st == ENGINE_CTR_EXITED &&
        (e->status == ENGINE_CTR_RUNNING || e->status == ENGINE_CTR_PAUSED)) {
        if (r->oom_killed)
            events_emit("oom", r, id);
        events_emit("die", r, id);
        if (!recent_exit_find(id, &code) || code != r->exit_code)
            recent_exit_add(id, r->exit_code);
    }
out_status:
    e->status = st;
out:
    pthread_mutex_unlock(&tbl.mu);
    engine_record_free(r);
}

void daemon_id_lock(const char *id)
{
    struct ctr_entry *e;

    pthread_mutex_lock(&tbl.mu);
    e = entry_get(id, true);
    e->waiters++;
    while (e->busy)
        pthread_cond_wait(&tbl.cv, &tbl.mu);
    e->waiters--;
    e->busy = true;
    pthread_mutex_unlock(&tbl.mu);
}

/* Sync before letting go; a change the watcher saw meanwhile (dirty) is synced
 * too, so no event is lost between our sync and the unlock. */
static void id_release(const char *id, bool silent)
{
    struct ctr_entry *e;

    for (;;) {
        entry_sync(id, silent);
        pthread_mutex_lock(&tbl.mu);
        e = entry_get(id, true);
        if (e->dirty) {
            e->dirty = false;
            pthread_mutex_unlock(&tbl.mu);
            continue;
        }
        e->busy = false;
        pthread_cond_broadcast(&tbl.cv);
        entry_maybe_drop(e);
        pthread_mutex_unlock(&tbl.mu);
        return;
    }
}

void daemon_id_unlock(const char *id)
{
    id_release(id, false);
}

/* Something changed on disk for id (from the inotify watcher). */
static void id_notify(const char *id, bool silent)
{
    struct ctr_entry *e;

    pthread_mutex_lock(&tbl.mu);
    e = entry_get(id, true);
    if (e->busy) {
        e->dirty = true;
        pthread_mutex_unlock(&tbl.mu);
        return;
    }
    e->busy = true;
    pthread_mutex_unlock(&tbl.mu);
    id_release(id, silent);
}

/* ---- inotify watcher ---- */

struct watcher {
    int fd;
    int root_wd;
    struct {
        int wd;
        char id[65];
    } * w;
    size_t n, cap;
    pthread_t thread;
    bool running;
};

static struct watcher watcher = {.fd = -1, .root_wd = -1};

static void watcher_add(const char *id)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", engine_the_daemon->ctx->state_dir, id);
    int wd = inotify_add_watch(watcher.fd, dir,
                               IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_ONLYDIR);

    if (wd < 0)
        return;
    for (size_t i = 0; i < watcher.n; i++)
        if (watcher.w[i].wd == wd)
            return;
    if (watcher.n == watcher.cap) {
        watcher.cap = watcher.cap ? watcher.cap * 2 : 64;
        watcher.w = realloc(watcher.w, watcher.cap * sizeof(*watcher.w));
        if (!watcher.w)
            abort();
    }
    watcher.w[watcher.n].wd = wd;
    snprintf(watcher.w[watcher.n].id, sizeof(watcher.w[0].id), "%s", id);
    watcher.n++;
}

static const char *watcher_id(int wd, bool drop)
{
    static char id[65];

    for (size_t i = 0; i < watcher.n; i++)
        if (watcher.w[i].wd == wd) {
            snprintf(id, sizeof(id), "%s", watcher.w[i].id);
            if (drop)
                watcher.w[i] = watcher.w[--watcher.n];
            return id;
        }
    return NULL;
}

/* Watch every container dir and sync each (silent: at start, no events). */
static void watcher_rescan(bool silent)
{
    _cleanup_closedir_ DIR *d = opendir(engine_the_daemon->ctx->state_dir);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d))) {
        if (!engine_id_valid(de->d_name))
            continue;
        watcher_add(de->d_name);
        id_notify(de->d_name, silent);
    }
    /* Ids we know whose dir is gone. */
    for (;;) {
        char gone[65] = "";
        pthread_mutex_lock(&tbl.mu);
        for (size_t i = 0; i < tbl.n; i++) {
            _cleanup_free_ char *p = NULL;
            if (!tbl.v[i]->known || tbl.v[i]->busy)
                continue;
            p = xasprintf("%s/%s", engine_the_daemon->ctx->state_dir, tbl.v[i]->id);
            if (!path_exists(p)) {
                snprintf(gone, sizeof(gone), "%s", tbl.v[i]->id);
                break;
            }
        }
        pthread_mutex_unlock(&tbl.mu);
        if (!gone[0])
            break;
        id_notify(gone, silent);
    }
}

/* Read the exit code the moment the monitor writes it, even while a handler
 * holds the container: an AutoRemove container's state may be gone by the
 * time the holder syncs, and a late wait still wants the code. */
static void capture_exit(const char *id)
{
    struct engine_record *r = NULL;

    if (engine_state_load(engine_the_daemon->ctx, id, &r, NULL) < 0)
        return;
    if (r->status == ENGINE_CTR_EXITED) {
        int code;
        pthread_mutex_lock(&tbl.mu);
        if (!recent_exit_find(id, &code) || code != r->exit_code)
            recent_exit_add(id, r->exit_code);
        pthread_mutex_unlock(&tbl.mu);
    }
    engine_record_free(r);
}

static void watcher_handle(const struct inotify_event *ev)
{
    const char *id;

    if (ev->mask & IN_Q_OVERFLOW) {
        watcher_rescan(false);
        return;
    }
    if (ev->wd == watcher.root_wd) {
        if (!ev->len || !engine_id_valid(ev->name))
            return;
        if (ev->mask & (IN_CREATE | IN_MOVED_TO))
            watcher_add(ev->name);
        id_notify(ev->name, false);
        return;
    }
    id = watcher_id(ev->wd, ev->mask & (IN_DELETE_SELF | IN_IGNORED));
    if (!id)
        return;
    if (ev->len && streq(ev->name, "state.json"))
        capture_exit(id);
    if ((ev->mask & (IN_DELETE_SELF | IN_IGNORED)) || (ev->len && streq(ev->name, "state.json")))
        id_notify(id, false);
}

static void *watcher_main(void *arg)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

    while (!engine_the_daemon->shutting_down) {
        struct pollfd p = {.fd = watcher.fd, .events = POLLIN};
        ssize_t n;

        if (poll(&p, 1, 500) <= 0)
            continue;
        n = read(watcher.fd, buf, sizeof(buf));
        if (n <= 0)
            continue;
        for (char *q = buf; q < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            watcher_handle(ev);
            q += sizeof(*ev) + ev->len;
        }
    }
    return NULL;
}

static int watcher_start(struct engine_error *err)
{
    const char *dir = engine_the_daemon->ctx->state_dir;
    int r;

    watcher.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (watcher.fd < 0)
        return engine_error_errno(err, errno, "inotify_init1");
    watcher.root_wd = inotify_add_watch(
        watcher.fd, dir, IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR);
    if (watcher.root_wd < 0)
        return engine_error_errno(err, errno, "Watch state directory %s", dir);
    watcher_rescan(true);
    r = pthread_create(&watcher.thread, NULL, watcher_main, NULL);
    if (r)
        return engine_error_errno(err, r, "Start the state watcher");
    watcher.running = true;
    return 0;
}

/* ---- containers at start ---- */

/* Re-adopt what runs, show what exited while we were down, clean up a create
 * that was interrupted (a record that never got past "creating"). */
static void restore_containers(struct engine_ctx *ctx)
{
    struct engine_record **v = NULL;
    struct engine_error err = {0};
    size_t n = 0, running = 0, exited = 0, cleaned = 0;

    if (engine_container_list(ctx, &v, &n, &err) < 0) {
        daemon_log(ENGINE_LOG_WARN, "List containers: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct engine_record *r = v[i], *now = NULL;

        if (r->status == ENGINE_REC_CREATING) {
            engine_error_clear(&err);
            if (engine_container_remove(ctx, r->id, true, &err) < 0)
                daemon_log(ENGINE_LOG_WARN, "Clean up interrupted create of %.12s: %s", r->id,
                           err.msg);
            else
                cleaned++;
            continue;
        }
        if (r->status != ENGINE_CTR_RUNNING && r->status != ENGINE_CTR_PAUSED) {
            exited += r->status == ENGINE_CTR_EXITED;
            continue;
        }
        engine_error_clear(&err);
        if (engine_container_inspect(ctx, r->id, &now, &err) < 0) {
            daemon_log(ENGINE_LOG_WARN, "Restore container %.12s: %s", r->id, err.msg);
            continue;
        }
        if (now->status == ENGINE_CTR_RUNNING || now->status == ENGINE_CTR_PAUSED)
            running++;
        else
            daemon_log(ENGINE_LOG_INFO,
                       "Container %.12s (%s) exited while the daemon was down, "
                       "exit code %d",
                       r->id, r->name ? r->name : "", now->exit_code);
        engine_record_free(now);
    }
    daemon_log(ENGINE_LOG_INFO,
               "Restored %zu running container(s), %zu exited, %zu "
               "interrupted create(s) cleaned up",
               running, exited, cleaned);
    engine_records_free(v, n);
}

/* ---- children ---- */

/* The core waits for the children it forks itself; reaping everything with
 * waitpid(-1) on SIGCHLD would steal their status. So only reap a child that
 * stayed a zombie across two ticks: nobody else is waiting for it. */
static void reap_stale_children(void)
{
    static pid_t seen[64];
    static size_t n_seen;
    pid_t now[64];
    size_t n_now = 0;
    _cleanup_closedir_ DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t me = getpid();

    if (!d)
        return;
    while ((de = readdir(d)) && n_now < ELEMENTSOF(now)) {
        char path[300], buf[512], *p, state;
        int ppid;
        ssize_t len;
        int fd;

        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
            continue;
        if (ppid == me && state == 'Z')
            now[n_now++] = (pid_t)atoi(de->d_name);
    }
    for (size_t i = 0; i < n_now; i++)
        for (size_t j = 0; j < n_seen; j++)
            if (now[i] == seen[j] && waitpid(now[i], NULL, WNOHANG) > 0)
                daemon_log(ENGINE_LOG_DEBUG, "Reaped child %d", (int)now[i]);
    memcpy(seen, now, n_now * sizeof(*now));
    n_seen = n_now;
}

/* ---- config reload ---- */

static void reload_config(struct daemon *dm)
{
    struct engine_ctx *ctx = dm->ctx;
    const struct engine_ctx_opts *co = dm->opts->ctx_opts;
    struct engine_config cfg = {0}, old;
    struct engine_error err = {0};
    _cleanup_free_ char *path = NULL;
    bool optional = false;

    /* A copy: ctx->cfg.file goes with the old config. */
    if (ctx->cfg.file)
        path = xstrdup(ctx->cfg.file);
    else if (co->config_path)
        path = xstrdup(co->config_path);
    else if (getenv("ENGINE_CONFIG"))
        path = xstrdup(getenv("ENGINE_CONFIG"));
    else {
        path = xstrdup(ENGINE_DEFAULT_CONFIG);
        optional = true;
    }
    if (engine_config_load(path, optional, &cfg, &err) < 0) {
        daemon_log(ENGINE_LOG_ERROR, "Reload: %s; keeping the old configuration", err.msg);
        engine_config_free(&cfg);
        return;
    }
    for (char *const *o = co->exec_opts; o && *o; o++) {
        const char *drv = engine_config_pick_driver(&cfg, NULL, ctx->daemon_driver);
        if (engine_config_add_exec_opt(&cfg, *o, drv, &err) < 0) {
            daemon_log(ENGINE_LOG_ERROR, "Reload: %s; keeping the old configuration", err.msg);
            engine_config_free(&cfg);
            return;
        }
    }
    if ((cfg.state_dir && (!ctx->cfg.state_dir || !streq(cfg.state_dir, ctx->cfg.state_dir))) ||
        (cfg.root && (!ctx->cfg.root || !streq(cfg.root, ctx->cfg.root))))
        daemon_log(ENGINE_LOG_WARN, "Reload: state_dir/root changes need a daemon restart");

    pthread_rwlock_wrlock(&ctx_lock);
    old = ctx->cfg;
    ctx->cfg = cfg;
    pthread_rwlock_unlock(&ctx_lock);
    engine_config_free(&old);
    daemon_log(ENGINE_LOG_INFO, "Reloaded configuration from %s", path);
}

/* ---- the socket ---- */

const char *engine_host_socket_path(const char *s)
{
    if (!s)
        return NULL;
    if (strncmp(s, "unix://", 7) == 0)
        return s + 7;
    return s;
}

static int socket_answers(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    return 0;
}

/* The lock file next to the socket holds our pid under flock; a second daemon
 * reads it to name who serves. Returns the locked fd. */
static int take_socket_lock(const char *sock, struct engine_error *err)
{
    _cleanup_free_ char *lock = xasprintf("%s.pid", sock);
    _cleanup_close_ int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0)
        return engine_error_errno(err, errno, "Open lock file %s", lock);
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        int pid = n > 0 ? atoi(buf) : 0;

        if (errno != EWOULDBLOCK)
            return engine_error_errno(err, errno, "Lock %s", lock);
        return engine_error_set(err, EADDRINUSE, "Another engine daemon (pid %d) is serving %s",
                                pid, sock);
    }
    if (socket_answers(sock) == 0)
        return engine_error_set(err, EADDRINUSE, "Another engine daemon is serving %s", sock);
    return steal_fd(&fd);
}

static int write_pid(int fd)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
        return -errno;
    return 0;
}

static int bind_socket(const char *path, struct engine_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    _cleanup_free_ char *dir = xstrdup(path);
    _cleanup_close_ int fd = -1;
    struct group *g;
    char *slash;
    mode_t old;
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return engine_error_set(err, ENAMETOOLONG, "Socket path too long: %s", path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        r = mkdir_p(dir, 0755);
        if (r < 0)
            return engine_error_errno(err, r, "Create %s", dir);
    }
    if (unlink(path) == 0)
        daemon_log(ENGINE_LOG_INFO, "Removed stale socket %s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return engine_error_errno(err, errno, "socket");
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    old = umask(0117);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0)
        return engine_error_errno(err, errno, "Bind %s", path);
    g = getgrnam("engine");
    if (chown(path, 0, g ? g->gr_gid : 0) < 0 && geteuid() == 0)
        daemon_log(ENGINE_LOG_WARN, "chown %s: %s", path, strerror(errno));
    if (chmod(path, 0660) < 0)
        return engine_error_errno(err, errno, "chmod %s", path);
    if (listen(fd, 128) < 0)
        return engine_error_errno(err, errno, "Listen on %s", path);
    return steal_fd(&fd);
}

/* ---- detaching ---- */

/* Fork; the parent waits for the child's word ("ok" or an error message) and
 * returns it, the child returns 1 with *ret_fd to report through. */
static int detach(int *ret_fd, struct engine_error *err)
{
    int p[2];
    pid_t pid;
    char buf[ENGINE_ERROR_MSG_MAX] = "";
    ssize_t n;

    if (pipe2(p, O_CLOEXEC) < 0)
        return engine_error_errno(err, errno, "pipe");
    pid = fork();
    if (pid < 0)
        return engine_error_errno(err, errno, "fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        close(p[0]);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        setsid();
        *ret_fd = p[1];
        return 1;
    }
    close(p[1]);
    n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    if (n > 0 && strncmp(buf, "ok", 2) == 0)
        return 0;
    if (n <= 0) {
        int st = 0;
        waitpid(pid, &st, 0);
        return engine_error_set(err, EIO, "Daemon exited before serving");
    }
    buf[n] = '\0';
    return engine_error_set(err, EIO, "%s", buf);
}

/* ---- signals ---- */

/* Handlers that write to a pipe rather than a blocked mask: the monitors the
 * core forks from our threads must not inherit blocked or ignored signals
 * (handled ones are reset by exec). SIGPIPE gets a no-op handler so a write
 * to a gone client fails with EPIPE instead of killing us. */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char c = (unsigned char)sig;

    (void)!write(sig_pipe[1], &c, 1);
    errno = saved;
}

static void on_sigpipe(int sig)
{
    (void)sig;
}

static int signals_setup(struct engine_error *err)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigset_t none;

    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return engine_error_errno(err, errno, "pipe");
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
        (void)sigaction(sigs[i], &sa, NULL);
    sa.sa_handler = on_sigpipe;
    (void)sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&none);
    (void)pthread_sigmask(SIG_SETMASK, &none, NULL);
    return 0;
}

/* ---- main ---- */

static int serve(struct daemon *dm, int lock_fd, int listen_fd, int report_fd,
                 struct engine_error *err)
{
    struct MHD_Daemon *mhd;
    bool stop = false;

    mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                               MHD_USE_POLL | MHD_USE_ITC,
                           0, NULL, NULL, (MHD_AccessHandlerCallback)daemon_http_access, dm,
                           MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_COMPLETED,
                           daemon_http_completed, dm, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
                           MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
    if (!mhd)
        return engine_error_set(err, EIO, "Start the HTTP server on %s", dm->socket_path);
    daemon_log(ENGINE_LOG_INFO, "Serving the API v%s on %s (default driver %s, state %s)",
               ENGINE_API_VERSION, dm->socket_path,
               engine_config_pick_driver(&dm->ctx->cfg, NULL, dm->ctx->daemon_driver),
               dm->ctx->state_dir);
    (void)write_pid(lock_fd);
    if (report_fd >= 0) {
        (void)!write(report_fd, "ok", 2);
        close(report_fd);
    }

    while (!stop) {
        struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};
        unsigned char sig = 0;

        if (poll(&p, 1, 2000) <= 0 || read(sig_pipe[0], &sig, 1) != 1) {
            reap_stale_children();
            continue;
        }
        switch (sig) {
        case SIGTERM:
        case SIGINT:
            daemon_log(ENGINE_LOG_INFO, "Got %s, shutting down (containers keep running)",
                       strsignal(sig));
            stop = true;
            break;
        case SIGHUP:
            reload_config(dm);
            break;
        default:
            reap_stale_children();
            break;
        }
    }

    /* Stop accepting, then close what is open. A handler blocked in a wait
     * or a log follow may not return soon: give the server a moment, then
     * leave without it (the containers have their own monitors). */
    (void)MHD_quiesce_daemon(mhd);
    (void)unlink(dm->socket_path);
    dm->shutting_down = 1;
    events_wake_all();
    {
        pid_t pid = fork();
        if (pid == 0) {
            /* Watchdog: our parent's MHD_stop_daemon may wait on a stuck
             * handler thread. */
            sleep(3);
            kill(getppid(), SIGKILL);
            _exit(0);
        }
        MHD_stop_daemon(mhd);
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
    }
    return 0;
}

int engine_daemon_run(const struct engine_daemon_opts *o, struct engine_error *err)
{
    struct daemon dm = {.opts = o, .log_level = o->log_level};
    struct engine_ctx_opts co = *o->ctx_opts;
    _cleanup_close_ int lock_fd = -1, listen_fd = -1;
    _cleanup_free_ char *sock = NULL;
    int report_fd = -1, r;
    pthread_rwlockattr_t ra;

    engine_the_daemon = &dm;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&ctx_lock, &ra);

    r = engine_ctx_new(&co, &dm.ctx, err);
    if (r < 0)
        return r;
    if (o->socket_path)
        sock = xstrdup(o->socket_path);
    else if (dm.ctx->cfg.socket)
        sock = xstrdup(dm.ctx->cfg.socket);
    else
        sock = xasprintf("%s/engine.sock", dm.ctx->state_dir); /* where the CLI looks */
    dm.socket_path = sock;

    r = mkdir_p(dm.ctx->state_dir, 0711);
    if (r < 0) {
        r = engine_error_errno(err, r, "Create %s", dm.ctx->state_dir);
        goto out;
    }
    {
        _cleanup_free_ char *dir = xstrdup(sock);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            (void)mkdir_p(dir, 0755);
        }
    }
    lock_fd = take_socket_lock(sock, err);
    if (lock_fd < 0) {
        r = lock_fd;
        goto out;
    }
    listen_fd = bind_socket(sock, err);
    if (listen_fd < 0) {
        r = listen_fd;
        goto out;
    }
    if (o->detach) {
        r = detach(&report_fd, err);
        if (r <= 0) {
            /* The parent: the child owns the socket now. */
            engine_ctx_free(dm.ctx);
            engine_the_daemon = NULL;
            return r;
        }
        /* A detached daemon must not hold its caller's stdout/stderr (a
         * `scripts/run.sh | tee` would never end): its log goes to a file. */
        {
            _cleanup_free_ char *log = xasprintf("%s/engine.log", dm.ctx->state_dir);
            int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

            if (lfd < 0)
                lfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (lfd >= 0) {
                (void)dup2(lfd, STDOUT_FILENO);
                (void)dup2(lfd, STDERR_FILENO);
                (void)close(lfd);
            }
        }
    }
    if (o->pidfile) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
        r = write_file_atomic(o->pidfile, buf, strlen(buf), 0644);
        if (r < 0) {
            r = engine_error_errno(err, r, "Write pidfile %s", o->pidfile);
            goto out_report;
        }
    }

    r = signals_setup(err);
    if (r < 0)
        goto out_report;

    restore_containers(dm.ctx);
    r = watcher_start(err);
    if (r < 0)
        goto out_report;
    r = serve(&dm, lock_fd, listen_fd, report_fd, err);
    report_fd = -1;
    if (r >= 0)
        daemon_log(ENGINE_LOG_INFO, "Stopped");

out_report:
    if (report_fd >= 0) {
        (void)!write(report_fd, err->msg, strlen(err->msg));
        close(report_fd);
    }
    if (r < 0 && listen_fd >= 0)
        (void)unlink(sock);
    if (o->pidfile)
        (void)unlink(o->pidfile);
out:
    dm.shutting_down = 1;
    if (watcher.running) {
        pthread_join(watcher.thread, NULL);
        watcher.running = false;
    }
    /* MHD_stop_daemon() joined every handler (or the watchdog killed us). */
    engine_ctx_free(dm.ctx);
    engine_the_daemon = NULL;
    return r;
}
