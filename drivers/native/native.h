/* drivers/native/native.h - what the native driver's files share: the
 * container handle and the steps the container's first process runs. */
#ifndef ENGINE_NATIVE_H
#define ENGINE_NATIVE_H

#include <stdbool.h>
#include <sys/types.h>

#include <engine/driver.h>

/* The user namespace mapping: container root is this host uid/gid. */
#define NATIVE_USERNS_BASE 100000
#define NATIVE_USERNS_SIZE 65536

struct engine_drv {
    const struct engine_host *host;
    bool userns; /* [driver.native] userns = true */
};

/* Everything start() needs, copied from the spec so a handle from restore()
 * in another process works the same as one from create(). */
struct engine_ctr {
    const struct engine_host *host;
    struct engine_cgroup *cg; /* NULL when the cgroup is gone */
    char *cg_name;            /* "engine/<id>" */
    char *id, *name, *rootfs, *state_dir, *cwd, *hostname, *user;
    char **argv, **env;
    struct engine_mount *mounts;
    size_t n_mounts;
    bool readonly_rootfs, userns, network_host;
    pid_t pid; /* init's host pid, 0 before start */
};

/* child.c: the container's first process, from clone() to exec. Reports
 * setup failures as an engine_error on err_fd; never returns. */
__attribute__((noreturn)) void native_child(const struct engine_ctr *c,
                                            const struct engine_stdio *io, int sync_fd, int err_fd,
                                            int sock_fd);

/* child.c: from the identity to exec, for init and exec alike; never returns. */
__attribute__((noreturn)) void native_exec_common(const struct engine_ctr *c,
                                                  const struct engine_stdio *io, char *const argv[],
                                                  int err_fd);

/* mounts.c, run in the child's mount namespace. */
/* mount_fd: the idmapped root from native_mounts_idmap() (user namespace),
 * -1 without a user namespace. */
int native_mounts_prepare(const struct engine_ctr *c, int mount_fd, struct engine_error *err);
int native_mounts_pivot(const struct engine_ctr *c, struct engine_error *err);
int native_mounts_finish(const struct engine_ctr *c, struct engine_error *err);
/* Run by the parent: mount an overlay of the rootfs's layers idmapped to the
 * child's user namespace over the rootfs in the child's mount namespace, so
 * its root owns the image's files; send its root to the child over sock_fd
 * (SCM_RIGHTS). */
int native_mounts_idmap(const struct engine_ctr *c, pid_t child, int sock_fd,
                        struct engine_error *err);
/* Receive one fd sent with SCM_RIGHTS, or -errno. */
int native_recv_fd(int sock);

/* caps.c: reduce to Docker's default set (bounding, permitted, effective),
 * with inheritable and ambient empty. */
int native_caps_apply(struct engine_error *err);
/* The default set as a mask, for tests and the exec path. */
unsigned long long native_caps_default_mask(void);

#endif
