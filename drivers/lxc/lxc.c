/* drivers/lxc/lxc.c - the lxc driver: containers run by liblxc's C API.
 *
 * Each engine container is one LXC container named after the engine id, defined
 * under lxcpath (option "lxcpath", default <root_dir>/lxc, e.g.
 * /var/lib/engine/lxc). Its config is saved there by create(), so restore() in
 * any process reopens it with lxc_container_new() + is_defined(). start() runs
 * the command the way lxc-execute does (lxc's init.lxc as pid 1) in a child of
 * engine's monitor that blocks in lxc's start() and exits with the container's
 * exit code. Nothing here shells out to the lxc-* tools. A sibling watcher
 * counts OOM kills while LXC's cgroup exists (LXC removes it at the exit, before
 * the monitor asks), and argv[0] is looked up in the rootfs first so that a
 * missing command exits 127 as with docker.
 *
 * The rootfs is a dir owned by the core (its overlay mount): LXC's destroy()
 * would delete its contents, so destroy() removes only the config dir. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <lxc/lxccontainer.h>

#include <engine/driver.h>

#include "../common/driver-util.h"

/* Exit code of the start child when liblxc could not start the container at
 * all (like docker's 125: the engine, not the command, failed). */
#define LXC_START_FAILED_EXIT 125

struct engine_drv {
    const struct engine_host *host;
    char *lxcpath; /* driver-wide lxcpath option, NULL = default */
    bool cgroup2;  /* pure cgroup v2 host: lxc.cgroup2.* keys */
};

struct engine_ctr {
    struct engine_drv *drv;
    struct lxc_container *c;
    char *name; /* LXC container name (the engine id) */
    char *lxcpath;
    char *log;      /* lxc.log.file, named in start errors */
    char *oom_file; /* OOM kills seen by the watcher, read after the exit */
    char *rootfs;
    char *cwd;
    char *path_env; /* the container's $PATH, to find argv[0] before start */
    char **argv;
    char **mount_targets;
    pid_t watcher; /* the OOM watcher, in the process that called start() */
};

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const lxc_options[] = {"lxcpath", NULL};

/* init.lxc must exist for useinit start (lxc-execute's mode). */
static const char *const lxc_init_paths[] = {
    "/usr/sbin/init.lxc.static",
    "/usr/sbin/init.lxc",
    "/sbin/init.lxc",
    "/usr/libexec/lxc/lxc-init",
    "/usr/lib/x86_64-linux-gnu/lxc/lxc-init",
    "/usr/lib/lxc/lxc-init",
    "/usr/local/sbin/init.lxc",
    NULL,
};

/* lxcpath for one container: per-container option > driver option > default. */
static char *lxcpath_for(struct engine_drv *drv, const struct engine_spec *spec)
{
    const char *p = spec ? drv_opt_get(spec->opts, spec->n_opts, NULL, "lxcpath", NULL) : NULL;
    char *r;

    if (!p)
        p = drv->lxcpath;
    if (p)
        return strdup(p);
    if (asprintf(&r, "%s/lxc", drv->host->root_dir ? drv->host->root_dir : "/var/lib/engine") < 0)
        return NULL;
    return r;
}

static bool apparmor_enabled(void)
{
    char c = 'N';
    FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");

    if (!f)
        return false;
    if (fread(&c, 1, 1, f) != 1)
        c = 'N';
    fclose(f);
    return c == 'Y' && access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static const char *lxc_init_path(void)
{
    for (size_t i = 0; lxc_init_paths[i]; i++)
        if (access(lxc_init_paths[i], X_OK) == 0)
            return lxc_init_paths[i];
    return NULL;
}

/* LXC's own message when it left one, else a pointer to its log. */
static int lxc_fail(struct engine_ctr *ctr, struct engine_error *err, int code, const char *what)
{
    const char *why = ctr->c && ctr->c->error_string ? ctr->c->error_string : NULL;

    if (why)
        return engine_error_set(err, code, "%s LXC container '%s': %s", what, ctr->name, why);
    return engine_error_set(err, code, "%s LXC container '%s' failed (LXC log: %s)", what,
                            ctr->name, ctr->log ? ctr->log : "none");
}

static int lxc_init(const struct engine_host *host, const struct engine_opts *opts,
                    struct engine_drv **ret_drv, struct engine_error *err)
{
    struct engine_drv *drv = calloc(1, sizeof(*drv));
    const char *p;

    if (!drv)
        return engine_error_errno(err, ENOMEM, "Initialise the lxc driver");
    drv->host = host;
    drv->cgroup2 = drv_host_is_cgroup2();
    p = opts ? drv_opt_get(opts->v, opts->n, NULL, "lxcpath", NULL) : NULL;
    if (p) {
        if (p[0] != '/') {
            free(drv);
            return engine_error_set(err, EINVAL,
                                    "Option lxc.lxcpath must be an absolute path, "
                                    "not '%s'",
                                    p);
        }
        drv->lxcpath = strdup(p);
        if (!drv->lxcpath) {
            free(drv);
            return engine_error_errno(err, ENOMEM, "Initialise the lxc driver");
        }
    }
    *ret_drv = drv;
    return 0;
}

static void lxc_fini(struct engine_drv *drv)
{
    if (!drv)
        return;
    free(drv->lxcpath);
    free(drv);
}

static int lxc_probe(struct engine_drv *drv, struct engine_error *err)
{
    char *path = lxcpath_for(drv, NULL);
    int r;

    if (!lxc_init_path()) {
        free(path);
        (void)engine_error_set(err, ENOENT,
                               "LXC's init (init.lxc) not found in /usr/sbin or "
                               "/usr/libexec/lxc: is the lxc package installed?");
        return ENGINE_DECLINED;
    }
    if (!path)
        return engine_error_errno(err, ENOMEM, "Probe the lxc driver");
    r = drv_mkdir_p(path, 0700);
    if (r == 0 && access(path, W_OK) < 0)
        r = -errno;
    if (r < 0) {
        engine_error_errno(err, r, "Cannot create LXC container dirs under %s", path);
        free(path);
        return ENGINE_DECLINED;
    }
    free(path);
    return 0;
}

static void reap_watcher(struct engine_ctr *ctr);

static void ctr_free(struct engine_ctr *ctr)
{
    if (!ctr)
        return;
    reap_watcher(ctr);
    if (ctr->c)
        lxc_container_put(ctr->c);
    free(ctr->name);
    free(ctr->lxcpath);
    free(ctr->log);
    free(ctr->oom_file);
    free(ctr->rootfs);
    free(ctr->cwd);
    free(ctr->path_env);
    drv_strv_free(ctr->argv);
    drv_strv_free(ctr->mount_targets);
    free(ctr);
}

/* A handle with everything but the lxc_container. */
static int ctr_new(struct engine_drv *drv, const struct engine_spec *spec, struct engine_ctr **ret,
                   struct engine_error *err)
{
    struct engine_ctr *ctr;

    if (!spec->id || strlen(spec->id) < 12 || strchr(spec->id, '/'))
        return engine_error_set(err, EINVAL, "Bad container id '%s'", spec->id ? spec->id : "");
    ctr = calloc(1, sizeof(*ctr));
    if (!ctr)
        return engine_error_errno(err, ENOMEM, "Container '%s'", spec->id);
    ctr->drv = drv;
    ctr->name = strdup(spec->id);
    ctr->lxcpath = lxcpath_for(drv, spec);
    ctr->argv = drv_strv_dup(spec->argv);
    if (spec->state_dir && asprintf(&ctr->log, "%s/lxc.log", spec->state_dir) < 0)
        ctr->log = NULL;
    if (spec->state_dir && asprintf(&ctr->oom_file, "%s/lxc-oom-kills", spec->state_dir) < 0)
        ctr->oom_file = NULL;
    ctr->rootfs = spec->rootfs ? strdup(spec->rootfs) : NULL;
    ctr->cwd = strdup(spec->cwd ? spec->cwd : "/");
    ctr->path_env = strdup(DEFAULT_PATH);
    for (char *const *e = spec->env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) {
            free(ctr->path_env);
            ctr->path_env = strdup(*e + 5);
        }
    ctr->mount_targets = calloc(spec->n_mounts + 1, sizeof(char *));
    for (size_t i = 0; ctr->mount_targets && i < spec->n_mounts; i++)
        if (spec->mounts[i].target && !(ctr->mount_targets[i] = strdup(spec->mounts[i].target)))
            break;
    if (!ctr->name || !ctr->lxcpath || !ctr->argv || !ctr->cwd || !ctr->path_env ||
        !ctr->mount_targets) {
        ctr_free(ctr);
        return engine_error_errno(err, ENOMEM, "Container '%s'", spec->id);
    }
    *ret = ctr;
    return 0;
}

static int set_item(struct engine_ctr *ctr, const char *key, const char *value,
                    struct engine_error *err)
{
    if (!ctr->c->set_config_item(ctr->c, key, value))
        return engine_error_set(err, EINVAL, "Set %s = %s for LXC container '%s'%s%s", key, value,
                                ctr->name, ctr->c->error_string ? ": " : "",
                                ctr->c->error_string ? ctr->c->error_string : "");
    return 0;
}

static int set_itemf(struct engine_ctr *ctr, struct engine_error *err, const char *key,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int set_itemf(struct engine_ctr *ctr, struct engine_error *err, const char *key,
                     const char *fmt, ...)
{
    char buf[PATH_MAX + 256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return engine_error_set(err, ENAMETOOLONG, "Value of %s too long for container '%s'", key,
                                ctr->name);
    return set_item(ctr, key, buf, err);
}

static int set_limits(struct engine_ctr *ctr, const struct engine_limits *l,
                      struct engine_error *err)
{
    int r = 0;

    if (ctr->drv->cgroup2) {
        if (l->memory_bytes > 0)
            r = set_itemf(ctr, err, "lxc.cgroup2.memory.max", "%" PRId64, l->memory_bytes);
        if (!r && l->memory_bytes > 0 && l->memory_swap_bytes > 0)
            r = set_itemf(ctr, err, "lxc.cgroup2.memory.swap.max", "%" PRId64,
                          l->memory_swap_bytes > l->memory_bytes
                              ? l->memory_swap_bytes - l->memory_bytes
                              : 0);
        if (!r && l->cpu_quota_us > 0)
            r = set_itemf(ctr, err, "lxc.cgroup2.cpu.max", "%" PRIu64 " %" PRIu64, l->cpu_quota_us,
                          l->cpu_period_us ? l->cpu_period_us : 100000);
        if (!r && l->cpu_shares > 0)
            r = set_itemf(ctr, err, "lxc.cgroup2.cpu.weight", "%" PRIu64,
                          1 + ((l->cpu_shares < 2 ? 0 : l->cpu_shares - 2) * 9999) / 262142);
        if (!r && l->pids_max > 0)
            r = set_itemf(ctr, err, "lxc.cgroup2.pids.max", "%" PRId64, l->pids_max);
        if (!r && l->cpuset_cpus)
            r = set_item(ctr, "lxc.cgroup2.cpuset.cpus", l->cpuset_cpus, err);
        return r;
    }
    if (l->memory_bytes > 0)
        r = set_itemf(ctr, err, "lxc.cgroup.memory.limit_in_bytes", "%" PRId64, l->memory_bytes);
    if (!r && l->memory_bytes > 0 && l->memory_swap_bytes > 0 &&
        access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
        r = set_itemf(ctr, err, "lxc.cgroup.memory.memsw.limit_in_bytes", "%" PRId64,
                      l->memory_swap_bytes);
    if (!r && l->cpu_quota_us > 0)
        r = set_itemf(ctr, err, "lxc.cgroup.cpu.cfs_period_us", "%" PRIu64,
                      l->cpu_period_us ? l->cpu_period_us : 100000);
    if (!r && l->cpu_quota_us > 0)
        r = set_itemf(ctr, err, "lxc.cgroup.cpu.cfs_quota_us", "%" PRIu64, l->cpu_quota_us);
    if (!r && l->cpu_shares > 0)
        r = set_itemf(ctr, err, "lxc.cgroup.cpu.shares", "%" PRIu64, l->cpu_shares);
    if (!r && l->pids_max > 0)
        r = set_itemf(ctr, err, "lxc.cgroup.pids.max", "%" PRId64, l->pids_max);
    if (!r && l->cpuset_cpus)
        r = set_item(ctr, "lxc.cgroup.cpuset.cpus", l->cpuset_cpus, err);
    return r;
}

/* fstab fields are space separated: escape what would split them. */
static void fstab_escape(const char *s, char *out, size_t len)
{
    size_t o = 0;

    for (; *s && o + 5 < len; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
            o += (size_t)snprintf(out + o, len - o, "\\%03o", (unsigned char)*s);
        else
            out[o++] = *s;
    }
    out[o] = '\0';
}

static int set_mounts(struct engine_ctr *ctr, const struct engine_spec *spec,
                      struct engine_error *err)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct engine_mount *m = &spec->mounts[i];
        char src[PATH_MAX], dst[PATH_MAX];
        const char *type = m->type ? m->type : "bind";
        bool bind = strcmp(type, "bind") == 0;
        bool is_dir = true;
        struct stat st;
        int r;

        if (!m->source || !m->target || m->target[0] != '/')
            return engine_error_set(err, EINVAL,
                                    "Mount %zu of container '%s' needs a source "
                                    "and an absolute target",
                                    i, ctr->name);
        if (bind && stat(m->source, &st) == 0)
            is_dir = S_ISDIR(st.st_mode);
        fstab_escape(m->source, src, sizeof(src));
        /* A relative target is relative to the container's root. */
        fstab_escape(m->target + 1, dst, sizeof(dst));
        r = set_itemf(ctr, err, "lxc.mount.entry", "%s %s %s %s%s%s%s,create=%s 0 0", src,
                      dst[0] ? dst : ".", bind ? "none" : type, bind ? "bind" : "defaults",
                      m->readonly ? ",ro" : "", m->options ? "," : "", m->options ? m->options : "",
                      is_dir ? "dir" : "file");
        if (r < 0)
            return r;
    }
    return 0;
}

static int set_user(struct engine_ctr *ctr, const char *user, struct engine_error *err)
{
    unsigned long uid, gid;
    char *end;
    int r;

    errno = 0;
    uid = strtoul(user, &end, 10);
    if (errno || end == user || (*end && *end != ':'))
        return engine_error_set(err, EINVAL, "User '%s' of container '%s' must be uid[:gid]", user,
                                ctr->name);
    gid = uid;
    if (*end == ':') {
        const char *g = end + 1;
        gid = strtoul(g, &end, 10);
        if (errno || end == g || *end)
            return engine_error_set(err, EINVAL,
                                    "User '%s' of container '%s' must be "
                                    "uid[:gid]",
                                    user, ctr->name);
    }
    r = set_itemf(ctr, err, "lxc.init.uid", "%lu", uid);
    return r < 0 ? r : set_itemf(ctr, err, "lxc.init.gid", "%lu", gid);
}

static int lxc_configure(struct engine_ctr *ctr, const struct engine_spec *spec,
                         struct engine_error *err)
{
    char host12[13];
    int r;

    snprintf(host12, sizeof(host12), "%s", spec->id);
    /* Start from nothing: the global default.conf adds a veth on lxcbr0. */
    ctr->c->clear_config(ctr->c);
    if ((r = set_itemf(ctr, err, "lxc.rootfs.path", "dir:%s", spec->rootfs)) < 0 ||
        (r = set_item(ctr, "lxc.uts.name", spec->hostname ? spec->hostname : host12, err)) < 0 ||
        (r = set_item(ctr, "lxc.mount.auto", "proc:mixed sys:ro cgroup:mixed", err)) < 0 ||
        (r = set_item(ctr, "lxc.autodev", "1", err)) < 0 ||
        (r = set_item(ctr, "lxc.net.0.type", spec->network_host ? "none" : "empty", err)) < 0 ||
        (r = set_item(ctr, "lxc.init.cwd", spec->cwd ? spec->cwd : "/", err)) < 0 ||
        (r = set_item(ctr, "lxc.console.path", "none", err)) < 0 ||
        (r = set_item(ctr, "lxc.tty.max", "0", err)) < 0 ||
        (r = set_item(ctr, "lxc.pty.max", "64", err)) < 0)
        return r;
    if (ctr->log && ((r = set_item(ctr, "lxc.log.file", ctr->log, err)) < 0 ||
                     (r = set_item(ctr, "lxc.log.level", "ERROR", err)) < 0))
        return r;
    if (!apparmor_enabled() && (r = set_item(ctr, "lxc.apparmor.profile", "unconfined", err)) < 0)
        return r;
    if (spec->readonly_rootfs && (r = set_item(ctr, "lxc.rootfs.options", "ro", err)) < 0)
        return r;
    for (char *const *e = spec->env; e && *e; e++)
        if ((r = set_item(ctr, "lxc.environment", *e, err)) < 0)
            return r;
    if (spec->user && (r = set_user(ctr, spec->user, err)) < 0)
        return r;
    if ((r = set_limits(ctr, &spec->limits, err)) < 0)
        return r;
    return set_mounts(ctr, spec, err);
}

static int lxc_create(struct engine_drv *drv, const struct engine_spec *spec,
                      struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr = NULL;
    char dir[PATH_MAX];
    int r;

    if (spec->userns)
        return engine_error_set(err, ENOTSUP,
                                "Container '%s': the lxc driver does not support "
                                "user namespaces yet",
                                spec->name);
    if (!spec->argv || !spec->argv[0])
        return engine_error_set(err, EINVAL, "Container '%s' has no command", spec->name);
    r = ctr_new(drv, spec, &ctr, err);
    if (r < 0)
        return r;
    r = drv_mkdir_p(ctr->lxcpath, 0700);
    if (r < 0) {
        engine_error_errno(err, r, "Create lxcpath %s", ctr->lxcpath);
        ctr_free(ctr);
        return r;
    }
    ctr->c = lxc_container_new(ctr->name, ctr->lxcpath);
    if (!ctr->c) {
        r = engine_error_set(err, EIO, "Create LXC container '%s' under %s: liblxc refused",
                             ctr->name, ctr->lxcpath);
        ctr_free(ctr);
        return r;
    }
    if (ctr->c->is_defined(ctr->c)) {
        r = engine_error_set(err, EEXIST, "LXC container '%s' already exists under %s", ctr->name,
                             ctr->lxcpath);
        ctr_free(ctr);
        return r;
    }
    r = lxc_configure(ctr, spec, err);
    if (r == 0 && spec->cwd && spec->rootfs && (r = drv_mkdir_beneath(spec->rootfs, spec->cwd)) < 0)
        engine_error_errno(err, r, "Create working directory %s in container '%s'", spec->cwd,
                           spec->name);
    if (r == 0 && !ctr->c->save_config(ctr->c, NULL))
        r = lxc_fail(ctr, err, EIO, "Save config of");
    if (r < 0) {
        snprintf(dir, sizeof(dir), "%s/%s", ctr->lxcpath, ctr->name);
        (void)drv_rm_rf(dir);
        ctr_free(ctr);
        return r;
    }
    *ret_ctr = ctr;
    return 0;
}

static int lxc_restore(struct engine_drv *drv, const struct engine_spec *spec,
                       struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr = NULL;
    int r;

    r = ctr_new(drv, spec, &ctr, err);
    if (r < 0)
        return r;
    ctr->c = lxc_container_new(ctr->name, ctr->lxcpath);
    if (!ctr->c || !ctr->c->is_defined(ctr->c)) {
        r = engine_error_set(err, ENOENT, "No LXC container '%s' under %s", ctr->name,
                             ctr->lxcpath);
        ctr_free(ctr);
        return r;
    }
    *ret_ctr = ctr;
    return 0;
}

static void lxc_release(struct engine_ctr *ctr)
{
    ctr_free(ctr);
}

/* A path inside a mount the container gets (-v): the host cannot judge it. */
static bool under_mount(const struct engine_ctr *ctr, const char *path)
{
    for (char **t = ctr->mount_targets; t && *t; t++) {
        size_t n = strlen(*t);
        while (n > 1 && (*t)[n - 1] == '/')
            n--;
        if (strncmp(path, *t, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1))
            return true;
    }
    return false;
}

/* 0: an executable file; -ENOENT, -EACCES; 1: cannot tell. Symlinks resolve
 * inside the rootfs (RESOLVE_IN_ROOT), never on the host. */
static int check_exec(const struct engine_ctr *ctr, int root, const char *path)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    struct stat st;
    int fd, r;

    if (under_mount(ctr, path))
        return 1;
    fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? -ENOENT : 1;
    r = fstat(fd, &st) < 0 ? 1 : 0;
    close(fd);
    if (r == 0 && (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)))
        r = -EACCES;
    return r;
}

/* Find argv[0] the way the container's exec will, so that a missing command
 * exits 127 and a non-executable one 126, as with docker (init.lxc would
 * exit 255 for both). */
static int preflight_command(const struct engine_ctr *ctr, const char *cmd)
{
    char path[PATH_MAX];
    int root, r = -ENOENT;

    if (!ctr->rootfs || !cmd || !cmd[0])
        return 1;
    root = open(ctr->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return 1;
    if (strchr(cmd, '/')) {
        if (cmd[0] == '/')
            snprintf(path, sizeof(path), "%s", cmd);
        else
            snprintf(path, sizeof(path), "%s/%s", ctr->cwd, cmd);
        r = check_exec(ctr, root, path);
    } else {
        char *dirs = strdup(ctr->path_env), *save = NULL;
        for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d;
             d = strtok_r(NULL, ":", &save)) {
            int q;
            snprintf(path, sizeof(path), "%s/%s", d[0] ? d : ".", cmd);
            q = check_exec(ctr, root, path);
            if (q >= 0) {
                r = q;
                break;
            }
            if (q == -EACCES)
                r = q;
        }
        if (!dirs)
            r = 1;
        free(dirs);
    }
    close(root);
    return r;
}

/* Collect the watcher: give it a moment to write the last count, then end it. */
static void reap_watcher(struct engine_ctr *ctr)
{
    pid_t w = ctr->watcher;

    ctr->watcher = 0;
    drv_reap_child(w, 40, 5);
}

/* The OOM watcher: LXC removes the container's cgroup as soon as it exits, so
 * the OOM kill count the monitor asks for after the exit must be kept while
 * the cgroup lives. Writes it to oom_file at every OOM event. */
static __attribute__((noreturn)) void oom_watcher(struct engine_ctr *ctr, pid_t start_pid)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
    char dir[PATH_MAX];
    pid_t init = 0;

    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    (void)prctl(PR_SET_NAME, "engine-lxc-oom");
    for (int i = 3; i < 1024; i++)
        (void)close(i);
    /* The container starts within the start child's lifetime, or never. */
    for (int i = 0; i < 6000 && init <= 0 && drv_pid_alive(start_pid); i++) {
        struct lxc_container *c = lxc_container_new(ctr->name, ctr->lxcpath);
        if (c && c->is_running(c))
            init = c->init_pid(c);
        if (c)
            lxc_container_put(c);
        if (init <= 0)
            nanosleep(&ts, NULL);
    }
    if (init <= 0 || !drv_memory_cgroup_dir(init, ctr->drv->cgroup2, dir, sizeof(dir)))
        _exit(0);
    drv_oom_watch(dir, ctr->drv->cgroup2, ctr->oom_file);
}

/* The start child: blocks in lxc's start() like lxc-execute, exits with the
 * command's exit code (a signal N as 128+N, the way init.lxc reports it). */
static __attribute__((noreturn)) void start_child(struct engine_ctr *ctr,
                                                  const struct engine_stdio *io, int exec_check)
{
    struct lxc_container *c = ctr->c;
    int st;

    if ((io->in != 0 && dup2(io->in, 0) < 0) || (io->out != 1 && dup2(io->out, 1) < 0) ||
        (io->err != 2 && dup2(io->err, 2) < 0))
        _exit(LXC_START_FAILED_EXIT);
    if (exec_check == -ENOENT || exec_check == -EACCES) {
        dprintf(2, "engine: exec: \"%s\": %s\n", ctr->argv[0],
                exec_check == -ENOENT ? "executable file not found in $PATH" : "permission denied");
        _exit(exec_check == -ENOENT ? 127 : 126);
    }
    c->want_daemonize(c, false);
    /* Only 0, 1 and 2 go into the container, none of the monitor's fds. */
    c->want_close_all_fds(c, true);
    if (!c->start(c, 1, ctr->argv)) {
        dprintf(2, "engine: Start LXC container '%s' failed: %s (LXC log: %s)\n", ctr->name,
                c->error_string ? c->error_string : "liblxc start() returned an error",
                ctr->log ? ctr->log : "none");
        _exit(LXC_START_FAILED_EXIT);
    }
    st = c->error_num;
    if (WIFEXITED(st))
        _exit(WEXITSTATUS(st));
    if (WIFSIGNALED(st))
        _exit(128 + WTERMSIG(st));
    /* After stop() liblxc reports init's SIGKILL as (sig << 8) | 0x7f. */
    if ((st & 0x7f) == 0x7f)
        _exit(128 + ((st >> 8) & 0x7f));
    _exit(LXC_START_FAILED_EXIT);
}

static int lxc_start(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                     struct engine_error *err)
{
    int exec_check;
    pid_t pid;

    if (ctr->c->is_running(ctr->c))
        return engine_error_set(err, EBUSY, "LXC container '%s' is already running", ctr->name);
    exec_check = preflight_command(ctr, ctr->argv[0]);
    if (ctr->oom_file)
        (void)unlink(ctr->oom_file);
    reap_watcher(ctr);
    pid = fork();
    if (pid < 0)
        return engine_error_errno(err, errno, "Start LXC container '%s': fork", ctr->name);
    if (pid == 0)
        start_child(ctr, io, exec_check);
    if (ctr->oom_file && exec_check >= 0) {
        /* A sibling of the start child, reaped by stats() after the exit. */
        ctr->watcher = fork();
        if (ctr->watcher == 0)
            oom_watcher(ctr, pid);
        if (ctr->watcher < 0)
            ctr->watcher = 0;
    }
    *ret_pid = pid;
    return 0;
}

static bool wait_stopped(struct lxc_container *c, unsigned timeout_ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};

    for (unsigned waited = 0; c->is_running(c); waited += 10) {
        if (waited >= timeout_ms)
            return false;
        nanosleep(&ts, NULL);
    }
    return true;
}

/* Signal the direct children of pid; -ESRCH when it has none. */
static int signal_children(pid_t pid, int sig)
{
    char path[64], buf[4096];
    ssize_t n;
    int fd, count = 0;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -ESRCH;
    buf[n] = '\0';
    for (char *p = buf, *end; *p; p = end) {
        long child = strtol(p, &end, 10);
        if (end == p)
            break;
        if (child > 0 && kill((pid_t)child, sig) == 0)
            count++;
    }
    return count > 0 ? count : -ESRCH;
}

static int lxc_stop(struct engine_ctr *ctr, int sig, unsigned timeout_ms, struct engine_error *err)
{
    struct lxc_container *c = ctr->c;
    pid_t pid;

    if (!c->is_running(c))
        return 0;
    if (sig == SIGKILL) {
        if (!c->stop(c) && c->is_running(c))
            return lxc_fail(ctr, err, EIO, "Stop");
        return 0;
    }
    /* The signal goes to the command (init.lxc's children), as with docker stop.
     * Not c->shutdown(): init.lxc's SIGPWR/SIGTERM path tries to write pids.max
     * through a read-only cgroup mount and prints an error into the container's
     * stderr, and the command would get SIGTERM whatever sig was asked for. */
    pid = c->init_pid(c);
    if (pid > 0 && signal_children(pid, sig) < 0 && kill(pid, sig) < 0 && errno != ESRCH)
        return engine_error_errno(err, errno, "Signal LXC container '%s'", ctr->name);
    if (wait_stopped(c, timeout_ms))
        return 0;
    if (!c->stop(c) && c->is_running(c))
        return lxc_fail(ctr, err, EIO, "Stop");
    return 0;
}

static int lxc_state(struct engine_ctr *ctr, struct engine_state *st, struct engine_error *err)
{
    const char *s = ctr->c->state(ctr->c);

    if (!s)
        s = "UNKNOWN";
    st->pid = 0;
    if (strcmp(s, "STOPPED") == 0)
        st->status = ENGINE_CTR_EXITED;
    else if (strcmp(s, "FROZEN") == 0 || strcmp(s, "FREEZING") == 0)
        st->status = ENGINE_CTR_PAUSED;
    else if (strcmp(s, "RUNNING") == 0 || strcmp(s, "THAWED") == 0 || strcmp(s, "STARTING") == 0 ||
             strcmp(s, "STOPPING") == 0)
        st->status = ENGINE_CTR_RUNNING;
    else
        st->status = ENGINE_CTR_UNKNOWN;
    if (st->status == ENGINE_CTR_RUNNING || st->status == ENGINE_CTR_PAUSED)
        st->pid = ctr->c->init_pid(ctr->c);
    if (st->pid < 0)
        st->pid = 0;
    snprintf(st->detail, sizeof(st->detail), "%s", s);
    return 0;
}

static bool cg_read_u64(struct lxc_container *c, const char *key, uint64_t *ret)
{
    char buf[64];
    char *end;
    unsigned long long v;

    if (c->get_cgroup_item(c, key, buf, sizeof(buf)) <= 0)
        return false;
    if (strncmp(buf, "max", 3) == 0)
        return false; /* no limit: not a number to report */
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (errno || end == buf)
        return false;
    *ret = v;
    return true;
}

/* "key value" lines of a flat-keyed file such as memory.events or cpu.stat. */
static bool cg_read_keyed(struct lxc_container *c, const char *file, const char *key, uint64_t *ret)
{
    char buf[4096];
    size_t klen = strlen(key);
    int n = c->get_cgroup_item(c, file, buf, sizeof(buf));

    if (n <= 0)
        return false;
    buf[(size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1] = '\0';
    for (char *line = buf; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            *ret = strtoull(line + klen + 1, NULL, 10);
            return true;
        }
    }
    return false;
}

static void stat_from(struct engine_stats *st, enum engine_stat_field f, bool ok, uint64_t v)
{
    if (ok)
        engine_stats_set(st, f, v, ENGINE_SRC_LXC);
}

static int lxc_stats(struct engine_ctr *ctr, struct engine_stats *st, struct engine_error *err)
{
    struct lxc_container *c = ctr->c;
    uint64_t v = 0;
    bool ok;

    if (!c->is_running(c)) {
        uint64_t kills;

        reap_watcher(ctr);
        /* After the exit only the watcher's OOM count is left (the cgroup is gone). */
        if (drv_read_counter_file(ctr->oom_file, &kills)) {
            engine_stats_set(st, ENGINE_STAT_OOM_KILLS, kills,
                             ctr->drv->cgroup2 ? ENGINE_SRC_CGROUP_V2 : ENGINE_SRC_CGROUP_V1);
            return 0;
        }
        return engine_error_set(err, ESRCH, "LXC container '%s' is not running", ctr->name);
    }
    if (ctr->drv->cgroup2) {
        ok = cg_read_keyed(c, "cpu.stat", "usage_usec", &v);
        stat_from(st, ENGINE_STAT_CPU_NS, ok, v * 1000);
        ok = cg_read_u64(c, "memory.current", &v);
        stat_from(st, ENGINE_STAT_MEM_CURRENT, ok, v);
        ok = cg_read_u64(c, "memory.peak", &v);
        stat_from(st, ENGINE_STAT_MEM_MAX, ok, v);
        ok = cg_read_u64(c, "memory.max", &v);
        stat_from(st, ENGINE_STAT_MEM_LIMIT, ok, v);
        ok = cg_read_keyed(c, "memory.events", "oom_kill", &v);
        stat_from(st, ENGINE_STAT_OOM_KILLS, ok, v);
    } else {
        ok = cg_read_u64(c, "cpuacct.usage", &v);
        stat_from(st, ENGINE_STAT_CPU_NS, ok, v);
        ok = cg_read_u64(c, "memory.usage_in_bytes", &v);
        stat_from(st, ENGINE_STAT_MEM_CURRENT, ok, v);
        ok = cg_read_u64(c, "memory.max_usage_in_bytes", &v);
        stat_from(st, ENGINE_STAT_MEM_MAX, ok, v);
        /* v1 reports "no limit" as a huge page-rounded number: not a limit. */
        ok = cg_read_u64(c, "memory.limit_in_bytes", &v) && v < (UINT64_C(1) << 62);
        stat_from(st, ENGINE_STAT_MEM_LIMIT, ok, v);
        ok = cg_read_keyed(c, "memory.oom_control", "oom_kill", &v);
        stat_from(st, ENGINE_STAT_OOM_KILLS, ok, v);
    }
    ok = cg_read_u64(c, "pids.current", &v);
    stat_from(st, ENGINE_STAT_PIDS_CURRENT, ok, v);
    ok = cg_read_u64(c, "pids.max", &v);
    stat_from(st, ENGINE_STAT_PIDS_LIMIT, ok, v);
    return 0;
}

static int lxc_pause(struct engine_ctr *ctr, struct engine_error *err)
{
    if (!ctr->c->freeze(ctr->c))
        return lxc_fail(ctr, err, EIO, "Freeze");
    return 0;
}

static int lxc_resume(struct engine_ctr *ctr, struct engine_error *err)
{
    if (!ctr->c->unfreeze(ctr->c))
        return lxc_fail(ctr, err, EIO, "Unfreeze");
    return 0;
}

static int lxc_destroy(struct engine_ctr *ctr, struct engine_error *err)
{
    char dir[PATH_MAX];
    int r = 0;

    if (ctr->c && ctr->c->is_running(ctr->c) && !ctr->c->stop(ctr->c) && ctr->c->is_running(ctr->c))
        r = lxc_fail(ctr, err, EIO, "Stop");
    /* Not c->destroy(): for a dir rootfs it deletes the rootfs contents, which
     * belong to the core. The container is its config dir, nothing more. */
    if (r == 0) {
        snprintf(dir, sizeof(dir), "%s/%s", ctr->lxcpath, ctr->name);
        r = drv_rm_rf(dir);
        if (r < 0)
            engine_error_errno(err, r, "Remove LXC container dir %s", dir);
    }
    ctr_free(ctr);
    return r;
}

static const struct engine_driver lxc_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = "lxc",
    .summary = "Linux containers through liblxc (lxc-execute style, init.lxc as pid 1)",
    .features = ENGINE_FEAT_PAUSE | ENGINE_FEAT_STATS_CPU | ENGINE_FEAT_STATS_MEMORY |
                ENGINE_FEAT_STATS_PIDS | ENGINE_FEAT_LIMIT_MEMORY | ENGINE_FEAT_LIMIT_CPU |
                ENGINE_FEAT_LIMIT_PIDS | ENGINE_FEAT_LIMIT_CPUSET | ENGINE_FEAT_NS_PID |
                ENGINE_FEAT_NS_MOUNT | ENGINE_FEAT_NS_NET | ENGINE_FEAT_NS_UTS |
                ENGINE_FEAT_NS_IPC | ENGINE_FEAT_NS_CGROUP | ENGINE_FEAT_READONLY_ROOTFS |
                ENGINE_FEAT_OOM_REPORT | ENGINE_FEAT_MOUNTS,
    .options = lxc_options,
    .init = lxc_init,
    .fini = lxc_fini,
    .probe = lxc_probe,
    .create = lxc_create,
    .start = lxc_start,
    .stats = lxc_stats,
    .destroy = lxc_destroy,
    .restore = lxc_restore,
    .release = lxc_release,
    .stop = lxc_stop,
    .state = lxc_state,
    .pause = lxc_pause,
    .resume = lxc_resume,
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void);
ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
    return &lxc_driver;
}
