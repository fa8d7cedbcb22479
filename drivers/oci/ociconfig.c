/* drivers/oci/ociconfig.c - config.json for an OCI runtime (runc, crun) from an
 * engine spec: Docker's defaults for capabilities, mounts, masked and
 * read-only paths, plus the spec's limits, mounts and namespaces. */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ociconfig.h"

/* What Docker grants a container by default (moby oci/caps/defaults.go). */
static const char *const default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct default_mount {
    const char *destination, *type, *source;
    const char *const options[8];
};

static const struct default_mount default_mounts[] = {
    {.destination = "/proc",
     .type = "proc",
     .source = "proc",
     .options = {"nosuid", "noexec", "nodev", NULL}},
    {.destination = "/dev",
     .type = "tmpfs",
     .source = "tmpfs",
     .options = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL}},
    {.destination = "/dev/pts",
     .type = "devpts",
     .source = "devpts",
     .options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL}},
    {.destination = "/dev/shm",
     .type = "tmpfs",
     .source = "shm",
     .options = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}},
    {.destination = "/dev/mqueue",
     .type = "mqueue",
     .source = "mqueue",
     .options = {"nosuid", "noexec", "nodev", NULL}},
    {.destination = "/sys",
     .type = "sysfs",
     .source = "sysfs",
     .options = {"nosuid", "noexec", "nodev", "ro", NULL}},
    {.destination = "/sys/fs/cgroup",
     .type = "cgroup",
     .source = "cgroup",
     .options = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL}},
};

static struct json_object *str_array(const char *const *v)
{
    struct json_object *a = json_object_new_array();

    for (size_t i = 0; v && v[i]; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static void add_str(struct json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

int oci_parse_user(const char *user, unsigned *ret_uid, unsigned *ret_gid, struct engine_error *err)
{
    unsigned long uid = 0, gid = 0;
    char *end;

    if (user && *user) {
        errno = 0;
        uid = strtoul(user, &end, 10);
        if (errno || end == user || (*end && *end != ':') || uid > UINT_MAX)
            return engine_error_set(err, EINVAL,
                                    "User '%s': the oci driver takes numeric uid[:gid] only", user);
        if (*end == ':') {
            const char *g = end + 1;

            gid = strtoul(g, &end, 10);
            if (errno || end == g || *end || gid > UINT_MAX)
                return engine_error_set(
                    err, EINVAL, "User '%s': the oci driver takes numeric uid[:gid] only", user);
        } else {
            gid = uid;
        }
    }
    *ret_uid = (unsigned)uid;
    *ret_gid = (unsigned)gid;
    return 0;
}

static int build_process(const struct engine_spec *spec, struct json_object **ret,
                         struct engine_error *err)
{
    struct json_object *p, *u, *caps, *env, *rl, *nofile;
    bool has_path = false;
    unsigned uid, gid;
    int r;

    r = oci_parse_user(spec->user, &uid, &gid, err);
    if (r < 0)
        return r;
    if (!spec->argv || !spec->argv[0])
        return engine_error_set(err, EINVAL, "No command to run");
    p = json_object_new_object();
    json_object_object_add(p, "terminal", json_object_new_boolean(0));
    u = json_object_new_object();
    json_object_object_add(u, "uid", json_object_new_int64(uid));
    json_object_object_add(u, "gid", json_object_new_int64(gid));
    json_object_object_add(p, "user", u);
    json_object_object_add(p, "args", str_array((const char *const *)spec->argv));
    env = json_object_new_array();
    for (size_t i = 0; spec->env && spec->env[i]; i++) {
        has_path |= strncmp(spec->env[i], "PATH=", 5) == 0;
        json_object_array_add(env, json_object_new_string(spec->env[i]));
    }
    if (!has_path)
        json_object_array_add(
            env, json_object_new_string(
                     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    json_object_object_add(p, "env", env);
    add_str(p, "cwd", spec->cwd && *spec->cwd ? spec->cwd : "/");
    caps = json_object_new_object();
    json_object_object_add(caps, "bounding", str_array(default_caps));
    json_object_object_add(caps, "effective", str_array(default_caps));
    json_object_object_add(caps, "permitted", str_array(default_caps));
    json_object_object_add(p, "capabilities", caps);
    rl = json_object_new_array();
    nofile = json_object_new_object();
    add_str(nofile, "type", "RLIMIT_NOFILE");
    json_object_object_add(nofile, "hard", json_object_new_int64(1024));
    json_object_object_add(nofile, "soft", json_object_new_int64(1024));
    json_object_array_add(rl, nofile);
    json_object_object_add(p, "rlimits", rl);
    json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(1));
    *ret = p;
    return 0;
}

/* "a,b,c" into a JSON array, NULL or "" giving an empty one. */
static struct json_object *split_options(const char *opts)
{
    struct json_object *a = json_object_new_array();
    char *copy, *tok, *save = NULL;

    if (!opts || !*opts || !(copy = strdup(opts)))
        return a;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        json_object_array_add(a, json_object_new_string(tok));
    free(copy);
    return a;
}

static int build_mounts(const struct engine_spec *spec, struct json_object **ret,
                        struct engine_error *err)
{
    struct json_object *a = json_object_new_array();

    for (size_t i = 0; i < sizeof(default_mounts) / sizeof(default_mounts[0]); i++) {
        const struct default_mount *d = &default_mounts[i];
        struct json_object *m = json_object_new_object();

        add_str(m, "destination", d->destination);
        add_str(m, "type", d->type);
        add_str(m, "source", d->source);
        json_object_object_add(m, "options", str_array(d->options));
        json_object_array_add(a, m);
    }
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct engine_mount *sm = &spec->mounts[i];
        const char *type = sm->type && *sm->type ? sm->type : "bind";
        struct json_object *m, *o;

        if (!sm->target || sm->target[0] != '/') {
            json_object_put(a);
            return engine_error_set(err, EINVAL, "Mount target '%s' is not absolute",
                                    sm->target ? sm->target : "");
        }
        m = json_object_new_object();
        add_str(m, "destination", sm->target);
        add_str(m, "type", type);
        add_str(m, "source", sm->source ? sm->source : type);
        o = split_options(sm->options);
        if (!strcmp(type, "bind"))
            json_object_array_add(o, json_object_new_string("rbind"));
        if (sm->readonly)
            json_object_array_add(o, json_object_new_string("ro"));
        json_object_object_add(m, "options", o);
        json_object_array_add(a, m);
    }
    *ret = a;
    return 0;
}

static struct json_object *build_resources(const struct engine_limits *l)
{
    struct json_object *res = json_object_new_object(), *dev, *devs;

    devs = json_object_new_array();
    dev = json_object_new_object();
    json_object_object_add(dev, "allow", json_object_new_boolean(0));
    add_str(dev, "access", "rwm");
    json_object_array_add(devs, dev);
    json_object_object_add(res, "devices", devs);
    if (l->memory_bytes > 0) {
        struct json_object *mem = json_object_new_object();

        json_object_object_add(mem, "limit", json_object_new_int64(l->memory_bytes));
        /* OCI swap is memory+swap, like memory.memsw.limit_in_bytes. */
        json_object_object_add(mem, "swap",
                               json_object_new_int64(l->memory_swap_bytes > 0 ? l->memory_swap_bytes
                                                                              : l->memory_bytes));
        json_object_object_add(res, "memory", mem);
    }
    if (l->cpu_quota_us || l->cpu_shares || (l->cpuset_cpus && *l->cpuset_cpus)) {
        struct json_object *cpu = json_object_new_object();

        if (l->cpu_quota_us) {
            json_object_object_add(cpu, "quota", json_object_new_int64((int64_t)l->cpu_quota_us));
            json_object_object_add(
                cpu, "period",
                json_object_new_uint64(l->cpu_period_us ? l->cpu_period_us : 100000));
        }
        if (l->cpu_shares)
            json_object_object_add(cpu, "shares", json_object_new_uint64(l->cpu_shares));
        if (l->cpuset_cpus && *l->cpuset_cpus)
            add_str(cpu, "cpus", l->cpuset_cpus);
        json_object_object_add(res, "cpu", cpu);
    }
    if (l->pids_max > 0) {
        struct json_object *pids = json_object_new_object();

        json_object_object_add(pids, "limit", json_object_new_int64(l->pids_max));
        json_object_object_add(res, "pids", pids);
    }
    return res;
}

static struct json_object *build_linux(const struct engine_spec *spec, const char *cgroups_path)
{
    static const char *const ns_types[] = {"pid", "mount", "ipc", "uts", "network", "cgroup"};
    struct json_object *lin = json_object_new_object(), *nss = json_object_new_array();

    for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++) {
        struct json_object *ns;

        if (spec->network_host && !strcmp(ns_types[i], "network"))
            continue;
        ns = json_object_new_object();
        add_str(ns, "type", ns_types[i]);
        json_object_array_add(nss, ns);
    }
    json_object_object_add(lin, "namespaces", nss);
    json_object_object_add(lin, "resources", build_resources(&spec->limits));
    add_str(lin, "cgroupsPath", cgroups_path);
    json_object_object_add(lin, "maskedPaths", str_array(masked_paths));
    json_object_object_add(lin, "readonlyPaths", str_array(readonly_paths));
    return lin;
}

int oci_config_build(const struct engine_spec *spec, const char *cgroups_path,
                     struct json_object **ret, struct engine_error *err)
{
    struct json_object *cfg, *proc = NULL, *mounts = NULL, *root;
    char host12[13];
    int r;

    if (spec->userns)
        return engine_error_set(err, ENOTSUP,
                                "User namespaces are not supported by the oci driver");
    r = build_process(spec, &proc, err);
    if (r < 0)
        return r;
    r = build_mounts(spec, &mounts, err);
    if (r < 0) {
        json_object_put(proc);
        return r;
    }
    cfg = json_object_new_object();
    add_str(cfg, "ociVersion", OCI_VERSION);
    json_object_object_add(cfg, "process", proc);
    root = json_object_new_object();
    add_str(root, "path", spec->rootfs);
    json_object_object_add(root, "readonly", json_object_new_boolean(spec->readonly_rootfs));
    json_object_object_add(cfg, "root", root);
    snprintf(host12, sizeof(host12), "%.12s", spec->id ? spec->id : "");
    add_str(cfg, "hostname", spec->hostname && *spec->hostname ? spec->hostname : host12);
    json_object_object_add(cfg, "mounts", mounts);
    json_object_object_add(cfg, "linux", build_linux(spec, cgroups_path));
    *ret = cfg;
    return 0;
}
