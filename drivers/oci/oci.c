/* drivers/oci/oci.c - the OCI runtime driver: runs a container through an OCI
 * runtime binary (runc by default, crun, or any path) from a bundle it writes.
 *
 * Options ([driver.oci] or --exec-opt oci.KEY=VALUE, the latter per container):
 *   runtime = runc | crun | /path/to/runtime
 *   root    = the runtime's --root state dir (default <state_dir>/oci-<runtime>)
 *
 * create() writes <spec->state_dir>/bundle/config.json (ociconfig.c) and
 * oci.json (which runtime and root this container uses, for later calls from
 * other processes). start() runs in engine's monitor, a child subreaper:
 * `<runtime> create` with the monitor's stdio passed through (no terminal), so
 * the container's init inherits the io fds and, once the runtime exits, is
 * reparented to the monitor; then `<runtime> start`. The container's pid comes
 * from the runtime's --pid-file. Stats come from the cgroup the runtime made at
 * linux.cgroupsPath = /engine/<id>, read through host->cgroup_*.
 *
 * crun refuses a hybrid cgroup host (v1 controllers plus a cgroup2 mount at
 * /sys/fs/cgroup/unified). On such a host every crun invocation runs in a
 * private mount namespace where that mount is detached: crun then sees plain
 * v1. Its --root state and the pid file live on ordinary directories, so
 * later calls (from other namespaces) still see them. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <engine/driver.h>

#include "../common/driver-util.h"
#include "ociconfig.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define STATE_FILE "oci.json"
#define BUNDLE_DIR "bundle"
#define UNIFIED_MOUNT "/sys/fs/cgroup/unified"

struct engine_drv {
    const struct engine_host *host;
    char *runtime; /* as configured: a name on PATH or a path */
    char *root;    /* configured --root, NULL = default */
};

struct engine_ctr {
    struct engine_drv *drv;
    char *id;
    char *state_dir;
    char *bundle;
    char *runtime; /* resolved path */
    char *root;    /* resolved --root */
    bool hide_unified;
};

/* --- small local helpers (shared ones: drivers/common/driver-util.h) ---- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');

    return s ? s + 1 : p;
}

/* v1 controllers on a tmpfs plus a cgroup2 mount at /sys/fs/cgroup/unified. */
static bool cgroup_hybrid(void)
{
    struct statfs a, b;

    return statfs("/sys/fs/cgroup", &a) == 0 && (long)a.f_type == TMPFS_MAGIC &&
           statfs(UNIFIED_MOUNT, &b) == 0 && (long)b.f_type == CGROUP2_SUPER_MAGIC;
}

/* --- driver instance ------------------------------------------------------ */

static const char *const oci_options[] = {"runtime", "root", NULL};

static int oci_init(const struct engine_host *host, const struct engine_opts *opts,
                    struct engine_drv **ret_drv, struct engine_error *err)
{
    struct engine_drv *drv = calloc(1, sizeof(*drv));
    const char *rt, *root;

    if (!drv)
        return engine_error_errno(err, ENOMEM, "oci driver");
    rt = drv_opt_get(opts ? opts->v : NULL, opts ? opts->n : 0, "oci", "runtime", "runc");
    root = drv_opt_get(opts ? opts->v : NULL, opts ? opts->n : 0, "oci", "root", NULL);
    drv->host = host;
    drv->runtime = strdup(rt && *rt ? rt : "runc");
    drv->root = root && *root ? strdup(root) : NULL;
    if (!drv->runtime) {
        free(drv);
        return engine_error_errno(err, ENOMEM, "oci driver");
    }
    *ret_drv = drv;
    return 0;
}

static void oci_fini(struct engine_drv *drv)
{
    if (!drv)
        return;
    free(drv->runtime);
    free(drv->root);
    free(drv);
}

static int oci_probe(struct engine_drv *drv, struct engine_error *err)
{
    char *p = drv_find_in_path(drv->runtime);

    if (!p) {
        engine_error_set(err, ENOENT, "OCI runtime '%s' not found%s", drv->runtime,
                         strchr(drv->runtime, '/') ? "" : " on PATH");
        return ENGINE_DECLINED;
    }
    free(p);
    return 0;
}

/* --- the container handle and its saved state ------------------------------ */

static void ctr_free(struct engine_ctr *ctr)
{
    if (!ctr)
        return;
    free(ctr->id);
    free(ctr->state_dir);
    free(ctr->bundle);
    free(ctr->runtime);
    free(ctr->root);
    free(ctr);
}

static struct engine_ctr *ctr_new(struct engine_drv *drv, const struct engine_spec *spec)
{
    struct engine_ctr *ctr = calloc(1, sizeof(*ctr));

    if (!ctr)
        return NULL;
    ctr->drv = drv;
    ctr->id = strdup(spec->id);
    ctr->state_dir = strdup(spec->state_dir);
    ctr->bundle = drv_path_join(spec->state_dir, BUNDLE_DIR);
    if (!ctr->id || !ctr->state_dir || !ctr->bundle) {
        ctr_free(ctr);
        return NULL;
    }
    return ctr;
}

static int ctr_save(const struct engine_ctr *ctr, struct engine_error *err)
{
    struct json_object *o = json_object_new_object();
    char *path = drv_path_join(ctr->state_dir, STATE_FILE);
    const char *text;
    size_t len = 0;
    int r;

    json_object_object_add(o, "runtime", json_object_new_string(ctr->runtime));
    json_object_object_add(o, "root", json_object_new_string(ctr->root));
    json_object_object_add(o, "hide_unified", json_object_new_boolean(ctr->hide_unified));
    text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
    r = path && text ? drv_write_file_atomic(path, text, len) : -ENOMEM;
    if (r < 0)
        engine_error_errno(err, r, "Cannot write %s/%s", ctr->state_dir, STATE_FILE);
    json_object_put(o);
    free(path);
    return r;
}

static int ctr_load(struct engine_ctr *ctr, struct engine_error *err)
{
    char *path = drv_path_join(ctr->state_dir, STATE_FILE), *text = NULL;
    struct json_object *o, *v;
    int r;

    if (!path)
        return engine_error_errno(err, ENOMEM, "oci state");
    r = drv_read_file(path, &text, NULL);
    if (r < 0) {
        engine_error_errno(err, r, "Cannot read %s", path);
        free(path);
        return r;
    }
    o = json_tokener_parse(text);
    free(text);
    if (!o || !json_object_object_get_ex(o, "runtime", &v) ||
        !(ctr->runtime = strdup(json_object_get_string(v))) ||
        !json_object_object_get_ex(o, "root", &v) ||
        !(ctr->root = strdup(json_object_get_string(v)))) {
        json_object_put(o);
        r = engine_error_set(err, EINVAL, "Bad %s", path);
        free(path);
        return r;
    }
    if (json_object_object_get_ex(o, "hide_unified", &v))
        ctr->hide_unified = json_object_get_boolean(v);
    json_object_put(o);
    free(path);
    return 0;
}

/* --- running the runtime --------------------------------------------------- */

/* crun on a hybrid host: detach the cgroup2 mount in a namespace of our own. */
static void hide_unified_mount(int report_fd)
{
    if (unshare(CLONE_NEWNS) < 0)
        drv_child_fail(report_fd, errno, "unshare(CLONE_NEWNS) to hide " UNIFIED_MOUNT);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        drv_child_fail(report_fd, errno, "make / private to hide " UNIFIED_MOUNT);
    if (umount2(UNIFIED_MOUNT, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        drv_child_fail(report_fd, errno, "umount " UNIFIED_MOUNT);
}

struct child_args {
    const struct engine_ctr *ctr;
    char **argv;
    const int *fds; /* [3] */
};

static void child_exec(void *arg, int report_fd)
{
    const struct child_args *a = arg;
    const int *fds = a->fds;
    int devnull = -1;

    for (int i = 0; i < 3; i++) {
        int fd = fds[i];

        if (fd < 0) {
            if (devnull < 0)
                devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
            fd = devnull;
        }
        if (fd == i) {
            (void)fcntl(i, F_SETFD, 0);
            continue;
        }
        if (dup2(fd, i) < 0)
            drv_child_fail(report_fd, errno, "dup2 of stdio");
    }
    drv_child_reset_signals();
    if (a->ctr->hide_unified)
        hide_unified_mount(report_fd);
    execv(a->argv[0], a->argv);
    drv_child_fail(report_fd, errno, "exec the OCI runtime");
}

/* Fork and exec `<runtime> --root R --log L <args...>`. stdio: fds (-1 =
 * /dev/null). Returns the pid; the caller waits. */
static int runtime_spawn(const struct engine_ctr *ctr, const char *const *args, const int fds[3],
                         pid_t *ret_pid, struct engine_error *err)
{
    char *argv[32], *log = drv_path_join(ctr->bundle, "runtime.log");
    size_t n = 0;
    int r;

    if (!log)
        return engine_error_errno(err, ENOMEM, "oci driver");
    argv[n++] = ctr->runtime;
    argv[n++] = "--root";
    argv[n++] = ctr->root;
    argv[n++] = "--log";
    argv[n++] = log;
    for (size_t i = 0; args[i] && n < sizeof(argv) / sizeof(argv[0]) - 1; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    r = drv_spawn(child_exec, &(struct child_args){.ctr = ctr, .argv = argv, .fds = fds}, ret_pid,
                  err);
    free(log);
    return r;
}

/* The runtime's last words: the last non-empty line it logged or printed,
 * reduced to the message when it is logrus text (runc: time=... msg="..."). */
static void last_line(const char *text, char *buf, size_t len)
{
    const char *end = text + strlen(text), *start, *msg;

    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    start = end;
    while (start > text && start[-1] != '\n')
        start--;
    msg = strstr(start, "msg=\"");
    if (msg && msg < end && end[-1] == '"' && end - 1 > msg + 5) {
        start = msg + 5;
        end--;
    }
    snprintf(buf, len, "%.*s", (int)(end - start), start);
}

/* Run the runtime to completion. With ret_out, its stdout is captured; its
 * stderr is always captured for the error message. io gives the stdio
 * instead (create in start(): the container inherits it). */
static int runtime_run(const struct engine_ctr *ctr, const char *const *args,
                       const struct engine_stdio *io, char **ret_out, struct engine_error *err)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, fds[3] = {-1, -1, -1};
    char *outtext = NULL, *errtext = NULL, line[512], *log;
    pid_t pid;
    int r, status;

    if (io) {
        fds[0] = io->in;
        fds[1] = io->out;
        fds[2] = io->err;
    } else {
        if ((ret_out && pipe2(out, O_CLOEXEC) < 0) || pipe2(errp, O_CLOEXEC) < 0) {
            r = -errno;
            goto pipes_fail;
        }
        fds[1] = out[1];
        fds[2] = errp[1];
    }
    r = runtime_spawn(ctr, args, fds, &pid, err);
    if (out[1] >= 0)
        close(out[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    if (r < 0) {
        if (out[0] >= 0)
            close(out[0]);
        if (errp[0] >= 0)
            close(errp[0]);
        return r;
    }
    /* Small outputs (state JSON, an error line): read stdout then stderr. */
    if (out[0] >= 0) {
        (void)drv_read_fd(out[0], &outtext, NULL);
        close(out[0]);
    }
    if (errp[0] >= 0) {
        (void)drv_read_fd(errp[0], &errtext, NULL);
        close(errp[0]);
    }
    status = drv_wait_exit(pid);
    if (status != 0) {
        line[0] = '\0';
        if (errtext)
            last_line(errtext, line, sizeof(line));
        if (!line[0] && (log = drv_path_join(ctr->bundle, "runtime.log"))) {
            char *logtext = NULL;

            if (drv_read_file(log, &logtext, NULL) == 0)
                last_line(logtext, line, sizeof(line));
            free(logtext);
            free(log);
        }
        r = engine_error_set(err, status < 0 ? -status : EIO, "%s %s exited with %d%s%s",
                             base_name(ctr->runtime), args[0], status, line[0] ? ": " : "", line);
        free(outtext);
        free(errtext);
        return r;
    }
    free(errtext);
    if (ret_out)
        *ret_out = outtext ? outtext : strdup("");
    else
        free(outtext);
    return 0;
pipes_fail:
    if (out[0] >= 0) {
        close(out[0]);
        close(out[1]);
    }
    return engine_error_errno(err, r, "Pipe");
}

/* --- lifecycle ------------------------------------------------------------ */

static int oci_create(struct engine_drv *drv, const struct engine_spec *spec,
                      struct engine_ctr **ret_ctr, struct engine_error *err)
{
    const char *rt = drv_opt_get(spec->opts, spec->n_opts, "oci", "runtime", drv->runtime);
    const char *root = drv_opt_get(spec->opts, spec->n_opts, "oci", "root", drv->root);
    struct json_object *cfg = NULL;
    struct engine_ctr *ctr;
    char cgpath[128], *cfgpath = NULL;
    const char *cfgtext;
    size_t cfglen = 0;
    int r;

    ctr = ctr_new(drv, spec);
    if (!ctr)
        return engine_error_errno(err, ENOMEM, "oci driver");
    ctr->runtime = drv_find_in_path(rt);
    if (!ctr->runtime) {
        r = engine_error_set(err, ENOENT, "OCI runtime '%s' not found", rt);
        goto fail;
    }
    if (root && *root)
        ctr->root = strdup(root);
    else if (asprintf(&ctr->root, "%s/oci-%s", drv->host->state_dir, base_name(rt)) < 0)
        ctr->root = NULL;
    if (!ctr->root) {
        r = engine_error_errno(err, ENOMEM, "oci driver");
        goto fail;
    }
    ctr->hide_unified = !strcmp(base_name(ctr->runtime), "crun") && cgroup_hybrid();
    snprintf(cgpath, sizeof(cgpath), "/engine/%s", spec->id);
    r = oci_config_build(spec, cgpath, &cfg, err);
    if (r < 0)
        goto fail;
    if (mkdir(ctr->bundle, 0700) < 0 && errno != EEXIST) {
        r = engine_error_errno(err, errno, "Cannot create %s", ctr->bundle);
        goto fail;
    }
    cfgpath = drv_path_join(ctr->bundle, "config.json");
    cfgtext = json_object_to_json_string_length(
        cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &cfglen);
    r = cfgpath && cfgtext ? drv_write_file_atomic(cfgpath, cfgtext, cfglen) : -ENOMEM;
    if (r < 0) {
        engine_error_errno(err, r, "Cannot write %s", cfgpath);
        goto fail;
    }
    r = ctr_save(ctr, err);
    if (r < 0)
        goto fail;
    json_object_put(cfg);
    free(cfgpath);
    *ret_ctr = ctr;
    return 0;
fail:
    json_object_put(cfg);
    free(cfgpath);
    ctr_free(ctr);
    return r;
}

static int oci_restore(struct engine_drv *drv, const struct engine_spec *spec,
                       struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr = ctr_new(drv, spec);
    int r;

    if (!ctr)
        return engine_error_errno(err, ENOMEM, "oci driver");
    r = ctr_load(ctr, err);
    if (r < 0) {
        ctr_free(ctr);
        return r;
    }
    *ret_ctr = ctr;
    return 0;
}

static void oci_release(struct engine_ctr *ctr)
{
    ctr_free(ctr);
}

static pid_t read_pid_file(const struct engine_ctr *ctr)
{
    char *path = drv_path_join(ctr->bundle, "container.pid"), *text = NULL;
    long pid = 0;

    if (path && drv_read_file(path, &text, NULL) == 0)
        pid = strtol(text, NULL, 10);
    free(text);
    free(path);
    return pid > 0 ? (pid_t)pid : 0;
}

static int oci_start(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                     struct engine_error *err)
{
    char *pidfile = drv_path_join(ctr->bundle, "container.pid");
    const char *create[] = {"create", "--bundle", ctr->bundle, "--pid-file",
                            pidfile,  ctr->id,    NULL};
    const char *start[] = {"start", ctr->id, NULL};
    const char *del[] = {"delete", "--force", ctr->id, NULL};
    pid_t pid;
    int r;

    /* Errors here are wrapped by the core with the container's name. */
    if (!pidfile)
        return engine_error_errno(err, ENOMEM, "OCI bundle");
    (void)unlink(pidfile);
    r = runtime_run(ctr, create, io, NULL, err);
    free(pidfile);
    if (r < 0) {
        (void)runtime_run(ctr, del, NULL, NULL, NULL);
        return r;
    }
    pid = read_pid_file(ctr);
    if (!pid) {
        (void)runtime_run(ctr, del, NULL, NULL, NULL);
        return engine_error_set(err, EIO, "%s create wrote no pid file", base_name(ctr->runtime));
    }
    r = runtime_run(ctr, start, NULL, NULL, err);
    if (r < 0) {
        (void)runtime_run(ctr, del, NULL, NULL, NULL);
        return r;
    }
    *ret_pid = pid;
    return 0;
}

static int oci_stats(struct engine_ctr *ctr, struct engine_stats *st, struct engine_error *err)
{
    const struct engine_host *h = ctr->drv->host;
    struct engine_cgroup *cg;
    char name[128];
    int r;

    snprintf(name, sizeof(name), "engine/%s", ctr->id);
    r = h->cgroup_open(name, &cg, err);
    if (r < 0)
        return r;
    r = h->cgroup_stats(cg, st, err);
    h->cgroup_free(cg);
    return r < 0 ? r : 0;
}

static int parse_state(const char *text, struct engine_state *st, struct engine_error *err)
{
    struct json_object *o = json_tokener_parse(text), *v;
    const char *status = "";

    if (!o)
        return engine_error_set(err, EINVAL, "Runtime state is not JSON");
    if (json_object_object_get_ex(o, "status", &v))
        status = json_object_get_string(v);
    if (json_object_object_get_ex(o, "pid", &v))
        st->pid = (pid_t)json_object_get_int(v);
    if (!strcmp(status, "created"))
        st->status = ENGINE_CTR_CREATED;
    else if (!strcmp(status, "running"))
        st->status = ENGINE_CTR_RUNNING;
    else if (!strcmp(status, "paused") || !strcmp(status, "pausing"))
        st->status = ENGINE_CTR_PAUSED;
    else if (!strcmp(status, "stopped"))
        st->status = ENGINE_CTR_EXITED;
    else
        st->status = ENGINE_CTR_UNKNOWN;
    if (st->status == ENGINE_CTR_EXITED)
        st->pid = 0;
    snprintf(st->detail, sizeof(st->detail), "%s", status);
    json_object_put(o);
    return 0;
}

static int oci_state(struct engine_ctr *ctr, struct engine_state *st, struct engine_error *err)
{
    const char *args[] = {"state", ctr->id, NULL};
    char *out = NULL;
    int r;

    r = runtime_run(ctr, args, NULL, &out, err);
    if (r < 0) {
        /* Never created (or deleted): not an error for a state query. */
        if (!read_pid_file(ctr)) {
            st->status = ENGINE_CTR_CREATED;
            st->pid = 0;
            snprintf(st->detail, sizeof(st->detail), "not created in %s", base_name(ctr->runtime));
            engine_error_clear(err);
            return 0;
        }
        return r;
    }
    r = parse_state(out, st, err);
    free(out);
    return r < 0 ? r : 0;
}

static int oci_kill(struct engine_ctr *ctr, int sig, struct engine_error *err)
{
    char num[16];
    const char *args[] = {"kill", "--all", ctr->id, num, NULL};

    snprintf(num, sizeof(num), "%d", sig);
    return runtime_run(ctr, args, NULL, NULL, err);
}

static bool ctr_running(const struct engine_ctr *ctr, pid_t pid)
{
    struct engine_state st = {.struct_size = sizeof(st)};

    if (pid)
        return drv_pid_alive(pid);
    return oci_state((struct engine_ctr *)ctr, &st, NULL) == 0 &&
           (st.status == ENGINE_CTR_RUNNING || st.status == ENGINE_CTR_PAUSED);
}

static int oci_stop(struct engine_ctr *ctr, int sig, unsigned timeout_ms, struct engine_error *err)
{
    pid_t pid = read_pid_file(ctr);
    unsigned waited = 0;
    int r;

    if (sig == 0)
        sig = SIGTERM;
    if (!ctr_running(ctr, pid))
        return 0;
    (void)oci_kill(ctr, sig, NULL);
    while (waited < timeout_ms && ctr_running(ctr, pid)) {
        drv_sleep_ms(20);
        waited += 20;
    }
    if (!ctr_running(ctr, pid))
        return 0;
    r = oci_kill(ctr, SIGKILL, err);
    if (r < 0 && ctr_running(ctr, pid))
        return r;
    for (int i = 0; i < 250 && ctr_running(ctr, pid); i++)
        drv_sleep_ms(20);
    if (ctr_running(ctr, pid))
        return engine_error_set(err, EBUSY, "Still running after SIGKILL");
    return 0;
}

static int oci_pause(struct engine_ctr *ctr, struct engine_error *err)
{
    const char *args[] = {"pause", ctr->id, NULL};
    int r = runtime_run(ctr, args, NULL, NULL, err);

    return r < 0 ? r : 0;
}

static int oci_resume(struct engine_ctr *ctr, struct engine_error *err)
{
    const char *args[] = {"resume", ctr->id, NULL};
    int r = runtime_run(ctr, args, NULL, NULL, err);

    return r < 0 ? r : 0;
}

static int oci_exec(struct engine_ctr *ctr, char *const argv[], const struct engine_stdio *io,
                    pid_t *ret_pid, struct engine_error *err)
{
    const char *args[28] = {"exec", ctr->id};
    int fds[3] = {io->in, io->out, io->err};
    size_t n = 2;
    int r;

    for (size_t i = 0; argv && argv[i]; i++) {
        if (n >= sizeof(args) / sizeof(args[0]) - 1)
            return engine_error_set(err, E2BIG, "Too many arguments");
        args[n++] = argv[i];
    }
    args[n] = NULL;
    r = runtime_spawn(ctr, args, fds, ret_pid, err);
    return r < 0 ? r : 0;
}

static int oci_destroy(struct engine_ctr *ctr, struct engine_error *err)
{
    const struct engine_host *h = ctr->drv->host;
    const char *del[] = {"delete", "--force", ctr->id, NULL};
    struct engine_error derr = {0};
    struct engine_cgroup *cg;
    char name[128], *rtdir;
    int r = 0;

    if (runtime_run(ctr, del, NULL, NULL, &derr) < 0) {
        /* Gone already is fine; anything else is reported once the rest is
         * cleaned. */
        rtdir = drv_path_join(ctr->root, ctr->id);
        if (rtdir && access(rtdir, F_OK) == 0)
            r = engine_error_set(err, derr.code ? derr.code : EIO, "%s", derr.msg);
        free(rtdir);
    }
    /* The runtime removes its cgroup; make sure of it (and of tasks). */
    snprintf(name, sizeof(name), "engine/%s", ctr->id);
    if (h->cgroup_open(name, &cg, NULL) == 0) {
        struct engine_error cerr = {0};

        if (h->cgroup_destroy(cg, &cerr) < 0 && r == 0)
            r = engine_error_set(err, cerr.code, "%s", cerr.msg);
    }
    drv_unlink_in(ctr->bundle, "config.json");
    drv_unlink_in(ctr->bundle, "container.pid");
    drv_unlink_in(ctr->bundle, "runtime.log");
    (void)rmdir(ctr->bundle);
    drv_unlink_in(ctr->state_dir, STATE_FILE);
    ctr_free(ctr);
    return r;
}

static const struct engine_driver oci_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = "oci",
    .summary = "an OCI runtime binary (runtime = runc | crun | /path)",
    .features = ENGINE_FEAT_PAUSE | ENGINE_FEAT_EXEC | ENGINE_FEAT_STATS_CPU |
                ENGINE_FEAT_STATS_MEMORY | ENGINE_FEAT_STATS_PIDS | ENGINE_FEAT_STATS_IO |
                ENGINE_FEAT_LIMIT_MEMORY | ENGINE_FEAT_LIMIT_CPU | ENGINE_FEAT_LIMIT_PIDS |
                ENGINE_FEAT_LIMIT_CPUSET | ENGINE_FEAT_NS_PID | ENGINE_FEAT_NS_MOUNT |
                ENGINE_FEAT_NS_NET | ENGINE_FEAT_NS_UTS | ENGINE_FEAT_NS_IPC |
                ENGINE_FEAT_NS_CGROUP | ENGINE_FEAT_READONLY_ROOTFS | ENGINE_FEAT_OOM_REPORT |
                ENGINE_FEAT_MOUNTS,
    .options = oci_options,
    .init = oci_init,
    .fini = oci_fini,
    .probe = oci_probe,
    .create = oci_create,
    .start = oci_start,
    .stats = oci_stats,
    .destroy = oci_destroy,
    .restore = oci_restore,
    .release = oci_release,
    .stop = oci_stop,
    .state = oci_state,
    .pause = oci_pause,
    .resume = oci_resume,
    .exec = oci_exec,
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void);
ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
    return &oci_driver;
}
