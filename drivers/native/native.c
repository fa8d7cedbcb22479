/* drivers/native/native.c - engine's own runtime: namespaces and cgroups,
 * in the spirit of libcontainer and crun. This file holds the driver table
 * and the container lifecycle (create, start, stop, state, stats, pause,
 * destroy, restore, exec); child.c is the container's first process,
 * mounts.c its filesystem and caps.c its capabilities.
 *
 * What a later process needs is kept in <state_dir>/native.state: the cgroup
 * name and the init's host pid. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/driver-util.h"
#include "native.h"

#define STATE_FILE "native.state"

static char *dup_or_null(const char *s)
{
    char *p;

    if (!s)
        return NULL;
    p = strdup(s);
    if (!p)
        abort();
    return p;
}

/* Out of memory while copying a spec is fatal here, as for dup_or_null(). */
static char **strv_dup(char *const *v)
{
    char **c = drv_strv_dup(v);

    if (!c)
        abort();
    return c;
}

static void ctr_free(struct engine_ctr *c)
{
    if (!c)
        return;
    if (c->cg)
        c->host->cgroup_free(c->cg);
    for (size_t i = 0; i < c->n_mounts; i++) {
        free((char *)c->mounts[i].source);
        free((char *)c->mounts[i].target);
        free((char *)c->mounts[i].type);
        free((char *)c->mounts[i].options);
    }
    free(c->mounts);
    drv_strv_free(c->argv);
    drv_strv_free(c->env);
    free(c->cg_name);
    free(c->id);
    free(c->name);
    free(c->rootfs);
    free(c->state_dir);
    free(c->cwd);
    free(c->hostname);
    free(c->user);
    free(c);
}

static int opts_userns(const struct engine_opt *v, size_t n, int *ret, struct engine_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int b;

        if (strcmp(v[i].key, "userns") != 0)
            continue;
        b = drv_parse_bool(v[i].value);
        if (b < 0)
            return engine_error_set(err, EINVAL, "native.userns: '%s' is not a boolean",
                                    v[i].value ? v[i].value : "");
        *ret = b;
    }
    return 0;
}

static struct engine_ctr *ctr_from_spec(const struct engine_drv *drv,
                                        const struct engine_spec *spec)
{
    const struct engine_host *host = drv->host;
    int userns = drv->userns;

    struct engine_ctr *c = calloc(1, sizeof(*c));
    char buf[128];

    if (!c)
        abort();
    c->host = host;
    snprintf(buf, sizeof(buf), "engine/%s", spec->id);
    c->cg_name = dup_or_null(buf);
    c->id = dup_or_null(spec->id);
    c->name = dup_or_null(spec->name ? spec->name : spec->id);
    c->rootfs = dup_or_null(spec->rootfs);
    c->state_dir = dup_or_null(spec->state_dir);
    c->cwd = dup_or_null(spec->cwd);
    c->hostname = dup_or_null(spec->hostname);
    if (!c->hostname && spec->id) {
        snprintf(buf, sizeof(buf), "%.12s", spec->id);
        c->hostname = dup_or_null(buf);
    }
    c->user = dup_or_null(spec->user);
    c->argv = strv_dup(spec->argv);
    c->env = strv_dup(spec->env);
    c->readonly_rootfs = spec->readonly_rootfs;
    /* A bad per-container value was refused at create(); ignore it here. */
    (void)opts_userns(spec->opts, spec->n_opts, &userns, NULL);
    c->userns = spec->userns || userns;
    c->network_host = spec->network_host;
    c->n_mounts = spec->n_mounts;
    c->mounts = calloc(spec->n_mounts + 1, sizeof(*c->mounts));
    if (!c->mounts)
        abort();
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct engine_mount *m = &spec->mounts[i];

        c->mounts[i] = (struct engine_mount){
            .source = dup_or_null(m->source),
            .target = dup_or_null(m->target),
            .type = dup_or_null(m->type),
            .options = dup_or_null(m->options),
            .readonly = m->readonly,
        };
    }
    return c;
}

/* Write native.state atomically: a reader never sees half a file. */
static int state_save(const struct engine_ctr *c, struct engine_error *err)
{
    char path[4096], tmp[4096 + 16], text[256];
    int fd, n, r = 0;

    if (!c->state_dir)
        return 0;
    snprintf(path, sizeof(path), "%s/" STATE_FILE, c->state_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    n = snprintf(text, sizeof(text), "cgroup=%s\npid=%d\n", c->cg_name, (int)c->pid);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return engine_error_errno(err, errno, "Container %s: cannot write %s", c->name, tmp);
    if (write(fd, text, (size_t)n) != n || fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        (void)unlink(tmp);
        return engine_error_errno(err, r, "Container %s: cannot write %s", c->name, path);
    }
    return 0;
}

/* Read native.state; a missing file leaves the defaults from the spec. */
static void state_load(struct engine_ctr *c)
{
    char path[4096], line[512];
    FILE *f;

    if (!c->state_dir)
        return;
    snprintf(path, sizeof(path), "%s/" STATE_FILE, c->state_dir);
    f = fopen(path, "re");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "cgroup=", 7) == 0 && line[7]) {
            free(c->cg_name);
            c->cg_name = dup_or_null(line + 7);
        } else if (strncmp(line, "pid=", 4) == 0) {
            c->pid = (pid_t)atoi(line + 4);
        }
    }
    fclose(f);
}

static int native_init(const struct engine_host *host, const struct engine_opts *opts,
                       struct engine_drv **ret_drv, struct engine_error *err)
{
    struct engine_drv *d;
    int userns = 0;

    if (!host || host->struct_size < sizeof(struct engine_host))
        return engine_error_set(err, EINVAL, "The native driver needs the core's cgroup services");
    if (opts && opts_userns(opts->v, opts->n, &userns, err) < 0)
        return -EINVAL;
    d = calloc(1, sizeof(*d));
    if (!d)
        return engine_error_errno(err, ENOMEM, "native driver");
    d->host = host;
    d->userns = userns == 1;
    *ret_drv = d;
    return 0;
}

static void native_fini(struct engine_drv *drv)
{
    free(drv);
}

static bool filesystem_known(const char *fs)
{
    FILE *f = fopen("/proc/filesystems", "re");
    char line[256];
    bool found = false;

    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        char *name = strrchr(line, '\t');

        name = name ? name + 1 : line;
        name[strcspn(name, "\n")] = '\0';
        found = strcmp(name, fs) == 0;
    }
    fclose(f);
    return found;
}

__attribute__((format(printf, 2, 3))) static int declined(struct engine_error *err, const char *fmt,
                                                          ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)engine_error_setv(err, ENOTSUP, fmt, ap);
    va_end(ap);
    return ENGINE_DECLINED;
}

static int native_probe(struct engine_drv *drv, struct engine_error *err)
{
    static const char *const ns[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup"};
    pid_t pid;
    int status = 0;

    if (geteuid() != 0)
        return declined(err, "The native driver needs root");
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        char p[64];

        snprintf(p, sizeof(p), "/proc/self/ns/%s", ns[i]);
        if (access(p, F_OK) < 0)
            return declined(err, "The kernel has no %s namespaces (%s missing)", ns[i], p);
    }
    if (!filesystem_known("overlay"))
        return declined(err, "overlay is not in /proc/filesystems");
    /* Really try: seccomp or a container around us may forbid it. */
    pid = fork();
    if (pid < 0)
        return engine_error_errno(err, errno, "Probe the native driver: fork");
    if (pid == 0)
        _exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) < 0
                  ? errno
                  : 0);
    if (waitpid(pid, &status, 0) < 0)
        return engine_error_errno(err, errno, "Probe the native driver: waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return declined(err, "Cannot create namespaces here: %s",
                        WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed");
    return 0;
}

static int native_create(struct engine_drv *drv, const struct engine_spec *spec,
                         struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *c;
    int r;

    if (!spec->id || !spec->rootfs || !spec->argv || !spec->argv[0])
        return engine_error_set(err, EINVAL, "Container %s: id, rootfs and a command are needed",
                                spec->name ? spec->name : "?");
    r = opts_userns(spec->opts, spec->n_opts, &(int){0}, err);
    if (r < 0)
        return r;
    c = ctr_from_spec(drv, spec);
    r = drv->host->cgroup_create(c->cg_name, &spec->limits, &c->cg, err);
    if (r < 0) {
        engine_error_wrap(err, "Create container %s", c->name);
        ctr_free(c);
        return r;
    }
    r = state_save(c, err);
    if (r < 0) {
        (void)drv->host->cgroup_destroy(c->cg, NULL);
        c->cg = NULL;
        ctr_free(c);
        return r;
    }
    *ret_ctr = c;
    return 0;
}

static int native_restore(struct engine_drv *drv, const struct engine_spec *spec,
                          struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *c = ctr_from_spec(drv, spec);
    struct engine_error e = {0};

    state_load(c);
    /* A gone cgroup is not an error: the handle can still be destroyed. */
    if (drv->host->cgroup_open(c->cg_name, &c->cg, &e) < 0)
        c->cg = NULL;
    *ret_ctr = c;
    return 0;
}

static void native_release(struct engine_ctr *c)
{
    ctr_free(c);
}

static int write_id_map(pid_t pid, const char *file, struct engine_error *err)
{
    char path[64], map[64];
    int fd, n;
    ssize_t w;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    n = snprintf(map, sizeof(map), "0 %d %d\n", NATIVE_USERNS_BASE, NATIVE_USERNS_SIZE);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return engine_error_errno(err, errno, "open %s", path);
    w = write(fd, map, (size_t)n);
    if (w != n) {
        int e = w < 0 ? errno : EIO;
        (void)close(fd);
        return engine_error_errno(err, e, "write %s", path);
    }
    (void)close(fd);
    return 0;
}

/* Read the child's report: nothing (EOF at exec) means it runs. */
static int read_child_error(int fd, struct engine_error *ret)
{
    size_t got = 0;

    while (got < sizeof(*ret)) {
        ssize_t n = read(fd, (char *)ret + got, sizeof(*ret) - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got == 0)
        return 0;
    ret->msg[sizeof(ret->msg) - 1] = '\0';
    return -(ret->code ? ret->code : EIO);
}

static int native_start(struct engine_ctr *c, const struct engine_stdio *io, pid_t *ret_pid,
                        struct engine_error *err)
{
    int sync_fds[2] = {-1, -1}, err_fds[2] = {-1, -1}, sock[2] = {-1, -1};
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
    struct engine_error child_err = {0};
    pid_t pid;
    int r;

    if (!c->cg)
        return engine_error_set(err, ENOENT, "Start container %s: its cgroup %s is gone", c->name,
                                c->cg_name);
    if (!c->network_host)
        flags |= CLONE_NEWNET;
    if (c->userns)
        flags |= CLONE_NEWUSER;
    if (pipe2(sync_fds, O_CLOEXEC) < 0 || pipe2(err_fds, O_CLOEXEC) < 0 ||
        socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sock) < 0) {
        r = engine_error_errno(err, errno, "Start container %s: pipe", c->name);
        goto out;
    }
    /* Raw clone: fork semantics with the new namespaces, no separate stack. */
    pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        r = engine_error_errno(err, errno, "Start container %s: clone", c->name);
        goto out;
    }
    if (pid == 0) {
        (void)close(sync_fds[1]);
        (void)close(err_fds[0]);
        (void)close(sock[0]);
        native_child(c, io, sync_fds[0], err_fds[1], sock[1]);
    }
    (void)close(sync_fds[0]);
    (void)close(err_fds[1]);
    sync_fds[0] = err_fds[1] = -1;

    r = 0;
    if (c->userns) {
        r = write_id_map(pid, "uid_map", err);
        if (r == 0)
            r = write_id_map(pid, "gid_map", err);
        if (r == 0)
            r = native_mounts_idmap(c, pid, sock[0], err);
    }
    /* In the cgroup before the child enters its cgroup namespace or execs. */
    if (r == 0)
        r = c->host->cgroup_attach(c->cg, pid, err);
    if (r == 0 && write(sync_fds[1], "1", 1) != 1)
        r = engine_error_errno(err, errno, "Start container %s: sync", c->name);
    (void)close(sync_fds[1]);
    sync_fds[1] = -1;
    /* Read the child's word even when the attach failed: a child that died
     * building its root (before waiting for us) makes the attach fail, and
     * its own error is the one worth reporting. Without the go byte it exits. */
    if (read_child_error(err_fds[0], &child_err) < 0)
        r = engine_error_set(err, child_err.code, "%s", child_err.msg);
    if (r < 0) {
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
        goto out; /* the core names the container */
    }
    c->pid = pid;
    (void)state_save(c, NULL);
    *ret_pid = pid;
out:
    for (int i = 0; i < 2; i++) {
        if (sync_fds[i] >= 0)
            (void)close(sync_fds[i]);
        if (err_fds[i] >= 0)
            (void)close(err_fds[i]);
        if (sock[i] >= 0)
            (void)close(sock[i]);
    }
    return r;
}

static int native_stats(struct engine_ctr *c, struct engine_stats *st, struct engine_error *err)
{
    if (!c->cg)
        return engine_error_set(err, ENOENT, "Container %s: cgroup %s is gone", c->name,
                                c->cg_name);
    return c->host->cgroup_stats(c->cg, st, err);
}

/* True while pid is a task of our cgroup (the pid may have been reused). */
static bool pid_in_cgroup(const struct engine_ctr *c, pid_t pid)
{
    char path[64], needle[256], text[4096];
    ssize_t n;
    int fd;

    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, text, sizeof(text) - 1);
    (void)close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    snprintf(needle, sizeof(needle), ":/%s\n", c->cg_name);
    return strstr(text, needle) != NULL;
}

static int native_stop(struct engine_ctr *c, int sig, unsigned timeout_ms, struct engine_error *err)
{
    unsigned waited = 0;

    if (!c->cg)
        return 0;
    if (c->host->cgroup_kill(c->cg, 0) == 0)
        return 0; /* not running */
    /* Like Docker: the signal goes to the init only; an init without a
     * handler ignores SIGTERM and is killed when the time is up. */
    if (sig != SIGKILL && pid_in_cgroup(c, c->pid))
        (void)kill(c->pid, sig);
    while (sig != SIGKILL && waited < timeout_ms && c->host->cgroup_kill(c->cg, 0) > 0) {
        drv_sleep_ms(10);
        waited += 10;
    }
    for (int i = 0; i < 500 && c->host->cgroup_kill(c->cg, SIGKILL) > 0; i++)
        drv_sleep_ms(10);
    if (c->host->cgroup_kill(c->cg, 0) > 0)
        return engine_error_set(err, EBUSY, "Stop container %s: tasks survive SIGKILL", c->name);
    return 0;
}

static int cgroup_frozen(const struct engine_ctr *c)
{
    const char *dir = c->host->cgroup_path(c->cg, "freezer");
    const char *v2 = c->host->cgroup_path(c->cg, NULL);
    char path[4096], buf[32] = "";
    ssize_t n;
    int fd;

    if (v2)
        snprintf(path, sizeof(path), "%s/cgroup.freeze", v2);
    else if (dir)
        snprintf(path, sizeof(path), "%s/freezer.state", dir);
    else
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    (void)close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return v2 ? buf[0] == '1' : strncmp(buf, "THAWED", 6) != 0;
}

static int native_state(struct engine_ctr *c, struct engine_state *st, struct engine_error *err)
{
    int tasks;

    st->pid = 0;
    if (!c->cg) {
        st->status = ENGINE_CTR_EXITED;
        snprintf(st->detail, sizeof(st->detail), "no cgroup");
        return 0;
    }
    tasks = c->host->cgroup_kill(c->cg, 0);
    if (tasks > 0 && cgroup_frozen(c)) {
        st->status = ENGINE_CTR_PAUSED;
    } else if (tasks > 0) {
        st->status = ENGINE_CTR_RUNNING;
    } else {
        st->status = c->pid > 0 ? ENGINE_CTR_EXITED : ENGINE_CTR_CREATED;
    }
    if (tasks > 0 && pid_in_cgroup(c, c->pid))
        st->pid = c->pid;
    snprintf(st->detail, sizeof(st->detail), "%d task%s in cgroup %s%s", tasks,
             tasks == 1 ? "" : "s", c->cg_name, st->status == ENGINE_CTR_PAUSED ? ", frozen" : "");
    return 0;
}

static int native_pause(struct engine_ctr *c, struct engine_error *err)
{
    if (!c->cg)
        return engine_error_set(err, ENOENT, "Pause container %s: no cgroup", c->name);
    return c->host->cgroup_freeze(c->cg, 1, err);
}

static int native_resume(struct engine_ctr *c, struct engine_error *err)
{
    if (!c->cg)
        return engine_error_set(err, ENOENT, "Resume container %s: no cgroup", c->name);
    return c->host->cgroup_freeze(c->cg, 0, err);
}

/* Namespaces exec enters, user first (it grants the rights for the rest),
 * mnt last (it changes what /proc/<pid> paths mean). */
static const char *const exec_ns[] = {"user", "cgroup", "ipc", "uts", "net", "pid", "mnt"};

/* The helper: join the cgroup and namespaces of the init, then clone the
 * command as a sibling (CLONE_PARENT), so exec's caller is its parent and the
 * command is inside the pid namespace. Reports the pid on res_fd. */
__attribute__((noreturn)) static void exec_helper(const struct engine_ctr *c, char *const argv[],
                                                  const struct engine_stdio *io, int res_fd,
                                                  int err_fd)
{
    int fds[sizeof(exec_ns) / sizeof(exec_ns[0])];
    struct engine_error e = {0};
    pid_t pid;
    ssize_t w;

    for (size_t i = 0; i < sizeof(exec_ns) / sizeof(exec_ns[0]); i++) {
        char mine[64], theirs[64];
        struct stat a, b;

        snprintf(mine, sizeof(mine), "/proc/self/ns/%s", exec_ns[i]);
        snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)c->pid, exec_ns[i]);
        fds[i] = -1;
        if (stat(mine, &a) == 0 && stat(theirs, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev)
            continue; /* shared with the host (network_host, no userns) */
        fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            engine_error_errno(&e, errno, "open %s", theirs);
            goto fail;
        }
    }
    if (c->host->cgroup_attach(c->cg, getpid(), &e) < 0)
        goto fail;
    for (size_t i = 0; i < sizeof(exec_ns) / sizeof(exec_ns[0]); i++) {
        if (fds[i] >= 0 && setns(fds[i], 0) < 0) {
            engine_error_errno(&e, errno, "setns %s", exec_ns[i]);
            goto fail;
        }
    }
    pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        engine_error_errno(&e, errno, "clone");
        goto fail;
    }
    if (pid == 0) {
        (void)close(res_fd);
        native_exec_common(c, io, argv, err_fd);
    }
    w = write(res_fd, &pid, sizeof(pid));
    _exit(w == sizeof(pid) ? 0 : 1);
fail:
    w = write(err_fd, &e, sizeof(e));
    (void)w;
    _exit(1);
}

static int native_exec(struct engine_ctr *c, char *const argv[], const struct engine_stdio *io,
                       pid_t *ret_pid, struct engine_error *err)
{
    int res[2] = {-1, -1}, errp[2] = {-1, -1};
    struct engine_error child_err = {0};
    pid_t helper, pid = 0;
    ssize_t n;
    int r = 0;

    if (!argv || !argv[0])
        return engine_error_set(err, EINVAL, "Exec in container %s: no command", c->name);
    if (!c->cg || !pid_in_cgroup(c, c->pid))
        return engine_error_set(err, ESRCH, "Exec in container %s: it is not running", c->name);
    if (pipe2(res, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        r = engine_error_errno(err, errno, "Exec in container %s: pipe", c->name);
        goto out;
    }
    helper = fork();
    if (helper < 0) {
        r = engine_error_errno(err, errno, "Exec in container %s: fork", c->name);
        goto out;
    }
    if (helper == 0) {
        (void)close(res[0]);
        (void)close(errp[0]);
        exec_helper(c, argv, io, res[1], errp[1]);
    }
    (void)close(res[1]);
    (void)close(errp[1]);
    res[1] = errp[1] = -1;
    do
        n = read(res[0], &pid, sizeof(pid));
    while (n < 0 && errno == EINTR);
    (void)waitpid(helper, NULL, 0);
    if (read_child_error(errp[0], &child_err) < 0) {
        r = engine_error_set(err, child_err.code, "Exec in container %s: %s", c->name,
                             child_err.msg);
        if (n == sizeof(pid) && pid > 0)
            (void)waitpid(pid, NULL, 0);
        goto out;
    }
    if (n != sizeof(pid) || pid <= 0) {
        r = engine_error_set(err, EIO, "Exec in container %s: the helper failed", c->name);
        goto out;
    }
    *ret_pid = pid;
out:
    for (int i = 0; i < 2; i++) {
        if (res[i] >= 0)
            (void)close(res[i]);
        if (errp[i] >= 0)
            (void)close(errp[i]);
    }
    return r;
}

static int native_destroy(struct engine_ctr *c, struct engine_error *err)
{
    char path[4096];
    int r = 0;

    if (c->cg) {
        r = c->host->cgroup_destroy(c->cg, err);
        c->cg = NULL;
        if (r < 0)
            engine_error_wrap(err, "Remove container %s", c->name);
    }
    if (c->state_dir) {
        snprintf(path, sizeof(path), "%s/" STATE_FILE, c->state_dir);
        (void)unlink(path);
    }
    ctr_free(c);
    return r;
}

/* userns=true: run every container (driver-wide) or this one (per
 * container) in a user namespace, as if the spec asked for it. */
static const char *const native_options[] = {"userns", NULL};

static const struct engine_driver native_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = "native",
    .summary = "engine's own runtime: namespaces, cgroups and pivot_root",
    .features = ENGINE_FEAT_PAUSE | ENGINE_FEAT_EXEC | ENGINE_FEAT_STATS_CPU |
                ENGINE_FEAT_STATS_MEMORY | ENGINE_FEAT_STATS_PIDS | ENGINE_FEAT_STATS_IO |
                ENGINE_FEAT_LIMIT_MEMORY | ENGINE_FEAT_LIMIT_CPU | ENGINE_FEAT_LIMIT_PIDS |
                ENGINE_FEAT_LIMIT_CPUSET | ENGINE_FEAT_NS_PID | ENGINE_FEAT_NS_MOUNT |
                ENGINE_FEAT_NS_NET | ENGINE_FEAT_NS_UTS | ENGINE_FEAT_NS_IPC |
                ENGINE_FEAT_NS_CGROUP | ENGINE_FEAT_NS_USER | ENGINE_FEAT_READONLY_ROOTFS |
                ENGINE_FEAT_OOM_REPORT | ENGINE_FEAT_MOUNTS,
    .options = native_options,
    .init = native_init,
    .fini = native_fini,
    .probe = native_probe,
    .create = native_create,
    .start = native_start,
    .stats = native_stats,
    .destroy = native_destroy,
    .restore = native_restore,
    .release = native_release,
    .stop = native_stop,
    .state = native_state,
    .pause = native_pause,
    .resume = native_resume,
    .exec = native_exec,
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void);
ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
    return &native_driver;
}
