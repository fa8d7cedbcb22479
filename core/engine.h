/* core/engine.h - libengine's API: one implementation of every verb's logic,
 * called by the CLI in-process and by the daemon's HTTP handlers alike. */
#ifndef ENGINE_CORE_H
#define ENGINE_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <engine/driver.h>
#include "conf.h"
#include "loader.h"

struct json_object;

struct engine_ctx {
    struct engine_config cfg;
    struct engine_registry reg;
    char *state_dir; /* resolved: cfg > default */
    char *root;
    char *daemon_driver; /* -e given to engine -d, NULL otherwise */
    char *self_exe;      /* path of the engine binary, for re-exec'd monitors */
};

struct engine_ctx_opts {
    const char *config_path;   /* -c; NULL = default file, optional */
    const char *state_dir;     /* --state-dir override */
    const char *root;          /* --root override */
    const char *daemon_driver; /* -e of engine -d */
    char *const *exec_opts;    /* driver-wide --exec-opt NAME.key=value */
};

int engine_ctx_new(const struct engine_ctx_opts *o, struct engine_ctx **ret,
                   struct engine_error *err);
void engine_ctx_free(struct engine_ctx *ctx);

/* What a container was asked to be, and what became of it. Saved as
 * <state_dir>/<id>/state.json, written atomically. */
struct engine_record {
    char id[65];
    char *name;
    char *driver;
    char *image;
    char **argv;
    char **env;
    char *cwd;
    char *hostname;
    char *user;
    bool readonly_rootfs;
    bool auto_remove; /* --rm */
    bool network_host;
    struct engine_limits limits;
    char *cpuset_cpus;       /* owns limits.cpuset_cpus */
    struct engine_opt *opts; /* per-container --exec-opt for its driver */
    size_t n_opts;
    struct engine_mount *mounts;
    size_t n_mounts;

    int status; /* enum engine_ctr_status */
    pid_t monitor_pid;
    pid_t pid;     /* main process (host pid) */
    int exit_code; /* valid when status == EXITED */
    bool oom_killed;
    uint64_t oom_kills;
    uint64_t monitor_start; /* /proc/<monitor_pid>/stat starttime: guards pid reuse */
    uint64_t created_ns, started_ns, finished_ns; /* CLOCK_REALTIME */
    char *error;                                  /* why start failed, if it did */
};

/* A record being made (daemon killed mid-create leaves this; it is removed on
 * sight). Not a driver-visible status, hence outside enum engine_ctr_status. */
#define ENGINE_REC_CREATING 100

void engine_record_free(struct engine_record *r);
struct json_object *engine_record_to_json(const struct engine_record *r);
int engine_record_from_json(struct json_object *o, struct engine_record **ret,
                            struct engine_error *err);
const char *engine_status_name(int status);
/* The spec a driver sees for this record (pointers into r and the ctx). */
void engine_record_spec(const struct engine_ctx *ctx, const struct engine_record *r,
                        struct engine_spec *spec, char *buf_rootfs, char *buf_state,
                        char *buf_image, size_t buflen);

/* Container state store. */
int engine_state_save(const struct engine_ctx *ctx, const struct engine_record *r,
                      struct engine_error *err);
int engine_state_load(const struct engine_ctx *ctx, const char *id, struct engine_record **ret,
                      struct engine_error *err);
/* ref is an id, a unique id prefix or a name. ENOENT: "No such container: ref". */
int engine_state_lookup(const struct engine_ctx *ctx, const char *ref, struct engine_record **ret,
                        struct engine_error *err);
int engine_state_list(const struct engine_ctx *ctx, struct engine_record ***ret, size_t *ret_n,
                      struct engine_error *err);
void engine_records_free(struct engine_record **v, size_t n);

/* Images. */
int engine_image_init(const struct engine_ctx *ctx, const char *name, struct engine_error *err);
int engine_image_dir(const struct engine_ctx *ctx, const char *name, char **ret,
                     struct engine_error *err);

/* The request behind `engine run`/`create` and POST /v1/containers. */
struct engine_create_req {
    const char *name; /* NULL = generated */
    const char *image;
    const char *driver; /* -e on run; NULL = ctx default */
    char *const *argv;  /* NULL = the image's default ("sh") */
    char *const *env;
    const char *cwd, *hostname, *user;
    bool readonly_rootfs, auto_remove, network_host;
    struct engine_limits limits;
    char *const *exec_opts; /* "DRIVER.key=value" or "key=value" */
    const struct engine_mount *mounts;
    size_t n_mounts;
};

/* Where an attached start sends output, and how it learns the exit code. */
struct engine_attach {
    int out_fd, err_fd; /* the container's stdout/stderr are copied here */
    int exit_fd;        /* the monitor writes "exit_code\n" here at the end */
};

int engine_container_create(struct engine_ctx *ctx, const struct engine_create_req *req,
                            char ret_id[65], struct engine_error *err);
int engine_container_start(struct engine_ctx *ctx, const char *ref,
                           const struct engine_attach *attach, struct engine_error *err);
int engine_container_stop(struct engine_ctx *ctx, const char *ref, unsigned timeout_s,
                          struct engine_error *err);
int engine_container_kill(struct engine_ctx *ctx, const char *ref, int sig,
                          struct engine_error *err);
int engine_container_remove(struct engine_ctx *ctx, const char *ref, bool force,
                            struct engine_error *err);
int engine_container_pause(struct engine_ctx *ctx, const char *ref, bool pause,
                           struct engine_error *err);
int engine_container_stats(struct engine_ctx *ctx, const char *ref, struct engine_stats *st,
                           struct engine_error *err);
/* Refresh r->status from the monitor's liveness (a dead monitor = exited). */
int engine_container_inspect(struct engine_ctx *ctx, const char *ref, struct engine_record **ret,
                             struct engine_error *err);
int engine_container_list(struct engine_ctx *ctx, struct engine_record ***ret, size_t *ret_n,
                          struct engine_error *err);
/* Copy the log to the fds; with follow, until the container exits. */
int engine_container_logs(struct engine_ctx *ctx, const char *ref, bool follow, int out_fd,
                          int err_fd, struct engine_error *err);
int engine_container_wait(struct engine_ctx *ctx, const char *ref, int *ret_exit_code,
                          struct engine_error *err);

/* Run argv in a running container with io as its stdio; waits for it.
 * In-process only (the exec'd process must be our child). */
int engine_container_exec(struct engine_ctx *ctx, const char *ref, char *const argv[],
                          const struct engine_stdio *io, int *ret_exit_code,
                          struct engine_error *err);

/* Stats fields: name ("cpu_ns"...) and source name ("cgroup-v1"...). */
const char *engine_stat_name(enum engine_stat_field f);
const char *engine_stat_source_name(enum engine_stat_source s);
struct json_object *engine_stats_to_json(const struct engine_stats *st);

/* Driver matrix for `engine drivers` and GET /v1/drivers. */
struct json_object *engine_drivers_to_json(struct engine_ctx *ctx);
const char *engine_feature_name(uint64_t bit);

#endif
