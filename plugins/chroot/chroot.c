/* plugins/chroot/chroot.c - the "chroot" driver: the oldest isolation of all.
 *
 * An example third-party driver, built only against engine's installed SDK
 * (the engine/ headers and `pkg-config engine-driver`), never against the source tree.
 * The container is a process chroot()ed into spec->rootfs, placed in a cgroup
 * made by the core's host services for limits, stats, freeze and kill.
 *
 * What it cannot do, and says so in .features: no namespaces at all (the
 * container sees the host's pids, network, mounts, hostname), no read-only
 * root, no extra mounts, no user namespace, no exec. create() refuses a spec
 * that asks for one of those rather than ignoring it.
 *
 * Like every chroot setup since debootstrap, the root gets a /proc (the
 * host's: there is no pid namespace) and a small tmpfs /dev with the usual
 * character devices, mounted at create() and unmounted at destroy(). With no
 * mount namespace these mounts live in the host's, beneath the container's
 * root that the core mounted there.
 *
 * Process model (see engine/driver.h): create() makes the cgroup; start() runs
 * in engine's monitor, which reaps the pid it returns; every other call gets
 * its handle from restore(), which reopens the cgroup by name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <engine/driver.h>

extern char **environ;

struct engine_drv {
    const struct engine_host *host;
};

struct engine_ctr {
    struct engine_drv *drv;
    struct engine_cgroup *cg;
    char *name;
    char *rootfs;
    char *cwd;
    char *user;
    char **argv;
    char **env;
};

/* A tiny local copy of what the core has in its util.h: a driver includes
 * only the SDK headers. */
static char **strv_copy(char *const *v)
{
    size_t n = 0;
    char **c;

    while (v && v[n])
        n++;
    c = calloc(n + 1, sizeof(*c));
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(c[i] = strdup(v[i]))) {
            while (i > 0)
                free(c[--i]);
            free(c);
            return NULL;
        }
    return c;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void ctr_free(struct engine_ctr *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->rootfs);
    free(c->cwd);
    free(c->user);
    strv_free(c->argv);
    strv_free(c->env);
    free(c);
}

static void cgroup_name(const struct engine_spec *spec, char *buf, size_t len)
{
    snprintf(buf, len, "engine/%s", spec->id);
}

static const struct {
    const char *name;
    unsigned major, minor;
} dev_nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* A directory of the container's root to mount on: never a symlink, which
 * could point the mount anywhere on the host. */
static int api_dir(const char *rootfs, const char *sub, char *buf, size_t len)
{
    struct stat st;

    snprintf(buf, len, "%s/%s", rootfs, sub);
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (lstat(buf, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static void api_fs_teardown(const char *rootfs)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/dev", rootfs);
    (void)umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
    snprintf(path, sizeof(path), "%s/proc", rootfs);
    (void)umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
}

static int api_fs_setup(const char *rootfs, const char *name, struct engine_error *err)
{
    char path[4096], node[4200];
    int r;

    r = api_dir(rootfs, "proc", path, sizeof(path));
    if (r < 0)
        return engine_error_errno(err, r, "Container '%s': %s", name, path);
    if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return engine_error_errno(err, errno, "Container '%s': mount proc on %s", name, path);
    r = api_dir(rootfs, "dev", path, sizeof(path));
    if (r < 0 || mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k") < 0) {
        r = r < 0 ? r : -errno;
        api_fs_teardown(rootfs);
        return engine_error_errno(err, r, "Container '%s': mount a tmpfs on %s", name, path);
    }
    for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
        snprintf(node, sizeof(node), "%s/%s", path, dev_nodes[i].name);
        if (mknod(node, S_IFCHR | 0666, makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0 ||
            chmod(node, 0666) < 0) {
            r = -errno;
            api_fs_teardown(rootfs);
            return engine_error_errno(err, r, "Container '%s': mknod %s", name, node);
        }
    }
    snprintf(node, sizeof(node), "%s/fd", path);
    (void)!symlink("/proc/self/fd", node);
    snprintf(node, sizeof(node), "%s/shm", path);
    (void)mkdir(node, 01777);
    return 0;
}

/* The handle keeps its own copy of what start() needs: the spec is the core's. */
static int ctr_new(struct engine_drv *drv, const struct engine_spec *spec, struct engine_ctr **ret,
                   struct engine_error *err)
{
    struct engine_ctr *c = calloc(1, sizeof(*c));

    if (!c)
        return engine_error_errno(err, ENOMEM, "Container '%s'", spec->name);
    c->drv = drv;
    c->name = strdup(spec->name);
    c->rootfs = strdup(spec->rootfs);
    c->cwd = strdup(spec->cwd && *spec->cwd ? spec->cwd : "/");
    c->user = spec->user ? strdup(spec->user) : NULL;
    c->argv = strv_copy(spec->argv);
    c->env = strv_copy(spec->env);
    if (!c->name || !c->rootfs || !c->cwd || (spec->user && !c->user) || !c->argv || !c->env) {
        ctr_free(c);
        return engine_error_errno(err, ENOMEM, "Container '%s'", spec->name);
    }
    *ret = c;
    return 0;
}

static int chroot_init(const struct engine_host *host, const struct engine_opts *opts,
                       struct engine_drv **ret_drv, struct engine_error *err)
{
    struct engine_drv *drv;

    (void)opts; /* .options is NULL: the core refuses every key before init */
    /* The cgroup services are 1.0 members; a core that lacks them is not ours. */
    if (host->struct_size < sizeof(*host) || !host->cgroup_create)
        return engine_error_set(err, EPROTO, "chroot: engine's host services are too old");
    drv = calloc(1, sizeof(*drv));
    if (!drv)
        return engine_error_errno(err, ENOMEM, "chroot");
    drv->host = host;
    *ret_drv = drv;
    return 0;
}

static void chroot_fini(struct engine_drv *drv)
{
    free(drv);
}

static int chroot_probe(struct engine_drv *drv, struct engine_error *err)
{
    (void)drv;
    if (geteuid() != 0) {
        (void)engine_error_set(err, EPERM, "chroot needs root (CAP_SYS_CHROOT)");
        return ENGINE_DECLINED;
    }
    return 0;
}

static int chroot_create(struct engine_drv *drv, const struct engine_spec *spec,
                         struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *c;
    char cg[128];
    int r;

    if (spec->readonly_rootfs)
        return engine_error_set(err, ENOTSUP, "The chroot driver cannot make the root read-only");
    if (spec->n_mounts > 0)
        return engine_error_set(err, ENOTSUP, "The chroot driver cannot add mounts");
    if (spec->userns)
        return engine_error_set(err, ENOTSUP, "The chroot driver has no user namespaces");
    if (!spec->argv || !spec->argv[0])
        return engine_error_set(err, EINVAL, "Container '%s' has no command", spec->name);
    r = ctr_new(drv, spec, &c, err);
    if (r < 0)
        return r;
    cgroup_name(spec, cg, sizeof(cg));
    r = drv->host->cgroup_create(cg, &spec->limits, &c->cg, err);
    if (r < 0) {
        ctr_free(c);
        return r;
    }
    r = api_fs_setup(c->rootfs, c->name, err);
    if (r < 0) {
        (void)drv->host->cgroup_destroy(c->cg, NULL);
        ctr_free(c);
        return r;
    }
    *ret_ctr = c;
    return 0;
}

static int chroot_restore(struct engine_drv *drv, const struct engine_spec *spec,
                          struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *c;
    char cg[128];
    int r;

    r = ctr_new(drv, spec, &c, err);
    if (r < 0)
        return r;
    cgroup_name(spec, cg, sizeof(cg));
    r = drv->host->cgroup_open(cg, &c->cg, err);
    if (r < 0) {
        ctr_free(c);
        return r;
    }
    *ret_ctr = c;
    return 0;
}

static void chroot_release(struct engine_ctr *c)
{
    if (!c)
        return;
    c->drv->host->cgroup_free(c->cg);
    ctr_free(c);
}

/* "uid[:gid]" */
static int parse_user(const char *s, uid_t *uid, gid_t *gid)
{
    char *end;
    unsigned long u, g;

    errno = 0;
    u = strtoul(s, &end, 10);
    if (end == s || errno || (*end && *end != ':'))
        return -EINVAL;
    g = u;
    if (*end == ':') {
        const char *gs = end + 1;
        g = strtoul(gs, &end, 10);
        if (end == gs || errno || *end)
            return -EINVAL;
    }
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

/* Runs in the forked child; reports a failure before exec through fd. */
static _Noreturn void child_fail(int fd, const char *what)
{
    int e = errno;
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%d %s", e, what);

    if (n > 0)
        (void)!write(fd, buf, (size_t)n);
    _exit(126);
}

static _Noreturn void child_run(struct engine_ctr *c, const struct engine_stdio *io, int fd)
{
    struct engine_error e = {0};
    int in, out, errfd;
    sigset_t none;
    uid_t uid = 0;
    gid_t gid = 0;

    /* The monitor blocks SIGCHLD and ignores SIGPIPE/SIGINT/SIGHUP: the
     * container must start with a clean slate. */
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)signal(s, SIG_DFL);
    (void)setsid();
    /* Into the cgroup before anything that could fork or allocate much. */
    if (c->drv->host->cgroup_attach(c->cg, getpid(), &e) < 0) {
        errno = e.code;
        child_fail(fd, "attach to the cgroup");
    }
    if (c->user && parse_user(c->user, &uid, &gid) < 0) {
        errno = EINVAL;
        child_fail(fd, "user (expected uid[:gid])");
    }
    /* Above 2 so that dup2 below cannot clobber one of them. */
    in = fcntl(io->in, F_DUPFD_CLOEXEC, 3);
    out = fcntl(io->out, F_DUPFD_CLOEXEC, 3);
    errfd = fcntl(io->err, F_DUPFD_CLOEXEC, 3);
    if (in < 0 || out < 0 || errfd < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
        child_fail(fd, "stdio");
    if (chroot(c->rootfs) < 0)
        child_fail(fd, "chroot");
    if (chdir(c->cwd) < 0)
        child_fail(fd, "chdir to the working directory");
    if (c->user && (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
        child_fail(fd, "set the user");
    /* Nothing of the monitor's may leak into the container. */
    (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    environ = c->env;
    execvp(c->argv[0], c->argv);
    /* Like a shell: 127 when the command is not there, 126 when it cannot run. */
    _exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
}

static int chroot_start(struct engine_ctr *c, const struct engine_stdio *io, pid_t *ret_pid,
                        struct engine_error *err)
{
    char buf[256] = "";
    int p[2], status;
    ssize_t n;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return engine_error_errno(err, errno, "Start container '%s': pipe", c->name);
    pid = fork();
    if (pid < 0) {
        int e = errno;
        (void)close(p[0]);
        (void)close(p[1]);
        return engine_error_errno(err, e, "Start container '%s': fork", c->name);
    }
    if (pid == 0) {
        (void)close(p[0]);
        child_run(c, io, p[1]);
    }
    (void)close(p[1]);
    /* EOF without a word: exec happened (the pipe is close-on-exec). */
    do
        n = read(p[0], buf, sizeof(buf) - 1);
    while (n < 0 && errno == EINTR);
    (void)close(p[0]);
    if (n > 0) {
        char *what = strchr(buf, ' ');
        int code = atoi(buf);

        buf[n] = '\0';
        (void)waitpid(pid, &status, 0);
        return engine_error_errno(err, code ? code : EIO, "Start container '%s': %s", c->name,
                                  what ? what + 1 : "setup failed");
    }
    *ret_pid = pid;
    return 0;
}

static int chroot_stats(struct engine_ctr *c, struct engine_stats *st, struct engine_error *err)
{
    return c->drv->host->cgroup_stats(c->cg, st, err);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* sig to every process of the container, then SIGKILL what is left after
 * the timeout. The container has no pid namespace: its "init" dying does
 * not take the others with it, so the cgroup is the only complete list. */
static int chroot_stop(struct engine_ctr *c, int sig, unsigned timeout_ms, struct engine_error *err)
{
    const struct engine_host *h = c->drv->host;

    (void)err;
    if (h->cgroup_kill(c->cg, sig) == 0 || sig == SIGKILL)
        return 0;
    for (unsigned waited = 0; waited < timeout_ms; waited += 20) {
        sleep_ms(20);
        if (h->cgroup_kill(c->cg, 0) == 0)
            return 0;
    }
    (void)h->cgroup_kill(c->cg, SIGKILL);
    return 0;
}

static int chroot_pause(struct engine_ctr *c, struct engine_error *err)
{
    return c->drv->host->cgroup_freeze(c->cg, 1, err);
}

static int chroot_resume(struct engine_ctr *c, struct engine_error *err)
{
    return c->drv->host->cgroup_freeze(c->cg, 0, err);
}

static int chroot_destroy(struct engine_ctr *c, struct engine_error *err)
{
    int r = c->drv->host->cgroup_destroy(c->cg, err); /* frees cg, even on failure */

    api_fs_teardown(c->rootfs);
    ctr_free(c);
    return r;
}

static const struct engine_driver chroot_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = "chroot",
    .summary = "chroot(2), /proc and a minimal /dev, a cgroup: no namespaces (example plugin)",
    .features = ENGINE_FEAT_PAUSE | ENGINE_FEAT_STATS_CPU | ENGINE_FEAT_STATS_MEMORY |
                ENGINE_FEAT_STATS_PIDS | ENGINE_FEAT_STATS_IO | ENGINE_FEAT_LIMIT_MEMORY |
                ENGINE_FEAT_LIMIT_CPU | ENGINE_FEAT_LIMIT_PIDS | ENGINE_FEAT_LIMIT_CPUSET |
                ENGINE_FEAT_OOM_REPORT,
    .options = NULL,
    .init = chroot_init,
    .fini = chroot_fini,
    .probe = chroot_probe,
    .create = chroot_create,
    .start = chroot_start,
    .stats = chroot_stats,
    .destroy = chroot_destroy,
    .restore = chroot_restore,
    .release = chroot_release,
    .stop = chroot_stop,
    .pause = chroot_pause,
    .resume = chroot_resume,
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
    return &chroot_driver;
}
