/* drivers/libvirt/libvirt.c - the libvirt driver: containers as libvirt-lxc
 * domains, through libvirt's C API (option uri, default lxc:///system).
 *
 * create() defines a domain named engine-<12 hex of the id> (domain-xml.c builds
 * its XML), so restore() in any process finds it with virDomainLookupByName().
 * libvirtd may live in its own mount namespace (scripts/libvirtd-start.sh), so
 * the rootfs the core mounted is bind-mounted below share_dir (default
 * /run/engine-libvirt, a shared mount that propagates into libvirtd's
 * namespace) and the domain's root is that bind mount.
 *
 * libvirt-lxc puts init's stdio on a console pty and does not report init's
 * exit code, so the command runs under a small /bin/sh wrapper (domain-xml.c)
 * that waits on a gate fifo until the console is attached, sends stderr to a
 * fifo of its own, writes $? to an exit file in a per-container control dir and
 * prints a done marker, so that no output still in flight is lost when init
 * exits. start() returns a helper child that copies the console to io->out and
 * the stderr fifo to io->err, sets the hostname through setns(), counts OOM
 * kills from the domain's memory cgroup, and exits with the command's code. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <engine/driver.h>

#include "../common/driver-util.h"
#include "domain-xml.h"

#define DEFAULT_URI "lxc:///system"
#define DEFAULT_SHARE_DIR "/run/engine-libvirt"
#define DEFAULT_MEMORY_KIB (256 * 1024)
/* The helper's exit code when it could not run the container at all. */
#define START_FAILED_EXIT 125

struct engine_drv {
    const struct engine_host *host;
    char *uri;
    char *share_dir;
};

struct engine_ctr {
    struct engine_drv *drv;
    virConnectPtr conn;
    virDomainPtr dom;
    pid_t conn_pid; /* the process that opened conn */
    char *uri;
    char name[32]; /* engine-<12 hex> */
    char id[72];   /* the engine id, part of the wrapper's done marker */
    char *rootfs;  /* the core's overlay mount */
    char *hostname;
    char *oom_file; /* <state_dir>/libvirt-oom-kills, kept past the cgroup */
    char *dir;      /* <share_dir>/<name> */
    char *root;     /* <dir>/root: bind mount of rootfs, the domain's / */
    char *ctl;      /* <dir>/ctl: gate fifo and exit file, at /.engine inside */
};

static const char *const libvirt_options[] = {"uri", "share_dir", NULL};

/* libvirt prints every error to stderr unless told otherwise: library code
 * here never prints, errors travel in engine_error. */
static void quiet_error_handler(void *data, virErrorPtr e)
{
    (void)data;
    (void)e;
}

static const char *last_error(void)
{
    const char *m = virGetLastErrorMessage();

    return m ? m : "unknown libvirt error";
}

static bool is_mountpoint(const char *path)
{
    struct stat a, b;
    char parent[PATH_MAX];

    if (stat(path, &a) < 0)
        return false;
    snprintf(parent, sizeof(parent), "%s/..", path);
    if (stat(parent, &b) < 0)
        return false;
    /* Same-fs binds keep st_dev: fall back to mountinfo for those. */
    if (a.st_dev != b.st_dev)
        return true;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[PATH_MAX + 512], mnt[PATH_MAX];
    bool found = false;

    if (!f)
        return false;
    while (!found && fgets(line, sizeof(line), f))
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, path) == 0)
            found = true;
    fclose(f);
    return found;
}

static void unmount_root(const char *root)
{
    while (is_mountpoint(root))
        if (umount2(root, MNT_DETACH) < 0)
            break;
}

static virConnectPtr conn_open(const char *uri, struct engine_error *err)
{
    virConnectPtr c = virConnectOpen(uri);

    if (!c)
        engine_error_set(err, ECONNREFUSED, "libvirtd not reachable at %s: %s", uri, last_error());
    return c;
}

static int libvirt_init(const struct engine_host *host, const struct engine_opts *opts,
                        struct engine_drv **ret_drv, struct engine_error *err)
{
    struct engine_drv *drv = calloc(1, sizeof(*drv));
    const char *uri = opts ? drv_opt_get(opts->v, opts->n, NULL, "uri", NULL) : NULL;
    const char *share = opts ? drv_opt_get(opts->v, opts->n, NULL, "share_dir", NULL) : NULL;

    if (!drv)
        return engine_error_errno(err, ENOMEM, "Initialise the libvirt driver");
    if (share && share[0] != '/') {
        free(drv);
        return engine_error_set(err, EINVAL,
                                "Option libvirt.share_dir must be an absolute "
                                "path, not '%s'",
                                share);
    }
    drv->host = host;
    drv->uri = strdup(uri ? uri : DEFAULT_URI);
    drv->share_dir = strdup(share ? share : DEFAULT_SHARE_DIR);
    if (!drv->uri || !drv->share_dir) {
        free(drv->uri);
        free(drv->share_dir);
        free(drv);
        return engine_error_errno(err, ENOMEM, "Initialise the libvirt driver");
    }
    virSetErrorFunc(NULL, quiet_error_handler);
    *ret_drv = drv;
    return 0;
}

static void libvirt_fini(struct engine_drv *drv)
{
    if (!drv)
        return;
    free(drv->uri);
    free(drv->share_dir);
    free(drv);
}

static int libvirt_probe(struct engine_drv *drv, struct engine_error *err)
{
    virConnectPtr c = conn_open(drv->uri, err);
    const char *type;
    int r;

    if (!c)
        return ENGINE_DECLINED;
    type = virConnectGetType(c);
    if (!type || strcasecmp(type, "LXC") != 0) {
        engine_error_set(err, ENOTSUP, "%s is a %s connection, not libvirt-lxc", drv->uri,
                         type ? type : "unknown");
        virConnectClose(c);
        return ENGINE_DECLINED;
    }
    virConnectClose(c);
    r = drv_mkdir_p(drv->share_dir, 0755);
    if (r < 0) {
        engine_error_errno(err, r, "Cannot create the libvirt share dir %s", drv->share_dir);
        return ENGINE_DECLINED;
    }
    return 0;
}

static void ctr_free(struct engine_ctr *ctr)
{
    if (!ctr)
        return;
    /* A connection inherited across fork belongs to the parent: closing it here
     * would close the parent's session too. */
    if (ctr->dom && ctr->conn_pid == getpid())
        virDomainFree(ctr->dom);
    if (ctr->conn && ctr->conn_pid == getpid())
        virConnectClose(ctr->conn);
    free(ctr->uri);
    free(ctr->rootfs);
    free(ctr->hostname);
    free(ctr->oom_file);
    free(ctr->dir);
    free(ctr->root);
    free(ctr->ctl);
    free(ctr);
}

static int ctr_new(struct engine_drv *drv, const struct engine_spec *spec, struct engine_ctr **ret,
                   struct engine_error *err)
{
    const char *uri = drv_opt_get(spec->opts, spec->n_opts, NULL, "uri", NULL);
    struct engine_ctr *ctr;

    if (!spec->id || strlen(spec->id) < 12 || strchr(spec->id, '/'))
        return engine_error_set(err, EINVAL, "Bad container id '%s'", spec->id ? spec->id : "");
    ctr = calloc(1, sizeof(*ctr));
    if (!ctr)
        return engine_error_errno(err, ENOMEM, "Container '%s'", spec->name);
    ctr->drv = drv;
    snprintf(ctr->name, sizeof(ctr->name), "engine-%.12s", spec->id);
    snprintf(ctr->id, sizeof(ctr->id), "%s", spec->id);
    ctr->uri = strdup(uri ? uri : drv->uri);
    ctr->rootfs = spec->rootfs ? strdup(spec->rootfs) : NULL;
    ctr->hostname = spec->hostname ? strdup(spec->hostname) : NULL;
    if (spec->state_dir && asprintf(&ctr->oom_file, "%s/libvirt-oom-kills", spec->state_dir) < 0)
        ctr->oom_file = NULL;
    if (!ctr->uri || !ctr->rootfs || asprintf(&ctr->dir, "%s/%s", drv->share_dir, ctr->name) < 0 ||
        asprintf(&ctr->root, "%s/root", ctr->dir) < 0 ||
        asprintf(&ctr->ctl, "%s/ctl", ctr->dir) < 0) {
        ctr_free(ctr);
        return engine_error_errno(err, ENOMEM, "Container '%s'", spec->name);
    }
    ctr->conn = conn_open(ctr->uri, err);
    if (!ctr->conn) {
        ctr_free(ctr);
        return -ECONNREFUSED;
    }
    ctr->conn_pid = getpid();
    *ret = ctr;
    return 0;
}

/* The monitor is a fork of the process that created the container: a libvirt
 * connection must not be used across fork (the parent closing its copy ends the
 * session for both), so a forked process opens its own. */
static int ctr_conn(struct engine_ctr *ctr, struct engine_error *err)
{
    virConnectPtr conn;
    virDomainPtr dom;

    if (ctr->conn && ctr->conn_pid == getpid())
        return 0;
    conn = conn_open(ctr->uri, err);
    if (!conn)
        return -ECONNREFUSED;
    dom = virDomainLookupByName(conn, ctr->name);
    if (!dom) {
        int r =
            engine_error_set(err, ENOENT, "No libvirt domain '%s': %s", ctr->name, last_error());
        virConnectClose(conn);
        return r;
    }
    ctr->conn = conn; /* the inherited ones are left alone, see ctr_free() */
    ctr->dom = dom;
    ctr->conn_pid = getpid();
    return 0;
}

static uint64_t memory_kib_for(struct engine_ctr *ctr, const struct engine_limits *l)
{
    virNodeInfo ni;

    if (l->memory_bytes > 0)
        return ((uint64_t)l->memory_bytes + 1023) / 1024;
    /* libvirt-lxc needs a <memory> and enforces it: "no limit" is the host's RAM. */
    if (virNodeGetInfo(ctr->conn, &ni) == 0 && ni.memory > 0)
        return ni.memory;
    return DEFAULT_MEMORY_KIB;
}

static int libvirt_create(struct engine_drv *drv, const struct engine_spec *spec,
                          struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr = NULL;
    struct libvirt_xml_params p;
    virDomainPtr existing;
    char *xml = NULL;
    int r;

    if (spec->userns)
        return engine_error_set(err, ENOTSUP,
                                "Container '%s': the libvirt driver does not "
                                "support user namespaces yet",
                                spec->name);
    if (spec->limits.pids_max > 0)
        return engine_error_set(err, ENOTSUP, "Container '%s': libvirt-lxc has no pids limit",
                                spec->name);
    r = ctr_new(drv, spec, &ctr, err);
    if (r < 0)
        return r;
    existing = virDomainLookupByName(ctr->conn, ctr->name);
    if (existing) {
        virDomainFree(existing);
        r = engine_error_set(err, EEXIST, "libvirt domain '%s' already exists", ctr->name);
        goto fail;
    }
    if ((r = drv_mkdir_p(ctr->root, 0755)) < 0 || (r = drv_mkdir_p(ctr->ctl, 0755)) < 0) {
        engine_error_errno(err, r, "Create %s for container '%s'", ctr->dir, spec->name);
        goto fail;
    }
    /* libvirt creates mount targets itself, which fails on a read-only root. */
    if ((r = drv_mkdir_beneath(spec->rootfs, LIBVIRT_CTR_DIR)) < 0) {
        engine_error_errno(err, r, "Create %s in container '%s'", LIBVIRT_CTR_DIR, spec->name);
        goto fail;
    }
    if (spec->cwd && (r = drv_mkdir_beneath(spec->rootfs, spec->cwd)) < 0) {
        engine_error_errno(err, r, "Create working directory %s in container '%s'", spec->cwd,
                           spec->name);
        goto fail;
    }
    /* The wrapper may run as spec->user and must still write its exit file. */
    (void)chmod(ctr->ctl, 0777);
    p = (struct libvirt_xml_params){
        .name = ctr->name,
        .root_source = ctr->root,
        .control_dir = ctr->ctl,
        .memory_kib = memory_kib_for(ctr, &spec->limits),
        .wrap = true,
    };
    r = libvirt_domain_xml(spec, &p, &xml, err);
    if (r < 0) {
        engine_error_wrap(err, "Container '%s'", spec->name);
        goto fail;
    }
    ctr->dom = virDomainDefineXML(ctr->conn, xml);
    free(xml);
    if (!ctr->dom) {
        r = engine_error_set(err, EIO, "Define libvirt domain '%s': %s", ctr->name, last_error());
        goto fail;
    }
    *ret_ctr = ctr;
    return 0;
fail:
    (void)drv_rm_rf(ctr->dir);
    ctr_free(ctr);
    return r;
}

static int libvirt_restore(struct engine_drv *drv, const struct engine_spec *spec,
                           struct engine_ctr **ret_ctr, struct engine_error *err)
{
    struct engine_ctr *ctr = NULL;
    int r;

    r = ctr_new(drv, spec, &ctr, err);
    if (r < 0)
        return r;
    ctr->dom = virDomainLookupByName(ctr->conn, ctr->name);
    if (!ctr->dom) {
        r = engine_error_set(err, ENOENT, "No libvirt domain '%s' for container '%s': %s",
                             ctr->name, spec->name, last_error());
        ctr_free(ctr);
        return r;
    }
    *ret_ctr = ctr;
    return 0;
}

static void libvirt_release(struct engine_ctr *ctr)
{
    ctr_free(ctr);
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The helper's view of the console stream. */
struct console {
    int out;
    bool out_ok;
    bool held_cr; /* a '\r' at the end of the last read, maybe ONLCR's */
    bool done;    /* the wrapper's done marker was seen */
    char marker[128];
    size_t marker_len;
    char pend[128]; /* output that may be the start of the marker */
    size_t n_pend;
};

static void console_write(struct console *c, const char *buf, size_t n)
{
    if (n && c->out_ok && write_all(c->out, buf, n) < 0)
        c->out_ok = false; /* keep draining so the container never blocks on the pty */
}

/* Pass output through, cutting out the done marker and holding back a tail
 * that could be its beginning. */
static void console_emit(struct console *c, const char *buf, size_t n)
{
    char work[sizeof(c->pend) + 8192 + 1];
    size_t len = c->n_pend + n, keep = 0;
    char *m;

    memcpy(work, c->pend, c->n_pend);
    memcpy(work + c->n_pend, buf, n);
    c->n_pend = 0;
    if (c->done) {
        console_write(c, work, len);
        return;
    }
    m = memmem(work, len, c->marker, c->marker_len);
    if (m) {
        c->done = true;
        console_write(c, work, (size_t)(m - work));
        console_write(c, m + c->marker_len, len - (size_t)(m - work) - c->marker_len);
        return;
    }
    for (size_t k = len < c->marker_len - 1 ? len : c->marker_len - 1; k > 0; k--)
        if (memcmp(work + len - k, c->marker, k) == 0) {
            keep = k;
            break;
        }
    console_write(c, work, len - keep);
    memcpy(c->pend, work + len - keep, keep);
    c->n_pend = keep;
}

/* The console pty turns every "\n" into "\r\n" (ONLCR): undo exactly that,
 * dropping one '\r' before each '\n'. */
static void console_feed(struct console *c, const char *buf, size_t n)
{
    char tmp[8192 + 1];
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (c->held_cr) {
            c->held_cr = false;
            if (buf[i] != '\n')
                tmp[o++] = '\r';
        }
        if (buf[i] == '\r')
            c->held_cr = true;
        else
            tmp[o++] = buf[i];
        if (o >= sizeof(tmp) - 1) {
            console_emit(c, tmp, o);
            o = 0;
        }
    }
    console_emit(c, tmp, o);
}

static void console_flush(struct console *c)
{
    if (c->held_cr)
        console_write(c, "\r", 1);
    console_write(c, c->pend, c->n_pend);
    c->held_cr = false;
    c->n_pend = 0;
}

/* Open the gate once the wrapper reads it; give up if the domain died. */
static void open_gate(virDomainPtr dom, const char *gate)
{
    for (;;) {
        int fd = open(gate, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            (void)write_all(fd, "\n", 1);
            close(fd);
            return;
        }
        if (errno != ENXIO && errno != EINTR)
            return;
        if (virDomainIsActive(dom) != 1)
            return;
        drv_sleep_ms(1);
    }
}

static int read_exit_file(const char *path)
{
    char buf[32] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return atoi(buf) & 0xff;
}

static pid_t domain_init_pid(struct engine_ctr *ctr);

/* libvirt-lxc names the host after the domain: set the asked hostname from
 * outside, in the container's UTS namespace, so nothing forks in it before the
 * command. */
static void set_hostname(struct engine_ctr *ctr)
{
    char path[64];
    pid_t init, pid;
    int fd;

    if (!ctr->hostname || !ctr->hostname[0] || (init = domain_init_pid(ctr)) <= 0)
        return;
    snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)init);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    pid = fork();
    if (pid == 0) {
        if (setns(fd, CLONE_NEWUTS) < 0 || sethostname(ctr->hostname, strlen(ctr->hostname)) < 0)
            _exit(1);
        _exit(0);
    }
    close(fd);
    if (pid > 0)
        (void)waitpid(pid, NULL, 0);
}

/* The OOM watcher: libvirt reports no OOM kills and removes the domain's
 * cgroup when it stops, so count them from the memory cgroup while it lives
 * (memory.oom_control + cgroup.event_control on v1, memory.events on v2). */
static __attribute__((noreturn)) void oom_watcher(const char *dir, bool v2, const char *out)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    drv_oom_watch(dir, v2, out);
}

static pid_t start_oom_watcher(struct engine_ctr *ctr)
{
    char dir[PATH_MAX];
    bool v2 = drv_host_is_cgroup2();
    pid_t init = domain_init_pid(ctr), pid;

    if (!ctr->oom_file || init <= 0 || !drv_memory_cgroup_dir(init, v2, dir, sizeof(dir)))
        return 0;
    pid = fork();
    if (pid == 0)
        oom_watcher(dir, v2, ctr->oom_file);
    return pid > 0 ? pid : 0;
}

static void stop_oom_watcher(pid_t pid)
{
    drv_reap_child(pid, 40, 5);
}

/* Copy the command's stderr fifo to fd 2 until every writer is gone. The
 * blocking open meets the wrapper's open for writing. */
static pid_t start_stderr_copier(const char *fifo)
{
    pid_t pid = fork();

    if (pid == 0) {
        char buf[8192];
        ssize_t n;
        int fd = open(fifo, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
            _exit(1);
        while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
            if (n > 0 && write_all(2, buf, (size_t)n) < 0)
                break;
        _exit(0);
    }
    return pid;
}

static void stop_stderr_copier(pid_t pid)
{
    /* It ends by itself once the container is gone; not if the wrapper never
     * opened the fifo. */
    drv_reap_child(pid, 50, 2);
}

/* The start helper: console -> io->out until the domain stops, then exit with
 * the command's code. A fresh connection: libvirt's is not to be shared across
 * fork. */
static __attribute__((noreturn)) void start_helper(struct engine_ctr *ctr,
                                                   const struct engine_stdio *io)
{
    char gate[PATH_MAX], exitf[PATH_MAX], errf[PATH_MAX], buf[8192];
    struct console con = {.out = 1, .out_ok = true};
    pid_t copier, watcher;
    virConnectPtr conn;
    virDomainPtr dom;
    virStreamPtr st;
    int n, code;

    signal(SIGPIPE, SIG_IGN);
    if (io->out >= 0 && io->out != 1)
        (void)dup2(io->out, 1);
    if (io->err >= 0 && io->err != 2)
        (void)dup2(io->err, 2);
    snprintf(gate, sizeof(gate), "%s/gate", ctr->ctl);
    snprintf(exitf, sizeof(exitf), "%s/exit", ctr->ctl);
    snprintf(errf, sizeof(errf), "%s/stderr", ctr->ctl);
    con.marker_len = (size_t)snprintf(con.marker, sizeof(con.marker), "%s%s%s", LIBVIRT_DONE_PREFIX,
                                      ctr->id, LIBVIRT_DONE_SUFFIX);
    conn = virConnectOpen(ctr->uri);
    dom = conn ? virDomainLookupByName(conn, ctr->name) : NULL;
    st = conn ? virStreamNew(conn, 0) : NULL;
    if (!dom || !st || virDomainOpenConsole(dom, NULL, st, 0) < 0) {
        dprintf(2, "engine: Attach the console of libvirt domain '%s': %s\n", ctr->name,
                last_error());
        if (dom)
            (void)virDomainDestroy(dom);
        unmount_root(ctr->root);
        _exit(START_FAILED_EXIT);
    }
    set_hostname(ctr);
    watcher = start_oom_watcher(ctr);
    copier = start_stderr_copier(errf);
    open_gate(dom, gate);
    while ((n = virStreamRecv(st, buf, sizeof(buf))) > 0) {
        bool was_done = con.done;

        console_feed(&con, buf, (size_t)n);
        /* Everything the command wrote is here: let the wrapper exit. */
        if (con.done && !was_done)
            open_gate(dom, gate);
    }
    console_flush(&con);
    if (n == 0) {
        (void)virStreamFinish(st);
    } else {
        if (virDomainIsActive(dom) == 1)
            dprintf(2, "engine: Console of libvirt domain '%s' failed: %s\n", ctr->name,
                    last_error());
        (void)virStreamAbort(st);
    }
    virStreamFree(st);
    while (virDomainIsActive(dom) == 1)
        drv_sleep_ms(10);
    stop_stderr_copier(copier);
    stop_oom_watcher(watcher);
    code = read_exit_file(exitf);
    /* No exit file: the wrapper itself was killed (virDomainDestroy sends SIGKILL). */
    if (code < 0)
        code = 128 + SIGKILL;
    (void)unlink(gate);
    unmount_root(ctr->root);
    virDomainFree(dom);
    virConnectClose(conn);
    _exit(code);
}

static int libvirt_start(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                         struct engine_error *err)
{
    char gate[PATH_MAX], exitf[PATH_MAX], errf[PATH_MAX];
    pid_t pid;
    int r;

    if ((r = ctr_conn(ctr, err)) < 0)
        return r;
    if (virDomainIsActive(ctr->dom) == 1)
        return engine_error_set(err, EBUSY, "libvirt domain '%s' is already running", ctr->name);
    snprintf(gate, sizeof(gate), "%s/gate", ctr->ctl);
    snprintf(exitf, sizeof(exitf), "%s/exit", ctr->ctl);
    (void)unlink(exitf);
    (void)unlink(gate);
    if (ctr->oom_file)
        (void)unlink(ctr->oom_file);
    if ((r = drv_mkdir_p(ctr->root, 0755)) < 0 || (r = drv_mkdir_p(ctr->ctl, 0777)) < 0)
        return engine_error_errno(err, r, "Create %s for libvirt domain '%s'", ctr->dir, ctr->name);
    snprintf(errf, sizeof(errf), "%s/stderr", ctr->ctl);
    (void)unlink(errf);
    if (mkfifo(errf, 0666) < 0 || chmod(errf, 0666) < 0)
        return engine_error_errno(err, errno, "Create %s for libvirt domain '%s'", errf, ctr->name);
    if (mkfifo(gate, 0666) < 0)
        return engine_error_errno(err, errno, "Create %s for libvirt domain '%s'", gate, ctr->name);
    (void)chmod(gate, 0666);
    /* A fresh bind each start: the core may have remounted the rootfs. */
    unmount_root(ctr->root);
    if (mount(ctr->rootfs, ctr->root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return engine_error_errno(err, errno, "Bind %s to %s for libvirt domain '%s'", ctr->rootfs,
                                  ctr->root, ctr->name);
    if (virDomainCreate(ctr->dom) < 0) {
        r = engine_error_set(err, EIO, "Start libvirt domain '%s': %s", ctr->name, last_error());
        unmount_root(ctr->root);
        return r;
    }
    pid = fork();
    if (pid < 0) {
        r = engine_error_errno(err, errno, "Start libvirt domain '%s': fork", ctr->name);
        (void)virDomainDestroy(ctr->dom);
        unmount_root(ctr->root);
        return r;
    }
    if (pid == 0)
        start_helper(ctr, io);
    *ret_pid = pid;
    return 0;
}

/* Host pid of the domain's init: the child of its libvirt_lxc controller. */
static pid_t domain_init_pid(struct engine_ctr *ctr)
{
    char path[PATH_MAX], buf[64] = "";
    FILE *f;
    long ctl = 0, init = 0;

    snprintf(path, sizeof(path), "/run/libvirt/lxc/%s.pid", ctr->name);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (fscanf(f, "%ld", &ctl) != 1)
        ctl = 0;
    fclose(f);
    if (ctl <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", ctl, ctl);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%ld", &init) != 1)
        init = 0;
    fclose(f);
    return (pid_t)init;
}

/* Signal the command (the wrapper's children); true when one was signalled. */
static bool signal_command(struct engine_ctr *ctr, int sig)
{
    char path[64], buf[4096];
    pid_t init = domain_init_pid(ctr);
    bool any = false;
    FILE *f;

    if (init <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)init, (int)init);
    f = fopen(path, "re");
    if (!f)
        return false;
    if (fgets(buf, sizeof(buf), f)) {
        char *p = buf, *end;
        for (long c; (c = strtol(p, &end, 10)) > 0 && end != p; p = end)
            if (kill((pid_t)c, sig) == 0)
                any = true;
    }
    fclose(f);
    return any;
}

static bool wait_inactive(virDomainPtr dom, unsigned timeout_ms)
{
    for (unsigned waited = 0; virDomainIsActive(dom) == 1; waited += 10) {
        if (waited >= timeout_ms)
            return false;
        drv_sleep_ms(10);
    }
    return true;
}

static int libvirt_stop(struct engine_ctr *ctr, int sig, unsigned timeout_ms,
                        struct engine_error *err)
{
    int r = ctr_conn(ctr, err);

    if (r < 0)
        return r;
    if (virDomainIsActive(ctr->dom) != 1)
        return 0;
    if (sig != SIGKILL) {
        /* The wrapper shell is pid 1 and ignores SIGTERM, so the signal goes
         * to the command itself; libvirt's shutdown is the fallback. */
        if (!signal_command(ctr, sig))
            (void)virDomainShutdownFlags(ctr->dom, VIR_DOMAIN_SHUTDOWN_SIGNAL);
        if (wait_inactive(ctr->dom, timeout_ms))
            return 0;
    }
    if (virDomainDestroy(ctr->dom) < 0 && virDomainIsActive(ctr->dom) == 1)
        return engine_error_set(err, EIO, "Destroy libvirt domain '%s': %s", ctr->name,
                                last_error());
    return 0;
}

static int libvirt_state(struct engine_ctr *ctr, struct engine_state *st, struct engine_error *err)
{
    int state = 0, reason = 0, r;

    if ((r = ctr_conn(ctr, err)) < 0)
        return r;
    if (virDomainGetState(ctr->dom, &state, &reason, 0) < 0)
        return engine_error_set(err, EIO, "State of libvirt domain '%s': %s", ctr->name,
                                last_error());
    switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
        st->status = ENGINE_CTR_RUNNING;
        snprintf(st->detail, sizeof(st->detail), "running");
        break;
    case VIR_DOMAIN_PAUSED:
        st->status = ENGINE_CTR_PAUSED;
        snprintf(st->detail, sizeof(st->detail), "paused");
        break;
    case VIR_DOMAIN_SHUTDOWN:
        st->status = ENGINE_CTR_RUNNING;
        snprintf(st->detail, sizeof(st->detail), "shutting down");
        break;
    case VIR_DOMAIN_SHUTOFF:
    case VIR_DOMAIN_CRASHED:
        st->status = ENGINE_CTR_EXITED;
        snprintf(st->detail, sizeof(st->detail), "shut off");
        break;
    default:
        st->status = ENGINE_CTR_UNKNOWN;
        snprintf(st->detail, sizeof(st->detail), "libvirt state %d", state);
    }
    st->pid = st->status == ENGINE_CTR_RUNNING || st->status == ENGINE_CTR_PAUSED
                  ? domain_init_pid(ctr)
                  : 0;
    return 0;
}

static int libvirt_stats(struct engine_ctr *ctr, struct engine_stats *st, struct engine_error *err)
{
    virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
    uint64_t kills;
    virDomainInfo info;
    int n;

    if ((n = ctr_conn(ctr, err)) < 0)
        return n;
    if (virDomainGetInfo(ctr->dom, &info) < 0)
        return engine_error_set(err, EIO, "Stats of libvirt domain '%s': %s", ctr->name,
                                last_error());
    if (drv_read_counter_file(ctr->oom_file, &kills))
        engine_stats_set(st, ENGINE_STAT_OOM_KILLS, kills,
                         drv_host_is_cgroup2() ? ENGINE_SRC_CGROUP_V2 : ENGINE_SRC_CGROUP_V1);
    /* After the exit only the OOM count is left (libvirt removed the cgroup). */
    if (info.state == VIR_DOMAIN_SHUTOFF)
        return st->field[ENGINE_STAT_OOM_KILLS].source != ENGINE_SRC_NONE
                   ? 0
                   : engine_error_set(err, ESRCH, "libvirt domain '%s' is not running", ctr->name);
    engine_stats_set(st, ENGINE_STAT_CPU_NS, info.cpuTime, ENGINE_SRC_LIBVIRT);
    engine_stats_set(st, ENGINE_STAT_MEM_CURRENT, (uint64_t)info.memory * 1024, ENGINE_SRC_LIBVIRT);
    /* maxMem is the <memory> libvirt enforces (the host's RAM when none was asked). */
    engine_stats_set(st, ENGINE_STAT_MEM_LIMIT, (uint64_t)info.maxMem * 1024, ENGINE_SRC_LIBVIRT);
    n = virDomainMemoryStats(ctr->dom, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0);
    for (int i = 0; i < n; i++)
        if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_RSS)
            engine_stats_set(st, ENGINE_STAT_MEM_CURRENT, ms[i].val * 1024, ENGINE_SRC_LIBVIRT);
    return 0;
}

static int libvirt_pause(struct engine_ctr *ctr, struct engine_error *err)
{
    int r = ctr_conn(ctr, err);

    if (r < 0)
        return r;
    if (virDomainSuspend(ctr->dom) < 0)
        return engine_error_set(err, EIO, "Suspend libvirt domain '%s': %s", ctr->name,
                                last_error());
    return 0;
}

static int libvirt_resume(struct engine_ctr *ctr, struct engine_error *err)
{
    int r = ctr_conn(ctr, err);

    if (r < 0)
        return r;
    if (virDomainResume(ctr->dom) < 0)
        return engine_error_set(err, EIO, "Resume libvirt domain '%s': %s", ctr->name,
                                last_error());
    return 0;
}

static int libvirt_destroy(struct engine_ctr *ctr, struct engine_error *err)
{
    int r = ctr_conn(ctr, err);

    if (r < 0) {
        ctr_free(ctr);
        return r;
    }
    if (virDomainIsActive(ctr->dom) == 1 && virDomainDestroy(ctr->dom) < 0 &&
        virDomainIsActive(ctr->dom) == 1)
        r = engine_error_set(err, EIO, "Destroy libvirt domain '%s': %s", ctr->name, last_error());
    if (r == 0 && virDomainUndefine(ctr->dom) < 0)
        r = engine_error_set(err, EIO, "Undefine libvirt domain '%s': %s", ctr->name, last_error());
    unmount_root(ctr->root);
    if (r == 0 && !is_mountpoint(ctr->root)) {
        r = drv_rm_rf(ctr->dir);
        if (r < 0)
            engine_error_errno(err, r, "Remove %s", ctr->dir);
    }
    ctr_free(ctr);
    return r;
}

static const struct engine_driver libvirt_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = "libvirt",
    .summary = "libvirt-lxc domains through libvirtd (uri, default lxc:///system)",
    .features = ENGINE_FEAT_PAUSE | ENGINE_FEAT_STATS_CPU | ENGINE_FEAT_STATS_MEMORY |
                ENGINE_FEAT_LIMIT_MEMORY | ENGINE_FEAT_LIMIT_CPU | ENGINE_FEAT_LIMIT_CPUSET |
                ENGINE_FEAT_NS_PID | ENGINE_FEAT_NS_MOUNT | ENGINE_FEAT_NS_NET |
                ENGINE_FEAT_NS_UTS | ENGINE_FEAT_NS_IPC | ENGINE_FEAT_READONLY_ROOTFS |
                ENGINE_FEAT_MOUNTS | ENGINE_FEAT_OOM_REPORT,
    .options = libvirt_options,
    .init = libvirt_init,
    .fini = libvirt_fini,
    .probe = libvirt_probe,
    .create = libvirt_create,
    .start = libvirt_start,
    .stats = libvirt_stats,
    .destroy = libvirt_destroy,
    .restore = libvirt_restore,
    .release = libvirt_release,
    .stop = libvirt_stop,
    .state = libvirt_state,
    .pause = libvirt_pause,
    .resume = libvirt_resume,
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void);
ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
    return &libvirt_driver;
}
