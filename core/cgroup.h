/* core/cgroup.h - cgroups on v1, hybrid and pure v2 hosts. These functions are
 * what struct engine_host offers drivers (host->cgroup_*). */
#ifndef ENGINE_CGROUP_H
#define ENGINE_CGROUP_H

#include <sys/types.h>

#include <engine/driver.h>

enum engine_cgroup_mode {
    ENGINE_CGROUP_V1,     /* only v1 controllers */
    ENGINE_CGROUP_HYBRID, /* v1 controllers + a cgroup2 mount without controllers */
    ENGINE_CGROUP_V2,     /* pure unified hierarchy */
};

/* Detected once; ENGINE_CGROUP_ROOT env overrides /sys/fs/cgroup for tests. */
enum engine_cgroup_mode engine_cgroup_mode(void);
const char *engine_cgroup_mode_name(enum engine_cgroup_mode m);

int engine_cgroup_create(const char *name, const struct engine_limits *limits,
                         struct engine_cgroup **ret_cg, struct engine_error *err);
int engine_cgroup_open(const char *name, struct engine_cgroup **ret_cg, struct engine_error *err);
int engine_cgroup_attach(struct engine_cgroup *cg, pid_t pid, struct engine_error *err);
int engine_cgroup_stats(struct engine_cgroup *cg, struct engine_stats *st,
                        struct engine_error *err);
int engine_cgroup_freeze(struct engine_cgroup *cg, int frozen, struct engine_error *err);
int engine_cgroup_kill(struct engine_cgroup *cg, int sig);
int engine_cgroup_destroy(struct engine_cgroup *cg, struct engine_error *err);
void engine_cgroup_free(struct engine_cgroup *cg);
const char *engine_cgroup_path(struct engine_cgroup *cg, const char *controller);
/* Fill the host services a driver receives (host.c): its name, the dirs, log
 * and the cgroup functions above. */
void engine_host_fill(struct engine_host *h, const char *driver_name, const char *state_dir,
                      const char *root_dir);

/* True when a directory of this name exists in any hierarchy (tests, rm). */
int engine_cgroup_exists(const char *name);

#endif
