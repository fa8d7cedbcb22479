/* core/container.c - the container lifecycle: create, start, stop, kill, rm,
 * pause, stats, inspect, list, logs, wait. One implementation, called by the
 * CLI in-process (api_local.c) and by the daemon's handlers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "engine.h"
#include "monitor.h"
#include "rootfs.h"
#include "util.h"

/* Docker's floor: below this the kernel may OOM-kill the container's first
 * process before it runs anything. */
#define MIN_MEMORY_BYTES (6LL * 1024 * 1024)

void engine_record_spec(const struct engine_ctx *ctx, const struct engine_record *r,
                        struct engine_spec *spec, char *buf_rootfs, char *buf_state,
                        char *buf_image, size_t buflen)
{
    const char *images = getenv("ENGINE_IMAGE_DIR");

    snprintf(buf_rootfs, buflen, "%s/containers/%s/rootfs", ctx->root, r->id);
    snprintf(buf_state, buflen, "%s/%s/driver", ctx->state_dir, r->id);
    if (images && *images)
        snprintf(buf_image, buflen, "%s/%s/rootfs", images, r->image);
    else
        snprintf(buf_image, buflen, "%s/images/%s/rootfs", ctx->root, r->image);
    *spec = (struct engine_spec){
        .struct_size = sizeof(*spec),
        .id = r->id,
        .name = r->name,
        .image = r->image,
        .image_dir = buf_image,
        .rootfs = buf_rootfs,
        .state_dir = buf_state,
        .argv = r->argv,
        .env = r->env,
        .cwd = r->cwd ? r->cwd : "/",
        .hostname = r->hostname,
        .user = r->user,
        .readonly_rootfs = r->readonly_rootfs,
        .network_host = r->network_host,
        .limits = r->limits,
        .mounts = r->mounts,
        .n_mounts = r->n_mounts,
        .opts = r->opts,
        .n_opts = r->n_opts,
    };
}

/* Re-open the driver's handle on rec's container. */
static int open_handle(struct engine_ctx *ctx, const struct engine_record *rec,
                       struct engine_module **ret_mod, struct engine_ctr **ret_ctr,
                       struct engine_error *err)
{
    struct engine_module *mod;
    struct engine_spec spec;
    char b1[4096], b2[4096], b3[4096];
    int q;

    q = engine_registry_get(&ctx->reg, rec->driver, &mod, err);
    if (q < 0)
        return engine_error_wrap(err, "Container '%s'", rec->name);
    engine_record_spec(ctx, rec, &spec, b1, b2, b3, sizeof(b1));
    q = mod->table.restore(mod->drv, &spec, ret_ctr, err);
    if (q < 0)
        return engine_error_wrap(err, "Container '%s' (driver %s)", rec->name, rec->driver);
    *ret_mod = mod;
    return 0;
}

/* A record whose creator died mid-create (CLI or daemon killed): finish the
 * job backwards, so nothing half-made is left or silently lost. Returns true
 * when the record is gone. */
static bool reap_half_created(struct engine_ctx *ctx, struct engine_record *rec)
{
    struct engine_error e = {0};
    int lock;

    if (rec->status != ENGINE_REC_CREATING || engine_monitor_alive(rec))
        return false;
    lock = engine_container_lock(ctx, rec->id);
    (void)engine_container_remove_record(ctx, rec, &e);
    if (lock >= 0)
        (void)close(lock);
    return true;
}

/* A running record whose monitor is gone: the container ended unobserved. */
static void refresh(struct engine_ctx *ctx, struct engine_record *rec)
{
    struct engine_error e = {0};

    if ((rec->status == ENGINE_CTR_RUNNING || rec->status == ENGINE_CTR_PAUSED) &&
        !engine_monitor_alive(rec)) {
        struct engine_record *fresh = NULL;

        /* The monitor may have written the exit just now. */
        if (engine_state_load(ctx, rec->id, &fresh, &e) == 0 &&
            fresh->status == ENGINE_CTR_EXITED) {
            rec->status = fresh->status;
            rec->exit_code = fresh->exit_code;
            rec->oom_killed = fresh->oom_killed;
            rec->oom_kills = fresh->oom_kills;
            rec->finished_ns = fresh->finished_ns;
        } else {
            rec->status = ENGINE_CTR_EXITED;
            rec->exit_code = -1;
            rec->finished_ns = realtime_ns();
            free(rec->error);
            rec->error = xstrdup("The monitor died before the container exited");
            (void)engine_state_save(ctx, rec, &e);
        }
        engine_record_free(fresh);
    }
}

static int lookup(struct engine_ctx *ctx, const char *ref, struct engine_record **ret,
                  struct engine_error *err)
{
    int q = engine_state_lookup(ctx, ref, ret, err);

    if (q == 0 && reap_half_created(ctx, *ret)) {
        engine_record_free(*ret);
        *ret = NULL;
        return engine_error_set(err, ENOENT,
                                "No such container: %s (its creation was "
                                "interrupted; what it had made is removed)",
                                ref);
    }
    if (q == 0)
        refresh(ctx, *ret);
    return q;
}

static int name_taken(struct engine_ctx *ctx, const char *name)
{
    struct engine_record **v = NULL;
    struct engine_error e = {0};
    size_t n = 0;
    int taken = 0;

    if (engine_state_list(ctx, &v, &n, &e) < 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i]->name && streq(v[i]->name, name))
            taken = 1;
    engine_records_free(v, n);
    return taken;
}

/* Whole-store lock: makes "is the name free?" and "claim it" one step. */
static int store_lock(struct engine_ctx *ctx)
{
    _cleanup_free_ char *path = xasprintf("%s/.lock", ctx->state_dir);
    int fd;

    (void)mkdir_p(ctx->state_dir, 0700);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            break;
    return fd;
}

static void record_set_opts(struct engine_record *r, char *const *exec_opts, const char *driver)
{
    for (size_t i = 0; exec_opts && exec_opts[i]; i++) {
        const char *kv = exec_opts[i], *dot = strchr(kv, '.'), *eq = strchr(kv, '=');

        if (!eq)
            continue;
        if (dot && dot < eq) {
            if ((size_t)(dot - kv) != strlen(driver) || strncmp(kv, driver, strlen(driver)))
                continue; /* another driver's option: not for this container */
            kv = dot + 1;
        }
        eq = strchr(kv, '=');
        r->opts = realloc(r->opts, (r->n_opts + 1) * sizeof(*r->opts));
        if (!r->opts)
            abort();
        r->opts[r->n_opts].key = strndup(kv, (size_t)(eq - kv));
        r->opts[r->n_opts].value = xstrdup(eq + 1);
        r->n_opts++;
    }
}

static struct engine_record *record_new(struct engine_ctx *ctx, const struct engine_create_req *req,
                                        const char *driver, const char *name, const char *id)
{
    struct engine_record *r = xcalloc(1, sizeof(*r));
    static char *const default_cmd[] = {"sh", NULL};

    memcpy(r->id, id, 65);
    r->name = xstrdup(name);
    r->driver = xstrdup(driver);
    r->image = xstrdup(req->image);
    r->argv = strv_copy(req->argv && req->argv[0] ? req->argv : default_cmd);
    r->env = strv_copy(req->env);
    r->cwd = xstrdup(req->cwd);
    r->hostname = req->hostname ? xstrdup(req->hostname) : strndup(id, 12);
    r->user = xstrdup(req->user);
    r->readonly_rootfs = req->readonly_rootfs;
    r->auto_remove = req->auto_remove;
    r->network_host = req->network_host;
    r->limits = req->limits;
    if (!r->limits.memory_bytes)
        r->limits.memory_bytes = ctx->cfg.defaults.memory_bytes;
    if (!r->limits.cpu_quota_us) {
        r->limits.cpu_quota_us = ctx->cfg.defaults.cpu_quota_us;
        r->limits.cpu_period_us = ctx->cfg.defaults.cpu_period_us;
    }
    if (!r->limits.pids_max)
        r->limits.pids_max = ctx->cfg.defaults.pids_max;
    r->cpuset_cpus =
        xstrdup(req->limits.cpuset_cpus ? req->limits.cpuset_cpus : ctx->cfg.defaults.cpuset_cpus);
    r->limits.cpuset_cpus = r->cpuset_cpus;
    if (req->n_mounts) {
        r->mounts = xcalloc(req->n_mounts, sizeof(*r->mounts));
        for (size_t i = 0; i < req->n_mounts; i++) {
            r->mounts[i].source = xstrdup(req->mounts[i].source);
            r->mounts[i].target = xstrdup(req->mounts[i].target);
            r->mounts[i].type = xstrdup(req->mounts[i].type ? req->mounts[i].type : "bind");
            r->mounts[i].options = xstrdup(req->mounts[i].options);
            r->mounts[i].readonly = req->mounts[i].readonly;
        }
        r->n_mounts = req->n_mounts;
    }
    record_set_opts(r, req->exec_opts, driver);
    r->status = ENGINE_REC_CREATING;
    /* While creating, the "monitor" is the creating process: if it dies
     * before the end, the record is known to be half-made. */
    r->monitor_pid = getpid();
    r->monitor_start = engine_proc_starttime(r->monitor_pid);
    r->created_ns = realtime_ns();
    return r;
}

static int validate_req(const struct engine_create_req *req, struct engine_error *err)
{
    if (req->name && engine_name_validate(req->name, err) < 0)
        return -EINVAL;
    if (!req->image || !*req->image)
        return engine_error_set(err, EINVAL, "No image given");
    if (req->limits.memory_bytes && req->limits.memory_bytes < MIN_MEMORY_BYTES)
        return engine_error_set(err, EINVAL,
                                "Memory limit %lld bytes is too low: the minimum is 6MiB",
                                (long long)req->limits.memory_bytes);
    if (req->limits.pids_max < 0)
        return engine_error_set(err, EINVAL, "Invalid pids limit %lld",
                                (long long)req->limits.pids_max);
    for (size_t i = 0; i < req->n_mounts; i++) {
        const struct engine_mount *m = &req->mounts[i];
        if (!m->target || m->target[0] != '/' || strstr(m->target, ".."))
            return engine_error_set(err, EINVAL,
                                    "Invalid mount target '%s': it must be an "
                                    "absolute path without '..'",
                                    m->target ? m->target : "");
        if (m->source && (!m->type || streq(m->type, "bind")) && !path_exists(m->source))
            return engine_error_set(err, ENOENT, "Mount source '%s' does not exist", m->source);
    }
    return 0;
}

/* Remove whatever a failed create made. */
static void create_undo(struct engine_ctx *ctx, const char *id)
{
    struct engine_error e = {0};
    _cleanup_free_ char *dir = xasprintf("%s/%s", ctx->state_dir, id);

    (void)engine_rootfs_remove(ctx, id, &e);
    (void)rm_rf(dir);
}

int engine_container_create(struct engine_ctx *ctx, const struct engine_create_req *req,
                            char ret_id[65], struct engine_error *err)
{
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    struct engine_spec spec;
    struct engine_record *rec = NULL;
    _cleanup_free_ char *image_dir = NULL, *gen_name = NULL;
    char id[65], b1[4096], b2[4096], b3[4096];
    const char *driver = engine_config_pick_driver(&ctx->cfg, req->driver, ctx->daemon_driver);
    const char *name = req->name;
    int q, lock;

    q = validate_req(req, err);
    if (q < 0)
        return q;
    q = engine_registry_get(&ctx->reg, driver, &mod, err);
    if (q < 0)
        return q;
    engine_id_generate(id);
    if (!name)
        name = gen_name = strndup(id, 12);
    rec = record_new(ctx, req, driver, name, id);
    q = engine_module_check_opts(mod, rec->opts, rec->n_opts, err);
    if (q < 0)
        goto out;
    q = engine_image_dir(ctx, req->image, &image_dir, err);
    if (q < 0)
        goto out;

    lock = store_lock(ctx);
    if (name_taken(ctx, name)) {
        if (lock >= 0)
            (void)close(lock);
        q = engine_error_set(err, EEXIST, "The container name '%s' is already in use", name);
        goto out;
    }
    q = engine_state_save(ctx, rec, err); /* claims the name */
    if (lock >= 0)
        (void)close(lock);
    if (q < 0)
        goto out;

    q = engine_rootfs_mount(ctx, id, image_dir, err);
    if (q == 0) {
        engine_record_spec(ctx, rec, &spec, b1, b2, b3, sizeof(b1));
        q = mkdir_p(spec.state_dir, 0700);
        if (q < 0)
            engine_error_errno(err, q, "Create %s", spec.state_dir);
        else
            q = mod->table.create(mod->drv, &spec, &ctr, err);
    }
    if (q < 0) {
        engine_error_wrap(err, "Create container '%s' (driver %s)", name, driver);
        create_undo(ctx, id);
        goto out;
    }
    mod->table.release(ctr);
    rec->status = ENGINE_CTR_CREATED;
    rec->monitor_pid = 0;
    rec->monitor_start = 0;
    q = engine_state_save(ctx, rec, err);
    if (q < 0) {
        struct engine_error e = {0};
        (void)engine_container_remove_record(ctx, rec, &e);
        goto out;
    }
    memcpy(ret_id, id, 65);
out:
    engine_record_free(rec);
    return q;
}

int engine_container_start(struct engine_ctx *ctx, const char *ref,
                           const struct engine_attach *attach, struct engine_error *err)
{
    struct engine_record *rec = NULL;
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    int q, lock = -1;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    if (rec->status == ENGINE_CTR_RUNNING || rec->status == ENGINE_CTR_PAUSED) {
        q = engine_error_set(err, EBUSY, "Container '%s' is already running", rec->name);
        goto out;
    }
    if (rec->status == ENGINE_REC_CREATING) {
        q = engine_error_set(err, EBUSY, "Container '%s' is still being created", rec->name);
        goto out;
    }
    /* No lock across the fork: a forked monitor would share the lock's open
     * file and then deadlock on its own flock when it records the start. */
    q = open_handle(ctx, rec, &mod, &ctr, err);
    if (q < 0)
        goto out;
    q = engine_monitor_spawn(ctx, rec, mod, ctr, attach, err);
    mod->table.release(ctr);
    if (q < 0) {
        struct engine_error e = {0};
        struct engine_record *fresh = NULL;

        engine_error_wrap(err, "Start container '%s'", rec->name);
        if (engine_state_load(ctx, rec->id, &fresh, &e) == 0) {
            free(fresh->error);
            fresh->error = xstrdup(err->msg);
            (void)engine_state_save(ctx, fresh, &e);
            engine_record_free(fresh);
        }
    }
out:
    if (lock >= 0)
        (void)close(lock);
    engine_record_free(rec);
    return q;
}

/* Poll the record until the monitor wrote "exited" or died. */
static int wait_exited(struct engine_ctx *ctx, const char *id, unsigned timeout_ms,
                       struct engine_record **ret)
{
    uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
    struct engine_error e = {0};

    for (unsigned i = 0;; i++) {
        struct engine_record *r = NULL;

        if (engine_state_load(ctx, id, &r, &e) < 0)
            return -ENOENT; /* removed (--rm) */
        refresh(ctx, r);
        if (r->status != ENGINE_CTR_RUNNING && r->status != ENGINE_CTR_PAUSED) {
            if (ret)
                *ret = r;
            else
                engine_record_free(r);
            return 0;
        }
        engine_record_free(r);
        if (timeout_ms != UINT32_MAX && now_ns() >= deadline)
            return -ETIMEDOUT;
        usleep(i < 100 ? 2000 : 20000);
    }
}

/* The core's default for drivers without stop(): signal the main process. */
static int signal_container(const struct engine_record *rec, int sig, struct engine_error *err)
{
    if (rec->pid > 0 && kill(rec->pid, sig) < 0 && errno != ESRCH)
        return engine_error_errno(err, errno, "Signal container '%s'", rec->name);
    return 0;
}

int engine_container_stop(struct engine_ctx *ctx, const char *ref, unsigned timeout_s,
                          struct engine_error *err)
{
    struct engine_record *rec = NULL;
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    int q;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    if (rec->status != ENGINE_CTR_RUNNING && rec->status != ENGINE_CTR_PAUSED)
        goto out; /* already stopped: not an error, like docker stop */
    q = open_handle(ctx, rec, &mod, &ctr, err);
    if (q < 0)
        goto out;
    /* A frozen task cannot act on SIGTERM, nor die of SIGKILL on cgroup v1. */
    if (rec->status == ENGINE_CTR_PAUSED && mod->table.resume)
        (void)mod->table.resume(ctr, err);
    if (mod->table.stop) {
        q = mod->table.stop(ctr, SIGTERM, timeout_s * 1000, err);
    } else {
        q = signal_container(rec, SIGTERM, err);
        if (q == 0 && wait_exited(ctx, rec->id, timeout_s * 1000, NULL) == -ETIMEDOUT)
            q = signal_container(rec, SIGKILL, err);
    }
    mod->table.release(ctr);
    if (q < 0) {
        engine_error_wrap(err, "Stop container '%s'", rec->name);
        goto out;
    }
    if (wait_exited(ctx, rec->id, 10000, NULL) == -ETIMEDOUT)
        q = engine_error_set(err, ETIMEDOUT, "Container '%s' did not exit after SIGKILL",
                             rec->name);
out:
    engine_record_free(rec);
    return q;
}

int engine_container_kill(struct engine_ctx *ctx, const char *ref, int sig,
                          struct engine_error *err)
{
    struct engine_record *rec = NULL;
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    int q;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    if (rec->status != ENGINE_CTR_RUNNING && rec->status != ENGINE_CTR_PAUSED) {
        q = engine_error_set(err, EINVAL, "Container '%s' is not running", rec->name);
        goto out;
    }
    q = open_handle(ctx, rec, &mod, &ctr, err);
    if (q < 0)
        goto out;
    if (sig == SIGKILL && rec->status == ENGINE_CTR_PAUSED && mod->table.resume)
        (void)mod->table.resume(ctr, err);
    if (sig == SIGKILL && mod->table.stop)
        q = mod->table.stop(ctr, SIGKILL, 0, err);
    else
        q = signal_container(rec, sig, err);
    mod->table.release(ctr);
    if (q == 0 && sig == SIGKILL)
        (void)wait_exited(ctx, rec->id, 10000, NULL);
out:
    engine_record_free(rec);
    return q;
}

int engine_container_remove_record(struct engine_ctx *ctx, struct engine_record *rec,
                                   struct engine_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s", ctx->state_dir, rec->id);
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    struct engine_error derr = {0};
    int q, dq = 0;

    /* The driver's part first; without a driver (gone, or declined now) the
     * core's own part is still removed, and the error reported. */
    if (open_handle(ctx, rec, &mod, &ctr, &derr) == 0)
        dq = mod->table.destroy(ctr, &derr);
    else if (rec->status == ENGINE_REC_CREATING)
        engine_error_clear(&derr); /* died before the driver made anything */
    else
        dq = -(derr.code ? derr.code : EIO);
    q = engine_rootfs_remove(ctx, rec->id, err);
    if (q < 0)
        return engine_error_wrap(err, "Remove container '%s'", rec->name);
    q = rm_rf(dir);
    if (q < 0)
        return engine_error_errno(err, q, "Remove container '%s': %s", rec->name, dir);
    if (dq < 0) {
        *err = derr;
        return engine_error_wrap(err, "Remove container '%s' (driver %s)", rec->name, rec->driver);
    }
    return 0;
}

int engine_container_remove(struct engine_ctx *ctx, const char *ref, bool force,
                            struct engine_error *err)
{
    struct engine_record *rec = NULL;
    int q;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    if (rec->status == ENGINE_CTR_RUNNING || rec->status == ENGINE_CTR_PAUSED) {
        if (!force) {
            q = engine_error_set(err, EBUSY,
                                 "Cannot remove running container '%s': stop it first or use "
                                 "rm -f",
                                 rec->name);
            goto out;
        }
        q = engine_container_kill(ctx, rec->id, SIGKILL, err);
        if (q < 0)
            goto out;
        (void)wait_exited(ctx, rec->id, 10000, NULL);
    }
    q = engine_container_remove_record(ctx, rec, err);
out:
    engine_record_free(rec);
    return q;
}

int engine_container_pause(struct engine_ctx *ctx, const char *ref, bool pause,
                           struct engine_error *err)
{
    struct engine_record *rec = NULL;
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    int q, lock;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    if (rec->status != (pause ? ENGINE_CTR_RUNNING : ENGINE_CTR_PAUSED)) {
        q = engine_error_set(err, EINVAL, "Container '%s' is %s, not %s", rec->name,
                             engine_status_name(rec->status), pause ? "running" : "paused");
        goto out;
    }
    q = open_handle(ctx, rec, &mod, &ctr, err);
    if (q < 0)
        goto out;
    if (!(pause ? mod->table.pause : mod->table.resume)) {
        mod->table.release(ctr);
        q = engine_error_set(err, ENOTSUP, "Driver '%s' cannot pause containers", rec->driver);
        goto out;
    }
    q = pause ? mod->table.pause(ctr, err) : mod->table.resume(ctr, err);
    mod->table.release(ctr);
    if (q < 0) {
        engine_error_wrap(err, "%s container '%s'", pause ? "Pause" : "Resume", rec->name);
        goto out;
    }
    lock = engine_container_lock(ctx, rec->id);
    {
        struct engine_record *fresh = NULL;
        if (engine_state_load(ctx, rec->id, &fresh, err) == 0) {
            if (fresh->status == ENGINE_CTR_RUNNING || fresh->status == ENGINE_CTR_PAUSED) {
                fresh->status = pause ? ENGINE_CTR_PAUSED : ENGINE_CTR_RUNNING;
                q = engine_state_save(ctx, fresh, err);
            }
            engine_record_free(fresh);
        }
    }
    if (lock >= 0)
        (void)close(lock);
out:
    engine_record_free(rec);
    return q;
}

int engine_container_stats(struct engine_ctx *ctx, const char *ref, struct engine_stats *st,
                           struct engine_error *err)
{
    struct engine_record *rec = NULL;
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    int q;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    q = open_handle(ctx, rec, &mod, &ctr, err);
    if (q < 0)
        goto out;
    memset(st, 0, sizeof(*st));
    st->struct_size = sizeof(*st);
    st->n_fields = ENGINE_STAT__COUNT;
    q = mod->table.stats(ctr, st, err);
    mod->table.release(ctr);
    if (q < 0)
        engine_error_wrap(err, "Stats of container '%s'", rec->name);
    else if (st->field[ENGINE_STAT_OOM_KILLS].source == ENGINE_SRC_NONE && rec->oom_kills)
        engine_stats_set(st, ENGINE_STAT_OOM_KILLS, rec->oom_kills, ENGINE_SRC_MONITOR);
out:
    engine_record_free(rec);
    return q;
}

int engine_container_inspect(struct engine_ctx *ctx, const char *ref, struct engine_record **ret,
                             struct engine_error *err)
{
    return lookup(ctx, ref, ret, err);
}

int engine_container_list(struct engine_ctx *ctx, struct engine_record ***ret, size_t *ret_n,
                          struct engine_error *err)
{
    int q = engine_state_list(ctx, ret, ret_n, err);
    size_t n = 0;

    if (q < 0)
        return q;
    for (size_t i = 0; i < *ret_n; i++) {
        struct engine_record *r = (*ret)[i];
        if (reap_half_created(ctx, r)) {
            engine_record_free(r);
            continue;
        }
        refresh(ctx, r);
        (*ret)[n++] = r;
    }
    *ret_n = n;
    return 0;
}

int engine_container_wait(struct engine_ctx *ctx, const char *ref, int *ret_exit_code,
                          struct engine_error *err)
{
    struct engine_record *rec = NULL, *done = NULL;
    int q;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    if (rec->status == ENGINE_CTR_CREATED) {
        q = engine_error_set(err, EINVAL, "Container '%s' has not been started", rec->name);
        goto out;
    }
    q = wait_exited(ctx, rec->id, UINT32_MAX, &done);
    if (q < 0) {
        q = engine_error_set(err, ENOENT, "Container '%s' was removed", rec->name);
        goto out;
    }
    *ret_exit_code = done->exit_code;
    engine_record_free(done);
out:
    engine_record_free(rec);
    return q;
}

int engine_container_exec(struct engine_ctx *ctx, const char *ref, char *const argv[],
                          const struct engine_stdio *io, int *ret_exit_code,
                          struct engine_error *err)
{
    struct engine_record *rec = NULL;
    struct engine_module *mod;
    struct engine_ctr *ctr = NULL;
    pid_t pid = 0;
    int q, status;

    q = lookup(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    if (rec->status != ENGINE_CTR_RUNNING) {
        q = engine_error_set(err, EINVAL, "Container '%s' is %s, not running", rec->name,
                             engine_status_name(rec->status));
        goto out;
    }
    q = open_handle(ctx, rec, &mod, &ctr, err);
    if (q < 0)
        goto out;
    if (!mod->table.exec) {
        mod->table.release(ctr);
        q = engine_error_set(err, ENOTSUP, "Driver '%s' cannot exec in a running container",
                             rec->driver);
        goto out;
    }
    q = mod->table.exec(ctr, argv, io, &pid, err);
    mod->table.release(ctr);
    if (q < 0) {
        engine_error_wrap(err, "Exec in container '%s'", rec->name);
        goto out;
    }
    /* The driver hands back our own child (CLONE_PARENT from its helper). */
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            q = engine_error_errno(err, errno, "Exec in container '%s': wait", rec->name);
            goto out;
        }
    *ret_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
    engine_record_free(rec);
    return q;
}
