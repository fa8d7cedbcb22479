/* core/rootfs.c - each container's root: an overlayfs whose lower layer is the
 * image (read-only, shared) and whose upper layer is the container's own, as
 * Docker's overlay2 does. Mounted in the host mount namespace so that every
 * driver (LXC, libvirt, nspawn, runc...) sees the same ready tree. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "engine.h"
#include "rootfs.h"
#include "util.h"

char *engine_rootfs_dir(const struct engine_ctx *ctx, const char *id)
{
    return xasprintf("%s/containers/%s", ctx->root, id);
}

int engine_rootfs_mount(const struct engine_ctx *ctx, const char *id, const char *image_dir,
                        struct engine_error *err)
{
    _cleanup_free_ char *base = engine_rootfs_dir(ctx, id);
    _cleanup_free_ char *upper = xasprintf("%s/upper", base);
    _cleanup_free_ char *work = xasprintf("%s/work", base);
    _cleanup_free_ char *merged = xasprintf("%s/rootfs", base);
    _cleanup_free_ char *opts = NULL;
    int q;

    if ((q = mkdir_p(upper, 0755)) < 0 || (q = mkdir_p(work, 0700)) < 0 ||
        (q = mkdir_p(merged, 0755)) < 0)
        return engine_error_errno(err, q, "Create the layer dirs in %s", base);
    opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", image_dir, upper, work);
    if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
        return engine_error_errno(err, errno, "Mount overlay on %s", merged);
    return 0;
}

static bool is_mounted(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    size_t len = strlen(path);

    while (f && fgets(line, sizeof(line), f)) {
        char *p = line;
        /* field 5 is the mount point */
        for (int i = 0; i < 4 && p; i++) {
            p = strchr(p, ' ');
            if (p)
                p++;
        }
        if (p && strncmp(p, path, len) == 0 && p[len] == ' ')
            return true;
    }
    return false;
}

int engine_rootfs_remove(const struct engine_ctx *ctx, const char *id, struct engine_error *err)
{
    _cleanup_free_ char *base = engine_rootfs_dir(ctx, id);
    _cleanup_free_ char *merged = xasprintf("%s/rootfs", base);
    int q;

    /* Lazy: the container's processes are gone by now, and a synchronous
     * overlay unmount costs a few ms of every `run --rm` for nothing. The
     * mount leaves the namespace at once, so rm_rf below sees a plain dir. */
    if (is_mounted(merged) && umount2(merged, MNT_DETACH) < 0 && errno != EINVAL)
        return engine_error_errno(err, errno, "Unmount %s", merged);
    q = rm_rf(base);
    if (q < 0)
        return engine_error_errno(err, q, "Remove %s", base);
    return 0;
}
