/* drivers/openvz/vzparse.h - everything the openvz driver says to vzctl and
 * reads back, as pure functions: the command lines it builds, the container
 * config it writes, and the parsers for `vzctl status`, `vzlist -H`,
 * /proc/bc/<ctid>/resources and /proc/vz/vestat. No I/O here, so
 * tests/unit/test-openvz.c checks it all against recorded outputs. */
#ifndef ENGINE_VZPARSE_H
#define ENGINE_VZPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <engine/error.h>
#include <engine/spec.h>
#include <engine/stats.h>

/* vzctl prints LONG_MAX for "unlimited" in beancounters and configs. */
#define VZ_UNLIMITED UINT64_C(9223372036854775807)

/* One beancounter line: resource held maxheld barrier limit failcnt. */
struct vz_bc {
    char name[32];
    uint64_t held, maxheld, barrier, limit, failcnt;
};

#define VZ_BC_MAX 48

struct vz_bcs {
    struct vz_bc v[VZ_BC_MAX];
    size_t n;
};

/* /proc/bc/<ctid>/resources (no uid column), or /proc/user_beancounters when
 * ctid is not NULL (then only that container's section is read). */
int vz_parse_bc_resources(const char *text, const char *ctid, struct vz_bcs *ret,
                          struct engine_error *err);
const struct vz_bc *vz_bc_find(const struct vz_bcs *b, const char *name);

/* One container's line of /proc/vz/vestat: CPU times in USER_HZ ticks. */
struct vz_vestat {
    uint64_t user, nice, system;
    uint64_t uptime_ticks;
};

int vz_parse_vestat(const char *text, const char *ctid, struct vz_vestat *ret,
                    struct engine_error *err);

/* `vzctl status CTID`: "CTID 101 exist mounted running [suspended]". */
struct vz_status {
    bool exists, mounted, running, suspended;
};

int vz_parse_status(const char *text, struct vz_status *ret, struct engine_error *err);

/* `vzlist -H -o ctid,status,numproc,physpages,physpages.l CTID`. */
struct vz_list_entry {
    char ctid[32];
    char status[32];  /* running, stopped, mounted, suspended */
    uint64_t numproc; /* VZ_UNLIMITED when vzlist printed "-" */
    uint64_t physpages, physpages_limit;
};

int vz_parse_vzlist(const char *text, const char *ctid, struct vz_list_entry *ret,
                    struct engine_error *err);

/* The normalised stats from what the kernel reports (source ENGINE_SRC_VZ).
 * vestat may be NULL (no CPU then); page_size and clk_tck from sysconf. */
void vz_stats_fill(const struct vz_bcs *bcs, const struct vz_vestat *vestat, long page_size,
                   long clk_tck, struct engine_stats *st);

/* --- command lines: NULL-terminated, heap-allocated; free with vz_argv_free.
 * vzctl is the binary's path. NULL on ENOMEM. */
char **vz_argv_set_limits(const char *vzctl, const char *ctid, const struct engine_limits *l);
char **vz_argv_start(const char *vzctl, const char *ctid);
char **vz_argv_stop(const char *vzctl, const char *ctid, bool fast);
char **vz_argv_exec(const char *vzctl, const char *ctid, const struct engine_spec *spec);
char **vz_argv_status(const char *vzctl, const char *ctid);
char **vz_argv_umount(const char *vzctl, const char *ctid);
char **vz_argv_vzlist(const char *vzlist, const char *ctid);
void vz_argv_free(char **v);

/* True when the limits need a `vzctl set` at all. */
bool vz_limits_any(const struct engine_limits *l);

/* The command string `vzctl exec2` hands the container's shell:
 * cd 'cwd' && exec env 'K=V'... 'argv0' 'argv1'... (malloc'd). */
char *vz_exec_command(const struct engine_spec *spec);
/* s single-quoted for sh: it's -> 'it'\''s' (malloc'd). */
char *vz_shell_quote(const char *s);

/* The container config /etc/vz/conf/<ctid>.conf (malloc'd): a simfs
 * container whose private area is the engine rootfs. */
char *vz_conf_render(const struct engine_spec *spec, const char *ctid, const char *ve_root);

/* CTID for an engine id: numeric, >= 1000 (vzctl reserves low ids), from the
 * id's leading hex digits plus attempt (to step past a taken one). */
unsigned long vz_ctid_for(const char *id, unsigned attempt);

#endif
