/* core/state.c - container records: JSON form, and the on-disk store under
 * <state_dir>/<id>/state.json, written atomically (temp, fsync, rename). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "engine.h"
#include "util.h"

static const char *const status_names[] = {
    [ENGINE_CTR_UNKNOWN] = "unknown", [ENGINE_CTR_CREATED] = "created",
    [ENGINE_CTR_RUNNING] = "running", [ENGINE_CTR_PAUSED] = "paused",
    [ENGINE_CTR_EXITED] = "exited",
};

const char *engine_status_name(int status)
{
    if (status == ENGINE_REC_CREATING)
        return "creating";
    if (status >= 0 && (size_t)status < ELEMENTSOF(status_names))
        return status_names[status];
    return "unknown";
}

static int status_from_name(const char *s)
{
    if (s && streq(s, "creating"))
        return ENGINE_REC_CREATING;
    for (size_t i = 0; s && i < ELEMENTSOF(status_names); i++)
        if (streq(s, status_names[i]))
            return (int)i;
    return ENGINE_CTR_UNKNOWN;
}

void engine_record_free(struct engine_record *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->driver);
    free(r->image);
    strv_free(r->argv);
    strv_free(r->env);
    free(r->cwd);
    free(r->hostname);
    free(r->user);
    free(r->cpuset_cpus);
    for (size_t i = 0; i < r->n_opts; i++) {
        free((char *)r->opts[i].key);
        free((char *)r->opts[i].value);
    }
    free(r->opts);
    for (size_t i = 0; i < r->n_mounts; i++) {
        free((char *)r->mounts[i].source);
        free((char *)r->mounts[i].target);
        free((char *)r->mounts[i].type);
        free((char *)r->mounts[i].options);
    }
    free(r->mounts);
    free(r->error);
    free(r);
}

void engine_records_free(struct engine_record **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        engine_record_free(v[i]);
    free(v);
}

static struct json_object *strv_to_json(char *const *v)
{
    struct json_object *a = json_object_new_array();

    for (size_t i = 0; v && v[i]; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_time(struct json_object *o, const char *k, uint64_t ns)
{
    char buf[64], key[64];

    snprintf(key, sizeof(key), "%sNs", k);
    json_object_object_add(o, key, json_object_new_int64((int64_t)ns));
    if (ns) {
        format_iso8601(buf, sizeof(buf), ns);
        add_str(o, k, buf);
    } else {
        add_str(o, k, NULL);
    }
}

struct json_object *engine_record_to_json(const struct engine_record *r)
{
    struct json_object *o = json_object_new_object(), *lim, *st, *opts, *mounts;

    add_str(o, "Id", r->id);
    add_str(o, "Name", r->name);
    add_str(o, "Driver", r->driver);
    add_str(o, "Image", r->image);
    json_object_object_add(o, "Cmd", strv_to_json(r->argv));
    json_object_object_add(o, "Env", strv_to_json(r->env));
    add_str(o, "WorkingDir", r->cwd);
    add_str(o, "Hostname", r->hostname);
    add_str(o, "User", r->user);
    json_object_object_add(o, "ReadonlyRootfs", json_object_new_boolean(r->readonly_rootfs));
    json_object_object_add(o, "AutoRemove", json_object_new_boolean(r->auto_remove));
    json_object_object_add(o, "NetworkHost", json_object_new_boolean(r->network_host));

    lim = json_object_new_object();
    json_object_object_add(lim, "Memory", json_object_new_int64(r->limits.memory_bytes));
    json_object_object_add(lim, "MemorySwap", json_object_new_int64(r->limits.memory_swap_bytes));
    json_object_object_add(lim, "CpuQuota", json_object_new_int64((int64_t)r->limits.cpu_quota_us));
    json_object_object_add(lim, "CpuPeriod",
                           json_object_new_int64((int64_t)r->limits.cpu_period_us));
    json_object_object_add(lim, "CpuShares", json_object_new_int64((int64_t)r->limits.cpu_shares));
    json_object_object_add(lim, "Pids", json_object_new_int64(r->limits.pids_max));
    add_str(lim, "CpusetCpus", r->cpuset_cpus);
    json_object_object_add(o, "Limits", lim);

    opts = json_object_new_array();
    for (size_t i = 0; i < r->n_opts; i++) {
        char *kv = xasprintf("%s=%s", r->opts[i].key, r->opts[i].value);
        json_object_array_add(opts, json_object_new_string(kv));
        free(kv);
    }
    json_object_object_add(o, "ExecOpts", opts);

    mounts = json_object_new_array();
    for (size_t i = 0; i < r->n_mounts; i++) {
        struct json_object *m = json_object_new_object();
        add_str(m, "Source", r->mounts[i].source);
        add_str(m, "Target", r->mounts[i].target);
        add_str(m, "Type", r->mounts[i].type);
        add_str(m, "Options", r->mounts[i].options);
        json_object_object_add(m, "ReadOnly", json_object_new_boolean(r->mounts[i].readonly));
        json_object_array_add(mounts, m);
    }
    json_object_object_add(o, "Mounts", mounts);

    st = json_object_new_object();
    add_str(st, "Status", engine_status_name(r->status));
    json_object_object_add(
        st, "Running",
        json_object_new_boolean(r->status == ENGINE_CTR_RUNNING || r->status == ENGINE_CTR_PAUSED));
    json_object_object_add(st, "MonitorPid", json_object_new_int(r->monitor_pid));
    json_object_object_add(st, "MonitorStart", json_object_new_int64((int64_t)r->monitor_start));
    json_object_object_add(st, "Pid", json_object_new_int(r->pid));
    json_object_object_add(st, "ExitCode", json_object_new_int(r->exit_code));
    json_object_object_add(st, "OOMKilled", json_object_new_boolean(r->oom_killed));
    json_object_object_add(st, "OOMKills", json_object_new_int64((int64_t)r->oom_kills));
    add_time(st, "Created", r->created_ns);
    add_time(st, "Started", r->started_ns);
    add_time(st, "Finished", r->finished_ns);
    add_str(st, "Error", r->error);
    json_object_object_add(o, "State", st);
    return o;
}

static const char *get_str(struct json_object *o, const char *k)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int64_t get_int(struct json_object *o, const char *k)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, k, &v))
        return 0;
    return json_object_get_int64(v);
}

static bool get_bool(struct json_object *o, const char *k)
{
    struct json_object *v;

    return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static char **get_strv(struct json_object *o, const char *k)
{
    struct json_object *a;
    char **v = xcalloc(1, sizeof(char *));

    if (!json_object_object_get_ex(o, k, &a) || !json_object_is_type(a, json_type_array))
        return v;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(a, i));
        if (s)
            v = strv_append(v, s);
    }
    return v;
}

int engine_record_from_json(struct json_object *o, struct engine_record **ret,
                            struct engine_error *err)
{
    struct engine_record *r;
    struct json_object *lim, *st, *a;
    const char *id = get_str(o, "Id");

    if (!id || !engine_id_valid(id))
        return engine_error_set(err, EINVAL, "Container record has no valid Id");
    r = xcalloc(1, sizeof(*r));
    memcpy(r->id, id, 65);
    r->name = xstrdup(get_str(o, "Name"));
    r->driver = xstrdup(get_str(o, "Driver"));
    r->image = xstrdup(get_str(o, "Image"));
    r->argv = get_strv(o, "Cmd");
    r->env = get_strv(o, "Env");
    r->cwd = xstrdup(get_str(o, "WorkingDir"));
    r->hostname = xstrdup(get_str(o, "Hostname"));
    r->user = xstrdup(get_str(o, "User"));
    r->readonly_rootfs = get_bool(o, "ReadonlyRootfs");
    r->auto_remove = get_bool(o, "AutoRemove");
    r->network_host = get_bool(o, "NetworkHost");
    if (json_object_object_get_ex(o, "Limits", &lim)) {
        r->limits.memory_bytes = get_int(lim, "Memory");
        r->limits.memory_swap_bytes = get_int(lim, "MemorySwap");
        r->limits.cpu_quota_us = (uint64_t)get_int(lim, "CpuQuota");
        r->limits.cpu_period_us = (uint64_t)get_int(lim, "CpuPeriod");
        r->limits.cpu_shares = (uint64_t)get_int(lim, "CpuShares");
        r->limits.pids_max = get_int(lim, "Pids");
        r->cpuset_cpus = xstrdup(get_str(lim, "CpusetCpus"));
        r->limits.cpuset_cpus = r->cpuset_cpus;
    }
    if (json_object_object_get_ex(o, "ExecOpts", &a) && json_object_is_type(a, json_type_array)) {
        size_t n = json_object_array_length(a);
        r->opts = xcalloc(n, sizeof(*r->opts));
        for (size_t i = 0; i < n; i++) {
            const char *kv = json_object_get_string(json_object_array_get_idx(a, i));
            const char *eq = kv ? strchr(kv, '=') : NULL;
            if (!eq)
                continue;
            r->opts[r->n_opts].key = strndup(kv, (size_t)(eq - kv));
            r->opts[r->n_opts].value = xstrdup(eq + 1);
            r->n_opts++;
        }
    }
    if (json_object_object_get_ex(o, "Mounts", &a) && json_object_is_type(a, json_type_array)) {
        size_t n = json_object_array_length(a);
        r->mounts = xcalloc(n, sizeof(*r->mounts));
        for (size_t i = 0; i < n; i++) {
            struct json_object *m = json_object_array_get_idx(a, i);
            r->mounts[i].source = xstrdup(get_str(m, "Source"));
            r->mounts[i].target = xstrdup(get_str(m, "Target"));
            r->mounts[i].type = xstrdup(get_str(m, "Type"));
            r->mounts[i].options = xstrdup(get_str(m, "Options"));
            r->mounts[i].readonly = get_bool(m, "ReadOnly");
        }
        r->n_mounts = n;
    }
    if (json_object_object_get_ex(o, "State", &st)) {
        r->status = status_from_name(get_str(st, "Status"));
        r->monitor_pid = (pid_t)get_int(st, "MonitorPid");
        r->monitor_start = (uint64_t)get_int(st, "MonitorStart");
        r->pid = (pid_t)get_int(st, "Pid");
        r->exit_code = (int)get_int(st, "ExitCode");
        r->oom_killed = get_bool(st, "OOMKilled");
        r->oom_kills = (uint64_t)get_int(st, "OOMKills");
        r->created_ns = (uint64_t)get_int(st, "CreatedNs");
        r->started_ns = (uint64_t)get_int(st, "StartedNs");
        r->finished_ns = (uint64_t)get_int(st, "FinishedNs");
        r->error = xstrdup(get_str(st, "Error"));
    }
    *ret = r;
    return 0;
}

int engine_state_save(const struct engine_ctx *ctx, const struct engine_record *r,
                      struct engine_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", ctx->state_dir, r->id);
    _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
    struct json_object *o = engine_record_to_json(r);
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
    int q;

    q = mkdir_p(dir, 0700);
    if (q == 0)
        q = write_file_atomic(path, s, strlen(s), 0600);
    json_object_put(o);
    if (q < 0)
        return engine_error_errno(err, q, "Save state of container '%s' to %s", r->name, path);
    return 0;
}

int engine_state_load(const struct engine_ctx *ctx, const char *id, struct engine_record **ret,
                      struct engine_error *err)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    struct json_object *o;
    int q;

    if (!engine_id_valid(id))
        return engine_error_set(err, EINVAL, "Invalid container id '%s'", id);
    path = xasprintf("%s/%s/state.json", ctx->state_dir, id);
    q = read_file(path, &text, NULL);
    if (q < 0)
        return engine_error_errno(err, q, "Read %s", path);
    o = json_tokener_parse(text);
    if (!o)
        return engine_error_set(err, EINVAL, "%s: not valid JSON", path);
    q = engine_record_from_json(o, ret, err);
    json_object_put(o);
    if (q < 0)
        return engine_error_wrap(err, "%s", path);
    return 0;
}

int engine_state_list(const struct engine_ctx *ctx, struct engine_record ***ret, size_t *ret_n,
                      struct engine_error *err)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct engine_record **v = NULL;
    struct dirent *de;
    size_t n = 0;

    d = opendir(ctx->state_dir);
    if (!d && errno != ENOENT)
        return engine_error_errno(err, errno, "Open state dir %s", ctx->state_dir);
    while (d && (de = readdir(d))) {
        struct engine_record *r;
        struct engine_error e = {0};

        if (!engine_id_valid(de->d_name))
            continue;
        if (engine_state_load(ctx, de->d_name, &r, &e) < 0)
            continue; /* a record being created or removed right now */
        v = realloc(v, (n + 1) * sizeof(*v));
        if (!v)
            abort();
        v[n++] = r;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

int engine_state_lookup(const struct engine_ctx *ctx, const char *ref, struct engine_record **ret,
                        struct engine_error *err)
{
    struct engine_record **v = NULL, *found = NULL;
    size_t n = 0, matches = 0, reflen;
    int q;

    if (!ref || !*ref)
        return engine_error_set(err, EINVAL, "No container given");
    if (engine_id_valid(ref))
        return engine_state_load(ctx, ref, ret, err) < 0
                   ? engine_error_set(err, ENOENT, "No such container: %s", ref)
                   : 0;
    q = engine_state_list(ctx, &v, &n, err);
    if (q < 0)
        return q;
    reflen = strlen(ref);
    for (size_t i = 0; i < n; i++)
        if (v[i]->name && streq(v[i]->name, ref)) {
            found = v[i];
            matches = 1;
            break;
        }
    if (!found && reflen >= 3)
        for (size_t i = 0; i < n; i++)
            if (strncmp(v[i]->id, ref, reflen) == 0) {
                found = v[i];
                matches++;
            }
    if (matches == 1) {
        for (size_t i = 0; i < n; i++)
            if (v[i] == found)
                v[i] = NULL;
        *ret = found;
    }
    engine_records_free(v, n);
    if (matches > 1)
        return engine_error_set(err, EINVAL, "Container id prefix '%s' is ambiguous", ref);
    if (matches == 0)
        return engine_error_set(err, ENOENT, "No such container: %s", ref);
    return 0;
}
