/* engine/driver.h - the driver ABI: the one vtable every execution backend fills.
 *
 * A driver is a module file named engine-driver-NAME.so, found on the driver path
 * ([engine] driver_dir, ENGINE_DRIVER_PATH, then $(libdir)/engine/drivers). It
 * exports exactly one symbol:
 *
 *     const struct engine_driver *engine_driver_entry(void);
 *
 * ABI rules
 * - struct engine_driver begins with abi_major, abi_minor, struct_size, name.
 *   These four never move.
 * - The core refuses a module whose abi_major differs from its own, naming the
 *   file and both versions. A module built for an older minor keeps loading:
 *   the core reads struct_size and treats every member past it as NULL.
 * - New members are only ever appended, each tagged with the minor that added
 *   it. A NULL optional operation means "not supported" (ENOTSUP to the user).
 * - The mandatory operations are init, probe, create, start, stats, destroy,
 *   restore and release; a module missing one is refused at load.
 * - Every fallible operation returns 0 (or a positive status where documented)
 *   on success and a negative errno on failure, with err filled in. Library
 *   code in a driver never prints: it reports through err or host->log.
 * - Output parameters are named ret_* and left untouched on failure.
 *
 * Process model
 * - create() runs in the process that asked for the container (CLI or daemon).
 *   It must persist what the driver needs under spec->state_dir (or in the
 *   backend), because every later call may come from another process holding a
 *   handle obtained from restore().
 * - start() runs inside engine's monitor: a small process that stays the
 *   container's parent (it is a child subreaper), reaps it, records the exit code
 *   and OOM kills, and holds its log. start() must make the container run and
 *   return in *ret_pid the process whose exit is the container's exit; its wait
 *   status becomes the exit code (a signal N becomes 128+N). The container's
 *   stdio must be io->in/out/err.
 * - stop() is optional: the core's default signals *ret_pid, waits, then SIGKILLs.
 */
#ifndef ENGINE_DRIVER_H
#define ENGINE_DRIVER_H

#include <stdint.h>
#include <sys/types.h>

#include <engine/error.h>
#include <engine/spec.h>
#include <engine/stats.h>

#define ENGINE_DRIVER_ABI_MAJOR 1
#define ENGINE_DRIVER_ABI_MINOR 0

#define ENGINE_DRIVER_ENTRY_SYMBOL "engine_driver_entry"
#define ENGINE_DRIVER_EXPORT __attribute__((visibility("default")))

/* probe() returns this (with the reason in err) when the backend cannot run on
 * this host: "declined", as distinct from failing. */
#define ENGINE_DECLINED 1

/* Feature bits: what a driver can do. `engine drivers` shows them. */
#define ENGINE_FEAT_PAUSE (UINT64_C(1) << 0) /* pause/resume */
#define ENGINE_FEAT_EXEC (UINT64_C(1) << 1)  /* exec in a running container */
#define ENGINE_FEAT_STATS_CPU (UINT64_C(1) << 2)
#define ENGINE_FEAT_STATS_MEMORY (UINT64_C(1) << 3)
#define ENGINE_FEAT_STATS_PIDS (UINT64_C(1) << 4)
#define ENGINE_FEAT_STATS_IO (UINT64_C(1) << 5)
#define ENGINE_FEAT_STATS_NET (UINT64_C(1) << 6)
#define ENGINE_FEAT_LIMIT_MEMORY (UINT64_C(1) << 7)
#define ENGINE_FEAT_LIMIT_CPU (UINT64_C(1) << 8)
#define ENGINE_FEAT_LIMIT_PIDS (UINT64_C(1) << 9)
#define ENGINE_FEAT_LIMIT_CPUSET (UINT64_C(1) << 10)
#define ENGINE_FEAT_NS_PID (UINT64_C(1) << 11)
#define ENGINE_FEAT_NS_MOUNT (UINT64_C(1) << 12)
#define ENGINE_FEAT_NS_NET (UINT64_C(1) << 13)
#define ENGINE_FEAT_NS_UTS (UINT64_C(1) << 14)
#define ENGINE_FEAT_NS_IPC (UINT64_C(1) << 15)
#define ENGINE_FEAT_NS_USER (UINT64_C(1) << 16)
#define ENGINE_FEAT_NS_CGROUP (UINT64_C(1) << 17)
#define ENGINE_FEAT_READONLY_ROOTFS (UINT64_C(1) << 18)
#define ENGINE_FEAT_OOM_REPORT (UINT64_C(1) << 19) /* OOM kills counted in stats */
#define ENGINE_FEAT_MOUNTS (UINT64_C(1) << 20)     /* spec->mounts honoured */

struct engine_drv;    /* a driver's instance, defined by the driver */
struct engine_ctr;    /* a driver's handle on one container, defined by the driver */
struct engine_cgroup; /* a cgroup owned by the core's helpers (opaque) */

struct engine_opts {
    size_t n;
    const struct engine_opt *v; /* [driver.NAME] keys and --exec-opt NAME.key=value */
};

struct engine_stdio {
    int in, out, err;
};

enum engine_ctr_status {
    ENGINE_CTR_UNKNOWN = 0,
    ENGINE_CTR_CREATED,
    ENGINE_CTR_RUNNING,
    ENGINE_CTR_PAUSED,
    ENGINE_CTR_EXITED,
};

struct engine_state {
    uint32_t struct_size;
    int status;       /* enum engine_ctr_status */
    pid_t pid;        /* main process as seen from the host, 0 if none */
    char detail[256]; /* backend's own words, e.g. LXC's "FROZEN" */
};

enum engine_log_level { ENGINE_LOG_ERROR, ENGINE_LOG_WARN, ENGINE_LOG_INFO, ENGINE_LOG_DEBUG };

/* Services the core offers every driver, so an outside driver gets cgroups on
 * v1, hybrid and v2 without reimplementing them. Append-only like the driver
 * table; check struct_size before using a member added after 1.0. */
struct engine_host {
    uint32_t struct_size;
    uint32_t abi_major, abi_minor; /* of the core */
    const char *driver_name;       /* the name this module was loaded as */
    const char *state_dir;         /* runtime state root, e.g. /run/engine */
    const char *root_dir;          /* persistent root, e.g. /var/lib/engine */

    void (*log)(enum engine_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

    /* cgroups. name is relative to the root of each hierarchy, e.g.
     * "engine/<id>". create() makes it in every controller engine uses and
     * applies the limits; an impossible limit fails here. */
    int (*cgroup_create)(const char *name, const struct engine_limits *limits,
                         struct engine_cgroup **ret_cg, struct engine_error *err);
    int (*cgroup_open)(const char *name, struct engine_cgroup **ret_cg, struct engine_error *err);
    int (*cgroup_attach)(struct engine_cgroup *cg, pid_t pid, struct engine_error *err);
    int (*cgroup_stats)(struct engine_cgroup *cg, struct engine_stats *st,
                        struct engine_error *err);
    int (*cgroup_freeze)(struct engine_cgroup *cg, int frozen, struct engine_error *err);
    /* Signal every task in the cgroup; returns how many were signalled. */
    int (*cgroup_kill)(struct engine_cgroup *cg, int sig);
    /* Kill what is left, remove the directories, free cg (even on failure). */
    int (*cgroup_destroy)(struct engine_cgroup *cg, struct engine_error *err);
    void (*cgroup_free)(struct engine_cgroup *cg);
    /* Directory of the cgroup for one v1 controller ("memory", "pids"...) or
     * the v2 directory when controller is NULL or the host is pure v2. */
    const char *(*cgroup_path)(struct engine_cgroup *cg, const char *controller);
};

struct engine_driver {
    /* Fixed forever. */
    uint32_t abi_major;   /* ENGINE_DRIVER_ABI_MAJOR the module was built with */
    uint32_t abi_minor;   /* ENGINE_DRIVER_ABI_MINOR the module was built with */
    uint32_t struct_size; /* sizeof(struct engine_driver) the module was built with */
    const char *name;

    /* 1.0 */
    const char *summary;        /* one line for `engine drivers` */
    uint64_t features;          /* ENGINE_FEAT_* */
    const char *const *options; /* NULL-terminated keys accepted in [driver.NAME]
                                 * and --exec-opt NAME.key=...; the core refuses
                                 * any other key, naming it */

    int (*init)(const struct engine_host *host, const struct engine_opts *opts,
                struct engine_drv **ret_drv, struct engine_error *err);
    void (*fini)(struct engine_drv *drv);
    /* 0: usable here. ENGINE_DECLINED: not on this host, reason in err.
     * <0: the check itself failed. */
    int (*probe)(struct engine_drv *drv, struct engine_error *err);

    int (*create)(struct engine_drv *drv, const struct engine_spec *spec,
                  struct engine_ctr **ret_ctr, struct engine_error *err);
    int (*start)(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                 struct engine_error *err);
    int (*stats)(struct engine_ctr *ctr, struct engine_stats *st, struct engine_error *err);
    /* Remove every backend resource of the container (it is stopped first by
     * the core) and free ctr, even on failure. */
    int (*destroy)(struct engine_ctr *ctr, struct engine_error *err);
    /* Get a handle on a container created earlier, maybe by another process. */
    int (*restore)(struct engine_drv *drv, const struct engine_spec *spec,
                   struct engine_ctr **ret_ctr, struct engine_error *err);
    /* Free a handle, leaving the container as it is. */
    void (*release)(struct engine_ctr *ctr);

    /* Optional (NULL = not supported, or the core's default for stop/state). */
    int (*stop)(struct engine_ctr *ctr, int sig, unsigned timeout_ms, struct engine_error *err);
    int (*state)(struct engine_ctr *ctr, struct engine_state *st, struct engine_error *err);
    int (*pause)(struct engine_ctr *ctr, struct engine_error *err);
    int (*resume)(struct engine_ctr *ctr, struct engine_error *err);
    int (*exec)(struct engine_ctr *ctr, char *const argv[], const struct engine_stdio *io,
                pid_t *ret_pid, struct engine_error *err);
    /* Append 1.1+ members below this line, tagged with their minor. */
};

typedef const struct engine_driver *(*engine_driver_entry_fn)(void);

/* The one symbol a module defines (and exports: build with -fvisibility=hidden,
 * this declaration keeps it visible). Declared here so a module compiles
 * cleanly with -Wmissing-prototypes. */
ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void);

#endif
