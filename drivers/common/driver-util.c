/* drivers/common/driver-util.c - helpers shared by the in-tree drivers (one
 * copy of what each driver used to carry); an outside driver does not get
 * these, it uses only include/engine. See driver-util.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver-util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* --- strings and argv --------------------------------------------------- */

char *drv_path_join(const char *a, const char *b)
{
    char *p;

    if (asprintf(&p, "%s/%s", a, b) < 0)
        return NULL;
    return p;
}

void drv_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

char **drv_strv_dup(char *const *v)
{
    size_t n = 0;
    char **r;

    while (v && v[n])
        n++;
    r = calloc(n + 1, sizeof(*r));
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        r[i] = strdup(v[i]);
        if (!r[i]) {
            drv_strv_free(r);
            return NULL;
        }
    }
    return r;
}

void drv_argv_add(struct drv_argv *a, const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (a->oom)
        return;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **nv = realloc(a->v, cap * sizeof(char *));

        if (!nv) {
            a->oom = true;
            return;
        }
        a->v = nv;
        a->cap = cap;
    }
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        va_end(ap);
        a->oom = true;
        return;
    }
    va_end(ap);
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

char **drv_argv_finish(struct drv_argv *a)
{
    char **v = a->v;

    if (a->oom) {
        drv_strv_free(v);
        v = NULL;
    }
    *a = (struct drv_argv){0};
    return v;
}

const char *drv_opt_get(const struct engine_opt *v, size_t n, const char *prefix, const char *key,
                        const char *fallback)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    const char *found = fallback;

    for (size_t i = 0; v && i < n; i++) {
        const char *k = v[i].key;

        if (!k)
            continue;
        if (prefix && strncmp(k, prefix, plen) == 0 && k[plen] == '.')
            k += plen + 1;
        if (strcmp(k, key) == 0)
            found = v[i].value;
    }
    return found;
}

int drv_parse_bool(const char *v)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};

    for (size_t i = 0; v && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* --- files ---------------------------------------------------------------- */

int drv_mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        /* A parent is never more open than 0755, even for a 0777 leaf. */
        if (mkdir(buf, mode & 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int drv_mkdir_beneath(const char *root, const char *path)
{
    char buf[PATH_MAX];
    int fd, r = 0;

    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, path);
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        int next;

        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            r = -EINVAL;
            break;
        }
        if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
            r = -errno;
            break;
        }
        next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            r = -errno;
            break;
        }
        close(fd);
        fd = next;
    }
    close(fd);
    return r;
}

static int rm_rf_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int drv_rm_rf(const char *path)
{
    if (nftw(path, rm_rf_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
        return errno == ENOENT ? 0 : -errno;
    return 0;
}

void drv_unlink_in(const char *dir, const char *name)
{
    char *p = drv_path_join(dir, name);

    if (p)
        (void)unlink(p);
    free(p);
}

int drv_write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX];
    const char *p = data;
    int fd;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return -ENAMETOOLONG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int r = -errno;

            close(fd);
            unlink(tmp);
            return r;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        unlink(tmp);
        return -EIO;
    }
    if (rename(tmp, path) < 0) {
        int r = -errno;

        unlink(tmp);
        return r;
    }
    return 0;
}

void drv_write_counter_file(const char *file, uint64_t value)
{
    char tmp[PATH_MAX], buf[32];
    int fd, n;

    snprintf(tmp, sizeof(tmp), "%s.tmp", file);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", value);
    if (write(fd, buf, (size_t)n) == n && close(fd) == 0)
        (void)rename(tmp, file);
    else
        (void)unlink(tmp);
}

bool drv_read_counter_file(const char *file, uint64_t *ret)
{
    FILE *f = file ? fopen(file, "re") : NULL;
    bool ok;

    if (!f)
        return false;
    ok = fscanf(f, "%" SCNu64, ret) == 1;
    fclose(f);
    return ok;
}

int drv_read_fd(int fd, char **ret, size_t *ret_len)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;

    for (;;) {
        ssize_t n;

        if (cap - len < 4096) {
            char *nb = realloc(buf, cap + 4096 + 1);

            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap += 4096;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret = buf;
    if (ret_len)
        *ret_len = len;
    return 0;
}

int drv_read_file(const char *path, char **ret, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), r;

    if (fd < 0)
        return -errno;
    r = drv_read_fd(fd, ret, ret_len);
    close(fd);
    return r;
}

/* --- processes -------------------------------------------------------------- */

char *drv_find_in_path(const char *name)
{
    const char *env = getenv("PATH");
    char *path, *save = NULL, *dir, *found = NULL;

    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? strdup(name) : NULL;
    if (asprintf(&path, "%s:/usr/sbin:/usr/bin:/sbin:/bin", env ? env : "") < 0)
        return NULL;
    for (dir = strtok_r(path, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *p;

        if (!*dir)
            continue;
        p = drv_path_join(dir, name);
        if (p && access(p, X_OK) == 0)
            found = p;
        else
            free(p);
    }
    free(path);
    return found;
}

int drv_wait_exit(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void close_pair(int p[2])
{
    close(p[0]);
    close(p[1]);
}

int drv_run(char *const argv[], char **ret_out, char **ret_err)
{
    int out[2], errp[2], status;
    char *o = NULL, *e = NULL;
    pid_t pid;

    if (pipe2(out, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        int r = -errno;

        close_pair(out);
        return r;
    }
    pid = fork();
    if (pid < 0) {
        int r = -errno;

        close_pair(out);
        close_pair(errp);
        return r;
    }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);

        if (nul >= 0)
            dup2(nul, 0);
        dup2(out[1], 1);
        dup2(errp[1], 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    /* stdout to EOF, then stderr: the commands run here write little to
     * stderr, well under a pipe's buffer. */
    if (drv_read_fd(out[0], &o, NULL) < 0)
        o = NULL;
    close(out[0]);
    if (drv_read_fd(errp[0], &e, NULL) < 0)
        e = NULL;
    close(errp[0]);
    status = drv_wait_exit(pid);
    if (status < 0) {
        free(o);
        free(e);
        return status;
    }
    if (ret_out)
        *ret_out = o ? o : strdup("");
    else
        free(o);
    if (ret_err)
        *ret_err = e ? e : strdup("");
    else
        free(e);
    return status;
}

/* What a drv_spawn() child writes to the report pipe when it cannot exec. */
struct child_report {
    int code;
    char msg[256];
};

void drv_child_fail(int report_fd, int code, const char *what)
{
    struct child_report rep = {.code = code};

    snprintf(rep.msg, sizeof(rep.msg), "%s", what);
    (void)!write(report_fd, &rep, sizeof(rep));
    _exit(127);
}

void drv_child_reset_signals(void)
{
    sigset_t none;

    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)signal(sig, SIG_DFL);
}

int drv_spawn(void (*child)(void *arg, int report_fd), void *arg, pid_t *ret_pid,
              struct engine_error *err)
{
    struct child_report rep;
    ssize_t got;
    int p[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return engine_error_errno(err, errno, "Pipe");
    pid = fork();
    if (pid < 0) {
        int r = -errno;

        close_pair(p);
        return engine_error_errno(err, r, "Fork");
    }
    if (pid == 0) {
        close(p[0]);
        child(arg, p[1]);
        drv_child_fail(p[1], EINVAL, "Child returned without exec");
    }
    close(p[1]);
    /* EOF: the exec closed the pipe. A full report: the child failed. */
    do
        got = read(p[0], &rep, sizeof(rep));
    while (got < 0 && errno == EINTR);
    close(p[0]);
    if (got == (ssize_t)sizeof(rep)) {
        (void)waitpid(pid, NULL, 0);
        rep.msg[sizeof(rep.msg) - 1] = '\0';
        return engine_error_errno(err, rep.code, "%s", rep.msg);
    }
    *ret_pid = pid;
    return 0;
}

void drv_reap_child(pid_t pid, unsigned tries, unsigned step_ms)
{
    if (pid <= 0)
        return;
    /* Non-zero: reaped here, or already by the monitor's own waitpid(-1). */
    for (unsigned i = 0; i < tries; i++) {
        if (waitpid(pid, NULL, WNOHANG) != 0)
            return;
        drv_sleep_ms(step_ms);
    }
    (void)kill(pid, SIGKILL);
    (void)waitpid(pid, NULL, 0);
}

bool drv_pid_alive(pid_t pid)
{
    char path[64], buf[512], *p;
    ssize_t n;
    int fd;

    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

void drv_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* --- cgroups ---------------------------------------------------------------- */

bool drv_host_is_cgroup2(void)
{
    struct statfs sfs;

    return statfs("/sys/fs/cgroup", &sfs) == 0 &&
           sfs.f_type == (typeof(sfs.f_type))CGROUP2_SUPER_MAGIC;
}

bool drv_read_keyed_fd(int fd, const char *key, uint64_t *ret)
{
    char buf[4096];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    size_t klen = strlen(key);

    if (n <= 0)
        return false;
    buf[n] = '\0';
    for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            *ret = strtoull(line + klen + 1, NULL, 10);
            return true;
        }
    return false;
}

bool drv_memory_cgroup_dir(pid_t pid, bool v2, char *out, size_t len)
{
    char path[64], line[PATH_MAX];
    bool found = false;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f)) {
        char *ctrl = strchr(line, ':'), *rel = ctrl ? strchr(ctrl + 1, ':') : NULL;

        if (!rel)
            continue;
        *rel++ = '\0';
        rel[strcspn(rel, "\n")] = '\0';
        if (v2 ? strcmp(ctrl + 1, "") == 0 : strcmp(ctrl + 1, "memory") == 0) {
            snprintf(out, len, v2 ? "/sys/fs/cgroup%s" : "/sys/fs/cgroup/memory%s", rel);
            found = true;
        }
    }
    fclose(f);
    return found;
}

void drv_oom_watch(const char *dir, bool v2, const char *out)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
    char file[PATH_MAX + 32], reg[64];
    uint64_t kills = 0, ev;
    int fd, ctl, efd;

    snprintf(file, sizeof(file), "%s/%s", dir, v2 ? "memory.events" : "memory.oom_control");
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        _exit(0);
    (void)drv_read_keyed_fd(fd, "oom_kill", &kills);
    drv_write_counter_file(out, kills);
    if (v2) {
        struct pollfd p = {.fd = fd, .events = POLLPRI};

        while (poll(&p, 1, -1) >= 0 && !(p.revents & (POLLERR | POLLNVAL)) &&
               drv_read_keyed_fd(fd, "oom_kill", &kills))
            drv_write_counter_file(out, kills);
        _exit(0);
    }
    snprintf(file, sizeof(file), "%s/cgroup.event_control", dir);
    efd = eventfd(0, EFD_CLOEXEC);
    ctl = open(file, O_WRONLY | O_CLOEXEC);
    snprintf(reg, sizeof(reg), "%d %d", efd, fd);
    if (efd < 0 || ctl < 0 || write(ctl, reg, strlen(reg)) < 0)
        _exit(0);
    close(ctl);
    /* v1 signals the eventfd at every OOM and once more when the cgroup goes. */
    while (read(efd, &ev, sizeof(ev)) == sizeof(ev)) {
        uint64_t now = 0;

        if (access(dir, F_OK) < 0)
            break;
        nanosleep(&ts, NULL); /* the kill is counted just after the event */
        if (!drv_read_keyed_fd(fd, "oom_kill", &now))
            now = kills + 1; /* the cgroup went meanwhile: count this event */
        if (now > kills) {
            kills = now;
            drv_write_counter_file(out, kills);
        }
    }
    _exit(0);
}
