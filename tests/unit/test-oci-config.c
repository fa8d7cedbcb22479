/* tests/unit/test-oci-config.c - the oci driver's config.json builder
 * (drivers/oci/ociconfig.c, compiled in): Docker's defaults plus what the spec
 * asks for, checked field by field. */
#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ociconfig.h"
#include "tap.h"

/* The value at a dotted path ("linux.resources.memory.limit"); NULL if absent. */
static struct json_object *at(struct json_object *o, const char *path)
{
    char *copy = strdup(path), *save = NULL;

    for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(o, k, &o))
            o = NULL;
    free(copy);
    return o;
}

static const char *str_at(struct json_object *o, const char *path)
{
    struct json_object *v = at(o, path);

    return v ? json_object_get_string(v) : NULL;
}

static bool array_has(struct json_object *a, const char *s)
{
    for (size_t i = 0; a && i < json_object_array_length(a); i++)
        if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
            return true;
    return false;
}

static struct json_object *find_mount(struct json_object *cfg, const char *dest)
{
    struct json_object *m = at(cfg, "mounts");

    for (size_t i = 0; m && i < json_object_array_length(m); i++) {
        struct json_object *e = json_object_array_get_idx(m, i);

        if (!strcmp(str_at(e, "destination"), dest))
            return e;
    }
    return NULL;
}

static bool has_namespace(struct json_object *cfg, const char *type)
{
    struct json_object *a = at(cfg, "linux.namespaces");

    for (size_t i = 0; a && i < json_object_array_length(a); i++)
        if (!strcmp(str_at(json_object_array_get_idx(a, i), "type"), type))
            return true;
    return false;
}

int main(void)
{
    char *argv[] = {"/bin/echo", "hi", NULL};
    char *env[] = {"FOO=bar", NULL};
    struct engine_mount mounts[] = {
        {.source = "/srv/data", .target = "/data", .type = "bind", .readonly = 1},
        {.source = "tmpfs", .target = "/scratch", .type = "tmpfs", .options = "size=1m,mode=1777"},
    };
    struct engine_spec spec = {
        .struct_size = sizeof(spec),
        .id = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
        .name = "web",
        .rootfs = "/var/lib/engine/x/rootfs",
        .state_dir = "/run/engine/x",
        .argv = argv,
        .env = env,
        .cwd = "/tmp",
        .user = "1000:100",
        .readonly_rootfs = 1,
        .limits = {.memory_bytes = 64 << 20,
                   .cpu_quota_us = 50000,
                   .cpu_period_us = 100000,
                   .cpu_shares = 512,
                   .pids_max = 64,
                   .cpuset_cpus = "0"},
        .mounts = mounts,
        .n_mounts = 2,
    };
    struct engine_error err = {0};
    struct json_object *cfg = NULL, *m, *caps;
    unsigned uid, gid;

    ok(oci_config_build(&spec, "/engine/abc", &cfg, &err) == 0, "build config: %s", err.msg);
    is_str(str_at(cfg, "ociVersion"), "1.0.2", "ociVersion");
    ok(!json_object_get_boolean(at(cfg, "process.terminal")), "no terminal");
    ok(json_object_array_length(at(cfg, "process.args")) == 2 &&
           array_has(at(cfg, "process.args"), "/bin/echo"),
       "args");
    ok(array_has(at(cfg, "process.env"), "FOO=bar"), "env passed");
    ok(json_object_array_length(at(cfg, "process.env")) == 2, "a default PATH added");
    is_str(str_at(cfg, "process.cwd"), "/tmp", "cwd");
    ok(json_object_get_int(at(cfg, "process.user.uid")) == 1000 &&
           json_object_get_int(at(cfg, "process.user.gid")) == 100,
       "user uid:gid");
    caps = at(cfg, "process.capabilities.bounding");
    ok(json_object_array_length(caps) == 14 && array_has(caps, "CAP_CHOWN") &&
           array_has(caps, "CAP_NET_BIND_SERVICE") && !array_has(caps, "CAP_SYS_ADMIN"),
       "Docker's 14 default capabilities, no CAP_SYS_ADMIN");
    ok(array_has(at(cfg, "process.capabilities.effective"), "CAP_KILL") &&
           array_has(at(cfg, "process.capabilities.permitted"), "CAP_KILL"),
       "effective and permitted sets");
    ok(json_object_get_boolean(at(cfg, "process.noNewPrivileges")), "noNewPrivileges");
    m = json_object_array_get_idx(at(cfg, "process.rlimits"), 0);
    ok(m && !strcmp(str_at(m, "type"), "RLIMIT_NOFILE") &&
           json_object_get_int(at(m, "hard")) == 1024 && json_object_get_int(at(m, "soft")) == 1024,
       "RLIMIT_NOFILE 1024");
    is_str(str_at(cfg, "root.path"), spec.rootfs, "root.path");
    ok(json_object_get_boolean(at(cfg, "root.readonly")), "root.readonly");
    is_str(str_at(cfg, "hostname"), "abcdef012345", "hostname defaults to id[:12]");

    ok(find_mount(cfg, "/proc") && find_mount(cfg, "/dev") && find_mount(cfg, "/dev/pts") &&
           find_mount(cfg, "/dev/shm") && find_mount(cfg, "/dev/mqueue"),
       "proc, dev, devpts, shm, mqueue mounts");
    m = find_mount(cfg, "/sys");
    ok(m && array_has(at(m, "options"), "ro"), "sysfs read-only");
    m = find_mount(cfg, "/sys/fs/cgroup");
    ok(m && !strcmp(str_at(m, "type"), "cgroup") && array_has(at(m, "options"), "ro"),
       "cgroup read-only");
    m = find_mount(cfg, "/data");
    ok(m && !strcmp(str_at(m, "source"), "/srv/data") && array_has(at(m, "options"), "rbind") &&
           array_has(at(m, "options"), "ro"),
       "bind mount: rbind, ro");
    m = find_mount(cfg, "/scratch");
    ok(m && !strcmp(str_at(m, "type"), "tmpfs") && array_has(at(m, "options"), "size=1m") &&
           array_has(at(m, "options"), "mode=1777"),
       "tmpfs mount with its options split");

    ok(has_namespace(cfg, "pid") && has_namespace(cfg, "mount") && has_namespace(cfg, "ipc") &&
           has_namespace(cfg, "uts") && has_namespace(cfg, "network") &&
           has_namespace(cfg, "cgroup"),
       "pid mount ipc uts network cgroup namespaces");
    ok(json_object_get_int64(at(cfg, "linux.resources.memory.limit")) == 64 << 20 &&
           json_object_get_int64(at(cfg, "linux.resources.memory.swap")) == 64 << 20,
       "memory limit, swap = memory (no extra swap)");
    ok(json_object_get_int64(at(cfg, "linux.resources.cpu.quota")) == 50000 &&
           json_object_get_int64(at(cfg, "linux.resources.cpu.period")) == 100000 &&
           json_object_get_int64(at(cfg, "linux.resources.cpu.shares")) == 512,
       "cpu quota/period/shares");
    is_str(str_at(cfg, "linux.resources.cpu.cpus"), "0", "cpuset");
    ok(json_object_get_int64(at(cfg, "linux.resources.pids.limit")) == 64, "pids limit");
    m = json_object_array_get_idx(at(cfg, "linux.resources.devices"), 0);
    ok(m && !json_object_get_boolean(at(m, "allow")) && !strcmp(str_at(m, "access"), "rwm"),
       "devices: deny all by default (runtime adds the standard ones)");
    is_str(str_at(cfg, "linux.cgroupsPath"), "/engine/abc", "cgroupsPath as given");
    ok(array_has(at(cfg, "linux.maskedPaths"), "/proc/kcore") &&
           array_has(at(cfg, "linux.maskedPaths"), "/sys/firmware"),
       "maskedPaths");
    ok(array_has(at(cfg, "linux.readonlyPaths"), "/proc/sys") &&
           array_has(at(cfg, "linux.readonlyPaths"), "/proc/sysrq-trigger"),
       "readonlyPaths");
    json_object_put(cfg);

    /* Host network, no limits, root, no cwd, a hostname. */
    memset(&spec.limits, 0, sizeof(spec.limits));
    spec.network_host = 1;
    spec.user = NULL;
    spec.cwd = NULL;
    spec.hostname = "box";
    spec.n_mounts = 0;
    spec.readonly_rootfs = 0;
    ok(oci_config_build(&spec, "/engine/abc", &cfg, &err) == 0, "build minimal config");
    ok(!has_namespace(cfg, "network") && has_namespace(cfg, "pid"),
       "host network: no network namespace");
    ok(!at(cfg, "linux.resources.memory") && !at(cfg, "linux.resources.cpu") &&
           !at(cfg, "linux.resources.pids"),
       "no limits: no memory/cpu/pids sections");
    ok(json_object_get_int(at(cfg, "process.user.uid")) == 0, "root by default");
    is_str(str_at(cfg, "process.cwd"), "/", "cwd defaults to /");
    is_str(str_at(cfg, "hostname"), "box", "hostname as given");
    ok(!json_object_get_boolean(at(cfg, "root.readonly")), "writable root");
    json_object_put(cfg);

    spec.limits.memory_bytes = 32 << 20;
    spec.limits.memory_swap_bytes = 64 << 20;
    ok(oci_config_build(&spec, "/engine/abc", &cfg, &err) == 0 &&
           json_object_get_int64(at(cfg, "linux.resources.memory.swap")) == 64 << 20,
       "memory+swap passed as OCI swap");
    json_object_put(cfg);

    spec.user = "nobody";
    ok(oci_config_build(&spec, "/engine/abc", &cfg, &err) == -EINVAL, "user name refused: %s",
       err.msg);
    ok(oci_parse_user("7", &uid, &gid, &err) == 0 && uid == 7 && gid == 7, "uid alone: gid = uid");
    ok(oci_parse_user("7:", &uid, &gid, &err) < 0, "'7:' refused");
    spec.user = NULL;
    spec.argv = NULL;
    ok(oci_config_build(&spec, "/engine/abc", &cfg, &err) == -EINVAL, "no command refused");
    return tap_done();
}
