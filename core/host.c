/* core/host.c - the services table every driver receives (struct engine_host):
 * its name, the state and root dirs, a log function and the cgroup helpers.
 *
 * host->log has no context argument, yet each line must name its driver. Each
 * driver gets one of a fixed set of log functions bound to a slot holding its
 * name; past the last slot, lines say "engine[driver]". */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>

#include "cgroup.h"
#include "util.h"

#define LOG_SLOTS 16

static char log_names[LOG_SLOTS][64];
static size_t log_used;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* $ENGINE_LOG_LEVEL: error (default), warn, info, debug; read once. */
static int log_threshold(void)
{
    static int level = -1;
    const char *s;

    if (level >= 0)
        return level;
    s = getenv("ENGINE_LOG_LEVEL");
    level = ENGINE_LOG_ERROR;
    if (s && (!strcasecmp(s, "warn") || !strcasecmp(s, "warning")))
        level = ENGINE_LOG_WARN;
    else if (s && !strcasecmp(s, "info"))
        level = ENGINE_LOG_INFO;
    else if (s && !strcasecmp(s, "debug"))
        level = ENGINE_LOG_DEBUG;
    return level;
}

static const char *level_name(enum engine_log_level level)
{
    switch (level) {
    case ENGINE_LOG_ERROR:
        return "error";
    case ENGINE_LOG_WARN:
        return "warning";
    case ENGINE_LOG_INFO:
        return "info";
    case ENGINE_LOG_DEBUG:
        return "debug";
    }
    return "log";
}

static void log_line(const char *driver, enum engine_log_level level, const char *fmt, va_list ap)
{
    char msg[2048];

    if ((int)level > log_threshold())
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* One write so lines of concurrent processes do not interleave. */
    fprintf(stderr, "engine[%s]: %s: %s\n", driver, level_name(level), msg);
}

#define LOG_SLOT_FN(n)                                                                             \
    __attribute__((format(printf, 2, 3))) static void log_slot_##n(enum engine_log_level level,    \
                                                                   const char *fmt, ...)           \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_line(log_names[n], level, fmt, ap);                                                    \
        va_end(ap);                                                                                \
    }

LOG_SLOT_FN(0)
LOG_SLOT_FN(1)
LOG_SLOT_FN(2)
LOG_SLOT_FN(3)
LOG_SLOT_FN(4)
LOG_SLOT_FN(5)
LOG_SLOT_FN(6)
LOG_SLOT_FN(7)
LOG_SLOT_FN(8)
LOG_SLOT_FN(9)
LOG_SLOT_FN(10)
LOG_SLOT_FN(11)
LOG_SLOT_FN(12)
LOG_SLOT_FN(13)
LOG_SLOT_FN(14)
LOG_SLOT_FN(15)

__attribute__((format(printf, 2, 3))) static void log_any(enum engine_log_level level,
                                                          const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_line("driver", level, fmt, ap);
    va_end(ap);
}

typedef void (*log_fn)(enum engine_log_level, const char *, ...);

static const log_fn log_slots[LOG_SLOTS] = {
    log_slot_0,  log_slot_1,  log_slot_2,  log_slot_3,  log_slot_4,  log_slot_5,
    log_slot_6,  log_slot_7,  log_slot_8,  log_slot_9,  log_slot_10, log_slot_11,
    log_slot_12, log_slot_13, log_slot_14, log_slot_15,
};

/* The log function for this driver name: the same slot for the same name. */
static log_fn log_for(const char *driver)
{
    log_fn fn = log_any;
    size_t i;

    if (!driver)
        return log_any;
    pthread_mutex_lock(&log_lock);
    for (i = 0; i < log_used; i++) {
        if (streq(log_names[i], driver))
            break;
    }
    if (i == log_used && log_used < LOG_SLOTS) {
        snprintf(log_names[i], sizeof(log_names[i]), "%s", driver);
        log_used++;
    }
    if (i < log_used)
        fn = log_slots[i];
    pthread_mutex_unlock(&log_lock);
    return fn;
}

void engine_host_fill(struct engine_host *h, const char *driver_name, const char *state_dir,
                      const char *root_dir)
{
    *h = (struct engine_host){
        .struct_size = sizeof(*h),
        .abi_major = ENGINE_DRIVER_ABI_MAJOR,
        .abi_minor = ENGINE_DRIVER_ABI_MINOR,
        .driver_name = driver_name,
        .state_dir = state_dir,
        .root_dir = root_dir,
        .log = log_for(driver_name),
        .cgroup_create = engine_cgroup_create,
        .cgroup_open = engine_cgroup_open,
        .cgroup_attach = engine_cgroup_attach,
        .cgroup_stats = engine_cgroup_stats,
        .cgroup_freeze = engine_cgroup_freeze,
        .cgroup_kill = engine_cgroup_kill,
        .cgroup_destroy = engine_cgroup_destroy,
        .cgroup_free = engine_cgroup_free,
        .cgroup_path = engine_cgroup_path,
    };
}
