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
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/driver-util.h"
#include "native.h"

/* Docker's defaults (moby oci/defaults.go). */
static const char *const masked_paths[] = {
    "/proc/acpi",          "/proc/kcore",      "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug",   "/proc/scsi",       "/sys/firmware",
};
static const char *const readonly_paths[] = {
    "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

struct dev_node {
    const char *name;
    unsigned major, minor;
};
static const struct dev_node dev_nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

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
        return engine_error_errno(err, errno, "mount %s on %s", src ? src : (type ? type : "none"),
                                  dst);
    return 0;
}

/* Remount a bind read-only. In a user namespace the flags the mount was
 * locked with (nosuid, nodev, noexec...) must be kept or the kernel says EPERM. */
static int remount_ro(const char *path, unsigned long extra, struct engine_error *err)
{
    struct statvfs sv;
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | extra;

    if (statvfs(path, &sv) == 0)
        flags |= sv.f_flag &
                 (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
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

/* "." + target (the rootfs is our working directory), refusing targets that
 * climb out with "..". Symlinks are dealt with by open_in_root(). */
static int in_root(const char *target, char *buf, size_t len, struct engine_error *err)
{
    if (!target || target[0] != '/' || has_dotdot(target))
        return engine_error_set(err, EINVAL, "Bad mount target '%s'", target ? target : "");
    if (snprintf(buf, len, ".%s", target) >= (int)len)
        return engine_error_set(err, ENAMETOOLONG, "Mount target '%s' too long", target);
    return 0;
}

static int mount_dev(const struct engine_ctr *c, struct engine_error *err)
{
    char dev[PATH_MAX], p[PATH_MAX + 32];
    mode_t old;
    int r;

    snprintf(dev, sizeof(dev), "./dev");
    (void)drv_mkdir_p(dev, 0755);
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
            {"pts/ptmx", "ptmx"},          {"/proc/self/fd", "fd"},
            {"/proc/self/fd/0", "stdin"},  {"/proc/self/fd/1", "stdout"},
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

    snprintf(p, sizeof(p), "./sys");
    (void)drv_mkdir_p(p, 0755);
    if (mount("sysfs", p, "sysfs", fl, NULL) == 0)
        return 0;
    /* sysfs needs a network namespace of our own (host network, or a user
     * namespace sharing the host's): bind the host's read-only instead. */
    if (mount("/sys", p, NULL, MS_BIND, NULL) < 0) {
        char cg[PATH_MAX + 16];

        /* A user namespace may only take /sys with its (locked) submounts:
         * hide the host's cgroup trees under an empty read-only tmpfs. */
        if (do_mount("/sys", p, NULL, MS_BIND | MS_REC, NULL, err) < 0)
            return engine_error_wrap(err, "sysfs");
        snprintf(cg, sizeof(cg), "%s/fs/cgroup", p);
        if (access(cg, F_OK) == 0 &&
            do_mount("tmpfs", cg, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0",
                     err) < 0)
            return engine_error_wrap(err, "sysfs");
    }
    return remount_ro(p, 0, err);
}

/* An O_PATH fd on target inside the root: a symlink in the image resolves
 * within the container, never to the host. */
static int open_in_root(const char *target, struct engine_error *err)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    int dfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

    if (dfd < 0)
        return engine_error_errno(err, errno, "open the container root");
    fd = (int)syscall(SYS_openat2, dfd, target, &how, sizeof(how));
    if (fd < 0)
        fd = engine_error_errno(err, errno, "Mount target %s", target);
    (void)close(dfd);
    return fd;
}

/* mkdir -p of target below the root (our working directory), every
 * component resolved inside the root, so a symlink in the image such as
 * /evil -> /etc can never make us create directories on the host. With
 * is_file the last component is created as an empty file. */
static int mkdir_in_root(const char *target, bool is_file)
{
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    char prefix[PATH_MAX] = "";
    int root, parent, r = 0;
    size_t used = 0;

    root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -errno;
    parent = dup(root);
    for (const char *p = target; *p && r == 0;) {
        size_t len;
        char comp[NAME_MAX + 1];
        bool last;
        int fd;

        while (*p == '/')
            p++;
        len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len > NAME_MAX || used + len + 2 >= sizeof(prefix)) {
            r = -ENAMETOOLONG;
            break;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        p += len;
        last = p[strspn(p, "/")] == '\0';
        used += (size_t)snprintf(prefix + used, sizeof(prefix) - used, "/%s", comp);
        if (last && is_file) {
            fd = openat(parent, comp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (fd >= 0)
                (void)close(fd);
            else if (errno != EEXIST && errno != EISDIR && errno != ELOOP)
                r = -errno;
            break;
        }
        if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST) {
            r = -errno;
            break;
        }
        fd = (int)syscall(SYS_openat2, root, prefix, &how, sizeof(how));
        if (fd < 0) {
            r = -errno;
            break;
        }
        (void)close(parent);
        parent = fd;
    }
    (void)close(parent);
    (void)close(root);
    return r;
}

static int mount_user(const struct engine_ctr *c, const struct engine_mount *m,
                      struct engine_error *err)
{
    char dst[PATH_MAX], fdpath[64];
    bool bind = !m->type || strcmp(m->type, "bind") == 0;
    struct stat st;
    int r, fd;

    r = in_root(m->target, dst, sizeof(dst), err);
    if (r < 0)
        return r;
    if (bind && stat(m->source, &st) < 0)
        return engine_error_errno(err, errno, "Mount source %s", m->source);
    r = mkdir_in_root(m->target, bind && !S_ISDIR(st.st_mode));
    if (r < 0)
        return engine_error_errno(err, r, "Mount target %s", m->target);
    /* Mount on the fd's magic link, not on a path an image symlink could
     * redirect; reopen afterwards to reach the new mount for remounting. */
    fd = open_in_root(m->target, err);
    if (fd < 0)
        return fd;
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
    if (bind)
        r = do_mount(m->source, fdpath, NULL, MS_BIND | MS_REC, NULL, err);
    else
        r = do_mount(m->source ? m->source : m->type, fdpath, m->type, m->readonly ? MS_RDONLY : 0,
                     m->options, err);
    (void)close(fd);
    if (r < 0 || !bind || !m->readonly)
        return r;
    fd = open_in_root(m->target, err);
    if (fd < 0)
        return fd;
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
    r = remount_ro(fdpath, 0, err);
    (void)close(fd);
    return r;
}

/* Make the container's root our working directory. With a user namespace the
 * parent's helper attached an idmapped overlay over the rootfs and sent us
 * its root (mount_fd): the container's root cannot look up paths below the
 * host's 0700 directories, so nothing from here on goes by the rootfs path. */
static int enter_root(const struct engine_ctr *c, int mount_fd, struct engine_error *err)
{
    int fd;

    if (mount_fd >= 0) {
        fd = mount_fd;
    } else {
        if (do_mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL, err) < 0)
            return -err->code;
        fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return engine_error_errno(err, errno, "open %s", c->rootfs);
    }
    if (fchdir(fd) < 0)
        return engine_error_errno(err, errno, "chdir %s", c->rootfs);
    if (fd != mount_fd)
        (void)close(fd);
    return 0;
}

int native_mounts_prepare(const struct engine_ctr *c, int mount_fd, struct engine_error *err)
{
    int r;

    /* Nothing we mount may leak back to the host, while host mounts still
     * reach us where the host shares them. */
    r = do_mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL, err);
    if (r < 0)
        return r;
    r = enter_root(c, mount_fd, err);
    if (r < 0)
        return r;
    (void)mkdir("./proc", 0555);
    r = do_mount("proc", "./proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
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
    if (c->cwd && c->cwd[0] == '/' && !has_dotdot(c->cwd))
        (void)mkdir_in_root(c->cwd, false);
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
    /* The working directory is the root, from native_mounts_prepare(). */
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

/* The layers of the overlay mounted at rootfs, from mountinfo. */
static int overlay_layers(const char *rootfs, char *lower, size_t llen, char *upper, char *work,
                          size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[8192];
    int r = -ENOENT;

    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char mnt[PATH_MAX], type[64], opts[4096];
        const char *sep = strstr(line, " - ");

        if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
            sscanf(sep + 3, "%63s %*s %4095s", type, opts) != 2)
            continue;
        if (strcmp(mnt, rootfs) != 0 || strcmp(type, "overlay") != 0)
            continue;
        lower[0] = upper[0] = work[0] = '\0';
        for (char *save = NULL, *o = strtok_r(opts, ",", &save); o;
             o = strtok_r(NULL, ",", &save)) {
            if (strncmp(o, "lowerdir=", 9) == 0)
                snprintf(lower, llen, "%s", o + 9);
            else if (strncmp(o, "upperdir=", 9) == 0)
                snprintf(upper, len, "%s", o + 9);
            else if (strncmp(o, "workdir=", 8) == 0)
                snprintf(work, len, "%s", o + 8);
        }
        r = lower[0] && upper[0] && work[0] ? 0 : -EINVAL;
    }
    fclose(f);
    return r;
}

/* A detached copy of dir, idmapped to the user namespace userns. */
static int idmapped_tree(const char *dir, int userns, struct engine_error *err)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
    int tree = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

    if (tree < 0)
        return engine_error_errno(err, errno, "open_tree %s", dir);
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
        (void)close(tree);
        return engine_error_errno(err, errno, "idmap %s", dir);
    }
    return tree;
}

/* Attach a detached tree at dir/name (dir is a scratch tmpfs). */
static int attach_tree(int tree, const char *dir, const char *name, char *ret, size_t len,
                       struct engine_error *err)
{
    snprintf(ret, len, "%s/%s", dir, name);
    if (mkdir(ret, 0700) < 0 && errno != EEXIST)
        return engine_error_errno(err, errno, "mkdir %s", ret);
    if (move_mount(tree, "", AT_FDCWD, ret, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return engine_error_errno(err, errno, "move_mount %s", ret);
    (void)close(tree);
    return 0;
}

/* A detached overlay mount (new mount API), or -errno. */
static int overlay_fsmount(const char *lower, const char *upper, const char *work, bool userxattr)
{
    int fs = fsopen("overlay", FSOPEN_CLOEXEC), mnt = -1, e = 0;

    if (fs < 0)
        return -errno;
    if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
        (userxattr && fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
        (mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0)
        e = errno;
    (void)close(fs);
    return e ? -e : mnt;
}

static int send_fd(int sock, int fd)
{
    char data = 'F';
    struct iovec iov = {.iov_base = &data, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u = {0};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int native_recv_fd(int sock)
{
    char data;
    struct iovec iov = {.iov_base = &data, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u = {0};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *cm;
    int fd;

    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
        return -EIO;
    cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_type != SCM_RIGHTS)
        return -EIO;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

/* Overlayfs itself cannot be idmapped, its layers can (Linux 5.19+): build a
 * second overlay of the same layers, each an idmapped copy, over the rootfs
 * inside the child's mount namespace only. The copies are attached on a
 * scratch tmpfs over the state dir there (the host sees none of it), and the
 * overlay is mounted as the container's root from inside its user namespace,
 * because overlay copies up with the mounter's credentials. */
__attribute__((noreturn)) static void idmap_helper(const struct engine_ctr *c, pid_t child,
                                                   int sock_fd, int err_fd)
{
    static char lower[16384];
    char up_path[PATH_MAX + 32], work_path[PATH_MAX + 32];
    char upper[PATH_MAX], work[PATH_MAX], parent[PATH_MAX], p[PATH_MAX + 32], name[32];
    struct engine_error e = {0};
    const char *up_name, *work_name, *scratch = c->state_dir;
    int userns, mntns, top, n = 0, fd_top = -1, fd_root = -1, mnt;
    int trees[64];
    size_t used;
    ssize_t w;

    if (!scratch ||
        overlay_layers(c->rootfs, lower, sizeof(lower), upper, work, sizeof(upper)) < 0) {
        engine_error_set(&e, EINVAL, "%s is not an overlay mount: cannot map its owner", c->rootfs);
        goto fail;
    }
    /* upperdir and workdir must sit on one mount: map their common parent. */
    snprintf(parent, sizeof(parent), "%s", upper);
    up_name = strrchr(upper, '/');
    work_name = strrchr(work, '/');
    if (!up_name || !work_name || up_name - upper != work_name - work ||
        strncmp(upper, work, (size_t)(up_name - upper)) != 0) {
        engine_error_set(&e, EINVAL, "upperdir and workdir of %s are not siblings", c->rootfs);
        goto fail;
    }
    parent[up_name - upper] = '\0';
    snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)child);
    userns = open(p, O_RDONLY | O_CLOEXEC);
    snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)child);
    mntns = open(p, O_RDONLY | O_CLOEXEC);
    if (userns < 0 || mntns < 0) {
        engine_error_errno(&e, errno, "open /proc/%d/ns", (int)child);
        goto fail;
    }
    top = idmapped_tree(parent[0] ? parent : "/", userns, &e);
    if (top < 0)
        goto fail;
    for (char *save = NULL, *l = strtok_r(lower, ":", &save); l && n < 64;
         l = strtok_r(NULL, ":", &save)) {
        trees[n] = idmapped_tree(l, userns, &e);
        if (trees[n++] < 0)
            goto fail;
    }
    if (setns(mntns, CLONE_NEWNS) < 0) {
        engine_error_errno(&e, errno, "setns mnt");
        goto fail;
    }
    if (do_mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64k", &e) < 0 ||
        attach_tree(top, scratch, "top", p, sizeof(p), &e) < 0)
        goto fail;
    /* Layers as /proc/self/fd/N: once we are the container's root we cannot
     * look up paths below the host's 0700 state and root dirs; magic links
     * need no lookup. */
    fd_top = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    fd_root = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd_top < 0 || fd_root < 0) {
        engine_error_errno(&e, errno, "open %s", fd_top < 0 ? p : c->rootfs);
        goto fail;
    }
    snprintf(up_path, sizeof(up_path), "/proc/self/fd/%d%s", fd_top, up_name);
    snprintf(work_path, sizeof(work_path), "/proc/self/fd/%d%s", fd_top, work_name);
    used = 0;
    for (int i = 0; i < n; i++) {
        int fd;

        snprintf(name, sizeof(name), "l%d", i);
        if (attach_tree(trees[i], scratch, name, p, sizeof(p), &e) < 0)
            goto fail;
        fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            engine_error_errno(&e, errno, "open %s", p);
            goto fail;
        }
        used += (size_t)snprintf(lower + used, sizeof(lower) - used, "%s/proc/self/fd/%d",
                                 i ? ":" : "", fd);
    }
    if (setns(userns, CLONE_NEWUSER) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
        engine_error_errno(&e, errno, "enter the user namespace");
        goto fail;
    }
    mnt = overlay_fsmount(lower, up_path, work_path, false);
    if (mnt < 0)
        mnt = overlay_fsmount(lower, up_path, work_path, true);
    if (mnt < 0) {
        engine_error_errno(&e, -mnt, "mount an idmapped overlay for %s", c->rootfs);
        goto fail;
    }
    /* Over the rootfs; the child gets the mount's root, as it cannot reach
     * the rootfs by path. */
    if (move_mount(mnt, "", fd_root, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
        engine_error_errno(&e, errno, "attach the idmapped overlay on %s", c->rootfs);
        goto fail;
    }
    if (send_fd(sock_fd, mnt) < 0) {
        engine_error_errno(&e, errno, "pass the idmapped root to the container");
        goto fail;
    }
    _exit(0);
fail:
    w = write(err_fd, &e, sizeof(e));
    (void)w;
    _exit(1);
}

int native_mounts_idmap(const struct engine_ctr *c, pid_t child, int sock_fd,
                        struct engine_error *err)
{
    struct engine_error e = {0};
    int fds[2];
    pid_t pid;
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return engine_error_errno(err, errno, "pipe");
    pid = fork();
    if (pid < 0) {
        (void)close(fds[0]);
        (void)close(fds[1]);
        return engine_error_errno(err, errno, "fork");
    }
    if (pid == 0) {
        (void)close(fds[0]);
        idmap_helper(c, child, sock_fd, fds[1]);
    }
    (void)close(fds[1]);
    n = read(fds[0], &e, sizeof(e));
    (void)close(fds[0]);
    (void)waitpid(pid, NULL, 0);
    if (n == (ssize_t)sizeof(e)) {
        e.msg[sizeof(e.msg) - 1] = '\0';
        return engine_error_set(err, e.code, "%s", e.msg);
    }
    return 0;
}
