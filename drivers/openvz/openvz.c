/* drivers/openvz/openvz.c - the OpenVZ driver: runs an engine container as an
 * OpenVZ container through vzctl (OpenVZ 6, or vzctl on OpenVZ/Virtuozzo 7).
 *
 * NOT RUN AGAINST A REAL OPENVZ KERNEL. It was written from vzctl(8),
 * vzlist(8) and the OpenVZ wiki's descriptions of /proc/bc and /proc/vz/vestat,
 * on a Debian 12 host where neither an OpenVZ kernel nor vzctl exists; the
 * command lines and parsers (vzparse.c) are unit-tested against recorded
 * outputs, the rest has only been compiled. probe() declines on such a host.
 *
 * Model: create() picks a numeric CTID, writes <confdir>/<CTID>.conf for a
 * simfs container whose private area (VE_PRIVATE) is the engine rootfs, then
 * `vzctl set CTID --ram/--swap/--cpulimit/--cpuunits/--cpumask/--numproc
 * --save` for the limits. start() (in engine's monitor) runs `vzctl start`, then
 * forks a supervisor whose exit is the container's: it runs the command with
 * `vzctl exec2 CTID '<cmd>'` (exec2 returns the command's exit code), then
 * stops the container, so it ends when its command does. Stats read the
 * container's beancounters (/proc/bc/CTID/resources) and /proc/vz/vestat,
 * falling back to vzlist. destroy() stops and unmounts the container and
 * removes the config it wrote; it does not run `vzctl destroy`, which would
 * delete VE_PRIVATE - the engine rootfs, which the core owns and removes.
 * Only prlctl (Virtuozzo 7 without vzctl) is declined with that reason. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <engine/driver.h>

#include "../common/driver-util.h"
#include "vzparse.h"

#define CTID_FILE "openvz.ctid"
#define DEFAULT_CONFDIR "/etc/vz/conf"

struct engine_drv {
    const struct engine_host *host;
    char *vzctl, *vzlist; /* resolved paths, NULL if not found */
    char *confdir;
};

struct engine_ctr {
    struct engine_drv *drv;
    char *id;
    char *name;
    char *state_dir;
    char ctid[24];
};

/* --- small local helpers (shared ones: drivers/common/driver-util.h) ------ */

/* An empty file is as good as none here (a CTID or a command is never
 * empty): -EIO, as callers expect. */
static int read_text(const char *path, char **ret)
{
    size_t len = 0;
    int r = drv_read_file(path, ret, &len);

    if (r == 0 && len == 0) {
        free(*ret);
        *ret = NULL;
        return -EIO;
    }
    return r;
}

static int write_text(const char *path, const char *text, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    size_t len = strlen(text);

    if (fd < 0)
        return -errno;
    while (len > 0) {
        ssize_t w = write(fd, text, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int r = -errno;

            close(fd);
            return r;
        }
        text += w;
        len -= (size_t)w;
    }
    return close(fd) < 0 ? -errno : 0;
}

/* Run a vzctl command line built by vzparse.c; an error names the command
 * and carries vzctl's last words. */
static int run_checked(const struct engine_ctr *ctr, char **argv, const char *what,
                       struct engine_error *err)
{
    char *errtext = NULL;
    int st;

    if (!argv)
        return engine_error_errno(err, ENOMEM, "openvz driver");
    st = drv_run(argv, NULL, &errtext);
    vz_argv_free(argv);
    if (st != 0) {
        size_t n = errtext ? strlen(errtext) : 0;

        while (n > 0 && (errtext[n - 1] == '\n' || errtext[n - 1] == ' '))
            errtext[--n] = '\0';
        st = st < 0 ? engine_error_errno(err, st, "vzctl %s", what)
                    : engine_error_set(err, EIO, "vzctl %s (CTID %s) failed: %s", what, ctr->ctid,
                                       errtext && *errtext ? errtext : "no message");
    }
    free(errtext);
    return st;
}

/* --- driver instance -------------------------------------------------------- */

static const char *const openvz_options[] = {"vzctl", "confdir", NULL};

static int openvz_init(const struct engine_host *host, const struct engine_opts *opts,
                       struct engine_drv **ret_drv, struct engine_error *err)
{
    struct engine_drv *drv = calloc(1, sizeof(*drv));
    const struct engine_opt *ov = opts ? opts->v : NULL;
    size_t on = opts ? opts->n : 0;
    const char *vzctl = drv_opt_get(ov, on, NULL, "vzctl", "vzctl");

    if (!drv)
        return engine_error_errno(err, ENOMEM, "openvz driver");
    drv->host = host;
    drv->vzctl = drv_find_in_path(vzctl);
    drv->vzlist = drv_find_in_path("vzlist");
    drv->confdir = strdup(drv_opt_get(ov, on, NULL, "confdir", DEFAULT_CONFDIR));
    if (!drv->confdir) {
        free(drv->vzctl);
        free(drv->vzlist);
        free(drv);
        return engine_error_errno(err, ENOMEM, "openvz driver");
    }
    *ret_drv = drv;
    return 0;
}

static void openvz_fini(struct engine_drv *drv)
{
    if (!drv)
        return;
    free(drv->vzctl);
    free(drv->vzlist);
    free(drv->confdir);
    free(drv);
}

static int openvz_probe(struct engine_drv *drv, struct engine_error *err)
{
    struct stat st;
    char *prl;

    if (stat("/proc/vz", &st) < 0) {
        engine_error_set(err, ENOENT, "no OpenVZ kernel: /proc/vz missing");
        return ENGINE_DECLINED;
    }
    if (!drv->vzctl) {
        prl = drv_find_in_path("prlctl");
        if (prl)
            engine_error_set(err, ENOTSUP,
                             "Only prlctl found (%s); this driver drives vzctl, install it", prl);
        else
            engine_error_set(err, ENOENT, "vzctl not found on PATH");
        free(prl);
        return ENGINE_DECLINED;
    }
    return 0;
}

/* --- the container handle --------------------------------------------------- */

static void ctr_free(struct engine_ctr *ctr)
{
    if (!ctr)
        return;
    free(ctr->id);
    free(ctr->name);
    free(ctr->state_dir);
    free(ctr);
}

static struct engine_ctr *ctr_new(struct engine_drv *drv, const struct engine_spec *spec)
{
    struct engine_ctr *ctr = calloc(1, sizeof(*ctr));

    if (!ctr)
        return NULL;
    ctr->drv = drv;
    ctr->id = strdup(spec->id);
    ctr->name = strdup(spec->name ? spec->name : spec->id);
    ctr->state_dir = strdup(spec->state_dir);
    if (!ctr->id || !ctr->name || !ctr->state_dir) {
        ctr_free(ctr);
        return NULL;
    }
    return ctr;
}

static char *conf_path(const struct engine_ctr *ctr)
{
    char *p;

    if (asprintf(&p, "%s/%s.conf", ctr->drv->confdir, ctr->ctid) < 0)
        return NULL;
    return p;
}

static int check_spec(const struct engine_spec *spec, struct engine_error *err)
{
    const char *why = NULL;

    if (spec->userns)
        why = "user namespaces";
    else if (spec->network_host)
        why = "sharing the host network";
    else if (spec->readonly_rootfs)
        why = "a read-only root";
    else if (spec->n_mounts > 0)
        why = "extra mounts";
    else if (spec->user && *spec->user && strcmp(spec->user, "0") && strcmp(spec->user, "root") &&
             strcmp(spec->user, "0:0"))
        why = "a non-root user";
    if (why)
        return engine_error_set(err, ENOTSUP, "The openvz driver does not support %s", why);
    if (!spec->argv || !spec->argv[0])
        return engine_error_set(err, EINVAL, "No command");
    return 0;
}

/* Write <confdir>/<CTID>.conf with O_EXCL, stepping past CTIDs in use. */
static int claim_ctid(struct engine_ctr *ctr, const struct engine_spec *spec,
                      struct engine_error *err)
{
    char *ve_root = drv_path_join(spec->state_dir, "vzroot"), *conf, *path;
    int r = -EEXIST;

    if (!ve_root)
        return engine_error_errno(err, ENOMEM, "openvz driver");
    (void)mkdir(ve_root, 0755);
    for (unsigned attempt = 0; attempt < 64 && r == -EEXIST; attempt++) {
        snprintf(ctr->ctid, sizeof(ctr->ctid), "%lu", vz_ctid_for(spec->id, attempt));
        conf = vz_conf_render(spec, ctr->ctid, ve_root);
        path = conf_path(ctr);
        r = conf && path ? write_text(path, conf, O_EXCL) : -ENOMEM;
        free(conf);
        free(path);
    }
    free(ve_root);
    if (r < 0)
        return engine_error_errno(err, r, "Cannot write a config in %s", ctr->drv->confdir);
    return 0;
}

static int openvz_create(struct engine_drv *drv, const struct engine_spec *spec,
                         struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr;
    char *p, *conf;
    int r;

    r = check_spec(spec, err);
    if (r < 0)
        return r;
    ctr = ctr_new(drv, spec);
    if (!ctr)
        return engine_error_errno(err, ENOMEM, "openvz driver");
    r = claim_ctid(ctr, spec, err);
    if (r < 0) {
        ctr_free(ctr);
        return r;
    }
    if (vz_limits_any(&spec->limits)) {
        r = run_checked(ctr, vz_argv_set_limits(drv->vzctl, ctr->ctid, &spec->limits), "set", err);
        if (r < 0)
            goto fail;
    }
    p = drv_path_join(spec->state_dir, CTID_FILE);
    r = p ? write_text(p, ctr->ctid, O_TRUNC) : -ENOMEM;
    free(p);
    if (r == 0) {
        char **exec_argv = vz_argv_exec(drv->vzctl, ctr->ctid, spec);

        p = drv_path_join(spec->state_dir, "openvz.cmd");
        r = p && exec_argv ? write_text(p, exec_argv[3], O_TRUNC) : -ENOMEM;
        vz_argv_free(exec_argv);
        free(p);
    }
    if (r < 0) {
        engine_error_errno(err, r, "Cannot save the CTID and command");
        goto fail;
    }
    *ret_ctr = ctr;
    return 0;
fail:
    conf = conf_path(ctr);
    if (conf)
        (void)unlink(conf);
    free(conf);
    ctr_free(ctr);
    return r;
}

static int openvz_restore(struct engine_drv *drv, const struct engine_spec *spec,
                          struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr = ctr_new(drv, spec);
    char *p, *text = NULL;
    int r;

    if (!ctr)
        return engine_error_errno(err, ENOMEM, "openvz driver");
    p = drv_path_join(spec->state_dir, CTID_FILE);
    r = p ? read_text(p, &text) : -ENOMEM;
    free(p);
    if (r < 0) {
        ctr_free(ctr);
        return engine_error_errno(err, r, "No saved CTID");
    }
    snprintf(ctr->ctid, sizeof(ctr->ctid), "%.*s", (int)strcspn(text, "\n "), text);
    free(text);
    *ret_ctr = ctr;
    return 0;
}

static void openvz_release(struct engine_ctr *ctr)
{
    ctr_free(ctr);
}

/* The process engine's monitor waits for: run the command in the container,
 * then stop the container, and exit as the command did. */
static void supervise(struct engine_ctr *ctr, char **exec_argv, const struct engine_stdio *io)
{
    char **stop;
    int status = 0;
    pid_t pid;

    pid = fork();
    if (pid < 0)
        _exit(127);
    if (pid == 0) {
        int fds[3] = {io->in, io->out, io->err};

        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0 && fds[i] != i)
                dup2(fds[i], i);
        execv(exec_argv[0], exec_argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    stop = vz_argv_stop(ctr->drv->vzctl, ctr->ctid, true);
    if (stop) {
        (void)drv_run(stop, NULL, NULL);
        vz_argv_free(stop);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int openvz_start(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                        struct engine_error *err)
{
    const struct engine_drv *drv = ctr->drv;
    char **exec_argv, *args = NULL, *p;
    pid_t pid;
    int r;

    /* start() may run in another process than create(): the command string
     * for exec2 was saved then. */
    p = drv_path_join(ctr->state_dir, "openvz.cmd");
    r = p ? read_text(p, &args) : -ENOMEM;
    free(p);
    if (r < 0)
        return engine_error_errno(err, r, "No saved command");
    r = run_checked(ctr, vz_argv_start(drv->vzctl, ctr->ctid), "start", err);
    if (r < 0) {
        free(args);
        return r;
    }
    exec_argv = calloc(5, sizeof(char *));
    if (!exec_argv) {
        free(args);
        return engine_error_errno(err, ENOMEM, "openvz driver");
    }
    exec_argv[0] = drv->vzctl;
    exec_argv[1] = "exec2";
    exec_argv[2] = ctr->ctid;
    exec_argv[3] = args;
    pid = fork();
    if (pid < 0) {
        r = -errno;
        free(exec_argv);
        free(args);
        return engine_error_errno(err, r, "Fork");
    }
    if (pid == 0)
        supervise(ctr, exec_argv, io);
    free(exec_argv);
    free(args);
    *ret_pid = pid;
    return 0;
}

static int openvz_stats(struct engine_ctr *ctr, struct engine_stats *st, struct engine_error *err)
{
    char path[64], *text = NULL;
    struct vz_bcs bcs;
    struct vz_vestat ve;
    bool have_ve = false;
    int r;

    snprintf(path, sizeof(path), "/proc/bc/%s/resources", ctr->ctid);
    r = read_text(path, &text);
    if (r == 0) {
        r = vz_parse_bc_resources(text, NULL, &bcs, err);
        free(text);
    } else if (read_text("/proc/user_beancounters", &text) == 0) {
        r = vz_parse_bc_resources(text, ctr->ctid, &bcs, err);
        free(text);
    } else {
        r = engine_error_errno(err, r, "Cannot read %s", path);
    }
    if (r < 0)
        return r;
    if (read_text("/proc/vz/vestat", &text) == 0) {
        have_ve = vz_parse_vestat(text, ctr->ctid, &ve, NULL) == 0;
        free(text);
    }
    vz_stats_fill(&bcs, have_ve ? &ve : NULL, sysconf(_SC_PAGESIZE), sysconf(_SC_CLK_TCK), st);
    return 0;
}

static int openvz_state(struct engine_ctr *ctr, struct engine_state *st, struct engine_error *err)
{
    char **argv = vz_argv_status(ctr->drv->vzctl, ctr->ctid), *out = NULL;
    struct vz_status s;
    int r;

    if (!argv)
        return engine_error_errno(err, ENOMEM, "openvz driver");
    r = drv_run(argv, &out, NULL);
    vz_argv_free(argv);
    if (r != 0) {
        free(out);
        return engine_error_set(err, EIO, "vzctl status failed");
    }
    r = vz_parse_status(out, &s, err);
    if (r < 0) {
        free(out);
        return r;
    }
    st->pid = 0;
    st->status = s.running  ? (s.suspended ? ENGINE_CTR_PAUSED : ENGINE_CTR_RUNNING)
                 : s.exists ? ENGINE_CTR_CREATED
                            : ENGINE_CTR_UNKNOWN;
    out[strcspn(out, "\n")] = '\0';
    snprintf(st->detail, sizeof(st->detail), "%s", out);
    free(out);
    return 0;
}

static int openvz_stop(struct engine_ctr *ctr, int sig, unsigned timeout_ms,
                       struct engine_error *err)
{
    /* vzctl stop shuts the container down with its own timeouts; SIGKILL
     * (or no time to wait) asks for the immediate kill. */
    bool fast = sig == SIGKILL || timeout_ms == 0;

    return run_checked(ctr, vz_argv_stop(ctr->drv->vzctl, ctr->ctid, fast), "stop", err);
}

static int openvz_destroy(struct engine_ctr *ctr, struct engine_error *err)
{
    struct engine_state st = {.struct_size = sizeof(st)};
    char *conf, *p;
    int r = 0;

    if (openvz_state(ctr, &st, NULL) == 0 && st.status == ENGINE_CTR_RUNNING)
        r = run_checked(ctr, vz_argv_stop(ctr->drv->vzctl, ctr->ctid, true), "stop", err);
    if (r == 0 && strstr(st.detail, " mounted"))
        r = run_checked(ctr, vz_argv_umount(ctr->drv->vzctl, ctr->ctid), "umount", err);
    if (r == 0) {
        conf = conf_path(ctr);
        if (conf && unlink(conf) < 0 && errno != ENOENT)
            r = engine_error_errno(err, errno, "Cannot remove %s", conf);
        free(conf);
    }
    drv_unlink_in(ctr->state_dir, CTID_FILE);
    drv_unlink_in(ctr->state_dir, "openvz.cmd");
    if ((p = drv_path_join(ctr->state_dir, "vzroot"))) {
        (void)rmdir(p);
        free(p);
    }
    ctr_free(ctr);
    return r;
}

static const struct engine_driver openvz_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = "openvz",
    .summary = "OpenVZ containers through vzctl (untested: no OpenVZ kernel here)",
    .features = ENGINE_FEAT_STATS_CPU | ENGINE_FEAT_STATS_MEMORY | ENGINE_FEAT_STATS_PIDS |
                ENGINE_FEAT_LIMIT_MEMORY | ENGINE_FEAT_LIMIT_CPU | ENGINE_FEAT_LIMIT_PIDS |
                ENGINE_FEAT_LIMIT_CPUSET | ENGINE_FEAT_NS_PID | ENGINE_FEAT_NS_MOUNT |
                ENGINE_FEAT_NS_NET | ENGINE_FEAT_NS_UTS | ENGINE_FEAT_NS_IPC |
                ENGINE_FEAT_OOM_REPORT,
    .options = openvz_options,
    .init = openvz_init,
    .fini = openvz_fini,
    .probe = openvz_probe,
    .create = openvz_create,
    .start = openvz_start,
    .stats = openvz_stats,
    .destroy = openvz_destroy,
    .restore = openvz_restore,
    .release = openvz_release,
    .stop = openvz_stop,
    .state = openvz_state,
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void);
ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
    return &openvz_driver;
}
