/* core/monitor.h - the per-container monitor process and the lock/liveness
 * helpers the lifecycle code shares with it. */
#ifndef ENGINE_MONITOR_H
#define ENGINE_MONITOR_H

#include "engine.h"

/* Fork the monitor for rec and make it start the container through the
 * driver. Returns the monitor's pid once the container runs, or a negative
 * errno with the driver's error. From a multi-threaded process (the daemon)
 * the child re-executes `engine __monitor` instead of running on in a fork. */
int engine_monitor_spawn(struct engine_ctx *ctx, struct engine_record *rec,
                         struct engine_module *mod, struct engine_ctr *ctr,
                         const struct engine_attach *attach, struct engine_error *err);

/* `engine __monitor --sync-fd N ID`: the re-executed monitor. Never returns. */
_Noreturn void engine_monitor_exec_main(struct engine_ctx *ctx, const char *id, int sync_fd);

/* Field 22 of /proc/<pid>/stat, 0 when the process is gone. */
uint64_t engine_proc_starttime(pid_t pid);
/* Is the monitor recorded in rec still that same process? */
bool engine_monitor_alive(const struct engine_record *rec);

/* flock()ed <state_dir>/<id>/lock, serialising changes to one container
 * between processes. Returns the fd (close to unlock) or -errno. */
int engine_container_lock(const struct engine_ctx *ctx, const char *id);

/* Stop the driver's container, tear down rootfs and state. Used by rm and by
 * the monitor for --rm. */
int engine_container_remove_record(struct engine_ctx *ctx, struct engine_record *rec,
                                   struct engine_error *err);
/* Path of the container's log: 8-byte frames [stream,0,0,0,len(be32)] + data,
 * the framing Docker's attach stream uses. */
char *engine_log_path(const struct engine_ctx *ctx, const char *id);

#endif
