/* engine/spec.h - what a container should be, as the core hands it to a driver.
 *
 * Part of engine's public driver SDK. The core owns every string and array in
 * the spec; a driver copies what it must keep beyond the call. */
#ifndef ENGINE_SPEC_H
#define ENGINE_SPEC_H

#include <stdint.h>
#include <stddef.h>

/* Resource limits. 0 (or NULL) means "no limit set". */
struct engine_limits {
    int64_t memory_bytes;      /* hard memory limit */
    int64_t memory_swap_bytes; /* memory+swap limit, 0 = same as memory_bytes */
    uint64_t cpu_quota_us;     /* CFS quota per period; --cpus 0.5 => 50000 */
    uint64_t cpu_period_us;    /* CFS period, 100000 when a quota is set */
    uint64_t cpu_shares;       /* relative weight, v1 shares scale (2..262144) */
    int64_t pids_max;          /* max tasks in the container */
    const char *cpuset_cpus;   /* e.g. "0-1", NULL = all */
};

struct engine_mount {
    const char *source;  /* host path (bind) or fs source */
    const char *target;  /* path inside the container */
    const char *type;    /* "bind", "tmpfs", ... */
    const char *options; /* comma separated mount options, may be NULL */
    int readonly;
};

/* One "key=value" option. */
struct engine_opt {
    const char *key;
    const char *value;
};

struct engine_spec {
    uint32_t struct_size; /* sizeof(struct engine_spec) of the core */

    const char *id;        /* 64 lowercase hex characters, unique */
    const char *name;      /* validated: [A-Za-z0-9][A-Za-z0-9_.-]{0,63} */
    const char *image;     /* image name, e.g. "busybox" */
    const char *image_dir; /* the image's read-only root (overlay lower) */
    const char *rootfs;    /* the container's root, already mounted by the core:
                            * an overlayfs with image_dir as lower layer */
    const char *state_dir; /* per-container runtime dir the driver may write to
                            * (/run/engine/<id>); it survives until rm */

    char *const *argv;    /* NULL-terminated, argv[0] resolved in the container */
    char *const *env;     /* NULL-terminated "K=V" list */
    const char *cwd;      /* working directory inside the container, "/" default */
    const char *hostname; /* defaults to the first 12 chars of id */
    const char *user;     /* "uid[:gid]" or NULL for root */

    int readonly_rootfs; /* mount the container root read-only */
    int userns;          /* run in a user namespace (driver decides the mapping) */
    int network_host;    /* share the host network namespace */

    struct engine_limits limits;

    const struct engine_mount *mounts;
    size_t n_mounts;

    /* Options for this container only: --exec-opt DRIVER.key=value given to run,
     * after the driver-wide ones passed at init. */
    const struct engine_opt *opts;
    size_t n_opts;
};

#endif
