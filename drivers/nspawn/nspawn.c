/* drivers/nspawn/nspawn.c - the systemd-nspawn driver: runs a container with
 * `systemd-nspawn -D <rootfs>` inside a cgroup made by the core's helpers.
 *
 * create() makes the cgroup engine/<id> (limits applied there) and saves the
 * full nspawn command line under spec->state_dir; start() forks a child that
 * joins the cgroup, hides /run/systemd/nspawn behind a private tmpfs and execs
 * nspawn, whose exit code is the container's. Where systemd is not PID 1 (this
 * host) nspawn must not talk to machined: --register=no --keep-unit.
 *
 * PID 1 in the container is engine-nspawn-init (nspawn-init.c, static, found
 * next to this module or set with [driver.nspawn] init = PATH), bound
 * read-only at /run/.engine-init: it runs the command as PID 2, forwards
 * signals, reaps orphans and exits as a shell reports (128+N for signal N, 127
 * not found, 126 not executable), which nspawn passes on. Without it the
 * driver falls back to nspawn's stub init (--as-pid2), which reports a signal
 * death as 255 and nspawn an exec failure as 1. stop() signals the command
 * itself (pid 2 in the container's pid namespace), or asks nspawn to halt. */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <engine/driver.h>

#include "../common/driver-util.h"

#define ARGS_FILE "nspawn.args"
#define PID_FILE "nspawn.pid"
#define INIT_NAME "engine-nspawn-init"
#define INIT_TARGET "/run/.engine-init"
#define NSPAWN_RUN_DIR "/run/systemd/nspawn"
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

struct engine_drv {
    const struct engine_host *host;
    char *nspawn; /* absolute path of systemd-nspawn, NULL if not found */
    char *init;   /* engine-nspawn-init, NULL = nspawn's stub init */
};

struct engine_ctr {
    struct engine_drv *drv;
    char *id;
    char *state_dir;
    struct engine_cgroup *cg;
};

/* --- small local helpers (shared ones: drivers/common/driver-util.h) ---- */

static char *xstrdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* --- driver instance ------------------------------------------------------ */

static const char *const nspawn_options[] = {"init", NULL};

static void nspawn_fini(struct engine_drv *drv);

/* engine-nspawn-init installed next to this module ($(driverdir)), or in the
 * build tree one level up from .libs/. */
static char *find_init(void)
{
    static const char *const rel[] = {INIT_NAME, "../" INIT_NAME, NULL};
    Dl_info info;
    char *dir, *slash, *p;

    if (!dladdr((void *)find_init, &info) || !info.dli_fname || !(dir = strdup(info.dli_fname)))
        return NULL;
    slash = strrchr(dir, '/');
    if (!slash) {
        free(dir);
        return NULL;
    }
    *slash = '\0';
    for (size_t i = 0; rel[i]; i++) {
        p = drv_path_join(dir, rel[i]);
        if (p && access(p, X_OK) == 0) {
            char *real = realpath(p, NULL);

            free(p);
            free(dir);
            return real;
        }
        free(p);
    }
    free(dir);
    return NULL;
}

static int nspawn_init(const struct engine_host *host, const struct engine_opts *opts,
                       struct engine_drv **ret_drv, struct engine_error *err)
{
    struct engine_drv *drv = calloc(1, sizeof(*drv));
    const char *init_opt = NULL;

    if (!drv)
        return engine_error_errno(err, ENOMEM, "nspawn driver");
    drv->host = host;
    drv->nspawn = drv_find_in_path("systemd-nspawn");
    /* init = PATH uses that init; init = "" (empty) nspawn's stub init. */
    for (size_t i = 0; opts && i < opts->n; i++)
        if (!strcmp(opts->v[i].key, "init") || !strcmp(opts->v[i].key, "nspawn.init"))
            init_opt = opts->v[i].value;
    if (!init_opt)
        drv->init = find_init();
    else if (*init_opt && access(init_opt, X_OK) < 0) {
        int r = engine_error_errno(err, errno, "nspawn init %s", init_opt);

        nspawn_fini(drv);
        return r;
    } else if (*init_opt)
        drv->init = strdup(init_opt);
    if (!drv->init && host->log)
        host->log(ENGINE_LOG_INFO,
                  "%s not found: using nspawn's stub init (signal deaths exit "
                  "255)",
                  INIT_NAME);
    *ret_drv = drv;
    return 0;
}

static void nspawn_fini(struct engine_drv *drv)
{
    if (!drv)
        return;
    free(drv->nspawn);
    free(drv->init);
    free(drv);
}

static int nspawn_probe(struct engine_drv *drv, struct engine_error *err)
{
    if (!drv->nspawn) {
        engine_error_set(err, ENOENT,
                         "systemd-nspawn not found on PATH (install systemd-container)");
        return ENGINE_DECLINED;
    }
    if (!drv->host->cgroup_create) {
        engine_error_set(err, ENOTSUP, "The core offers no cgroup helpers");
        return ENGINE_DECLINED;
    }
    return 0;
}

/* --- command line --------------------------------------------------------- */

static int add_mount_args(struct drv_argv *a, const struct engine_spec *spec,
                          struct engine_error *err)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct engine_mount *m = &spec->mounts[i];
        bool ro = m->readonly;

        if (!m->target || m->target[0] != '/')
            return engine_error_set(err, EINVAL, "Mount target '%s' is not absolute",
                                    m->target ? m->target : "");
        if (strchr(m->target, ':') || (m->source && strchr(m->source, ':')))
            return engine_error_set(
                err, EINVAL, "systemd-nspawn cannot bind paths containing ':' ('%s')", m->target);
        if (!m->type || !strcmp(m->type, "bind")) {
            drv_argv_add(a, "--%s=%s:%s", ro ? "bind-ro" : "bind", m->source, m->target);
        } else if (!strcmp(m->type, "tmpfs")) {
            if (m->options && *m->options)
                drv_argv_add(a, "--tmpfs=%s:%s", m->target, m->options);
            else
                drv_argv_add(a, "--tmpfs=%s", m->target);
        } else {
            return engine_error_set(err, ENOTSUP,
                                    "systemd-nspawn driver: mount type '%s' for %s not supported",
                                    m->type, m->target);
        }
    }
    return 0;
}

/* nspawn --user takes a name (or a number) that it resolves by running
 * getent inside the container, and only a user, not uid:gid. Say so up
 * front rather than let nspawn fail with "Failed to resolve user". */
static int check_user(const struct engine_spec *spec, struct engine_error *err)
{
    static const char *const getent[] = {"usr/bin/getent", "bin/getent", "usr/sbin/getent",
                                         "sbin/getent", NULL};
    bool found = false;

    if (strchr(spec->user, ':'))
        return engine_error_set(err, ENOTSUP, "systemd-nspawn takes a user, not uid:gid ('%s')",
                                spec->user);
    for (size_t i = 0; getent[i] && !found; i++) {
        char *p = drv_path_join(spec->rootfs, getent[i]);

        found = p && access(p, X_OK) == 0;
        free(p);
    }
    if (!found)
        return engine_error_set(err, ENOTSUP,
                                "systemd-nspawn resolves --user '%s' with getent, which image "
                                "'%s' lacks",
                                spec->user, spec->image ? spec->image : "?");
    return 0;
}

/* Everything after the binary: systemd-nspawn [options] -- argv... */
static int build_args(const struct engine_drv *drv, const struct engine_spec *spec, char ***ret,
                      struct engine_error *err)
{
    struct drv_argv a = {0};
    const char *init = drv->init;
    char host12[13];
    int r;

    /* A per-container --exec-opt nspawn.init=PATH|"" wins over the driver's. */
    for (size_t i = 0; i < spec->n_opts; i++)
        if (!strcmp(spec->opts[i].key, "init") || !strcmp(spec->opts[i].key, "nspawn.init"))
            init = *spec->opts[i].value ? spec->opts[i].value : NULL;
    if (init && access(init, X_OK) < 0)
        return engine_error_errno(err, errno, "nspawn init %s", init);
    snprintf(host12, sizeof(host12), "%.12s", spec->id);
    drv_argv_add(&a, "%s", drv->nspawn);
    drv_argv_add(&a, "--quiet");
    /* Without systemd as PID 1 there is no machined to register with. Even
     * where there is, registering would move nspawn into a machine scope out
     * of the cgroup engine made and limits, so stay where we are. */
    drv_argv_add(&a, "--register=no");
    drv_argv_add(&a, "--keep-unit");
    drv_argv_add(&a, "--directory=%s", spec->rootfs);
    drv_argv_add(&a, "--machine=engine-%s", host12);
    drv_argv_add(&a, "--hostname=%s", spec->hostname && *spec->hostname ? spec->hostname : host12);
    drv_argv_add(&a, "--console=pipe");
    if (init) {
        /* nspawn mounts a tmpfs on the container's /run: the bind lands
         * there, not in the image. Our init forwards SIGTERM. */
        drv_argv_add(&a, "--bind-ro=%s:%s", init, INIT_TARGET);
        drv_argv_add(&a, "--kill-signal=SIGTERM");
    } else {
        drv_argv_add(&a, "--as-pid2");
        drv_argv_add(&a, "--kill-signal=SIGRTMIN+3");
    }
    drv_argv_add(&a, "--chdir=%s", spec->cwd && *spec->cwd ? spec->cwd : "/");
    if (spec->user && *spec->user && strcmp(spec->user, "0") && strcmp(spec->user, "root") &&
        strcmp(spec->user, "0:0")) {
        r = check_user(spec, err);
        if (r < 0) {
            drv_strv_free(a.v);
            return r;
        }
        drv_argv_add(&a, "--user=%s", spec->user);
    }
    if (spec->readonly_rootfs)
        drv_argv_add(&a, "--read-only");
    if (!spec->network_host)
        drv_argv_add(&a, "--private-network");
    for (size_t i = 0; spec->env && spec->env[i]; i++)
        drv_argv_add(&a, "--setenv=%s", spec->env[i]);
    r = add_mount_args(&a, spec, err);
    if (r < 0) {
        drv_strv_free(a.v);
        return r;
    }
    drv_argv_add(&a, "--");
    if (init)
        drv_argv_add(&a, "%s", INIT_TARGET);
    for (size_t i = 0; spec->argv && spec->argv[i]; i++)
        drv_argv_add(&a, "%s", spec->argv[i]);
    if (a.oom) {
        drv_strv_free(a.v);
        return engine_error_errno(err, ENOMEM, "systemd-nspawn command line");
    }
    *ret = a.v;
    return 0;
}

static int save_args(const char *state_dir, char **argv, struct engine_error *err)
{
    char *path = drv_path_join(state_dir, ARGS_FILE), *buf;
    size_t len = 0, off = 0;
    int r;

    if (!path)
        return engine_error_errno(err, ENOMEM, "nspawn state");
    for (size_t i = 0; argv[i]; i++)
        len += strlen(argv[i]) + 1;
    buf = malloc(len ? len : 1);
    if (!buf) {
        free(path);
        return engine_error_errno(err, ENOMEM, "nspawn state");
    }
    for (size_t i = 0; argv[i]; i++) {
        size_t n = strlen(argv[i]) + 1;

        memcpy(buf + off, argv[i], n);
        off += n;
    }
    r = drv_write_file_atomic(path, buf, len);
    if (r < 0)
        engine_error_errno(err, r, "Cannot write %s", path);
    free(buf);
    free(path);
    return r;
}

static int load_args(const char *state_dir, char ***ret, struct engine_error *err)
{
    char *path = drv_path_join(state_dir, ARGS_FILE), *buf = NULL;
    struct drv_argv a = {0};
    size_t len = 0;
    int r;

    if (!path)
        return engine_error_errno(err, ENOMEM, "nspawn state");
    r = drv_read_file(path, &buf, &len);
    if (r < 0) {
        engine_error_errno(err, r, "Cannot read %s", path);
        free(path);
        return r;
    }
    for (size_t off = 0; off < len; off += strlen(buf + off) + 1)
        drv_argv_add(&a, "%s", buf + off);
    free(buf);
    free(path);
    if (a.oom || !a.v) {
        drv_strv_free(a.v);
        return engine_error_set(err, EINVAL, "Empty or unreadable %s", ARGS_FILE);
    }
    *ret = a.v;
    return 0;
}

static pid_t load_pid(const struct engine_ctr *ctr)
{
    char *path = drv_path_join(ctr->state_dir, PID_FILE), *buf = NULL;
    long pid = 0;

    if (path && drv_read_file(path, &buf, NULL) == 0)
        pid = strtol(buf, NULL, 10);
    free(buf);
    free(path);
    return pid > 0 ? (pid_t)pid : 0;
}

/* --- lifecycle ------------------------------------------------------------ */

static void ctr_free(struct engine_ctr *ctr)
{
    if (!ctr)
        return;
    if (ctr->cg)
        ctr->drv->host->cgroup_free(ctr->cg);
    free(ctr->id);
    free(ctr->state_dir);
    free(ctr);
}

static struct engine_ctr *ctr_new(struct engine_drv *drv, const struct engine_spec *spec)
{
    struct engine_ctr *ctr = calloc(1, sizeof(*ctr));

    if (!ctr)
        return NULL;
    ctr->drv = drv;
    ctr->id = xstrdup_or_null(spec->id);
    ctr->state_dir = xstrdup_or_null(spec->state_dir);
    if (!ctr->id || !ctr->state_dir) {
        ctr_free(ctr);
        return NULL;
    }
    return ctr;
}

static int nspawn_create(struct engine_drv *drv, const struct engine_spec *spec,
                         struct engine_ctr **ret_ctr, struct engine_error *err)
{
    const struct engine_host *h = drv->host;
    struct engine_ctr *ctr;
    char **args = NULL;
    char cgname[128];
    int r;

    if (spec->userns)
        return engine_error_set(err, ENOTSUP, "User namespaces not supported by the nspawn driver");
    r = build_args(drv, spec, &args, err);
    if (r < 0)
        return r;
    ctr = ctr_new(drv, spec);
    if (!ctr) {
        drv_strv_free(args);
        return engine_error_errno(err, ENOMEM, "nspawn driver");
    }
    snprintf(cgname, sizeof(cgname), "engine/%s", spec->id);
    r = h->cgroup_create(cgname, &spec->limits, &ctr->cg, err);
    if (r < 0) {
        drv_strv_free(args);
        ctr_free(ctr);
        return r;
    }
    r = save_args(spec->state_dir, args, err);
    drv_strv_free(args);
    if (r < 0) {
        (void)h->cgroup_destroy(ctr->cg, NULL);
        ctr->cg = NULL;
        ctr_free(ctr);
        return r;
    }
    *ret_ctr = ctr;
    return 0;
}

static int nspawn_restore(struct engine_drv *drv, const struct engine_spec *spec,
                          struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr = ctr_new(drv, spec);
    char cgname[128];
    int r;

    if (!ctr)
        return engine_error_errno(err, ENOMEM, "nspawn driver");
    snprintf(cgname, sizeof(cgname), "engine/%s", spec->id);
    r = drv->host->cgroup_open(cgname, &ctr->cg, err);
    if (r < 0) {
        ctr_free(ctr);
        return r;
    }
    *ret_ctr = ctr;
    return 0;
}

static void nspawn_release(struct engine_ctr *ctr)
{
    ctr_free(ctr);
}

/* nspawn keeps a lock and a propagation dir under /run/systemd/nspawn and
 * refuses to clean them when /run is not a tmpfs ("Attempted to remove disk
 * file system"), which would land in the container's stderr. Give it a private
 * tmpfs there, in a mount namespace of its own. Best effort. */
static void private_nspawn_run_dir(void)
{
    struct statfs sfs;

    if (statfs("/run", &sfs) == 0 && (long)sfs.f_type == TMPFS_MAGIC)
        return;
    if (unshare(CLONE_NEWNS) < 0)
        return;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return;
    (void)mkdir("/run/systemd", 0755);
    (void)mkdir(NSPAWN_RUN_DIR, 0755);
    (void)mount("tmpfs", NSPAWN_RUN_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
}

struct child_args {
    struct engine_ctr *ctr;
    const struct engine_stdio *io;
    char **args;
};

static void child_run(void *arg, int report_fd)
{
    const struct child_args *a = arg;
    struct engine_ctr *ctr = a->ctr;
    struct engine_error cerr = {0};
    int fds[3] = {a->io->in, a->io->out, a->io->err};

    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0 || fds[i] == i)
            continue;
        if (dup2(fds[i], i) < 0)
            drv_child_fail(report_fd, errno, "dup2 of the container's stdio");
    }
    for (int i = 0; i < 3; i++)
        if (fds[i] == i)
            (void)fcntl(i, F_SETFD, 0);
    drv_child_reset_signals();
    if (ctr->drv->host->cgroup_attach(ctr->cg, getpid(), &cerr) < 0)
        drv_child_fail(report_fd, cerr.code, cerr.msg);
    private_nspawn_run_dir();
    execv(a->args[0], a->args);
    drv_child_fail(report_fd, errno, "exec systemd-nspawn");
}

static int nspawn_start(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                        struct engine_error *err)
{
    char **args = NULL;
    char pidbuf[32], *pidpath;
    pid_t pid;
    int r;

    /* Errors here are wrapped by the core with the container's name. */
    r = load_args(ctr->state_dir, &args, err);
    if (r < 0)
        return r;
    r = drv_spawn(child_run, &(struct child_args){.ctr = ctr, .io = io, .args = args}, &pid, err);
    drv_strv_free(args);
    if (r < 0)
        return r;
    snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)pid);
    pidpath = drv_path_join(ctr->state_dir, PID_FILE);
    if (pidpath)
        (void)drv_write_file_atomic(pidpath, pidbuf, strlen(pidbuf));
    free(pidpath);
    *ret_pid = pid;
    return 0;
}

static int nspawn_stats(struct engine_ctr *ctr, struct engine_stats *st, struct engine_error *err)
{
    int r = ctr->drv->host->cgroup_stats(ctr->cg, st, err);

    return r < 0 ? r : 0;
}

static int cgroup_tasks(struct engine_ctr *ctr)
{
    return ctr->drv->host->cgroup_kill(ctr->cg, 0);
}

/* The command's host pid: the task of the cgroup that is pid 2 in a child
 * pid namespace ("NSpid: <host> 2"), under nspawn's stub init. 0 if none. */
static pid_t payload_pid(struct engine_ctr *ctr)
{
    static const char *const ctrls[] = {"pids", "memory", "freezer", NULL};
    const struct engine_host *h = ctr->drv->host;
    const char *dir = NULL;
    char *path, *procs = NULL, *save = NULL, *tok;
    pid_t found = 0;

    for (size_t i = 0; ctrls[i] && !dir; i++)
        dir = h->cgroup_path(ctr->cg, ctrls[i]);
    if (!dir)
        dir = h->cgroup_path(ctr->cg, NULL);
    if (!dir || !(path = drv_path_join(dir, "cgroup.procs")))
        return 0;
    if (drv_read_file(path, &procs, NULL) < 0)
        procs = NULL;
    free(path);
    for (tok = procs ? strtok_r(procs, "\n", &save) : NULL; tok && !found;
         tok = strtok_r(NULL, "\n", &save)) {
        char status[64], *text = NULL, *line;
        long host_pid = 0, inner = 0;
        int n;

        snprintf(status, sizeof(status), "/proc/%s/status", tok);
        if (drv_read_file(status, &text, NULL) < 0)
            continue;
        line = strstr(text, "\nNSpid:");
        if (line && sscanf(line, "\nNSpid: %ld %ld%n", &host_pid, &inner, &n) == 2 && inner == 2 &&
            (line[n] == '\n' || line[n] == '\0'))
            found = (pid_t)host_pid;
        free(text);
    }
    free(procs);
    return found;
}

/* SIGTERM (or any signal but SIGKILL) goes to the command itself, so it can
 * exit its own way and its exit code is the container's; without it (not
 * started yet, or gone) SIGTERM asks nspawn to halt the container. After the
 * timeout, SIGKILL for every task in the cgroup. */
static int nspawn_stop(struct engine_ctr *ctr, int sig, unsigned timeout_ms,
                       struct engine_error *err)
{
    const struct engine_host *h = ctr->drv->host;
    pid_t pid = load_pid(ctr), payload;
    unsigned waited = 0;

    if (sig == 0)
        sig = SIGTERM;
    payload = sig == SIGKILL ? 0 : payload_pid(ctr);
    /* Right after start nspawn may still be setting up: give the command a
     * moment to appear rather than halting a half-made container. */
    while (sig != SIGKILL && !payload && drv_pid_alive(pid) && waited < timeout_ms &&
           waited < 3000) {
        drv_sleep_ms(10);
        waited += 10;
        payload = payload_pid(ctr);
    }
    if (payload > 0)
        (void)kill(payload, sig);
    else if (sig == SIGTERM && drv_pid_alive(pid))
        (void)kill(pid, SIGTERM);
    else
        (void)h->cgroup_kill(ctr->cg, sig);
    while (waited < timeout_ms && (drv_pid_alive(pid) || (!pid && cgroup_tasks(ctr) > 0))) {
        drv_sleep_ms(20);
        waited += 20;
    }
    if (cgroup_tasks(ctr) > 0) {
        (void)h->cgroup_kill(ctr->cg, SIGKILL);
        for (int i = 0; i < 250 && cgroup_tasks(ctr) > 0; i++)
            drv_sleep_ms(20);
        if (cgroup_tasks(ctr) > 0)
            return engine_error_set(err, EBUSY, "Tasks survive SIGKILL");
    }
    return 0;
}

static int nspawn_state(struct engine_ctr *ctr, struct engine_state *st, struct engine_error *err)
{
    pid_t pid = load_pid(ctr);
    const char *frozen = ctr->drv->host->cgroup_path(ctr->cg, "freezer");
    char *path, *buf = NULL;

    st->pid = drv_pid_alive(pid) ? pid : 0;
    if (!pid)
        st->status = ENGINE_CTR_CREATED;
    else if (!st->pid)
        st->status = ENGINE_CTR_EXITED;
    else
        st->status = ENGINE_CTR_RUNNING;
    snprintf(st->detail, sizeof(st->detail), "%s", st->pid ? "systemd-nspawn running" : "");
    if (st->pid && frozen && (path = drv_path_join(frozen, "freezer.state"))) {
        if (drv_read_file(path, &buf, NULL) == 0 && strncmp(buf, "FROZEN", 6) == 0) {
            st->status = ENGINE_CTR_PAUSED;
            snprintf(st->detail, sizeof(st->detail), "FROZEN");
        }
        free(buf);
        free(path);
    }
    return 0;
}

static int nspawn_pause(struct engine_ctr *ctr, struct engine_error *err)
{
    int r = ctr->drv->host->cgroup_freeze(ctr->cg, 1, err);

    return r < 0 ? r : 0;
}

static int nspawn_resume(struct engine_ctr *ctr, struct engine_error *err)
{
    int r = ctr->drv->host->cgroup_freeze(ctr->cg, 0, err);

    return r < 0 ? r : 0;
}

static int nspawn_destroy(struct engine_ctr *ctr, struct engine_error *err)
{
    const struct engine_host *h = ctr->drv->host;
    int r = 0;

    if (ctr->cg) {
        (void)h->cgroup_kill(ctr->cg, SIGKILL);
        r = h->cgroup_destroy(ctr->cg, err);
        ctr->cg = NULL;
    }
    drv_unlink_in(ctr->state_dir, ARGS_FILE);
    drv_unlink_in(ctr->state_dir, PID_FILE);
    ctr_free(ctr);
    return r;
}

static const struct engine_driver nspawn_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = "nspawn",
    .summary = "systemd-nspawn containers in an engine cgroup",
    .features = ENGINE_FEAT_PAUSE | ENGINE_FEAT_STATS_CPU | ENGINE_FEAT_STATS_MEMORY |
                ENGINE_FEAT_STATS_PIDS | ENGINE_FEAT_STATS_IO | ENGINE_FEAT_LIMIT_MEMORY |
                ENGINE_FEAT_LIMIT_CPU | ENGINE_FEAT_LIMIT_PIDS | ENGINE_FEAT_LIMIT_CPUSET |
                ENGINE_FEAT_NS_PID | ENGINE_FEAT_NS_MOUNT | ENGINE_FEAT_NS_NET |
                ENGINE_FEAT_NS_UTS | ENGINE_FEAT_NS_IPC | ENGINE_FEAT_READONLY_ROOTFS |
                ENGINE_FEAT_OOM_REPORT | ENGINE_FEAT_MOUNTS,
    .options = nspawn_options,
    .init = nspawn_init,
    .fini = nspawn_fini,
    .probe = nspawn_probe,
    .create = nspawn_create,
    .start = nspawn_start,
    .stats = nspawn_stats,
    .destroy = nspawn_destroy,
    .restore = nspawn_restore,
    .release = nspawn_release,
    .stop = nspawn_stop,
    .state = nspawn_state,
    .pause = nspawn_pause,
    .resume = nspawn_resume,
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void);
ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
    return &nspawn_driver;
}
