/* core/isolate.c - a driver isolated in a helper process.
 *
 * With `[driver.NAME] isolate = yes` the module's table is replaced by a proxy.
 * The proxy's init forks a helper that calls the real init and then serves
 * one request at a time on a SOCK_SEQPACKET socketpair: a fixed header, then
 * (for create/restore) the serialised spec; start() passes the three stdio fds
 * with SCM_RIGHTS. Every message is bounded by ISOLATE_MSG_MAX. A handle on
 * the proxy side is a small id in the helper plus a copy of the spec it was
 * made from, so that after the helper died the next call forks a fresh one
 * and restore()s the handle there.
 *
 * start() must leave the container a child of the caller's subreaper (the
 * monitor): the helper runs the real start() in a short-lived child of its
 * own, and when that child exits the container is reparented to the monitor.
 *
 * fork() elsewhere in the process (the monitor is forked from the CLI) must
 * not share a helper: a pthread_atfork handler makes every child forget its
 * parent's helpers, so it forks its own on first use. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "isolate.h"
#include "loader.h"
#include "util.h"

#define ISOLATE_MSG_MAX (128 * 1024) /* below the default AF_UNIX send buffer */
#define ISOLATE_MAX_HANDLES 4096
#define ISOLATE_POLL_MS 200 /* how often a waiting caller checks the helper lives */

enum isolate_op {
    OP_HELLO = 1, /* helper -> proxy once, the result of the real init */
    OP_PROBE,
    OP_CREATE,
    OP_RESTORE,
    OP_START,
    OP_STATS,
    OP_DESTROY,
    OP_RELEASE,
    OP_STOP,
    OP_STATE,
    OP_PAUSE,
    OP_RESUME,
};

static const char *const op_names[] = {
    [OP_HELLO] = "init",  [OP_PROBE] = "probe", [OP_CREATE] = "create",   [OP_RESTORE] = "restore",
    [OP_START] = "start", [OP_STATS] = "stats", [OP_DESTROY] = "destroy", [OP_RELEASE] = "release",
    [OP_STOP] = "stop",   [OP_STATE] = "state", [OP_PAUSE] = "pause",     [OP_RESUME] = "resume",
};

struct req_hdr {
    uint32_t op;
    uint32_t pad;
    uint64_t handle;
    int64_t a, b; /* stop: signal, timeout_ms */
};

struct rsp_hdr {
    int32_t rc;
    uint32_t pad;
    uint64_t handle; /* create/restore: the new handle */
    int64_t pid;     /* start */
    struct engine_error err;
};

/* One isolated driver, proxy side. */
struct proxy {
    struct proxy *next;
    char *name;
    struct engine_driver real;
    const struct engine_host *host;
    struct engine_opt *opts; /* deep copies: a re-forked helper inits again */
    size_t n_opts;
    pthread_mutex_t lock; /* one request at a time per helper */
    int fd;               /* -1: no helper */
    pid_t pid;
    unsigned gen; /* bumped when the helper goes away: handles restore */
};

/* A handle on the proxy side. */
struct proxy_ctr {
    struct proxy *p;
    uint64_t remote;
    unsigned gen;
    char *spec;
    size_t spec_len;
};

static struct proxy *proxies;
static pthread_mutex_t proxies_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int helper_sock = -1; /* in a helper: its end of the socket */

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* A forked child (a monitor, a driver's own child in the helper) must never
 * talk on its parent's sockets nor keep them open. */
static void isolate_atfork_child(void)
{
    (void)pthread_mutex_init(&proxies_lock, NULL);
    for (struct proxy *p = proxies; p; p = p->next) {
        (void)pthread_mutex_init(&p->lock, NULL);
        if (p->fd >= 0)
            (void)close(p->fd);
        if (p->fd >= 0 || p->pid > 0)
            p->gen++;
        p->fd = -1;
        p->pid = 0;
    }
    if (helper_sock >= 0)
        (void)close(helper_sock);
    helper_sock = -1;
}

static void isolate_atfork_register(void)
{
    (void)pthread_atfork(NULL, NULL, isolate_atfork_child);
}

bool engine_isolate_wanted(const struct engine_config *cfg, const char *driver)
{
    const char *v = NULL;

    for (size_t i = 0; cfg && i < cfg->n_opts; i++)
        if (streq(cfg->opts[i].driver, driver) && streq(cfg->opts[i].key, "isolate"))
            v = cfg->opts[i].value; /* the last one set wins */
    return v && (streq(v, "yes") || streq(v, "true") || streq(v, "1"));
}

/* ---- serialising a spec ---- */

struct wbuf {
    char *data;
    size_t len, cap;
    bool overflow;
};

static void put(struct wbuf *b, const void *p, size_t n)
{
    if (b->overflow || b->len + n > ISOLATE_MSG_MAX - sizeof(struct req_hdr)) {
        b->overflow = true;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *d;

        while (cap < b->len + n)
            cap *= 2;
        d = realloc(b->data, cap);
        if (!d)
            abort();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_u64(struct wbuf *b, uint64_t v)
{
    put(b, &v, sizeof(v));
}

static void put_str(struct wbuf *b, const char *s)
{
    uint64_t n = s ? strlen(s) : UINT64_MAX;

    put_u64(b, n);
    if (s)
        put(b, s, strlen(s) + 1);
}

static void put_strv(struct wbuf *b, char *const *v)
{
    uint64_t n = 0;

    while (v && v[n])
        n++;
    put_u64(b, v ? n : UINT64_MAX);
    for (uint64_t i = 0; i < n; i++)
        put_str(b, v[i]);
}

static void put_spec(struct wbuf *b, const struct engine_spec *s)
{
    const struct engine_limits *l = &s->limits;

    put_str(b, s->id);
    put_str(b, s->name);
    put_str(b, s->image);
    put_str(b, s->image_dir);
    put_str(b, s->rootfs);
    put_str(b, s->state_dir);
    put_strv(b, s->argv);
    put_strv(b, s->env);
    put_str(b, s->cwd);
    put_str(b, s->hostname);
    put_str(b, s->user);
    put_u64(b, (uint64_t)s->readonly_rootfs);
    put_u64(b, (uint64_t)s->userns);
    put_u64(b, (uint64_t)s->network_host);
    put_u64(b, (uint64_t)l->memory_bytes);
    put_u64(b, (uint64_t)l->memory_swap_bytes);
    put_u64(b, l->cpu_quota_us);
    put_u64(b, l->cpu_period_us);
    put_u64(b, l->cpu_shares);
    put_u64(b, (uint64_t)l->pids_max);
    put_str(b, l->cpuset_cpus);
    put_u64(b, s->n_mounts);
    for (size_t i = 0; i < s->n_mounts; i++) {
        put_str(b, s->mounts[i].source);
        put_str(b, s->mounts[i].target);
        put_str(b, s->mounts[i].type);
        put_str(b, s->mounts[i].options);
        put_u64(b, (uint64_t)s->mounts[i].readonly);
    }
    put_u64(b, s->n_opts);
    for (size_t i = 0; i < s->n_opts; i++) {
        put_str(b, s->opts[i].key);
        put_str(b, s->opts[i].value);
    }
}

struct rbuf {
    const char *p;
    size_t left;
    bool bad;
};

static uint64_t get_u64(struct rbuf *r)
{
    uint64_t v = 0;

    if (r->bad || r->left < sizeof(v)) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->p, sizeof(v));
    r->p += sizeof(v);
    r->left -= sizeof(v);
    return v;
}

/* Points into the message: it outlives the call it serves. */
static const char *get_str(struct rbuf *r)
{
    uint64_t n = get_u64(r);
    const char *s;

    if (r->bad || n == UINT64_MAX)
        return NULL;
    if (n >= r->left || r->p[n] != '\0') {
        r->bad = true;
        return NULL;
    }
    s = r->p;
    r->p += n + 1;
    r->left -= n + 1;
    return s;
}

/* A count of items each at least min bytes long: never more than the rest. */
static size_t get_count(struct rbuf *r, size_t min)
{
    uint64_t n = get_u64(r);

    if (n > r->left / min)
        r->bad = true;
    return r->bad ? 0 : (size_t)n;
}

static char **get_strv(struct rbuf *r)
{
    uint64_t n = get_u64(r);
    char **v;

    if (r->bad || n == UINT64_MAX) /* a NULL list */
        return NULL;
    if (n > r->left / sizeof(uint64_t)) {
        r->bad = true;
        return NULL;
    }
    v = xcalloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = (char *)get_str(r);
    return v;
}

struct decoded_spec {
    struct engine_spec spec;
    char **argv, **env;
    struct engine_mount *mounts;
    struct engine_opt *opts;
};

static void decoded_spec_free(struct decoded_spec *d)
{
    free(d->argv);
    free(d->env);
    free(d->mounts);
    free(d->opts);
}

static int get_spec(struct rbuf *r, struct decoded_spec *d)
{
    struct engine_spec *s = &d->spec;
    struct engine_limits *l = &s->limits;

    memset(d, 0, sizeof(*d));
    s->struct_size = sizeof(*s);
    s->id = get_str(r);
    s->name = get_str(r);
    s->image = get_str(r);
    s->image_dir = get_str(r);
    s->rootfs = get_str(r);
    s->state_dir = get_str(r);
    s->argv = d->argv = get_strv(r);
    s->env = d->env = get_strv(r);
    s->cwd = get_str(r);
    s->hostname = get_str(r);
    s->user = get_str(r);
    s->readonly_rootfs = (int)get_u64(r);
    s->userns = (int)get_u64(r);
    s->network_host = (int)get_u64(r);
    l->memory_bytes = (int64_t)get_u64(r);
    l->memory_swap_bytes = (int64_t)get_u64(r);
    l->cpu_quota_us = get_u64(r);
    l->cpu_period_us = get_u64(r);
    l->cpu_shares = get_u64(r);
    l->pids_max = (int64_t)get_u64(r);
    l->cpuset_cpus = get_str(r);
    s->n_mounts = get_count(r, 5 * sizeof(uint64_t));
    if (s->n_mounts)
        s->mounts = d->mounts = xcalloc(s->n_mounts, sizeof(*d->mounts));
    for (size_t i = 0; i < s->n_mounts && !r->bad; i++) {
        d->mounts[i].source = get_str(r);
        d->mounts[i].target = get_str(r);
        d->mounts[i].type = get_str(r);
        d->mounts[i].options = get_str(r);
        d->mounts[i].readonly = (int)get_u64(r);
    }
    s->n_opts = get_count(r, 2 * sizeof(uint64_t));
    if (s->n_opts)
        s->opts = d->opts = xcalloc(s->n_opts, sizeof(*d->opts));
    for (size_t i = 0; i < s->n_opts && !r->bad; i++) {
        d->opts[i].key = get_str(r);
        d->opts[i].value = get_str(r);
    }
    if (r->bad) {
        decoded_spec_free(d);
        return -EBADMSG;
    }
    return 0;
}

/* ---- messages ---- */

static int send_msg(int fd, const void *hdr, size_t hlen, const void *body, size_t blen,
                    const int *fds, size_t n_fds)
{
    struct iovec iov[2] = {{(void *)hdr, hlen}, {(void *)body, blen}};
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = blen ? 2 : 1};
    ssize_t n;

    if (n_fds > 0) {
        struct cmsghdr *c;

        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
    }
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == hlen + blen ? 0 : -EMSGSIZE;
}

/* Receive one message into buf (ISOLATE_MSG_MAX bytes). 0 on EOF, else its
 * length; up to 3 fds into fds (close-on-exec), their count in *n_fds. */
static ssize_t recv_msg(int fd, char *buf, int *fds, size_t *n_fds)
{
    struct iovec iov = {buf, ISOLATE_MSG_MAX};
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n;

    if (n_fds)
        *n_fds = 0;
    do
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        size_t k;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int f;

            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (n_fds && *n_fds < 3)
                fds[(*n_fds)++] = f;
            else
                (void)close(f);
        }
    }
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        return -EMSGSIZE;
    return n;
}

/* ---- the helper ---- */

struct helper {
    const struct engine_driver *t;
    struct engine_drv *drv;
    struct engine_ctr **ctrs; /* handle id = index + 1 */
    size_t n_ctrs;
    const char *name;
};

static uint64_t helper_add(struct helper *h, struct engine_ctr *c)
{
    for (size_t i = 0; i < h->n_ctrs; i++)
        if (!h->ctrs[i]) {
            h->ctrs[i] = c;
            return i + 1;
        }
    if (h->n_ctrs >= ISOLATE_MAX_HANDLES)
        return 0;
    h->ctrs = realloc(h->ctrs, (h->n_ctrs + 1) * sizeof(*h->ctrs));
    if (!h->ctrs)
        abort();
    h->ctrs[h->n_ctrs++] = c;
    return h->n_ctrs;
}

static struct engine_ctr *helper_ctr(struct helper *h, uint64_t id)
{
    return id >= 1 && id <= h->n_ctrs ? h->ctrs[id - 1] : NULL;
}

static void describe_death(char *buf, size_t len, int status)
{
    if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));

        if (abbrev)
            snprintf(buf, len, "crashed (SIG%s)", abbrev);
        else
            snprintf(buf, len, "crashed (signal %d)", WTERMSIG(status));
    } else if (WIFEXITED(status)) {
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, len, "died");
    }
}

/* start() in a child of the helper that exits once start() returned, so the
 * container it made is reparented to the caller's subreaper (the monitor). */
static void helper_start(struct helper *h, struct engine_ctr *c, const int *fds,
                         struct rsp_hdr *rsp)
{
    struct engine_stdio io = {.in = fds[0], .out = fds[1], .err = fds[2]};
    struct {
        int32_t rc;
        int64_t pid;
        struct engine_error err;
    } res = {.rc = -EIO};
    int p[2], status;
    ssize_t n;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0) {
        rsp->rc = engine_error_errno(&rsp->err, errno, "Driver '%s': pipe", h->name);
        return;
    }
    pid = fork();
    if (pid < 0) {
        rsp->rc = engine_error_errno(&rsp->err, errno, "Driver '%s': fork", h->name);
        (void)close(p[0]);
        (void)close(p[1]);
        return;
    }
    if (pid == 0) {
        pid_t cpid = 0;

        (void)close(p[0]);
        res.rc = h->t->start(c, &io, &cpid, &res.err);
        res.pid = cpid;
        (void)!write(p[1], &res, sizeof(res));
        _exit(0);
    }
    (void)close(p[1]);
    do
        n = read(p[0], &res, sizeof(res));
    while (n < 0 && errno == EINTR);
    (void)close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(res)) {
        char how[64];

        describe_death(how, sizeof(how), status);
        rsp->rc = engine_error_set(&rsp->err, EIO, "Driver '%s' %s in start", h->name, how);
        return;
    }
    rsp->rc = res.rc;
    rsp->pid = res.pid;
    rsp->err = res.err;
}

static void helper_serve(struct helper *h, const char *msg, size_t len, const int *fds,
                         size_t n_fds, struct rsp_hdr *rsp, void *body, size_t *blen)
{
    struct req_hdr q;
    struct engine_ctr *c = NULL;
    struct rbuf r;

    memcpy(&q, msg, sizeof(q));
    r = (struct rbuf){msg + sizeof(q), len - sizeof(q), false};
    if ((q.op == OP_STOP && !h->t->stop) || (q.op == OP_STATE && !h->t->state) ||
        (q.op == OP_PAUSE && !h->t->pause) || (q.op == OP_RESUME && !h->t->resume)) {
        rsp->rc =
            engine_error_set(&rsp->err, ENOTSUP, "Driver '%s' cannot %s", h->name, op_names[q.op]);
        return;
    }
    if (q.op != OP_PROBE && q.op != OP_CREATE && q.op != OP_RESTORE) {
        c = helper_ctr(h, q.handle);
        if (!c) {
            rsp->rc = engine_error_set(&rsp->err, EBADF, "Driver '%s': no handle %llu", h->name,
                                       (unsigned long long)q.handle);
            return;
        }
    }
    switch (q.op) {
    case OP_PROBE:
        rsp->rc = h->t->probe(h->drv, &rsp->err);
        break;
    case OP_CREATE:
    case OP_RESTORE: {
        struct decoded_spec d;
        struct engine_ctr *nc = NULL;

        if (get_spec(&r, &d) < 0) {
            rsp->rc = engine_error_set(&rsp->err, EBADMSG, "Driver '%s': bad spec", h->name);
            break;
        }
        rsp->rc =
            (q.op == OP_CREATE ? h->t->create : h->t->restore)(h->drv, &d.spec, &nc, &rsp->err);
        decoded_spec_free(&d);
        if (rsp->rc >= 0) {
            rsp->handle = helper_add(h, nc);
            if (!rsp->handle) {
                h->t->release(nc);
                rsp->rc =
                    engine_error_set(&rsp->err, EMFILE, "Driver '%s': too many handles", h->name);
            }
        }
        break;
    }
    case OP_START:
        if (n_fds != 3)
            rsp->rc =
                engine_error_set(&rsp->err, EBADMSG, "Driver '%s': start without stdio", h->name);
        else
            helper_start(h, c, fds, rsp);
        break;
    case OP_STATS:
    case OP_STATE: {
        size_t sz = q.op == OP_STATS ? sizeof(struct engine_stats) : sizeof(struct engine_state);

        if (r.left != sz) {
            rsp->rc = engine_error_set(&rsp->err, EBADMSG, "Driver '%s': bad request", h->name);
            break;
        }
        memcpy(body, r.p, sz);
        rsp->rc =
            q.op == OP_STATS ? h->t->stats(c, body, &rsp->err) : h->t->state(c, body, &rsp->err);
        *blen = sz;
        break;
    }
    case OP_DESTROY:
        h->ctrs[q.handle - 1] = NULL;
        rsp->rc = h->t->destroy(c, &rsp->err);
        break;
    case OP_RELEASE:
        h->ctrs[q.handle - 1] = NULL;
        h->t->release(c);
        rsp->rc = 0;
        break;
    case OP_STOP:
        rsp->rc = h->t->stop(c, (int)q.a, (unsigned)q.b, &rsp->err);
        break;
    case OP_PAUSE:
        rsp->rc = h->t->pause(c, &rsp->err);
        break;
    case OP_RESUME:
        rsp->rc = h->t->resume(c, &rsp->err);
        break;
    default:
        rsp->rc =
            engine_error_set(&rsp->err, EBADMSG, "Driver '%s': unknown request %u", h->name, q.op);
    }
}

static _Noreturn void helper_main(struct proxy *p, int sock)
{
    struct helper h = {.t = &p->real, .name = p->name};
    struct engine_opts opts = {.n = p->n_opts, .v = p->opts};
    struct rsp_hdr rsp = {0};
    char *msg = xcalloc(1, ISOLATE_MSG_MAX);
    char comm[16];
    int devnull;

    /* Hold nothing of the caller's: its locks, its pipes (the monitor waits
     * for EOF on the container's output), its terminal. Keep stderr for logs. */
    if (sock != 3) {
        if (dup2(sock, 3) < 0)
            _exit(127);
        (void)close(sock);
    }
    helper_sock = 3;
    (void)fcntl(3, F_SETFD, FD_CLOEXEC);
    (void)close_range(4, ~0U, 0);
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
        (void)dup2(devnull, 0);
        (void)dup2(devnull, 1);
        (void)close(devnull);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    snprintf(comm, sizeof(comm), "drv-%s", p->name);
    (void)prctl(PR_SET_NAME, comm);

    rsp.rc = p->real.init(p->host, &opts, &h.drv, &rsp.err);
    if (send_msg(3, &rsp, sizeof(rsp), NULL, 0, NULL, 0) < 0 || rsp.rc < 0)
        _exit(rsp.rc < 0 ? 2 : 1);
    for (;;) {
        union {
            struct engine_stats st;
            struct engine_state state;
        } body;
        size_t blen = 0, n_fds = 0;
        int fds[3];
        ssize_t n = recv_msg(3, msg, fds, &n_fds);

        if (n == 0 || (n < 0 && n != -EMSGSIZE))
            break; /* the proxy's process is gone or done with us */
        memset(&rsp, 0, sizeof(rsp));
        if (n < 0 || (size_t)n < sizeof(struct req_hdr))
            rsp.rc = engine_error_set(&rsp.err, EBADMSG, "Driver '%s': bad request", p->name);
        else
            helper_serve(&h, msg, (size_t)n, fds, n_fds, &rsp, &body, &blen);
        for (size_t i = 0; i < n_fds; i++)
            (void)close(fds[i]);
        if (send_msg(3, &rsp, sizeof(rsp), &body, blen, NULL, 0) < 0)
            break;
    }
    if (h.drv && p->real.fini)
        p->real.fini(h.drv);
    _exit(0);
}

/* ---- the proxy ---- */

/* Dead, without reaping it (proxy_lost wants its status). A pid that is no
 * longer our child was reaped by someone else: a monitor reaps all its
 * children. */
static bool helper_dead(pid_t pid)
{
    siginfo_t si = {0};

    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* The helper is gone (EOF, error, or found dead): reap it and say how. One
 * that still runs but cannot be talked to (it closed its socket) is killed. */
static int proxy_lost(struct proxy *p, int op, struct engine_error *err)
{
    char how[64] = "died";
    int status;
    pid_t r = 0;

    if (p->fd >= 0)
        (void)close(p->fd);
    for (int i = 0; i < 100 && !helper_dead(p->pid); i++)
        sleep_ms(10);
    if (!helper_dead(p->pid))
        (void)kill(p->pid, SIGKILL);
    do
        r = waitpid(p->pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r == p->pid)
        describe_death(how, sizeof(how), status);
    p->fd = -1;
    p->pid = 0;
    p->gen++;
    return engine_error_set(err, EIO, "Driver '%s' %s in %s", p->name, how, op_names[op]);
}

/* Wait for a reply, checking the helper still lives: a leaked copy of the
 * socket in one of its children would otherwise hide its death. */
static ssize_t proxy_wait_reply(struct proxy *p, char *buf)
{
    for (;;) {
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        int r = poll(&pfd, 1, ISOLATE_POLL_MS);

        if (r < 0 && errno != EINTR)
            return -errno;
        if (r > 0)
            return recv_msg(p->fd, buf, NULL, NULL);
        if (r == 0 && helper_dead(p->pid))
            return 0;
    }
}

/* One request, one reply. On a lost helper, the error says how it died. */
static int proxy_call(struct proxy *p, int op, const struct req_hdr *q, const void *body,
                      size_t blen, const int *fds, size_t n_fds, struct rsp_hdr *rsp, void *out,
                      size_t out_len, struct engine_error *err)
{
    _cleanup_free_ char *buf = xcalloc(1, ISOLATE_MSG_MAX);
    ssize_t n;
    int r;

    r = send_msg(p->fd, q, sizeof(*q), body, blen, fds, n_fds);
    if (r == -EMSGSIZE)
        return engine_error_set(err, E2BIG, "Driver '%s': request too large for the helper",
                                p->name);
    if (r < 0)
        return proxy_lost(p, op, err);
    n = proxy_wait_reply(p, buf);
    if (n <= 0 || (size_t)n < sizeof(*rsp))
        return proxy_lost(p, op, err);
    memcpy(rsp, buf, sizeof(*rsp));
    if (out && (size_t)n == sizeof(*rsp) + out_len)
        memcpy(out, buf + sizeof(*rsp), out_len);
    if (rsp->rc < 0 && err) {
        *err = rsp->err;
        err->msg[sizeof(err->msg) - 1] = '\0';
    }
    return rsp->rc;
}

/* Fork a helper if there is none (first call, after a death, in a forked
 * child) and wait for its init. */
static int proxy_ensure(struct proxy *p, struct engine_error *err)
{
    _cleanup_free_ char *buf = NULL;
    struct rsp_hdr rsp;
    int sv[2];
    ssize_t n;
    pid_t pid;

    /* Died while idle (killed, OOM): not this call's failure, start afresh. */
    if (p->fd >= 0 && helper_dead(p->pid))
        (void)proxy_lost(p, OP_HELLO, NULL);
    if (p->fd >= 0)
        return 0;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return engine_error_errno(err, errno, "Driver '%s': socketpair", p->name);
    pid = fork();
    if (pid < 0) {
        int e = errno;
        (void)close(sv[0]);
        (void)close(sv[1]);
        return engine_error_errno(err, e, "Driver '%s': fork of the isolated helper", p->name);
    }
    if (pid == 0) {
        (void)close(sv[0]);
        helper_main(p, sv[1]);
    }
    (void)close(sv[1]);
    p->fd = sv[0];
    p->pid = pid;
    buf = xcalloc(1, ISOLATE_MSG_MAX);
    n = proxy_wait_reply(p, buf);
    if (n <= 0 || (size_t)n < sizeof(rsp))
        return proxy_lost(p, OP_HELLO, err);
    memcpy(&rsp, buf, sizeof(rsp));
    if (rsp.rc < 0) {
        if (err) {
            *err = rsp.err;
            err->msg[sizeof(err->msg) - 1] = '\0';
        }
        (void)proxy_lost(p, OP_HELLO, NULL);
        return rsp.rc;
    }
    return 0;
}

/* The handle's id in the current helper: restore it there if the helper it
 * was made in is gone. */
static int proxy_ctr_ready(struct proxy_ctr *c, struct engine_error *err)
{
    struct proxy *p = c->p;
    struct req_hdr q = {.op = OP_RESTORE};
    struct rsp_hdr rsp;
    int r;

    r = proxy_ensure(p, err);
    if (r < 0)
        return r;
    if (c->gen == p->gen && c->remote)
        return 0;
    r = proxy_call(p, OP_RESTORE, &q, c->spec, c->spec_len, NULL, 0, &rsp, NULL, 0, err);
    if (r < 0)
        return r;
    c->remote = rsp.handle;
    c->gen = p->gen;
    return 0;
}

static struct proxy *proxy_find(const char *name)
{
    struct proxy *p;

    (void)pthread_mutex_lock(&proxies_lock);
    for (p = proxies; p; p = p->next)
        if (streq(p->name, name))
            break;
    (void)pthread_mutex_unlock(&proxies_lock);
    return p;
}

static int proxy_init(const struct engine_host *host, const struct engine_opts *opts,
                      struct engine_drv **ret_drv, struct engine_error *err)
{
    struct proxy *p = proxy_find(host->driver_name);
    int r;

    if (!p)
        return engine_error_set(err, ENOENT, "Driver '%s' is not isolated", host->driver_name);
    (void)pthread_mutex_lock(&p->lock);
    p->host = host;
    for (size_t i = 0; i < p->n_opts; i++) {
        free((char *)p->opts[i].key);
        free((char *)p->opts[i].value);
    }
    free(p->opts);
    {
        p->opts = xcalloc(opts->n + 1, sizeof(*p->opts));
        for (size_t i = 0; i < opts->n; i++) {
            p->opts[i].key = xstrdup(opts->v[i].key);
            p->opts[i].value = xstrdup(opts->v[i].value);
        }
        p->n_opts = opts->n;
    }
    r = proxy_ensure(p, err);
    (void)pthread_mutex_unlock(&p->lock);
    if (r < 0)
        return r;
    *ret_drv = (struct engine_drv *)p;
    return 0;
}

static void proxy_fini(struct engine_drv *drv)
{
    struct proxy *p = (struct proxy *)drv;
    int status;

    (void)pthread_mutex_lock(&p->lock);
    if (p->fd >= 0) {
        (void)close(p->fd); /* EOF: the helper runs the real fini and exits */
        for (int i = 0; i < 50 && waitpid(p->pid, &status, WNOHANG) == 0; i++)
            sleep_ms(20);
        if (kill(p->pid, 0) == 0) {
            (void)kill(p->pid, SIGKILL);
            (void)waitpid(p->pid, &status, 0);
        }
        p->fd = -1;
        p->pid = 0;
        p->gen++;
    }
    (void)pthread_mutex_unlock(&p->lock);
}

static int proxy_probe(struct engine_drv *drv, struct engine_error *err)
{
    struct proxy *p = (struct proxy *)drv;
    struct req_hdr q = {.op = OP_PROBE};
    struct rsp_hdr rsp;
    int r;

    (void)pthread_mutex_lock(&p->lock);
    r = proxy_ensure(p, err);
    if (r == 0) {
        r = proxy_call(p, OP_PROBE, &q, NULL, 0, NULL, 0, &rsp, NULL, 0, err);
        if (r == ENGINE_DECLINED && err)
            *err = rsp.err;
    }
    (void)pthread_mutex_unlock(&p->lock);
    return r;
}

static int proxy_new_handle(struct engine_drv *drv, const struct engine_spec *spec,
                            struct engine_ctr **ret_ctr, int op, struct engine_error *err)
{
    struct proxy *p = (struct proxy *)drv;
    struct req_hdr q = {.op = (uint32_t)op};
    struct wbuf b = {0};
    struct rsp_hdr rsp;
    struct proxy_ctr *c;
    int r;

    put_spec(&b, spec);
    if (b.overflow) {
        free(b.data);
        return engine_error_set(err, E2BIG,
                                "Container '%s': spec too large for the isolated "
                                "driver '%s'",
                                spec->name, p->name);
    }
    (void)pthread_mutex_lock(&p->lock);
    r = proxy_ensure(p, err);
    if (r == 0)
        r = proxy_call(p, op, &q, b.data, b.len, NULL, 0, &rsp, NULL, 0, err);
    if (r < 0) {
        (void)pthread_mutex_unlock(&p->lock);
        free(b.data);
        return r;
    }
    c = xcalloc(1, sizeof(*c));
    c->p = p;
    c->remote = rsp.handle;
    c->gen = p->gen;
    c->spec = b.data;
    c->spec_len = b.len;
    (void)pthread_mutex_unlock(&p->lock);
    *ret_ctr = (struct engine_ctr *)c;
    return 0;
}

static int proxy_create(struct engine_drv *drv, const struct engine_spec *spec,
                        struct engine_ctr **ret_ctr, struct engine_error *err)
{
    return proxy_new_handle(drv, spec, ret_ctr, OP_CREATE, err);
}

static int proxy_restore(struct engine_drv *drv, const struct engine_spec *spec,
                         struct engine_ctr **ret_ctr, struct engine_error *err)
{
    return proxy_new_handle(drv, spec, ret_ctr, OP_RESTORE, err);
}

/* A call on a handle: make sure it exists in the live helper, then forward. */
static int proxy_ctr_call(struct engine_ctr *ctr, int op, int64_t a, int64_t b, const int *fds,
                          size_t n_fds, struct rsp_hdr *rsp, void *inout, size_t len,
                          struct engine_error *err)
{
    struct proxy_ctr *c = (struct proxy_ctr *)ctr;
    struct proxy *p = c->p;
    struct rsp_hdr ignored;
    int r;

    (void)pthread_mutex_lock(&p->lock);
    r = proxy_ctr_ready(c, err);
    if (r == 0) {
        struct req_hdr q = {.op = (uint32_t)op, .handle = c->remote, .a = a, .b = b};

        r = proxy_call(p, op, &q, inout, len, fds, n_fds, rsp ? rsp : &ignored, inout, len, err);
    }
    (void)pthread_mutex_unlock(&p->lock);
    return r;
}

static int proxy_start(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                       struct engine_error *err)
{
    const int fds[3] = {io->in, io->out, io->err};
    struct rsp_hdr rsp;
    int r;

    r = proxy_ctr_call(ctr, OP_START, 0, 0, fds, 3, &rsp, NULL, 0, err);
    if (r < 0)
        return r;
    *ret_pid = (pid_t)rsp.pid;
    return r;
}

static int proxy_stats(struct engine_ctr *ctr, struct engine_stats *st, struct engine_error *err)
{
    struct engine_stats tmp = *st;
    int r = proxy_ctr_call(ctr, OP_STATS, 0, 0, NULL, 0, NULL, &tmp, sizeof(tmp), err);

    if (r >= 0)
        *st = tmp;
    return r;
}

static int proxy_state(struct engine_ctr *ctr, struct engine_state *st, struct engine_error *err)
{
    struct engine_state tmp = *st;
    int r = proxy_ctr_call(ctr, OP_STATE, 0, 0, NULL, 0, NULL, &tmp, sizeof(tmp), err);

    if (r >= 0)
        *st = tmp;
    return r;
}

static void proxy_ctr_free(struct proxy_ctr *c)
{
    free(c->spec);
    free(c);
}

static int proxy_destroy(struct engine_ctr *ctr, struct engine_error *err)
{
    int r = proxy_ctr_call(ctr, OP_DESTROY, 0, 0, NULL, 0, NULL, NULL, 0, err);

    proxy_ctr_free((struct proxy_ctr *)ctr);
    return r;
}

static void proxy_release(struct engine_ctr *ctr)
{
    struct proxy_ctr *c = (struct proxy_ctr *)ctr;
    struct proxy *p;

    if (!c)
        return;
    p = c->p;
    (void)pthread_mutex_lock(&p->lock);
    /* Only a live helper holds the handle; never fork one just to free it. */
    if (p->fd >= 0 && c->gen == p->gen && c->remote) {
        struct req_hdr q = {.op = OP_RELEASE, .handle = c->remote};
        struct rsp_hdr rsp;
        struct engine_error e = {0};

        (void)proxy_call(p, OP_RELEASE, &q, NULL, 0, NULL, 0, &rsp, NULL, 0, &e);
    }
    (void)pthread_mutex_unlock(&p->lock);
    proxy_ctr_free(c);
}

static int proxy_stop(struct engine_ctr *ctr, int sig, unsigned timeout_ms,
                      struct engine_error *err)
{
    return proxy_ctr_call(ctr, OP_STOP, sig, timeout_ms, NULL, 0, NULL, NULL, 0, err);
}

static int proxy_pause(struct engine_ctr *ctr, struct engine_error *err)
{
    return proxy_ctr_call(ctr, OP_PAUSE, 0, 0, NULL, 0, NULL, NULL, 0, err);
}

static int proxy_resume(struct engine_ctr *ctr, struct engine_error *err)
{
    return proxy_ctr_call(ctr, OP_RESUME, 0, 0, NULL, 0, NULL, NULL, 0, err);
}

int engine_isolate_wrap(struct engine_module *m, struct engine_error *err)
{
    struct proxy *p;
    const struct engine_driver *t = &m->table;

    (void)err;
    (void)pthread_once(&atfork_once, isolate_atfork_register);
    p = proxy_find(m->name);
    if (!p) {
        p = xcalloc(1, sizeof(*p));
        p->name = xstrdup(m->name);
        p->fd = -1;
        (void)pthread_mutex_init(&p->lock, NULL);
        (void)pthread_mutex_lock(&proxies_lock);
        p->next = proxies;
        proxies = p;
        (void)pthread_mutex_unlock(&proxies_lock);
    }
    if (t->init != proxy_init)
        p->real = *t; /* a reloaded registry opened the module again */
    m->table = (struct engine_driver){
        .abi_major = t->abi_major,
        .abi_minor = t->abi_minor,
        .struct_size = t->struct_size,
        .name = t->name,
        .summary = t->summary,
        .features = t->features & ~ENGINE_FEAT_EXEC,
        .options = t->options,
        .init = proxy_init,
        .fini = proxy_fini,
        .probe = proxy_probe,
        .create = proxy_create,
        .start = proxy_start,
        .stats = proxy_stats,
        .destroy = proxy_destroy,
        .restore = proxy_restore,
        .release = proxy_release,
        .stop = p->real.stop ? proxy_stop : NULL,
        .state = p->real.state ? proxy_state : NULL,
        .pause = p->real.pause ? proxy_pause : NULL,
        .resume = p->real.resume ? proxy_resume : NULL,
        .exec = NULL,
    };
    return 0;
}
