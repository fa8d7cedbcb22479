/* core/rootfs.h - per-container overlay roots under <root>/containers/<id>. */
#ifndef ENGINE_ROOTFS_H
#define ENGINE_ROOTFS_H

#include "engine.h"

char *engine_rootfs_dir(const struct engine_ctx *ctx, const char *id);
int engine_rootfs_mount(const struct engine_ctx *ctx, const char *id, const char *image_dir,
                        struct engine_error *err);
/* Unmount (retrying while busy) and delete upper, work and the mount point. */
int engine_rootfs_remove(const struct engine_ctx *ctx, const char *id, struct engine_error *err);

#endif
