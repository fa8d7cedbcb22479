/* core/drivers.c - the driver matrix (`engine drivers`, GET /v1/drivers) and
 * the names of features and stats fields as the CLI and the API show them. */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "engine.h"
#include "isolate.h"
#include "util.h"

static const char *const feature_names[] = {
    [0] = "pause",      [1] = "exec",       [2] = "stats-cpu",        [3] = "stats-memory",
    [4] = "stats-pids", [5] = "stats-io",   [6] = "stats-net",        [7] = "limit-memory",
    [8] = "limit-cpu",  [9] = "limit-pids", [10] = "limit-cpuset",    [11] = "ns-pid",
    [12] = "ns-mount",  [13] = "ns-net",    [14] = "ns-uts",          [15] = "ns-ipc",
    [16] = "ns-user",   [17] = "ns-cgroup", [18] = "readonly-rootfs", [19] = "oom-report",
    [20] = "mounts",
};

/* The bit positions above must match driver.h. */
_Static_assert(ENGINE_FEAT_PAUSE == UINT64_C(1) << 0, "feature bits moved");
_Static_assert(ENGINE_FEAT_LIMIT_MEMORY == UINT64_C(1) << 7, "feature bits moved");
_Static_assert(ENGINE_FEAT_NS_PID == UINT64_C(1) << 11, "feature bits moved");
_Static_assert(ENGINE_FEAT_MOUNTS == UINT64_C(1) << 20, "feature bits moved");

static const char *const stat_names[ENGINE_STAT__COUNT] = {
    [ENGINE_STAT_CPU_NS] = "cpu_ns",
    [ENGINE_STAT_MEM_CURRENT] = "memory_current",
    [ENGINE_STAT_MEM_MAX] = "memory_max",
    [ENGINE_STAT_MEM_LIMIT] = "memory_limit",
    [ENGINE_STAT_PIDS_CURRENT] = "pids_current",
    [ENGINE_STAT_PIDS_LIMIT] = "pids_limit",
    [ENGINE_STAT_IO_READ_BYTES] = "io_read_bytes",
    [ENGINE_STAT_IO_WRITE_BYTES] = "io_write_bytes",
    [ENGINE_STAT_NET_RX_BYTES] = "net_rx_bytes",
    [ENGINE_STAT_NET_TX_BYTES] = "net_tx_bytes",
    [ENGINE_STAT_OOM_KILLS] = "oom_kills",
};

static const char *const source_names[ENGINE_SRC__COUNT] = {
    [ENGINE_SRC_NONE] = "n/a",
    [ENGINE_SRC_CGROUP_V1] = "cgroup-v1",
    [ENGINE_SRC_CGROUP_V2] = "cgroup-v2",
    [ENGINE_SRC_LXC] = "lxc",
    [ENGINE_SRC_LIBVIRT] = "libvirt",
    [ENGINE_SRC_VZ] = "vz",
    [ENGINE_SRC_PROC] = "proc",
    [ENGINE_SRC_RUNTIME] = "runtime",
    [ENGINE_SRC_MONITOR] = "monitor",
};

const char *engine_feature_name(uint64_t bit)
{
    for (size_t i = 0; i < ELEMENTSOF(feature_names); i++)
        if (bit == UINT64_C(1) << i)
            return feature_names[i];
    return NULL;
}

const char *engine_stat_name(enum engine_stat_field f)
{
    if ((unsigned)f >= ENGINE_STAT__COUNT)
        return NULL;
    return stat_names[f];
}

const char *engine_stat_source_name(enum engine_stat_source s)
{
    if ((unsigned)s >= ENGINE_SRC__COUNT)
        return "unknown";
    return source_names[s];
}

struct json_object *engine_stats_to_json(const struct engine_stats *st)
{
    struct json_object *o = json_object_new_object();

    for (unsigned f = 0; f < ENGINE_STAT__COUNT; f++) {
        const struct engine_stat *s = &st->field[f];
        struct json_object *v = json_object_new_object();

        if (s->source == ENGINE_SRC_NONE) {
            json_object_object_add(v, "value", NULL);
            json_object_object_add(v, "source", json_object_new_string("n/a"));
        } else {
            json_object_object_add(v, "value", json_object_new_uint64(s->value));
            json_object_object_add(v, "source",
                                   json_object_new_string(engine_stat_source_name(s->source)));
        }
        json_object_object_add(o, stat_names[f], v);
    }
    return o;
}

static struct json_object *string_array(const char *const *v)
{
    struct json_object *a = json_object_new_array();

    for (size_t i = 0; v && v[i]; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static struct json_object *module_to_json(struct engine_ctx *ctx, struct engine_module *m)
{
    struct json_object *o = json_object_new_object(), *feats = json_object_new_array();
    struct engine_module *got;
    struct engine_error e = {0};
    char abi[32];
    int r;

    /* Inits and probes the driver once per process; a failure is a reason. */
    r = engine_registry_get(&ctx->reg, m->name, &got, &e);
    snprintf(abi, sizeof(abi), "%u.%u", m->table.abi_major, m->table.abi_minor);
    json_object_object_add(o, "name", json_object_new_string(m->name));
    json_object_object_add(o, "path", json_object_new_string(m->path));
    json_object_object_add(o, "builtin", json_object_new_boolean(m->builtin));
    json_object_object_add(o, "isolated",
                           json_object_new_boolean(engine_isolate_wanted(&ctx->cfg, m->name)));
    json_object_object_add(o, "abi", json_object_new_string(abi));
    json_object_object_add(o, "summary",
                           m->table.summary ? json_object_new_string(m->table.summary) : NULL);
    json_object_object_add(o, "available", json_object_new_boolean(r == 0));
    if (r == 0)
        json_object_object_add(o, "reason", NULL);
    else if (m->probe_status == ENGINE_DECLINED)
        json_object_object_add(o, "reason", json_object_new_string(m->probe_err.msg));
    else
        json_object_object_add(o, "reason", json_object_new_string(e.msg));
    for (unsigned i = 0; i < 64; i++) {
        const char *fname;

        if (!(m->table.features & (UINT64_C(1) << i)))
            continue;
        fname = engine_feature_name(UINT64_C(1) << i);
        if (fname)
            json_object_array_add(feats, json_object_new_string(fname));
    }
    json_object_object_add(o, "features", feats);
    json_object_object_add(o, "options", string_array(m->table.options));
    return o;
}

struct json_object *engine_drivers_to_json(struct engine_ctx *ctx)
{
    struct json_object *a = json_object_new_array();

    engine_registry_load_all(&ctx->reg);

    for (size_t i = 0; i < ctx->reg.n; i++)
        json_object_array_add(a, module_to_json(ctx, ctx->reg.mods[i]));
    for (size_t i = 0; i < ctx->reg.n_bad; i++) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "refused", json_object_new_boolean(true));
        json_object_object_add(o, "path", json_object_new_string(ctx->reg.bad_paths[i]));
        json_object_object_add(o, "error", json_object_new_string(ctx->reg.bad_errs[i].msg));
        json_object_array_add(a, o);
    }
    return a;
}
