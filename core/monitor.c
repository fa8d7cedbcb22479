/* core/monitor.c - the monitor: one small process per running container. It
 * asks the driver to start the container, stays its parent (a child
 * subreaper), copies its stdout/stderr into the log (and to an attached
 * client), reaps it, and records the exit code and OOM kills. It outlives the
 * engine command or daemon that started it. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "monitor.h"
#include "util.h"

/* After the main process exits, how long to keep draining its pipes for
 * output still in flight from processes that die with it. */
#define DRAIN_MS 300

char *engine_log_path(const struct engine_ctx *ctx, const char *id)
{
    return xasprintf("%s/containers/%s/container.log", ctx->root, id);
}

uint64_t engine_proc_starttime(pid_t pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
    _cleanup_free_ char *s = NULL;
    unsigned long long v = 0;
    char *p;

    if (pid <= 0 || read_file(path, &s, NULL) < 0)
        return 0;
    p = strrchr(s, ')'); /* comm may hold spaces */
    if (!p)
        return 0;
    /* after ") " come fields 3..: skip 19 to reach 22 */
    p += 2;
    for (int i = 3; i < 22 && p; i++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (p)
        v = strtoull(p, NULL, 10);
    return v;
}

bool engine_monitor_alive(const struct engine_record *rec)
{
    uint64_t st;

    if (rec->monitor_pid <= 0)
        return false;
    st = engine_proc_starttime(rec->monitor_pid);
    return st != 0 && (rec->monitor_start == 0 || st == rec->monitor_start);
}

int engine_container_lock(const struct engine_ctx *ctx, const char *id)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", ctx->state_dir, id);
    _cleanup_free_ char *path = xasprintf("%s/lock", dir);
    int fd;

    (void)mkdir_p(dir, 0700);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR) {
            int e = errno;
            (void)close(fd);
            return -e;
        }
    return fd;
}

static int write_all_fd(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

struct monitor {
    struct engine_ctx *ctx;
    struct engine_record *rec;
    struct engine_module *mod;
    struct engine_ctr *ctr;
    int log_fd;
    int fwd_fd[3]; /* [1], [2]: attached client's stdout/stderr, -1 if none */
    int pipe_r[3]; /* [1], [2]: read ends of the container's stdout/stderr */
    pid_t main_pid;
    int main_status;
    bool main_exited;
};

static void monitor_copy(struct monitor *m, int stream)
{
    char buf[65536 - 8];
    unsigned char hdr[8] = {0};
    ssize_t n;

    n = read(m->pipe_r[stream], buf, sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            (void)close(m->pipe_r[stream]);
            m->pipe_r[stream] = -1;
        }
        return;
    }
    hdr[0] = (unsigned char)stream;
    hdr[4] = (unsigned char)((uint32_t)n >> 24);
    hdr[5] = (unsigned char)((uint32_t)n >> 16);
    hdr[6] = (unsigned char)((uint32_t)n >> 8);
    hdr[7] = (unsigned char)n;
    /* One write per frame: O_APPEND keeps frames whole for readers. */
    {
        char frame[sizeof(hdr) + sizeof(buf)];
        memcpy(frame, hdr, sizeof(hdr));
        memcpy(frame + sizeof(hdr), buf, (size_t)n);
        (void)write_all_fd(m->log_fd, frame, sizeof(hdr) + (size_t)n);
    }
    if (m->fwd_fd[stream] >= 0 && write_all_fd(m->fwd_fd[stream], buf, (size_t)n) < 0) {
        /* The client went away: keep logging, stop forwarding. */
        (void)close(m->fwd_fd[stream]);
        m->fwd_fd[stream] = -1;
    }
}

static void monitor_reap(struct monitor *m)
{
    int status;
    pid_t p;

    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
        if (p == m->main_pid) {
            m->main_exited = true;
            m->main_status = status;
        }
}

static void monitor_loop(struct monitor *m, int sig_fd)
{
    uint64_t deadline = 0;

    for (;;) {
        struct pollfd pfd[3];
        int n = 0, timeout = -1;

        if (m->main_exited && m->pipe_r[1] < 0 && m->pipe_r[2] < 0)
            return;
        if (m->main_exited) {
            uint64_t now = now_ns();
            if (!deadline)
                deadline = now + DRAIN_MS * 1000000ULL;
            if (now >= deadline)
                return;
            timeout = (int)((deadline - now) / 1000000ULL) + 1;
        }
        pfd[n++] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
        for (int s = 1; s <= 2; s++)
            if (m->pipe_r[s] >= 0)
                pfd[n++] = (struct pollfd){.fd = m->pipe_r[s], .events = POLLIN};
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
            return;
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sig_fd, &si, sizeof(si)) == sizeof(si))
                ;
            monitor_reap(m);
        }
        for (int i = 1; i < n; i++)
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                monitor_copy(m, pfd[i].fd == m->pipe_r[1] ? 1 : 2);
    }
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

/* Record the end: exit code, OOM kills as the driver counts them. */
static void monitor_record_exit(struct monitor *m)
{
    struct engine_stats st = {.struct_size = sizeof(st), .n_fields = ENGINE_STAT__COUNT};
    struct engine_error e = {0};
    int lock;

    if (m->mod->table.stats(m->ctr, &st, &e) == 0 &&
        st.field[ENGINE_STAT_OOM_KILLS].source != ENGINE_SRC_NONE) {
        m->rec->oom_kills = st.field[ENGINE_STAT_OOM_KILLS].value;
        m->rec->oom_killed = m->rec->oom_kills > 0;
    }
    lock = engine_container_lock(m->ctx, m->rec->id);
    m->rec->status = ENGINE_CTR_EXITED;
    m->rec->exit_code = exit_code_of(m->main_status);
    m->rec->finished_ns = realtime_ns();
    (void)engine_state_save(m->ctx, m->rec, &e);
    if (lock >= 0)
        (void)close(lock);
}

static void sync_report(int fd, const struct engine_error *err)
{
    char buf[ENGINE_ERROR_MSG_MAX + 32];
    int n;

    if (fd < 0)
        return;
    /* NUL-terminated: a driver's forked helper may hold the pipe open for
     * the container's lifetime, so the reader cannot wait for EOF. */
    if (err)
        n = snprintf(buf, sizeof(buf), "E%d %s", err->code, err->msg);
    else
        n = snprintf(buf, sizeof(buf), "OK");
    (void)write_all_fd(fd, buf, (size_t)n + 1);
    (void)close(fd);
}

/* Runs in the monitor process; never returns. */
static _Noreturn void monitor_main(struct monitor *m, int sync_fd, int exit_fd)
{
    struct engine_error err = {0};
    struct engine_stdio io;
    int out[2], errp[2], devnull, sig_fd, lock;
    sigset_t mask;
    _cleanup_free_ char *log = engine_log_path(m->ctx, m->rec->id);

    (void)setsid();
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    (void)prctl(PR_SET_NAME, "engine-monitor");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

    /* Never hold the caller's terminal or pipes: a shell's $(engine run -d)
     * must not wait for the container. */
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= 2; fd++)
        (void)dup2(devnull, fd);

    m->log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (m->log_fd < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || sig_fd < 0) {
        engine_error_errno(&err, errno, "Monitor of '%s': open %s", m->rec->name, log);
        sync_report(sync_fd, &err);
        _exit(1);
    }
    io = (struct engine_stdio){.in = devnull, .out = out[1], .err = errp[1]};
    if (m->mod->table.start(m->ctr, &io, &m->main_pid, &err) < 0) {
        sync_report(sync_fd, &err);
        _exit(1);
    }
    (void)close(out[1]);
    (void)close(errp[1]);
    m->pipe_r[1] = out[0];
    m->pipe_r[2] = errp[0];

    lock = engine_container_lock(m->ctx, m->rec->id);
    m->rec->status = ENGINE_CTR_RUNNING;
    m->rec->pid = m->main_pid;
    m->rec->monitor_pid = getpid();
    m->rec->monitor_start = engine_proc_starttime(getpid());
    m->rec->started_ns = realtime_ns();
    free(m->rec->error);
    m->rec->error = NULL;
    (void)engine_state_save(m->ctx, m->rec, &err);
    if (lock >= 0)
        (void)close(lock);
    sync_report(sync_fd, NULL);

    monitor_loop(m, sig_fd);
    monitor_record_exit(m);
    if (m->rec->auto_remove) {
        struct engine_error e = {0};
        (void)engine_container_remove_record(m->ctx, m->rec, &e);
        m->ctr = NULL; /* destroy freed it */
    }
    if (exit_fd >= 0) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d\n", m->rec->exit_code);
        (void)write_all_fd(exit_fd, buf, (size_t)n);
    }
    _exit(0);
}

static bool multithreaded(void)
{
    _cleanup_closedir_ DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    int n = 0;

    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    return n > 1;
}

static _Noreturn void monitor_exec(struct engine_ctx *ctx, const char *id, int sync_fd)
{
    char **argv = NULL;
    char fdbuf[16];

    snprintf(fdbuf, sizeof(fdbuf), "%d", sync_fd);
    argv = strv_append(argv, "engine");
    if (ctx->cfg.file) {
        argv = strv_append(argv, "-c");
        argv = strv_append(argv, ctx->cfg.file);
    }
    argv = strv_append(argv, "--state-dir");
    argv = strv_append(argv, ctx->state_dir);
    argv = strv_append(argv, "--root");
    argv = strv_append(argv, ctx->root);
    for (size_t i = 0; i < ctx->cfg.n_opts; i++) {
        const struct engine_config_opt *o = &ctx->cfg.opts[i];
        if (o->file && streq(o->file, "--exec-opt")) {
            char *kv = xasprintf("%s.%s=%s", o->driver, o->key, o->value);
            argv = strv_append(argv, "--exec-opt");
            argv = strv_append(argv, kv);
            free(kv);
        }
    }
    argv = strv_append(argv, "__monitor");
    argv = strv_append(argv, "--sync-fd");
    argv = strv_append(argv, fdbuf);
    argv = strv_append(argv, id);
    execv(ctx->self_exe ? ctx->self_exe : "/proc/self/exe", argv);
    _exit(127);
}

static int sync_read(int fd, pid_t child, const struct engine_record *rec, struct engine_error *err)
{
    char buf[ENGINE_ERROR_MSG_MAX + 32];
    size_t len = 0;
    ssize_t n;

    while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += (size_t)n;
        if (memchr(buf, '\0', len))
            break;
    }
    buf[len] = '\0';
    if (len >= 2 && strncmp(buf, "OK", 2) == 0)
        return 0;
    if (buf[0] == 'E') {
        char *sp = strchr(buf, ' ');
        int code = atoi(buf + 1);
        (void)waitpid(child, NULL, 0);
        return engine_error_set(err, code ? code : EIO, "%s", sp ? sp + 1 : "unknown error");
    }
    (void)waitpid(child, NULL, 0);
    return engine_error_set(err, EIO, "The monitor of container '%s' died before it started",
                            rec->name);
}

int engine_monitor_spawn(struct engine_ctx *ctx, struct engine_record *rec,
                         struct engine_module *mod, struct engine_ctr *ctr,
                         const struct engine_attach *attach, struct engine_error *err)
{
    bool do_exec = multithreaded();
    int sync[2];
    pid_t pid;
    int q;

    if (pipe2(sync, O_CLOEXEC) < 0)
        return engine_error_errno(err, errno, "Start container '%s': pipe", rec->name);
    pid = fork();
    if (pid < 0) {
        q = -errno;
        (void)close(sync[0]);
        (void)close(sync[1]);
        return engine_error_errno(err, q, "Start container '%s': fork", rec->name);
    }
    if (pid == 0) {
        struct monitor m = {.ctx = ctx,
                            .rec = rec,
                            .mod = mod,
                            .ctr = ctr,
                            .fwd_fd = {-1, -1, -1},
                            .pipe_r = {-1, -1, -1}};
        int exit_fd = -1;

        (void)close(sync[0]);
        if (do_exec) {
            int fd = fcntl(sync[1], F_DUPFD, 3); /* without CLOEXEC, for the new image */
            monitor_exec(ctx, rec->id, fd);
        }
        if (attach) {
            m.fwd_fd[1] = fcntl(attach->out_fd, F_DUPFD_CLOEXEC, 3);
            m.fwd_fd[2] = fcntl(attach->err_fd, F_DUPFD_CLOEXEC, 3);
            exit_fd = attach->exit_fd;
        }
        monitor_main(&m, sync[1], exit_fd);
    }
    (void)close(sync[1]);
    q = sync_read(sync[0], pid, rec, err);
    (void)close(sync[0]);
    return q < 0 ? q : pid;
}

_Noreturn void engine_monitor_exec_main(struct engine_ctx *ctx, const char *id, int sync_fd)
{
    struct monitor m = {.ctx = ctx, .fwd_fd = {-1, -1, -1}, .pipe_r = {-1, -1, -1}};
    struct engine_spec spec;
    char b1[4096], b2[4096], b3[4096];
    struct engine_error err = {0};
    _cleanup_free_ char *image_dir = NULL;

    (void)fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
    if (engine_state_load(ctx, id, &m.rec, &err) < 0 ||
        engine_registry_get(&ctx->reg, m.rec->driver, &m.mod, &err) < 0) {
        sync_report(sync_fd, &err);
        _exit(1);
    }
    engine_record_spec(ctx, m.rec, &spec, b1, b2, b3, sizeof(b1));
    if (m.mod->table.restore(m.mod->drv, &spec, &m.ctr, &err) < 0) {
        engine_error_wrap(&err, "Start container '%s'", m.rec->name);
        sync_report(sync_fd, &err);
        _exit(1);
    }
    monitor_main(&m, sync_fd, -1);
}
