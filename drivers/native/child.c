/* drivers/native/child.c - the container's first process, from clone() to
 * exec: wait for the parent to place it in its cgroup (and write the user
 * namespace maps), enter a cgroup namespace, build the filesystem, set the
 * hostname, user, capabilities, stdio and environment, then exec. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "native.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Send the error to start() and die. The parent prefixes nothing: the
 * message already names the step ("pivot_root: Invalid argument"). */
__attribute__((noreturn)) static void child_fail(int err_fd, const struct engine_error *e)
{
    ssize_t w = write(err_fd, e, sizeof(*e));

    (void)w;
    _exit(1);
}

static bool has_key(char *const *env, const char *key)
{
    size_t n = strlen(key);

    for (size_t i = 0; env && env[i]; i++) {
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
            return true;
    }
    return false;
}

static char **build_env(const struct engine_ctr *c, uid_t uid)
{
    size_t n = 0;
    char **env;
    char buf[HOST_NAME_MAX + 16];

    while (c->env && c->env[n])
        n++;
    env = calloc(n + 4, sizeof(char *));
    if (!env)
        return NULL;
    for (size_t i = 0; i < n; i++)
        env[i] = c->env[i];
    if (!has_key(c->env, "PATH"))
        env[n++] = DEFAULT_PATH;
    if (!has_key(c->env, "HOSTNAME") && c->hostname) {
        snprintf(buf, sizeof(buf), "HOSTNAME=%s", c->hostname);
        env[n++] = strdup(buf);
    }
    if (!has_key(c->env, "HOME"))
        env[n++] = uid == 0 ? "HOME=/root" : "HOME=/";
    return env;
}

static const char *env_get(char *const *env, const char *key)
{
    size_t n = strlen(key);

    for (size_t i = 0; env && env[i]; i++) {
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    }
    return NULL;
}

/* One field lookup in the container's /etc/passwd or /etc/group: the line
 * whose name (or, numerically, id) matches; ids of that line returned. */
static int db_lookup(const char *file, const char *key, unsigned *ret_id, unsigned *ret_gid)
{
    FILE *f = fopen(file, "re");
    char line[1024];
    int r = -ENOENT;

    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char *name = strtok(line, ":"), *pw = strtok(NULL, ":");
        char *id = strtok(NULL, ":"), *gid = strtok(NULL, ":");

        if (!name || !pw || !id || strcmp(name, key) != 0)
            continue;
        *ret_id = (unsigned)strtoul(id, NULL, 10);
        if (ret_gid && gid)
            *ret_gid = (unsigned)strtoul(gid, NULL, 10);
        r = 0;
        break;
    }
    fclose(f);
    return r;
}

static bool all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* "uid[:gid]", numbers or names from the container's own files, like Docker:
 * a uid without a group takes its passwd group, else 0. */
static int parse_user(const char *spec, uid_t *ret_uid, gid_t *ret_gid, struct engine_error *err)
{
    char user[256], *group;
    unsigned uid = 0, gid = 0, pw_gid = 0;

    snprintf(user, sizeof(user), "%s", spec);
    group = strchr(user, ':');
    if (group)
        *group++ = '\0';
    if (all_digits(user)) {
        uid = (unsigned)strtoul(user, NULL, 10);
        /* Find the passwd group of a numeric uid, when there is one. */
        FILE *f = fopen("/etc/passwd", "re");
        char line[1024];
        while (f && fgets(line, sizeof(line), f)) {
            unsigned u, g;
            if (sscanf(line, "%*[^:]:%*[^:]:%u:%u:", &u, &g) == 2 && u == uid) {
                pw_gid = g;
                break;
            }
        }
        if (f)
            fclose(f);
    } else if (db_lookup("/etc/passwd", user, &uid, &pw_gid) < 0) {
        return engine_error_set(err, ENOENT,
                                "Unable to find user %s: no matching entries in "
                                "passwd file",
                                user);
    }
    gid = pw_gid;
    if (group && all_digits(group))
        gid = (unsigned)strtoul(group, NULL, 10);
    else if (group && db_lookup("/etc/group", group, &gid, NULL) < 0)
        return engine_error_set(err, ENOENT,
                                "Unable to find group %s: no matching entries in "
                                "group file",
                                group);
    *ret_uid = uid;
    *ret_gid = gid;
    return 0;
}

/* Make io->in/out/err our 0/1/2 even when they are themselves 0..2. */
static int setup_stdio(const struct engine_stdio *io, struct engine_error *err)
{
    int want[3] = {io ? io->in : -1, io ? io->out : -1, io ? io->err : -1};
    int tmp[3];

    for (int i = 0; i < 3; i++) {
        int fd = want[i];

        if (fd < 0)
            fd = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
        tmp[i] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0)
            return engine_error_errno(err, errno, "stdio fd %d", i);
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(tmp[i], i) < 0)
            return engine_error_errno(err, errno, "dup2 stdio");
        (void)close(tmp[i]);
    }
    return 0;
}

static int set_identity(uid_t uid, gid_t gid, struct engine_error *err)
{
    if (setgroups(1, &gid) < 0 && setgroups(0, NULL) < 0)
        return engine_error_errno(err, errno, "setgroups");
    if (setresgid(gid, gid, gid) < 0)
        return engine_error_errno(err, errno, "setgid %u", (unsigned)gid);
    if (setresuid(uid, uid, uid) < 0)
        return engine_error_errno(err, errno, "setuid %u", (unsigned)uid);
    return 0;
}

/* The monitor ignores SIGPIPE/SIGINT/SIGHUP and blocks SIGCHLD; ignored
 * signals and the mask survive exec, so the container would inherit them. */
static void reset_signals(void)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)signal(sig, SIG_DFL);
    }
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* execvpe() searches the caller's PATH; the container's PATH is what counts. */
__attribute__((noreturn)) static void exec_cmd(char *const argv[], char **env)
{
    const char *cmd = argv[0];
    const char *path = env_get(env, "PATH");
    int saved = ENOENT;

    if (strchr(cmd, '/')) {
        execve(cmd, argv, env);
        saved = errno;
    } else {
        for (const char *p = path ? path : ""; *p;) {
            size_t len = strcspn(p, ":");
            char full[PATH_MAX];

            if (len > 0 &&
                (size_t)snprintf(full, sizeof(full), "%.*s/%s", (int)len, p, cmd) < sizeof(full)) {
                execve(full, argv, env);
                if (errno == EACCES || errno == ENOEXEC || errno == EISDIR)
                    saved = errno;
            }
            p += len;
            if (*p == ':')
                p++;
        }
    }
    if (saved == ENOENT || saved == ENOTDIR) {
        dprintf(2, "exec: %s: not found\n", cmd);
        _exit(127);
    }
    dprintf(2, "exec: %s: %s\n", cmd, saved == EACCES ? "permission denied" : strerror(saved));
    _exit(126);
}

/* The last steps, shared by the container's init and by exec: identity,
 * working directory, stdio, capabilities, environment, exec. */
void native_exec_common(const struct engine_ctr *c, const struct engine_stdio *io,
                        char *const argv[], int err_fd)
{
    struct engine_error e = {0};
    uid_t uid = 0;
    gid_t gid = 0;
    char **env;

    if (c->user && *c->user && parse_user(c->user, &uid, &gid, &e) < 0)
        child_fail(err_fd, &e);
    if (chdir(c->cwd && *c->cwd ? c->cwd : "/") < 0) {
        engine_error_errno(&e, errno, "chdir %s", c->cwd);
        child_fail(err_fd, &e);
    }
    reset_signals();
    (void)setsid();
    umask(022);
    if (setup_stdio(io, &e) < 0 || native_caps_apply(&e) < 0 || set_identity(uid, gid, &e) < 0)
        child_fail(err_fd, &e);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        engine_error_errno(&e, errno, "no_new_privs");
        child_fail(err_fd, &e);
    }
    env = build_env(c, uid);
    if (!env) {
        engine_error_errno(&e, ENOMEM, "environment");
        child_fail(err_fd, &e);
    }
    /* err_fd stays open (it is close-on-exec): EOF tells the parent exec happened. */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = 3; fd < 1024; fd++)
            if (fd != err_fd)
                (void)close(fd);
    }
    exec_cmd(argv, env);
}

/* Wait until the parent put us in the cgroup (and wrote the id maps). */
static void wait_for_parent(int sync_fd)
{
    char go;

    if (read(sync_fd, &go, 1) != 1)
        _exit(1);
    (void)close(sync_fd);
}

static void enter_cgroup_ns(int err_fd)
{
    struct engine_error e = {0};

    if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL) {
        engine_error_errno(&e, errno, "unshare cgroup namespace");
        child_fail(err_fd, &e);
    }
}

static void setup_root(const struct engine_ctr *c, int mount_fd, int err_fd)
{
    struct engine_error e = {0};

    if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0) {
        engine_error_errno(&e, errno, "sethostname %s", c->hostname);
        child_fail(err_fd, &e);
    }
    if (native_mounts_prepare(c, mount_fd, &e) < 0 || native_mounts_pivot(c, &e) < 0 ||
        native_mounts_finish(c, &e) < 0)
        child_fail(err_fd, &e);
}

void native_child(const struct engine_ctr *c, const struct engine_stdio *io, int sync_fd,
                  int err_fd, int sock_fd)
{
    struct engine_error e = {0};
    int mount_fd = -1;

    if (!c->userns) {
        /* The parent's first cgroup v1 attach waits for an RCU grace period
         * (~12 ms here): build the root meanwhile, and wait for the attach
         * only before entering the cgroup namespace and exec. */
        (void)close(sock_fd);
        setup_root(c, -1, err_fd);
        wait_for_parent(sync_fd);
        enter_cgroup_ns(err_fd);
        native_exec_common(c, io, c->argv, err_fd);
    }
    wait_for_parent(sync_fd);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
        engine_error_errno(&e, errno, "become root in the user namespace");
        child_fail(err_fd, &e);
    }
    mount_fd = native_recv_fd(sock_fd);
    if (mount_fd < 0) {
        engine_error_errno(&e, mount_fd, "receive the idmapped root");
        child_fail(err_fd, &e);
    }
    (void)close(sock_fd);
    enter_cgroup_ns(err_fd);
    setup_root(c, mount_fd, err_fd);
    native_exec_common(c, io, c->argv, err_fd);
}
