/* core/conformance.c - one conformance suite for every driver: a table of
 * scenarios (what a container must do, whichever backend runs it), each run
 * in-process through the core API (engine.h), plus the driver targets that
 * `engine conformance` and `engine bench` share. A scenario whose feature
 * bit the driver does not declare is "not supported"; one the driver declares
 * and fails is a failure, never a skip. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <json-c/json.h>

#include "conformance.h"
#include "util.h"

#define RUN_TIMEOUT_MS 60000
#define OUT_MAX (1024 * 1024)

/* ---- targets ---- */

/* Preferred order of the matrix; other (third-party) drivers follow. */
static const char *const target_order[] = {"native", "lxc",      "libvirt", "nspawn",
                                           "oci",    "oci/crun", "openvz"};

static int target_rank(const char *label)
{
    for (size_t i = 0; i < ELEMENTSOF(target_order); i++)
        if (streq(target_order[i], label))
            return (int)i;
    return (int)ELEMENTSOF(target_order);
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    _cleanup_free_ char *copy = xstrdup(path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    char *save = NULL;

    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *p = xasprintf("%s/%s", d, prog);
        if (access(p, X_OK) == 0)
            return true;
    }
    return false;
}

static void target_fill(struct engine_ctx *ctx, struct engine_target *t, const char *label)
{
    const char *slash = strchr(label, '/');
    struct engine_module *mod;
    struct engine_error e = {0};

    t->label = xstrdup(label);
    t->driver = slash ? strndup(label, (size_t)(slash - label)) : xstrdup(label);
    if (slash) {
        _cleanup_free_ char *opt = xasprintf("%s.runtime=%s", t->driver, slash + 1);
        t->exec_opts = strv_append(NULL, opt);
    }
    if (engine_registry_get(&ctx->reg, t->driver, &mod, &e) < 0) {
        snprintf(t->reason, sizeof(t->reason), "%s", e.msg);
        return;
    }
    t->features = mod->table.features;
    if (slash && !in_path(slash + 1)) {
        snprintf(t->reason, sizeof(t->reason), "%s not installed", slash + 1);
        return;
    }
    t->available = true;
}

static int target_cmp(const void *a, const void *b)
{
    const struct engine_target *x = a, *y = b;
    int rx = target_rank(x->label), ry = target_rank(y->label);

    return rx != ry ? rx - ry : strcmp(x->label, y->label);
}

int engine_targets_resolve(struct engine_ctx *ctx, const char *list, struct engine_target **ret,
                           size_t *ret_n, struct engine_error *err)
{
    _cleanup_strv_free_ char **labels = NULL;
    struct engine_target *v;
    size_t n;

    if (list && *list) {
        _cleanup_free_ char *copy = xstrdup(list);
        char *save = NULL;

        for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
            _cleanup_free_ char *drv =
                strchr(s, '/') ? strndup(s, (size_t)(strchr(s, '/') - s)) : xstrdup(s);
            if (!engine_registry_find(&ctx->reg, drv)) {
                char known[512];
                engine_registry_names(&ctx->reg, known, sizeof(known));
                return engine_error_set(err, ENOENT, "Unknown driver '%s' (known: %s)", drv, known);
            }
            labels = strv_append(labels, s);
        }
    } else {
        engine_registry_load_all(&ctx->reg);
        for (size_t i = 0; i < ctx->reg.n; i++) {
            labels = strv_append(labels, ctx->reg.mods[i]->name);
            if (streq(ctx->reg.mods[i]->name, "oci"))
                labels = strv_append(labels, "oci/crun");
        }
    }
    n = strv_length(labels);
    v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        target_fill(ctx, &v[i], labels[i]);
    if (!list || !*list)
        qsort(v, n, sizeof(*v), target_cmp);
    *ret = v;
    *ret_n = n;
    return 0;
}

void engine_targets_free(struct engine_target *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].label);
        free(t[i].driver);
        strv_free(t[i].exec_opts);
    }
    free(t);
}

/* ---- running a container attached, output captured ---- */

struct buf {
    char *p;
    size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > OUT_MAX)
        n = b->n + 1 < OUT_MAX ? OUT_MAX - b->n - 1 : 0;
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Read what is there; returns false at EOF or error. */
static bool drain(int fd, struct buf *b)
{
    char tmp[8192];

    for (;;) {
        ssize_t r = read(fd, tmp, sizeof(tmp));
        if (r > 0) {
            buf_add(b, tmp, (size_t)r);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 && errno == EAGAIN;
    }
}

/* Poll the three pipes until the monitor wrote the exit code. */
static int capture_loop(struct engine_ctx *ctx, const char *id, int fds[3], struct buf b[3],
                        struct engine_error *err)
{
    uint64_t deadline = now_ns() + RUN_TIMEOUT_MS * 1000000ULL;
    bool killed = false;

    while (!memchr(b[2].p ? b[2].p : "", '\n', b[2].n)) {
        struct pollfd pfd[3];
        int n = 0, r;

        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                pfd[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        if (n == 0 || fds[2] < 0)
            break;
        r = poll(pfd, (nfds_t)n, 1000);
        if (r < 0 && errno != EINTR)
            return engine_error_errno(err, errno, "Container %.12s: poll", id);
        for (int k = 0; k < n; k++) {
            if (!pfd[k].revents)
                continue;
            for (int i = 0; i < 3; i++)
                if (fds[i] == pfd[k].fd && !drain(fds[i], &b[i])) {
                    (void)close(fds[i]);
                    fds[i] = -1;
                }
        }
        if (!killed && now_ns() > deadline) {
            struct engine_error e = {0};
            (void)engine_container_kill(ctx, id, SIGKILL, &e);
            killed = true;
            deadline = now_ns() + 10000000000ULL;
        } else if (killed && now_ns() > deadline) {
            break;
        }
    }
    /* The monitor copied all output before it wrote the exit code. */
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            (void)drain(fds[i], &b[i]);
    if (killed)
        return engine_error_set(err, ETIMEDOUT, "Container %.12s did not exit within %d s", id,
                                RUN_TIMEOUT_MS / 1000);
    if (!memchr(b[2].p ? b[2].p : "", '\n', b[2].n))
        return engine_error_set(err, EIO, "The monitor of %.12s ended without an exit code", id);
    return 0;
}

int engine_run_capture(struct engine_ctx *ctx, const struct engine_create_req *req,
                       struct engine_run_result *ret, struct engine_error *err)
{
    int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}}, fds[3];
    struct buf b[3] = {{0}};
    struct engine_attach a;
    char id[65];
    pid_t mon;
    int q;

    for (int i = 0; i < 3; i++)
        if (pipe2(p[i], O_CLOEXEC) < 0) {
            q = engine_error_errno(err, errno, "pipe");
            goto out;
        }
    q = engine_container_create(ctx, req, id, err);
    if (q < 0)
        goto out;
    a = (struct engine_attach){.out_fd = p[0][1], .err_fd = p[1][1], .exit_fd = p[2][1]};
    q = engine_container_start(ctx, id, &a, err);
    for (int i = 0; i < 3; i++) {
        (void)close(p[i][1]);
        p[i][1] = -1;
    }
    if (q < 0) {
        struct engine_error e = {0};
        (void)engine_container_remove(ctx, id, true, &e);
        goto out;
    }
    mon = q;
    for (int i = 0; i < 3; i++) {
        fds[i] = p[i][0];
        (void)fcntl(fds[i], F_SETFL, O_NONBLOCK);
    }
    q = capture_loop(ctx, id, fds, b, err);
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0)
            (void)close(fds[i]);
        p[i][0] = -1;
    }
    (void)waitpid(mon, NULL, 0);
    if (q < 0)
        goto out;
    memcpy(ret->id, id, 65);
    ret->exit_code = atoi(b[2].p);
    ret->out = b[0].p ? b[0].p : xstrdup("");
    ret->err = b[1].p ? b[1].p : xstrdup("");
    b[0].p = b[1].p = NULL;
out:
    for (int i = 0; i < 3; i++) {
        closep(&p[i][0]);
        closep(&p[i][1]);
        free(b[i].p);
    }
    return q;
}

void engine_run_result_free(struct engine_run_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* ---- scenario helpers ---- */

#define FAIL(...) (snprintf(why, len, __VA_ARGS__), -1)

static unsigned name_seq;

/* Every container of the suite is named conf-<pid>-<n>, so leftovers of a
 * failed scenario can be found and removed. */
static void req_init(struct engine_create_req *r, const struct engine_target *t, char *const *argv,
                     char *name, size_t name_len)
{
    snprintf(name, name_len, "conf-%d-%u", (int)getpid(), ++name_seq);
    *r = (struct engine_create_req){.name = name,
                                    .image = "busybox",
                                    .driver = t->driver,
                                    .argv = argv,
                                    .exec_opts = t->exec_opts};
}

static void rm_quiet(struct engine_ctx *ctx, const char *id)
{
    struct engine_error e = {0};

    (void)engine_container_remove(ctx, id, true, &e);
}

/* Run `sh -c script` attached; the container is removed afterwards unless
 * keep_id is given (then the caller removes it). */
static int run_sh(struct engine_ctx *ctx, const struct engine_target *t,
                  const struct engine_create_req *tmpl, const char *script,
                  struct engine_run_result *res, char *keep_id, char *why, size_t len)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    struct engine_create_req r;
    struct engine_error e = {0};
    char name[64];

    req_init(&r, t, argv, name, sizeof(name));
    if (tmpl) {
        r.env = tmpl->env;
        r.cwd = tmpl->cwd;
        r.hostname = tmpl->hostname;
        r.readonly_rootfs = tmpl->readonly_rootfs;
        r.limits = tmpl->limits;
    }
    if (engine_run_capture(ctx, &r, res, &e) < 0)
        return FAIL("%s", e.msg);
    if (keep_id)
        memcpy(keep_id, res->id, 65);
    else
        rm_quiet(ctx, res->id);
    return 0;
}

/* Start argv detached; ret_id gets the id. */
static int start_bg(struct engine_ctx *ctx, const struct engine_target *t,
                    const struct engine_limits *limits, char *const *argv, char ret_id[65],
                    char *why, size_t len)
{
    struct engine_create_req r;
    struct engine_error e = {0};
    char name[64];
    int q;

    req_init(&r, t, argv, name, sizeof(name));
    if (limits) {
        /* Only what the driver declares: a refused limit is another scenario's business. */
        if (t->features & ENGINE_FEAT_LIMIT_MEMORY)
            r.limits.memory_bytes = limits->memory_bytes;
        if (t->features & ENGINE_FEAT_LIMIT_PIDS)
            r.limits.pids_max = limits->pids_max;
        if (t->features & ENGINE_FEAT_LIMIT_CPU) {
            r.limits.cpu_quota_us = limits->cpu_quota_us;
            r.limits.cpu_period_us = limits->cpu_period_us;
        }
    }
    if (engine_container_create(ctx, &r, ret_id, &e) < 0)
        return FAIL("%s", e.msg);
    q = engine_container_start(ctx, ret_id, NULL, &e);
    if (q < 0) {
        rm_quiet(ctx, ret_id);
        return FAIL("%s", e.msg);
    }
    return 0;
}

static void chomp(char *s)
{
    size_t n = s ? strlen(s) : 0;

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Captured output, one line, for a message: newlines shown as \\n. */
static const char *esc(const char *in, char *out, size_t len)
{
    size_t o = 0;

    for (; in && *in && o + 3 < len; in++) {
        if (*in == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = (*in >= 0 && *in < ' ') ? '?' : *in;
        }
    }
    out[o] = '\0';
    return out;
}

static void reap_children(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- the scenarios ---- */

static int sc_exit_code(struct engine_ctx *ctx, const struct engine_target *t, char *why,
                        size_t len)
{
    struct engine_run_result res = {0};
    int q;

    q = run_sh(ctx, t, NULL, "true", &res, NULL, why, len);
    if (q < 0)
        return q;
    engine_run_result_free(&res);
    if (res.exit_code != 0)
        return FAIL("`true` exited %d, want 0", res.exit_code);
    q = run_sh(ctx, t, NULL, "exit 3", &res, NULL, why, len);
    if (q < 0)
        return q;
    engine_run_result_free(&res);
    if (res.exit_code != 3)
        return FAIL("`exit 3` exited %d, want 3", res.exit_code);
    return 0;
}

static int sc_not_found(struct engine_ctx *ctx, const struct engine_target *t, char *why,
                        size_t len)
{
    char *argv[] = {"/no/such/command", NULL};
    struct engine_create_req r;
    struct engine_run_result res = {0};
    struct engine_error e = {0};
    char name[64];

    req_init(&r, t, argv, name, sizeof(name));
    if (engine_run_capture(ctx, &r, &res, &e) < 0) {
        /* Refusing at start is acceptable too, if it says why. */
        if (strstr(e.msg, "/no/such/command") || strstr(e.msg, "No such file"))
            return snprintf(why, len, "refused at start: %s", e.msg), 0;
        return FAIL("%s", e.msg);
    }
    rm_quiet(ctx, res.id);
    engine_run_result_free(&res);
    if (res.exit_code != 127)
        return FAIL("a missing command exited %d, want 127", res.exit_code);
    return 0;
}

static int sc_stdio(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    struct engine_run_result res = {0};
    int q;

    q = run_sh(ctx, t, NULL, "echo out; echo err >&2; echo out2", &res, NULL, why, len);
    if (q < 0)
        return q;
    if (!streq(res.out, "out\nout2\n") || !streq(res.err, "err\n")) {
        char o[128], e[128];
        q = FAIL("stdout '%s', stderr '%s'; want 'out\\nout2\\n' and 'err\\n'",
                 esc(res.out, o, sizeof(o)), esc(res.err, e, sizeof(e)));
    }
    engine_run_result_free(&res);
    return q;
}

static int sc_env_cwd(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    char *env[] = {"CONF_A=a b c", "CONF_B=x=y", NULL};
    struct engine_create_req tmpl = {.env = env, .cwd = "/tmp"};
    struct engine_run_result res = {0};
    int q;

    q = run_sh(ctx, t, &tmpl, "echo \"$CONF_A|$CONF_B|$(pwd)|${PATH:+path}\"", &res, NULL, why,
               len);
    if (q < 0)
        return q;
    chomp(res.out);
    if (!streq(res.out, "a b c|x=y|/tmp|path"))
        q = FAIL("got '%.200s', want 'a b c|x=y|/tmp|path' (env, cwd, a default PATH)", res.out);
    engine_run_result_free(&res);
    return q;
}

static int sc_hostname(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    struct engine_create_req tmpl = {.hostname = "conf-host"};
    struct engine_run_result res = {0};
    int q;

    q = run_sh(ctx, t, &tmpl, "hostname", &res, NULL, why, len);
    if (q < 0)
        return q;
    chomp(res.out);
    if (!streq(res.out, "conf-host"))
        q = FAIL("hostname '%.100s', want 'conf-host'", res.out);
    engine_run_result_free(&res);
    if (q < 0)
        return q;
    /* Default: the first 12 characters of the id, like Docker. */
    q = run_sh(ctx, t, NULL, "hostname", &res, NULL, why, len);
    if (q < 0)
        return q;
    chomp(res.out);
    if (strlen(res.out) != 12 || strncmp(res.out, res.id, 12) != 0)
        q = FAIL("default hostname '%.100s', want the id's first 12 characters '%.12s'", res.out,
                 res.id);
    engine_run_result_free(&res);
    return q;
}

static int sc_pid_ns(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    struct engine_run_result res = {0};
    char comm[64] = "";
    int pid = 0, nproc = 0, q;

    q = run_sh(ctx, t, NULL,
               "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $$ $n $(cat /proc/1/comm)",
               &res, NULL, why, len);
    if (q < 0)
        return q;
    if (sscanf(res.out, "%d %d %63s", &pid, &nproc, comm) < 2)
        q = FAIL("cannot parse '%.100s'", res.out);
    else if (nproc > 4)
        q = FAIL("%d processes visible in /proc: not a private pid namespace", nproc);
    else if (pid == 2 || pid == 3)
        /* lxc's init.lxc, nspawn's stub init, libvirt-lxc's init + the
         * driver's exit-code wrapper: still a private namespace. */
        snprintf(why, len, "the command is pid %d under the backend's init (%s)", pid, comm);
    else if (pid != 1)
        q = FAIL("the command is pid %d, want 1", pid);
    engine_run_result_free(&res);
    return q;
}

static int sc_mount_ns(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    _cleanup_free_ char *dir = xasprintf("/tmp/engine-conf-marker-%d", (int)getpid());
    _cleanup_free_ char *src = xasprintf("engine-conf-marker-%d", (int)getpid());
    struct engine_run_result res = {0};
    int q;

    (void)mkdir(dir, 0700);
    if (mount(src, dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0) {
        q = -errno;
        (void)rmdir(dir);
        return FAIL("cannot mount the host marker %s: %s", dir, strerror(-q));
    }
    q = run_sh(ctx, t, NULL, "cat /proc/self/mountinfo", &res, NULL, why, len);
    (void)umount2(dir, MNT_DETACH);
    (void)rmdir(dir);
    if (q < 0)
        return q;
    if (strstr(res.out, src))
        q = FAIL("the host's marker mount %s is visible inside", dir);
    else if (!strstr(res.out, " / "))
        q = FAIL("no root mount in the container's mountinfo: '%.100s'", res.out);
    engine_run_result_free(&res);
    return q;
}

static int sc_readonly(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    static const char *script = "touch /conf-x 2>/dev/null && echo rw || echo ro";
    struct engine_create_req tmpl = {.readonly_rootfs = true};
    struct engine_run_result res = {0};
    int q;

    q = run_sh(ctx, t, &tmpl, script, &res, NULL, why, len);
    if (q < 0)
        return q;
    chomp(res.out);
    if (!streq(res.out, "ro"))
        q = FAIL("with readonly_rootfs, writing / gave '%.50s', want 'ro'", res.out);
    engine_run_result_free(&res);
    if (q < 0)
        return q;
    q = run_sh(ctx, t, NULL, script, &res, NULL, why, len);
    if (q < 0)
        return q;
    chomp(res.out);
    if (!streq(res.out, "rw"))
        q = FAIL("without readonly_rootfs, writing / gave '%.50s', want 'rw'", res.out);
    engine_run_result_free(&res);
    return q;
}

#define OOM_SCRIPT "x=$(head -c 64m /dev/zero | tr '\\0' a); echo ${#x}"

static int sc_memory(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    struct engine_create_req tmpl = {.limits = {.memory_bytes = 32LL << 20}};
    struct engine_run_result res = {0};
    int q;

    q = run_sh(ctx, t, &tmpl, OOM_SCRIPT, &res, NULL, why, len);
    if (q < 0)
        return q;
    chomp(res.out);
    if (res.exit_code != 137)
        q = FAIL("a 64 MiB allocation under a 32 MiB limit exited %d (output '%.40s'), "
                 "want 137",
                 res.exit_code, res.out);
    engine_run_result_free(&res);
    return q;
}

static int sc_oom_report(struct engine_ctx *ctx, const struct engine_target *t, char *why,
                         size_t len)
{
    struct engine_create_req tmpl = {.limits = {.memory_bytes = 32LL << 20}};
    struct engine_run_result res = {0};
    struct engine_record *rec = NULL;
    struct engine_error e = {0};
    char id[65];
    int q;

    q = run_sh(ctx, t, &tmpl, OOM_SCRIPT, &res, id, why, len);
    if (q < 0)
        return q;
    engine_run_result_free(&res);
    if (engine_container_inspect(ctx, id, &rec, &e) < 0)
        q = FAIL("inspect: %s", e.msg);
    else if (res.exit_code != 137)
        q = FAIL("exited %d, want 137", res.exit_code);
    else if (!rec->oom_killed || rec->oom_kills == 0)
        q = FAIL("inspect: oom_killed %s, oom_kills %" PRIu64 " after an OOM kill",
                 rec->oom_killed ? "true" : "false", rec->oom_kills);
    else
        snprintf(why, len, "oom_kills %" PRIu64, rec->oom_kills);
    engine_record_free(rec);
    rm_quiet(ctx, id);
    return q;
}

static int sc_pids(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    struct engine_create_req tmpl = {.limits = {.pids_max = 16}};
    struct engine_run_result res = {0};
    int n = -1, q;

    /* The inner shell dies at the first fork refused; each sleep it started
     * is in /tmp/p. Builtins only from there: no fork is needed to count. */
    q = run_sh(ctx, t, &tmpl,
               "sh -c 'for i in $(seq 40); do sleep 30 & echo $! >>/tmp/p; done' 2>/dev/null; "
               "n=0; while read p; do n=$((n+1)); kill -9 $p; done </tmp/p; echo $n",
               &res, NULL, why, len);
    if (q < 0)
        return q;
    if (sscanf(res.out, "%d", &n) != 1 || n > 15 || n < 4)
        q = FAIL("%d of 40 forks succeeded under a limit of 16 tasks (output '%.40s')", n, res.out);
    else
        snprintf(why, len, "%d of 40 sleeps started", n);
    engine_run_result_free(&res);
    return q;
}

static int stat_value(struct engine_ctx *ctx, const char *id, enum engine_stat_field f,
                      uint64_t *ret, struct engine_error *err)
{
    struct engine_stats st;
    int q = engine_container_stats(ctx, id, &st, err);

    if (q < 0)
        return q;
    if (st.field[f].source == ENGINE_SRC_NONE)
        return engine_error_set(err, ENODATA, "%s not available", engine_stat_name(f));
    *ret = st.field[f].value;
    return 0;
}

static int sc_cpu(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    char *argv[] = {"sh", "-c", "while :; do :; done", NULL};
    struct engine_limits lim = {.cpu_quota_us = 20000, .cpu_period_us = 100000};
    struct engine_error e = {0};
    uint64_t c0, c1, t0, t1;
    char id[65];
    double used;
    int q;

    q = start_bg(ctx, t, &lim, argv, id, why, len);
    if (q < 0)
        return q;
    sleep_ms(300);
    t0 = now_ns();
    if (stat_value(ctx, id, ENGINE_STAT_CPU_NS, &c0, &e) < 0) {
        q = FAIL("stats: %s", e.msg);
        goto out;
    }
    sleep_ms(1500);
    t1 = now_ns();
    if (stat_value(ctx, id, ENGINE_STAT_CPU_NS, &c1, &e) < 0) {
        q = FAIL("stats: %s", e.msg);
        goto out;
    }
    used = (double)(c1 - c0) / (double)(t1 - t0);
    /* Behaviour, not timing: far under one CPU, and clearly running. */
    if (c1 < c0 || used > 0.5)
        q = FAIL("a busy loop under --cpus 0.2 used %.2f CPU", used);
    else if (used < 0.01)
        q = FAIL("a busy loop used %.3f CPU: cpu_ns does not grow", used);
    else
        snprintf(why, len, "%.2f CPU used under a 0.2 quota", used);
out:
    rm_quiet(ctx, id);
    return q;
}

static const struct {
    uint64_t feature;
    enum engine_stat_field fields[2];
} stat_features[] = {
    {.feature = ENGINE_FEAT_STATS_CPU, .fields = {ENGINE_STAT_CPU_NS, ENGINE_STAT_CPU_NS}},
    {.feature = ENGINE_FEAT_STATS_MEMORY,
     .fields = {ENGINE_STAT_MEM_CURRENT, ENGINE_STAT_MEM_LIMIT}},
    {.feature = ENGINE_FEAT_STATS_PIDS,
     .fields = {ENGINE_STAT_PIDS_CURRENT, ENGINE_STAT_PIDS_LIMIT}},
    {.feature = ENGINE_FEAT_STATS_IO,
     .fields = {ENGINE_STAT_IO_READ_BYTES, ENGINE_STAT_IO_WRITE_BYTES}},
    {.feature = ENGINE_FEAT_STATS_NET,
     .fields = {ENGINE_STAT_NET_RX_BYTES, ENGINE_STAT_NET_TX_BYTES}},
};

/* The JSON of `engine stats --format json`: every field present, a value
 * with its source or null with "n/a"; declared fields filled; no silent 0. */
static int check_stats_json(struct json_object *o, const struct engine_target *t, char *why,
                            size_t len, int *ret_na)
{
    int na = 0;

    for (int f = 0; f < ENGINE_STAT__COUNT; f++) {
        const char *name = engine_stat_name((enum engine_stat_field)f);
        struct json_object *v, *val, *src;
        const char *s;

        if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_object))
            return FAIL("field %s missing from the stats JSON", name);
        if (!json_object_object_get_ex(v, "value", &val) ||
            !json_object_object_get_ex(v, "source", &src) ||
            !json_object_is_type(src, json_type_string))
            return FAIL("field %s lacks value or source", name);
        s = json_object_get_string(src);
        if (val == NULL && !streq(s, "n/a"))
            return FAIL("field %s is null but says its source is %s", name, s);
        if (val != NULL && (streq(s, "n/a") || !*s))
            return FAIL("field %s has a value without a source", name);
        na += val == NULL;
    }
    for (size_t i = 0; i < ELEMENTSOF(stat_features); i++) {
        if (!(t->features & stat_features[i].feature))
            continue;
        for (int k = 0; k < 2; k++) {
            const char *name = engine_stat_name(stat_features[i].fields[k]);
            struct json_object *v, *val = NULL;

            (void)json_object_object_get_ex(o, name, &v);
            (void)json_object_object_get_ex(v, "value", &val);
            if (!val)
                return FAIL("driver declares %s but %s is not available",
                            engine_feature_name(stat_features[i].feature), name);
        }
    }
    *ret_na = na;
    return 0;
}

static uint64_t json_field(struct json_object *o, const char *name, bool *present)
{
    struct json_object *v, *val = NULL;

    (void)json_object_object_get_ex(o, name, &v);
    (void)json_object_object_get_ex(v, "value", &val);
    *present = val != NULL;
    return val ? json_object_get_uint64(val) : 0;
}

static int sc_stats(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    char *argv[] = {"sleep", "1000", NULL};
    struct engine_limits lim = {.memory_bytes = 64LL << 20, .pids_max = 64};
    struct engine_error e = {0};
    struct engine_stats st;
    struct json_object *o = NULL;
    uint64_t v;
    bool have;
    char id[65];
    int q, na = 0;

    q = start_bg(ctx, t, &lim, argv, id, why, len);
    if (q < 0)
        return q;
    sleep_ms(200);
    if (engine_container_stats(ctx, id, &st, &e) < 0) {
        q = FAIL("%s", e.msg);
        goto out;
    }
    o = engine_stats_to_json(&st);
    q = check_stats_json(o, t, why, len, &na);
    if (q < 0)
        goto out;
    v = json_field(o, "memory_current", &have);
    if (have && v == 0)
        q = FAIL("memory_current is 0 for a running container");
    v = json_field(o, "pids_current", &have);
    if (q == 0 && have && v == 0)
        q = FAIL("pids_current is 0 for a running container");
    v = json_field(o, "cpu_ns", &have);
    if (q == 0 && have && v == 0)
        q = FAIL("cpu_ns is 0 for a container that has run a process");
    v = json_field(o, "memory_limit", &have);
    if (q == 0 && have && (t->features & ENGINE_FEAT_LIMIT_MEMORY) && v != (64ULL << 20))
        q = FAIL("memory_limit %" PRIu64 " under a 64 MiB limit", v);
    v = json_field(o, "pids_limit", &have);
    if (q == 0 && have && (t->features & ENGINE_FEAT_LIMIT_PIDS) && v != 64)
        q = FAIL("pids_limit %" PRIu64 " under a limit of 64", v);
    if (q == 0)
        snprintf(why, len, "%d of %d fields not available (n/a with no value)", na,
                 ENGINE_STAT__COUNT);
out:
    if (o)
        json_object_put(o);
    rm_quiet(ctx, id);
    return q;
}

static int inspect_exit(struct engine_ctx *ctx, const char *id, int *ret_status, int *ret_code)
{
    struct engine_record *rec = NULL;
    struct engine_error e = {0};

    if (engine_container_inspect(ctx, id, &rec, &e) < 0)
        return -1;
    *ret_status = rec->status;
    *ret_code = rec->exit_code;
    engine_record_free(rec);
    return 0;
}

static int sc_stop(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    char *sleeper[] = {"sleep", "1000", NULL};
    char *trapper[] = {"sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.1; done", NULL};
    struct engine_error e = {0};
    uint64_t t0, el1, el2;
    int q, status = 0, code = 0;
    char id[65];

    /* pid 1 ignores SIGTERM it has no handler for: the timeout must SIGKILL. */
    q = start_bg(ctx, t, NULL, sleeper, id, why, len);
    if (q < 0)
        return q;
    t0 = now_ns();
    q = engine_container_stop(ctx, id, 1, &e);
    el1 = now_ns() - t0;
    if (q < 0)
        q = FAIL("stop -t 1: %s", e.msg);
    else if (inspect_exit(ctx, id, &status, &code) < 0 || status != ENGINE_CTR_EXITED)
        q = FAIL("after stop -t 1 the container is %s", engine_status_name(status));
    else if (el1 > 11000000000ULL)
        q = FAIL("stop -t 1 took %.1f s", (double)el1 / 1e9);
    rm_quiet(ctx, id);
    if (q < 0)
        return q;

    /* A handler for SIGTERM runs: graceful exit code, well before the timeout. */
    q = start_bg(ctx, t, NULL, trapper, id, why, len);
    if (q < 0)
        return q;
    sleep_ms(300);
    t0 = now_ns();
    q = engine_container_stop(ctx, id, 10, &e);
    el2 = now_ns() - t0;
    if (q < 0)
        q = FAIL("stop -t 10 of a TERM handler: %s", e.msg);
    else if (inspect_exit(ctx, id, &status, &code) < 0 || status != ENGINE_CTR_EXITED)
        q = FAIL("after stop the container is %s", engine_status_name(status));
    else if (code != 7)
        q = FAIL("a TERM trap exiting 7 ended with %d (after %.1f s): SIGTERM not delivered "
                 "to the command",
                 code, (double)el2 / 1e9);
    else
        snprintf(why, len, "sleep killed after %.1f s; TERM handler exit 7", (double)el1 / 1e9);
    rm_quiet(ctx, id);
    return q;
}

static int read_tick(const char *path, long *ret)
{
    _cleanup_free_ char *s = NULL;

    if (read_file(path, &s, NULL) < 0 || !*s)
        return -1;
    *ret = strtol(s, NULL, 10);
    return 0;
}

static int sc_pause(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    char *argv[] = {"sh", "-c",
                    "i=0; while :; do i=$((i+1)); echo $i >/tick.new; "
                    "mv /tick.new /tick; sleep 0.05; done",
                    NULL};
    struct engine_error e = {0};
    _cleanup_free_ char *tick = NULL;
    long v1 = 0, v2 = 0, v3 = 0;
    int q, status = 0, code;
    char id[65];

    q = start_bg(ctx, t, NULL, argv, id, why, len);
    if (q < 0)
        return q;
    /* The core's overlay is mounted on the host: the ticks are readable. */
    tick = xasprintf("%s/containers/%s/rootfs/tick", ctx->root, id);
    for (int i = 0; i < 100 && read_tick(tick, &v1) < 0; i++)
        sleep_ms(50);
    if (engine_container_pause(ctx, id, true, &e) < 0) {
        q = FAIL("pause: %s", e.msg);
        goto out;
    }
    if (inspect_exit(ctx, id, &status, &code) < 0 || status != ENGINE_CTR_PAUSED) {
        q = FAIL("after pause the container is %s", engine_status_name(status));
        goto out;
    }
    sleep_ms(100);
    (void)read_tick(tick, &v1);
    sleep_ms(500);
    (void)read_tick(tick, &v2);
    if (engine_container_pause(ctx, id, false, &e) < 0) {
        q = FAIL("resume: %s", e.msg);
        goto out;
    }
    sleep_ms(500);
    (void)read_tick(tick, &v3);
    if (inspect_exit(ctx, id, &status, &code) < 0 || status != ENGINE_CTR_RUNNING)
        q = FAIL("after resume the container is %s", engine_status_name(status));
    else if (v1 == 0)
        q = FAIL("the container's tick file never appeared at %s", tick);
    else if (v2 != v1)
        q = FAIL("paused, the container still ran (tick %ld -> %ld in 0.5 s)", v1, v2);
    else if (v3 <= v2)
        q = FAIL("resumed, the container does not run (tick stays %ld)", v3);
out:
    rm_quiet(ctx, id);
    return q;
}

/* Anything of the container's left on the host, described in why. */
static bool cgroup_leftover(const char *dir, const char *id, int depth, char *why, size_t len)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;

    if (!d || depth > 5)
        return false;
    while ((de = readdir(d))) {
        _cleanup_free_ char *sub = NULL;

        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        sub = xasprintf("%s/%s", dir, de->d_name);
        if (strstr(de->d_name, id)) {
            snprintf(why, len, "cgroup %s left behind", sub);
            return true;
        }
        if (cgroup_leftover(sub, id, depth + 1, why, len))
            return true;
    }
    return false;
}

static bool mount_leftover(const char *id, char *why, size_t len)
{
    _cleanup_closedir_ DIR *d = opendir("/proc");
    char seen[64][64];
    size_t n_seen = 0;
    struct dirent *de;

    /* Every mount namespace on the host: a backend's daemon (libvirtd) has
     * its own, and a mount leaked there is a leak all the same. */
    while (d && (de = readdir(d))) {
        _cleanup_free_ char *ns = NULL, *mi = NULL, *text = NULL;
        char link[64];
        ssize_t k;
        bool dup = false;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        ns = xasprintf("/proc/%s/ns/mnt", de->d_name);
        k = readlink(ns, link, sizeof(link) - 1);
        if (k <= 0)
            continue;
        link[k] = '\0';
        for (size_t i = 0; i < n_seen && !dup; i++)
            dup = streq(seen[i], link);
        if (dup)
            continue;
        if (n_seen < ELEMENTSOF(seen))
            snprintf(seen[n_seen++], sizeof(seen[0]), "%s", link);
        mi = xasprintf("/proc/%s/mountinfo", de->d_name);
        if (read_file(mi, &text, NULL) == 0 && strstr(text, id)) {
            char *line = strstr(text, id), *start = line, *end;
            while (start > text && start[-1] != '\n')
                start--;
            end = strchr(line, '\n');
            if (end)
                *end = '\0';
            snprintf(why, len,
                     "a mount naming the id is left in the mount namespace of pid %s: "
                     "%.200s",
                     de->d_name, start);
            return true;
        }
    }
    return false;
}

static bool process_leftover(const char *id, char *why, size_t len)
{
    _cleanup_closedir_ DIR *d = opendir("/proc");
    struct dirent *de;

    while (d && (de = readdir(d))) {
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        path = xasprintf("/proc/%s/cgroup", de->d_name);
        if (read_file(path, &text, NULL) == 0 && strstr(text, id)) {
            snprintf(why, len, "process %s is still in a cgroup of the container", de->d_name);
            return true;
        }
    }
    return false;
}

static int sc_rm(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len)
{
    char *argv[] = {"sleep", "1000", NULL};
    struct engine_limits lim = {.memory_bytes = 64LL << 20, .pids_max = 64};
    struct engine_error e = {0};
    struct engine_record *rec = NULL;
    _cleanup_free_ char *state = NULL, *layer = NULL;
    char id[65];
    int q;

    q = start_bg(ctx, t, &lim, argv, id, why, len);
    if (q < 0)
        return q;
    state = xasprintf("%s/%s", ctx->state_dir, id);
    layer = xasprintf("%s/containers/%s", ctx->root, id);
    if (engine_container_remove(ctx, id, true, &e) < 0)
        return FAIL("rm -f: %s", e.msg);
    reap_children();
    if (engine_container_inspect(ctx, id, &rec, &e) == 0) {
        engine_record_free(rec);
        return FAIL("the container is still listed after rm");
    }
    if (path_exists(state))
        return FAIL("state dir %s left behind", state);
    if (path_exists(layer))
        return FAIL("container layer %s left behind", layer);
    if (cgroup_leftover("/sys/fs/cgroup", id, 0, why, len))
        return -1;
    if (mount_leftover(id, why, len))
        return -1;
    if (process_leftover(id, why, len))
        return -1;
    return 0;
}

static const struct engine_conf_scenario scenarios[] = {
    {.name = "exit-code", .summary = "`true` exits 0, `exit 3` exits 3", .run = sc_exit_code},
    {.name = "exec-not-found", .summary = "a missing command exits 127", .run = sc_not_found},
    {.name = "stdio", .summary = "stdout and stderr arrive apart, in order", .run = sc_stdio},
    {.name = "env-cwd", .summary = "environment, working dir, default PATH", .run = sc_env_cwd},
    {.name = "hostname",
     .summary = "hostname set, default = 12 chars of the id",
     .features = ENGINE_FEAT_NS_UTS,
     .run = sc_hostname},
    {.name = "pid-namespace",
     .summary = "own pid namespace, the command is pid 1",
     .features = ENGINE_FEAT_NS_PID,
     .run = sc_pid_ns},
    {.name = "mount-isolation",
     .summary = "a host marker mount is not visible inside",
     .features = ENGINE_FEAT_NS_MOUNT,
     .run = sc_mount_ns},
    {.name = "readonly-rootfs",
     .summary = "readonly_rootfs makes / read-only",
     .features = ENGINE_FEAT_READONLY_ROOTFS,
     .run = sc_readonly},
    {.name = "memory-limit",
     .summary = "64 MiB under -m 32m is killed, exit 137",
     .features = ENGINE_FEAT_LIMIT_MEMORY,
     .run = sc_memory},
    {.name = "oom-report",
     .summary = "inspect reports oom_killed and oom_kills",
     .features = ENGINE_FEAT_LIMIT_MEMORY | ENGINE_FEAT_OOM_REPORT,
     .run = sc_oom_report},
    {.name = "pids-limit",
     .summary = "40 forks stop at --pids 16",
     .features = ENGINE_FEAT_LIMIT_PIDS,
     .run = sc_pids},
    {.name = "cpu-quota",
     .summary = "a busy loop under --cpus 0.2 uses < 0.5 CPU",
     .features = ENGINE_FEAT_LIMIT_CPU | ENGINE_FEAT_STATS_CPU,
     .run = sc_cpu},
    {.name = "stats-schema",
     .summary = "every field a value with its source, or n/a",
     .run = sc_stats},
    {.name = "stop-timeout",
     .summary = "stop -t 1 kills; a TERM handler exits cleanly",
     .run = sc_stop},
    {.name = "pause-resume",
     .summary = "paused it does not run; resumed it does",
     .features = ENGINE_FEAT_PAUSE,
     .run = sc_pause},
    {.name = "rm-cleanup",
     .summary = "rm -f leaves no state, layer, mount, cgroup, process",
     .run = sc_rm},
};

const struct engine_conf_scenario *engine_conf_scenarios(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(scenarios);
    return scenarios;
}

const char *engine_conf_result_name(int result)
{
    switch (result) {
    case ENGINE_CONF_PASS:
        return "pass";
    case ENGINE_CONF_FAIL:
        return "FAIL";
    case ENGINE_CONF_NOT_SUPPORTED:
        return "n/s";
    default:
        return "skip";
    }
}

/* Remove whatever a scenario left (it failed half-way): conf-<pid>-*. */
static void sweep(struct engine_ctx *ctx)
{
    struct engine_record **v = NULL;
    struct engine_error e = {0};
    char prefix[32];
    size_t n = 0;

    snprintf(prefix, sizeof(prefix), "conf-%d-", (int)getpid());
    if (engine_container_list(ctx, &v, &n, &e) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (v[i]->name && strncmp(v[i]->name, prefix, strlen(prefix)) == 0)
            rm_quiet(ctx, v[i]->id);
    engine_records_free(v, n);
    reap_children();
}

void engine_conf_run(struct engine_ctx *ctx, const struct engine_target *t,
                     const struct engine_conf_scenario *s, struct engine_conf_cell *ret)
{
    uint64_t t0 = now_ns();

    memset(ret, 0, sizeof(*ret));
    if (!t->available) {
        ret->result = ENGINE_CONF_SKIPPED;
        snprintf(ret->why, sizeof(ret->why), "driver not available: %.460s", t->reason);
        return;
    }
    for (int b = 0; b < 64; b++) {
        uint64_t bit = UINT64_C(1) << b;
        if ((s->features & bit) && !(t->features & bit)) {
            ret->result = ENGINE_CONF_NOT_SUPPORTED;
            snprintf(ret->why, sizeof(ret->why), "not supported (driver declares no %s)",
                     engine_feature_name(bit) ? engine_feature_name(bit) : "feature");
            return;
        }
    }
    ret->result =
        s->run(ctx, t, ret->why, sizeof(ret->why)) < 0 ? ENGINE_CONF_FAIL : ENGINE_CONF_PASS;
    /* One line per cell in every output format. */
    for (char *p = ret->why; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    sweep(ctx);
    ret->duration_ns = now_ns() - t0;
}
