/* core/image.c - images. One is built in: busybox, assembled from Debian's
 * busybox-static the first time it is needed, so a fresh machine needs no
 * registry. An image is a read-only directory <images>/<name>/rootfs that
 * becomes the lower layer of each container's overlay. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine.h"
#include "util.h"

#ifndef BUSYBOX_PATH
#define BUSYBOX_PATH "/bin/busybox"
#endif

/* $ENGINE_IMAGE_DIR lets tests share one image between private roots. */
static char *images_dir(const struct engine_ctx *ctx)
{
    const char *env = getenv("ENGINE_IMAGE_DIR");

    if (env && *env)
        return xstrdup(env);
    return xasprintf("%s/images", ctx->root);
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
    _cleanup_close_ int in = -1, out = -1;
    char buf[65536];
    ssize_t n;

    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0)
        return -errno;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            return -EIO;
    return n < 0 ? -errno : 0;
}

static int put_file(const char *root, const char *rel, const char *content, mode_t mode)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
    return write_file_atomic(p, content, strlen(content), mode);
}

/* Create a symlink to /bin/busybox for every applet `busybox --list-full` names. */
static int link_applets(const char *root, struct engine_error *err)
{
    _cleanup_free_ char *bb = xasprintf("%s/bin/busybox", root);
    char line[512];
    FILE *f;
    int status;

    f = popen(BUSYBOX_PATH " --list-full", "r");
    if (!f)
        return engine_error_errno(err, errno, "Run %s --list-full", BUSYBOX_PATH);
    while (fgets(line, sizeof(line), f)) {
        _cleanup_free_ char *path = NULL, *dir = NULL;
        char *slash;

        line[strcspn(line, "\n")] = '\0';
        if (!*line || strstr(line, "..") || streq(line, "bin/busybox"))
            continue;
        path = xasprintf("%s/%s", root, line);
        dir = xstrdup(path);
        slash = strrchr(dir, '/');
        *slash = '\0';
        (void)mkdir_p(dir, 0755);
        if (symlink("/bin/busybox", path) < 0 && errno != EEXIST) {
            int e = errno;
            (void)pclose(f);
            return engine_error_errno(err, e, "Link applet %s", path);
        }
    }
    status = pclose(f);
    if (status != 0)
        return engine_error_set(err, EIO, "%s --list-full failed (status %d)", BUSYBOX_PATH,
                                status);
    return 0;
}

static int build_busybox(const char *root, struct engine_error *err)
{
    static const char *const dirs[] = {"bin",      "dev",     "etc",  "proc",    "sys",
                                       "tmp",      "root",    "run",  "var/tmp", "usr/bin",
                                       "usr/sbin", "usr/lib", "sbin", "home",    "mnt"};
    _cleanup_free_ char *bb = xasprintf("%s/bin/busybox", root);
    _cleanup_free_ char *tmp = xasprintf("%s/tmp", root);
    _cleanup_free_ char *osrel = xasprintf("%s/etc/os-release", root);
    int q;

    if (!path_exists(BUSYBOX_PATH))
        return engine_error_set(err, ENOENT,
                                "Cannot build the busybox image: %s is missing "
                                "(apt-get install busybox-static)",
                                BUSYBOX_PATH);
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        _cleanup_free_ char *d = xasprintf("%s/%s", root, dirs[i]);
        q = mkdir_p(d, 0755);
        if (q < 0)
            return engine_error_errno(err, q, "Create %s", d);
    }
    (void)chmod(tmp, 01777);
    q = copy_file(BUSYBOX_PATH, bb, 0755);
    if (q < 0)
        return engine_error_errno(err, q, "Copy %s to %s", BUSYBOX_PATH, bb);
    q = link_applets(root, err);
    if (q < 0)
        return q;
    if (put_file(root, "etc/passwd",
                 "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
                 0644) < 0 ||
        put_file(root, "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644) < 0 ||
        put_file(root, "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n", 0644) < 0 ||
        put_file(root, "etc/hostname", "busybox\n", 0644) < 0 ||
        put_file(root, "etc/resolv.conf", "", 0644) < 0 ||
        /* systemd-nspawn refuses a tree without /usr/lib/os-release */
        put_file(root, "usr/lib/os-release",
                 "NAME=\"BusyBox\"\nID=busybox\nPRETTY_NAME=\"engine built-in busybox\"\n",
                 0644) < 0 ||
        put_file(root, ".engine-image", "busybox\n", 0644) < 0)
        return engine_error_set(err, EIO, "Write the busybox image files in %s", root);
    if (symlink("../usr/lib/os-release", osrel) < 0 && errno != EEXIST)
        return engine_error_errno(err, errno, "Link %s", osrel);
    return 0;
}

int engine_image_init(const struct engine_ctx *ctx, const char *name, struct engine_error *err)
{
    _cleanup_free_ char *images = images_dir(ctx);
    _cleanup_free_ char *final = NULL, *tmpdir = NULL, *tmproot = NULL;
    int q;

    if (!streq(name, "busybox"))
        return engine_error_set(err, ENOENT, "No such image: %s (built-in images: busybox)", name);
    final = xasprintf("%s/%s", images, name);
    if (path_exists(final))
        return 0;
    q = mkdir_p(images, 0755);
    if (q < 0)
        return engine_error_errno(err, q, "Create %s", images);
    /* Build aside and rename into place, so concurrent first runs never see a
     * half-made image; the loser of the race throws its copy away. */
    tmpdir = xasprintf("%s/.%s.tmp.%d", images, name, (int)getpid());
    tmproot = xasprintf("%s/rootfs", tmpdir);
    (void)rm_rf(tmpdir);
    q = mkdir_p(tmproot, 0755);
    if (q < 0)
        return engine_error_errno(err, q, "Create %s", tmproot);
    q = build_busybox(tmproot, err);
    if (q < 0) {
        (void)rm_rf(tmpdir);
        return engine_error_wrap(err, "Build image '%s'", name);
    }
    if (rename(tmpdir, final) < 0) {
        int e = errno;
        (void)rm_rf(tmpdir);
        if (e != EEXIST && e != ENOTEMPTY)
            return engine_error_errno(err, e, "Install image %s", final);
    }
    return 0;
}

int engine_image_dir(const struct engine_ctx *ctx, const char *name, char **ret,
                     struct engine_error *err)
{
    _cleanup_free_ char *images = images_dir(ctx);
    _cleanup_free_ char *dir = NULL;
    int q;

    if (!name || !*name || strchr(name, '/') || name[0] == '.')
        return engine_error_set(err, EINVAL, "Invalid image name '%s'", name ? name : "");
    dir = xasprintf("%s/%s/rootfs", images, name);
    if (!path_exists(dir)) {
        q = engine_image_init(ctx, name, err);
        if (q < 0)
            return q;
    }
    *ret = steal_pointer(&dir);
    return 0;
}
