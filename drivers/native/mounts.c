/* drivers/native/mounts.c - the container's filesystem, built in its own
 * mount namespace: the root bound onto itself, /proc, /sys, a small /dev,
 * the user's mounts, pivot_root, then Docker's masked and read-only paths. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "native.h"

/* Docker's defaults (moby oci/defaults.go). */
static const char *const masked_paths[] = {
    "/proc/acpi",        "/proc/kcore",       "/proc/keys",      "/proc/latency_stats",
    "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware",
};
static const char *const readonly_paths[] = {
    "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

struct dev_node {
    const char *name;
    unsigned major, minor;
};
static const struct dev_node dev_nodes[] = {
    {"null", 1, 3}, {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static int mkdir_all(const char *path, mode_t mode)
{
    char buf[PATH_MAX];

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

    if (fd < 0)
        return errno == EEXIST ? 0 : -errno;
    (void)close(fd);
    return 0;
}

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                    const char *data, struct engine_error *err)
{
    if (mount(src, dst, type, flags, data) < 0)
        return engine_error_errno(err, errno, "mount %s on %s", src ? src : (type ? type : "none"), dst);
    return 0;
}

/* Remount a bind read-only. In a user namespace the flags the mount was
 * locked with (nosuid, nodev, noexec...) must be kept or the kernel says EPERM. */
static int remount_ro(const char *path, unsigned long extra, struct engine_error *err)
{
    struct statvfs sv;
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | extra;

    if (statvfs(path, &sv) == 0)
        flags |= sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                              MS_RELATIME);
    return do_mount(NULL, path, NULL, flags, NULL, err);
}

static bool has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");

        if (len == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += len;
        while (*p == '/')
            p++;
    }
    return false;
}

/* rootfs + target, refusing targets that climb out with "..". Symlinks inside
 * the rootfs are checked after the directory exists (see mount_user). */
static int in_root(const char *rootfs, const char *target, char *buf, size_t len,
                   struct engine_error *err)
{
    if (!target || target[0] != '/' || has_dotdot(target))
        return engine_error_set(err, EINVAL, "Bad mount target '%s'", target ? target : "");
    if (snprintf(buf, len, "%s%s", rootfs, target) >= (int)len)
        return engine_error_set(err, ENAMETOOLONG, "Mount target '%s' too long", target);
    return 0;
}

static int mount_dev(const struct engine_ctr *c, struct engine_error *err)
{
    char dev[PATH_MAX], p[PATH_MAX + 32];
    mode_t old;
    int r;

    snprintf(dev, sizeof(dev), "%s/dev", c->rootfs);
    (void)mkdir_all(dev, 0755);
    r = do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err);
    if (r < 0)
        return r;
    old = umask(0);
    for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
        const struct dev_node *d = &dev_nodes[i];
        char host[64];

        snprintf(p, sizeof(p), "%s/%s", dev, d->name);
        if (mknod(p, S_IFCHR | 0666, makedev(d->major, d->minor)) == 0)
            continue;
        /* No mknod in a user namespace: bind the host's node instead. */
        snprintf(host, sizeof(host), "/dev/%s", d->name);
        r = touch(p);
        if (r == 0)
            r = do_mount(host, p, NULL, MS_BIND, NULL, err);
        if (r < 0) {
            umask(old);
            return r;
        }
    }
    umask(old);

    snprintf(p, sizeof(p), "%s/pts", dev);
    (void)mkdir(p, 0755);
    r = do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC,
                 "newinstance,ptmxmode=0666,mode=0620,gid=5", err);
    if (r < 0) /* gid 5 may be unmapped in a user namespace */
        r = do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC,
                     "newinstance,ptmxmode=0666,mode=0620", err);
    if (r < 0)
        return r;
    snprintf(p, sizeof(p), "%s/shm", dev);
    (void)mkdir(p, 01777);
    r = do_mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", err);
    if (r < 0)
        return r;
    snprintf(p, sizeof(p), "%s/mqueue", dev);
    (void)mkdir(p, 0755);
    if (mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        (void)rmdir(p); /* optional */

    {
        static const char *const links[][2] = {
            {"pts/ptmx", "ptmx"},        {"/proc/self/fd", "fd"},
            {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
            {"/proc/self/fd/2", "stderr"},
        };
        for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
            snprintf(p, sizeof(p), "%s/%s", dev, links[i][1]);
            if (symlink(links[i][0], p) < 0 && errno != EEXIST)
                return engine_error_errno(err, errno, "symlink %s", p);
        }
    }
    return 0;
}

static int mount_sys(const struct engine_ctr *c, struct engine_error *err)
{
    char p[PATH_MAX];
    unsigned long fl = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

    snprintf(p, sizeof(p), "%s/sys", c->rootfs);
    (void)mkdir_all(p, 0755);
    if (mount("sysfs", p, "sysfs", fl, NULL) == 0)
        return 0;
    /* sysfs needs a network namespace of our own (host network, or a user
     * namespace sharing the host's): bind the host's read-only instead. */
    if (do_mount("/sys", p, NULL, MS_BIND | MS_REC, NULL, err) < 0)
        return engine_error_wrap(err, "sysfs");
    return remount_ro(p, 0, err);
}

static int mount_user(const struct engine_ctr *c, const struct engine_mount *m,
                      struct engine_error *err)
{
    char dst[PATH_MAX], real[PATH_MAX];
    bool bind = !m->type || strcmp(m->type, "bind") == 0;
    struct stat st;
    size_t n = strlen(c->rootfs);
    int r;

    r = in_root(c->rootfs, m->target, dst, sizeof(dst), err);
    if (r < 0)
        return r;
    if (bind && stat(m->source, &st) < 0)
        return engine_error_errno(err, errno, "Mount source %s", m->source);
    if (bind && !S_ISDIR(st.st_mode)) {
        char parent[PATH_MAX];
        char *slash;

        snprintf(parent, sizeof(parent), "%s", dst);
        slash = strrchr(parent, '/');
        if (slash)
            *slash = '\0';
        (void)mkdir_all(parent, 0755);
        r = touch(dst);
    } else {
        r = mkdir_all(dst, 0755);
    }
    if (r < 0)
        return engine_error_errno(err, r, "Mount target %s", m->target);
    /* A symlink in the image must not point the mount outside the root. */
    if (!realpath(dst, real) || strncmp(real, c->rootfs, n) != 0 ||
        (real[n] != '/' && real[n] != '\0'))
        return engine_error_set(err, EINVAL, "Mount target %s resolves outside the container",
                                m->target);
    if (bind) {
        r = do_mount(m->source, real, NULL, MS_BIND | MS_REC, NULL, err);
        if (r == 0 && m->readonly)
            r = remount_ro(real, 0, err);
        return r;
    }
    return do_mount(m->source ? m->source : m->type, real, m->type,
                    m->readonly ? MS_RDONLY : 0, m->options, err);
}

int native_mounts_prepare(const struct engine_ctr *c, struct engine_error *err)
{
    char p[PATH_MAX];
    int r;

    /* Nothing we mount may leak back to the host, while host mounts still
     * reach us where the host shares them. */
    r = do_mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL, err);
    if (r < 0)
        return r;
    r = do_mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL, err);
    if (r < 0)
        return r;
    snprintf(p, sizeof(p), "%s/proc", c->rootfs);
    (void)mkdir_all(p, 0555);
    r = do_mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
    if (r < 0)
        return r;
    r = mount_sys(c, err);
    if (r < 0)
        return r;
    r = mount_dev(c, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < c->n_mounts; i++) {
        r = mount_user(c, &c->mounts[i], err);
        if (r < 0)
            return r;
    }
    /* Like Docker, a missing working directory is created (before the root
     * may become read-only). */
    if (c->cwd && c->cwd[0] == '/' && !has_dotdot(c->cwd)) {
        snprintf(p, sizeof(p), "%s%s", c->rootfs, c->cwd);
        (void)mkdir_all(p, 0755);
    }
    return 0;
}

/* pivot_root(".", ".") stacks the old root under the new one; detaching it
 * leaves only the container's tree, without needing a directory for it. */
int native_mounts_pivot(const struct engine_ctr *c, struct engine_error *err)
{
    int oldroot, r = 0;

    oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0)
        return engine_error_errno(err, errno, "open /");
    if (chdir(c->rootfs) < 0) {
        r = engine_error_errno(err, errno, "chdir %s", c->rootfs);
        goto out;
    }
    if (syscall(SYS_pivot_root, ".", ".") < 0) {
        r = engine_error_errno(err, errno, "pivot_root");
        goto out;
    }
    if (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
        umount2(".", MNT_DETACH) < 0) {
        r = engine_error_errno(err, errno, "unmount the old root");
        goto out;
    }
    if (chdir("/") < 0)
        r = engine_error_errno(err, errno, "chdir /");
out:
    (void)close(oldroot);
    return r;
}

static int mask_path(const char *path, struct engine_error *err)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return 0; /* nothing to hide */
    if (S_ISDIR(st.st_mode))
        return do_mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0", err);
    if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
        return engine_error_errno(err, errno, "mask %s", path);
    return 0;
}

static int readonly_path(const char *path, struct engine_error *err)
{
    if (access(path, F_OK) < 0)
        return 0;
    if (do_mount(path, path, NULL, MS_BIND | MS_REC, NULL, err) < 0)
        return -err->code;
    return remount_ro(path, MS_REC, err);
}

int native_mounts_finish(const struct engine_ctr *c, struct engine_error *err)
{
    int r;

    for (size_t i = 0; i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++) {
        r = mask_path(masked_paths[i], err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < sizeof(readonly_paths) / sizeof(readonly_paths[0]); i++) {
        r = readonly_path(readonly_paths[i], err);
        if (r < 0)
            return r;
    }
    if (c->readonly_rootfs) {
        r = remount_ro("/", 0, err);
        if (r < 0)
            return engine_error_wrap(err, "read-only root");
    }
    return 0;
}
