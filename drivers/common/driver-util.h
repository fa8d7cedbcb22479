/* drivers/common/driver-util.h - helpers shared by the in-tree drivers; an
 * outside driver does not get these, it uses only include/engine.
 *
 * Built as a convenience library (libdriverutil.la) linked into each module
 * with hidden visibility, so a module still exports only engine_driver_entry.
 * Functions returning int return 0 (or a count/status >= 0) on success and a
 * negative errno on failure; nothing here prints. */
#ifndef ENGINE_DRIVER_UTIL_H
#define ENGINE_DRIVER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <engine/error.h>
#include <engine/spec.h>

/* --- strings and argv --------------------------------------------------- */

/* "a/b", malloc'd; NULL when out of memory. */
char *drv_path_join(const char *a, const char *b);

/* Free a NULL-terminated vector of malloc'd strings (NULL is fine). */
void drv_strv_free(char **v);

/* A deep copy of a NULL-terminated vector (NULL gives an empty one); NULL
 * when out of memory. */
char **drv_strv_dup(char *const *v);

/* A growable NULL-terminated argv: zero-initialise, drv_argv_add(), then
 * drv_argv_finish() hands out the vector (NULL if any add ran out of memory). */
struct drv_argv {
    char **v;
    size_t n, cap;
    bool oom;
};

void drv_argv_add(struct drv_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char **drv_argv_finish(struct drv_argv *a);

/* Options: the value of the last KEY in v[0..n) (the last one wins, like the
 * command line), or fallback. With prefix (e.g. "oci"), "prefix.KEY" matches
 * too. Entries with a NULL key are ignored. */
const char *drv_opt_get(const struct engine_opt *v, size_t n, const char *prefix, const char *key,
                        const char *fallback);

/* 1 for 1/true/yes/on, 0 for 0/false/no/off (any case), -1 otherwise. */
int drv_parse_bool(const char *v);

/* --- files ---------------------------------------------------------------- */

/* mkdir -p: the last component gets mode, missing parents mode & 0755. */
int drv_mkdir_p(const char *path, mode_t mode);

/* mkdir -p of path inside root without following a symlink out of it
 * ("..": -EINVAL); components are created 0755. */
int drv_mkdir_beneath(const char *root, const char *path);

/* rm -rf that never crosses a mount point (FTW_MOUNT) nor follows a symlink:
 * a rootfs still mounted below path is left alone. A missing path is fine. */
int drv_rm_rf(const char *path);

/* Best-effort unlink of dir/name (cleanup: errors are ignored). */
void drv_unlink_in(const char *dir, const char *name);

/* Write path.tmp (0600), fsync, rename over path. */
int drv_write_file_atomic(const char *path, const void *data, size_t len);

/* Write "N\n" to file through file.tmp (0644) and rename, without fsync: a
 * counter rewritten often by a watcher. Best effort. */
void drv_write_counter_file(const char *file, uint64_t value);

/* The number drv_write_counter_file() wrote to file (NULL: none). */
bool drv_read_counter_file(const char *file, uint64_t *ret);

/* Read all of fd (until EOF or an error) / of path into a NUL-terminated
 * malloc'd buffer; ret_len may be NULL. */
int drv_read_fd(int fd, char **ret, size_t *ret_len);
int drv_read_file(const char *path, char **ret, size_t *ret_len);

/* --- processes -------------------------------------------------------------- */

/* name itself when it has a '/' and is executable, else the first executable
 * name on $PATH or the usual sbin/bin dirs (a non-login root shell may lack
 * them); malloc'd, NULL when not found. */
char *drv_find_in_path(const char *name);

/* Run argv[0] (a path) with stdin on /dev/null; capture stdout into *ret_out
 * and stderr into *ret_err when non-NULL ("" when empty). Returns the exit
 * code, 128 + signal, 127 when it could not be executed, or -errno. */
int drv_run(char *const argv[], char **ret_out, char **ret_err);

/* Fork a child that runs child(arg, report_fd): it must exec (report_fd is
 * close-on-exec) or end with drv_child_fail(). Returns 0 and the pid once the
 * exec succeeded; when the child failed, reaps it and returns its error. */
int drv_spawn(void (*child)(void *arg, int report_fd), void *arg, pid_t *ret_pid,
              struct engine_error *err);

/* In a drv_spawn() child: report errno-style code and what failed, _exit(127). */
__attribute__((noreturn)) void drv_child_fail(int report_fd, int code, const char *what);

/* In a child before exec: no blocked signals, every disposition SIG_DFL. */
void drv_child_reset_signals(void);

/* Wait for pid (a child): its exit code, 128 + the signal that killed it, or
 * -errno. */
int drv_wait_exit(pid_t pid);

/* Give a helper child pid (<= 0: none) tries polls step_ms apart to exit by
 * itself, then SIGKILL it; reaped either way (or already reaped elsewhere). */
void drv_reap_child(pid_t pid, unsigned tries, unsigned step_ms);

/* Alive and not a zombie (or dead) waiting for its parent. */
bool drv_pid_alive(pid_t pid);

/* Sleep ms milliseconds, resuming after a signal. */
void drv_sleep_ms(unsigned ms);

/* --- cgroups ---------------------------------------------------------------- */

/* /sys/fs/cgroup is a cgroup2 mount (unified hierarchy). */
bool drv_host_is_cgroup2(void);

/* "KEY N" line of a flat-keyed file (memory.events, memory.oom_control) read
 * from the start of fd. */
bool drv_read_keyed_fd(int fd, const char *key, uint64_t *ret);

/* The memory cgroup dir of pid, from /proc/PID/cgroup (v2: the unified
 * entry, v1: the memory controller's). */
bool drv_memory_cgroup_dir(pid_t pid, bool v2, char *out, size_t len);

/* The body of an OOM watcher process: count the OOM kills of the memory
 * cgroup dir (memory.events on v2; memory.oom_control through
 * cgroup.event_control on v1) into out (drv_write_counter_file) until the
 * cgroup goes away, then _exit(0). For backends that remove the cgroup at the
 * exit, before the monitor asks for the count. */
__attribute__((noreturn)) void drv_oom_watch(const char *dir, bool v2, const char *out);

#endif
