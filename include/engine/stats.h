/* engine/stats.h - one normalised stats schema for every driver.
 *
 * Part of engine's public driver SDK. Every field carries where its value came
 * from; ENGINE_SRC_NONE means "not available", never a silent 0. */
#ifndef ENGINE_STATS_H
#define ENGINE_STATS_H

#include <stdint.h>

enum engine_stat_source {
    ENGINE_SRC_NONE = 0,  /* not available from this driver/host */
    ENGINE_SRC_CGROUP_V1, /* cgroup v1 controller files */
    ENGINE_SRC_CGROUP_V2, /* cgroup v2 unified files */
    ENGINE_SRC_LXC,       /* liblxc get_cgroup_item() */
    ENGINE_SRC_LIBVIRT,   /* libvirt domain info / memory stats */
    ENGINE_SRC_VZ,        /* OpenVZ beancounters / vestat / vzlist */
    ENGINE_SRC_PROC,      /* /proc of the container's processes */
    ENGINE_SRC_RUNTIME,   /* an OCI runtime's own "events --stats" */
    ENGINE_SRC_MONITOR,   /* engine's monitor (e.g. OOM seen at exit) */
    ENGINE_SRC__COUNT
};

/* Append-only: new fields go before ENGINE_STAT__COUNT, never reorder. */
enum engine_stat_field {
    ENGINE_STAT_CPU_NS = 0,     /* total CPU time consumed, nanoseconds */
    ENGINE_STAT_MEM_CURRENT,    /* memory in use now, bytes */
    ENGINE_STAT_MEM_MAX,        /* peak memory use, bytes */
    ENGINE_STAT_MEM_LIMIT,      /* memory limit in force, bytes */
    ENGINE_STAT_PIDS_CURRENT,   /* tasks now */
    ENGINE_STAT_PIDS_LIMIT,     /* task limit in force */
    ENGINE_STAT_IO_READ_BYTES,  /* block I/O read */
    ENGINE_STAT_IO_WRITE_BYTES, /* block I/O written */
    ENGINE_STAT_NET_RX_BYTES,   /* network received */
    ENGINE_STAT_NET_TX_BYTES,   /* network sent */
    ENGINE_STAT_OOM_KILLS,      /* processes killed by the OOM killer */
    ENGINE_STAT__COUNT
};

#define ENGINE_STATS_SLOTS 32 /* room to grow without changing the struct size */

struct engine_stat {
    uint64_t value;
    uint32_t source; /* enum engine_stat_source */
    uint32_t reserved;
};

struct engine_stats {
    uint32_t struct_size;
    uint32_t n_fields; /* ENGINE_STAT__COUNT of whoever filled it */
    struct engine_stat field[ENGINE_STATS_SLOTS];
};

static inline void engine_stats_set(struct engine_stats *st, enum engine_stat_field f,
                                    uint64_t value, enum engine_stat_source src)
{
    if ((unsigned)f < ENGINE_STATS_SLOTS) {
        st->field[f].value = value;
        st->field[f].source = (uint32_t)src;
    }
}

#endif
