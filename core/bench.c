/* core/bench.c - `engine bench`: the same workloads on every driver in one
 * run, round-robin per iteration so host noise hits all drivers alike, each
 * measured in-process through the core API (engine.h), plus a "floor" row:
 * the same start done with bare kernel calls (clone with pid/mnt/uts/ipc/net
 * namespaces, an overlay of the image, pivot_root, exec) and no engine at all.
 *
 * Memory overhead method: for a running `sleep` started by `engine run -d`
 * (so the CLI has exited, as in real use), the sum of the proportional set
 * size (Pss in /proc/PID/smaps_rollup, VmRSS when absent) of the container's
 * monitor, all its descendants, and every other process whose command line
 * names the container (a backend's helper such as libvirt_lxc), minus the
 * payload (the processes running `sleep`). PSS shares a library's pages
 * among the processes that map it, so a host running many containers pays
 * about this much per container. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "bench.h"
#include "util.h"

extern char **environ;

static const struct engine_bench_workload_info workloads[ENGINE_BW__COUNT] = {
    [ENGINE_BW_START_EXIT] = {.name = "start-exit",
                              .unit = "ms",
                              .floor = true,
                              .summary = "create+start+wait+rm of `true` (run --rm)"},
    [ENGINE_BW_CREATE_RUNNING] = {.name = "create-running",
                                  .unit = "ms",
                                  .floor = true,
                                  .summary = "create until `sleep` is running"},
    [ENGINE_BW_STATS] = {.name = "stats",
                         .unit = "ms",
                         .summary = "one stats call on a running container"},
    [ENGINE_BW_STOP] = {.name = "stop",
                        .unit = "ms",
                        .floor = true,
                        .summary = "stop -t 0 (SIGKILL) of `sleep` until exited"},
    [ENGINE_BW_RM] = {.name = "rm", .unit = "ms", .summary = "rm of the stopped container"},
    [ENGINE_BW_PARALLEL] = {.name = "parallel",
                            .unit = "ms",
                            .floor = true,
                            .summary = "K concurrent `engine run -d` until all run"},
    [ENGINE_BW_MEMORY] = {.name = "memory",
                          .unit = "MiB",
                          .summary = "PSS of monitor+backend per container, payload excluded"},
    [ENGINE_BW_MIN_MEMORY] =
        {.name = "min-memory",
         .unit = "MiB",
         .summary = "smallest -m that starts `true` (6..64 MiB; 6 = the core's minimum)"},
};

const struct engine_bench_workload_info *engine_bench_workload(enum engine_bench_workload w)
{
    return (unsigned)w < ENGINE_BW__COUNT ? &workloads[w] : NULL;
}

static void add(struct engine_bench_series *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
            abort();
    }
    s->v[s->n++] = v;
}

static void add_error(struct engine_bench_series *s, const char *msg)
{
    if (!s->errors++)
        snprintf(s->first_error, sizeof(s->first_error), "%.500s", msg);
}

static double ms_since(uint64_t t0)
{
    return (double)(now_ns() - t0) / 1e6;
}

/* ---- the floor: bare kernel calls ---- */

struct floor_run {
    char *base, *upper, *work, *merged, *opts;
    char *const *argv;
    int ready[2];
    pid_t pid;
};

static int floor_child(void *arg)
{
    struct floor_run *f = arg;

    (void)close(f->ready[0]);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("overlay", f->merged, "overlay", 0, f->opts) < 0 || chdir(f->merged) < 0 ||
        syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        _exit(126);
    execv(f->argv[0], f->argv);
    _exit(127);
}

static void floor_free(struct floor_run *f)
{
    if (f->base)
        (void)rm_rf(f->base);
    if (f->base)
        (void)rmdir(f->base);
    free(f->base);
    free(f->upper);
    free(f->work);
    free(f->merged);
    free(f->opts);
    closep(&f->ready[0]);
    closep(&f->ready[1]);
}

/* Make the layer dirs and clone; returns once the payload has exec'd. */
static int floor_start(struct engine_ctx *ctx, const char *lower, char *const *argv,
                       struct floor_run *f, struct engine_error *err)
{
    static char stack[8][64 * 1024] __attribute__((aligned(16)));
    static unsigned slot;
    char tmpl[4096], c;

    *f = (struct floor_run){.argv = argv, .ready = {-1, -1}};
    snprintf(tmpl, sizeof(tmpl), "%s/bench-floor-XXXXXX", ctx->root);
    (void)mkdir_p(ctx->root, 0700);
    if (!mkdtemp(tmpl))
        return engine_error_errno(err, errno, "Floor: mkdtemp %s", tmpl);
    f->base = xstrdup(tmpl);
    f->upper = xasprintf("%s/upper", tmpl);
    f->work = xasprintf("%s/work", tmpl);
    f->merged = xasprintf("%s/merged", tmpl);
    f->opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, f->upper, f->work);
    if (mkdir(f->upper, 0755) < 0 || mkdir(f->work, 0755) < 0 || mkdir(f->merged, 0755) < 0 ||
        pipe2(f->ready, O_CLOEXEC) < 0)
        return engine_error_errno(err, errno, "Floor: make %s", tmpl);
    f->pid =
        clone(floor_child, stack[slot++ % 8] + sizeof(stack[0]),
              CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD, f);
    if (f->pid < 0)
        return engine_error_errno(err, errno, "Floor: clone");
    (void)close(f->ready[1]);
    f->ready[1] = -1;
    /* EOF when the payload's exec closed the CLOEXEC pipe (or it died). */
    while (read(f->ready[0], &c, 1) < 0 && errno == EINTR)
        ;
    return 0;
}

static int floor_wait(struct floor_run *f, struct engine_error *err)
{
    int status;

    while (waitpid(f->pid, &status, 0) < 0)
        if (errno != EINTR)
            return engine_error_errno(err, errno, "Floor: waitpid");
    if (!WIFEXITED(status) && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
        return engine_error_set(err, EIO, "Floor: the payload died of signal %d", WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return engine_error_set(err, EIO,
                                "Floor: the payload exited %d (126: mount or "
                                "pivot_root failed, 127: exec failed)",
                                WEXITSTATUS(status));
    return 0;
}

static void floor_iteration(struct engine_ctx *ctx, const char *lower, unsigned k,
                            struct engine_bench_series *row)
{
    static char *const t_argv[] = {"/bin/true", NULL};
    static char *const s_argv[] = {"/bin/sleep", "1000", NULL};
    struct engine_error e = {0};
    struct floor_run f, par[64];
    uint64_t t0;
    int q;

    t0 = now_ns();
    q = floor_start(ctx, lower, t_argv, &f, &e);
    if (q == 0)
        q = floor_wait(&f, &e);
    floor_free(&f);
    if (q < 0)
        add_error(&row[ENGINE_BW_START_EXIT], e.msg);
    else
        add(&row[ENGINE_BW_START_EXIT], ms_since(t0));

    t0 = now_ns();
    q = floor_start(ctx, lower, s_argv, &f, &e);
    if (q == 0) {
        add(&row[ENGINE_BW_CREATE_RUNNING], ms_since(t0));
        t0 = now_ns();
        (void)kill(f.pid, SIGKILL);
        q = floor_wait(&f, &e);
        if (q == 0)
            add(&row[ENGINE_BW_STOP], ms_since(t0));
    }
    if (q < 0)
        add_error(&row[ENGINE_BW_CREATE_RUNNING], e.msg);
    floor_free(&f);

    if (k > ELEMENTSOF(par))
        k = ELEMENTSOF(par);
    t0 = now_ns();
    q = 0;
    for (unsigned i = 0; i < k; i++) {
        par[i] = (struct floor_run){.ready = {-1, -1}};
        if (q == 0)
            q = floor_start(ctx, lower, s_argv, &par[i], &e);
    }
    if (q == 0)
        add(&row[ENGINE_BW_PARALLEL], ms_since(t0));
    else
        add_error(&row[ENGINE_BW_PARALLEL], e.msg);
    for (unsigned i = 0; i < k; i++) {
        if (par[i].pid > 0) {
            (void)kill(par[i].pid, SIGKILL);
            (void)floor_wait(&par[i], &e);
        }
        floor_free(&par[i]);
    }
}

/* ---- the drivers ---- */

struct bench_state {
    struct engine_ctx *ctx;
    const struct engine_bench_opts *o;
    unsigned seq;
    char prefix[32];
};

static void bench_name(struct bench_state *bs, char *buf, size_t len)
{
    snprintf(buf, len, "%s%u", bs->prefix, ++bs->seq);
}

static void req_for(struct engine_create_req *r, const struct engine_target *t, char *const *argv,
                    const char *name)
{
    *r = (struct engine_create_req){.name = name,
                                    .image = "busybox",
                                    .driver = t->driver,
                                    .argv = argv,
                                    .exec_opts = t->exec_opts};
}

static void rm_quiet(struct engine_ctx *ctx, const char *ref)
{
    struct engine_error e = {0};

    (void)engine_container_remove(ctx, ref, true, &e);
}

static int start_exit(struct bench_state *bs, const struct engine_target *t, int64_t mem,
                      double *ret_ms, struct engine_error *err)
{
    static char *const argv[] = {"true", NULL};
    struct engine_create_req r;
    struct engine_run_result res = {0};
    char name[64];
    uint64_t t0;
    int q;

    bench_name(bs, name, sizeof(name));
    req_for(&r, t, argv, name);
    r.auto_remove = true;
    r.limits.memory_bytes = mem;
    t0 = now_ns();
    q = engine_run_capture(bs->ctx, &r, &res, err);
    if (q < 0)
        return q;
    *ret_ms = ms_since(t0);
    engine_run_result_free(&res);
    if (res.exit_code != 0)
        return engine_error_set(err, EIO, "`true` exited %d", res.exit_code);
    return 0;
}

/* create-running, stats, stop and rm on one `sleep 1000`. */
static void lifecycle(struct bench_state *bs, const struct engine_target *t,
                      struct engine_bench_series *row)
{
    static char *const argv[] = {"sleep", "1000", NULL};
    struct engine_create_req r;
    struct engine_error e = {0};
    struct engine_stats st;
    char name[64], id[65];
    uint64_t t0;
    pid_t mon;

    bench_name(bs, name, sizeof(name));
    req_for(&r, t, argv, name);
    t0 = now_ns();
    if (engine_container_create(bs->ctx, &r, id, &e) < 0) {
        add_error(&row[ENGINE_BW_CREATE_RUNNING], e.msg);
        return;
    }
    mon = engine_container_start(bs->ctx, id, NULL, &e);
    if (mon < 0) {
        add_error(&row[ENGINE_BW_CREATE_RUNNING], e.msg);
        rm_quiet(bs->ctx, id);
        return;
    }
    add(&row[ENGINE_BW_CREATE_RUNNING], ms_since(t0));

    for (int i = 0; i < 3; i++) {
        t0 = now_ns();
        if (engine_container_stats(bs->ctx, id, &st, &e) < 0)
            add_error(&row[ENGINE_BW_STATS], e.msg);
        else
            add(&row[ENGINE_BW_STATS], ms_since(t0));
    }

    t0 = now_ns();
    if (engine_container_stop(bs->ctx, id, 0, &e) < 0)
        add_error(&row[ENGINE_BW_STOP], e.msg);
    else
        add(&row[ENGINE_BW_STOP], ms_since(t0));
    t0 = now_ns();
    if (engine_container_remove(bs->ctx, id, true, &e) < 0)
        add_error(&row[ENGINE_BW_RM], e.msg);
    else
        add(&row[ENGINE_BW_RM], ms_since(t0));
    (void)waitpid(mon, NULL, 0);
}

/* ---- memory of the processes that serve one container ---- */

struct proc {
    pid_t pid, ppid;
    bool names_it, payload, in;
};

static size_t proc_table(struct proc **ret, const char *tag)
{
    _cleanup_closedir_ DIR *d = opendir("/proc");
    struct dirent *de;
    struct proc *v = NULL;
    size_t n = 0, cap = 0;

    while (d && (de = readdir(d))) {
        _cleanup_free_ char *path = NULL, *stat = NULL, *cmd = NULL, *comm = NULL;
        size_t len = 0;
        struct proc p = {0};
        char *rp;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        p.pid = atoi(de->d_name);
        path = xasprintf("/proc/%d/stat", (int)p.pid);
        if (read_file(path, &stat, NULL) < 0 || !(rp = strrchr(stat, ')')))
            continue;
        if (sscanf(rp + 2, "%*c %d", &p.ppid) != 1)
            continue;
        free(path);
        path = xasprintf("/proc/%d/cmdline", (int)p.pid);
        if (read_file(path, &cmd, &len) == 0) {
            for (size_t i = 0; i + 1 < len; i++)
                if (cmd[i] == '\0')
                    cmd[i] = ' ';
            p.names_it = strstr(cmd, tag) != NULL;
        }
        free(path);
        path = xasprintf("/proc/%d/comm", (int)p.pid);
        if (read_file(path, &comm, NULL) == 0)
            p.payload = strncmp(comm, "sleep", 5) == 0;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = realloc(v, cap * sizeof(*v));
            if (!v)
                abort();
        }
        v[n++] = p;
    }
    *ret = v;
    return n;
}

static uint64_t proc_pss_kb(pid_t pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/smaps_rollup", (int)pid), *s = NULL;
    const char *key = "\nPss:";
    char *p;

    if (read_file(path, &s, NULL) < 0) {
        free(path);
        path = xasprintf("/proc/%d/status", (int)pid);
        if (read_file(path, &s, NULL) < 0)
            return 0;
        key = "\nVmRSS:";
    }
    p = strstr(s, key);
    return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static int overhead_mib(pid_t monitor, const char *id, double *ret)
{
    _cleanup_free_ struct proc *v = NULL;
    char tag[13];
    size_t n;
    uint64_t kb = 0;
    bool grew = true;

    snprintf(tag, sizeof(tag), "%.12s", id);
    n = proc_table(&v, tag);
    for (size_t i = 0; i < n; i++)
        v[i].in = v[i].pid == monitor || v[i].names_it;
    while (grew) {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            if (v[i].in)
                continue;
            for (size_t j = 0; j < n; j++)
                if (v[j].in && v[j].pid == v[i].ppid) {
                    v[i].in = grew = true;
                    break;
                }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (v[i].in && !v[i].payload)
            kb += proc_pss_kb(v[i].pid);
    if (!kb)
        return -ENOENT;
    *ret = (double)kb / 1024.0;
    return 0;
}

/* ---- K concurrent `engine run -d`, as K users would type it ---- */

static char **run_d_argv(struct bench_state *bs, const struct engine_target *t, const char *name)
{
    struct engine_ctx *ctx = bs->ctx;
    char **a = strv_append(NULL, "engine");

    if (ctx->cfg.file) {
        a = strv_append(a, "-c");
        a = strv_append(a, ctx->cfg.file);
    }
    a = strv_append(a, "--state-dir");
    a = strv_append(a, ctx->state_dir);
    a = strv_append(a, "--root");
    a = strv_append(a, ctx->root);
    a = strv_append(a, "run");
    a = strv_append(a, "-d");
    a = strv_append(a, "--name");
    a = strv_append(a, name);
    a = strv_append(a, "-e");
    a = strv_append(a, t->driver);
    for (size_t i = 0; t->exec_opts && t->exec_opts[i]; i++) {
        a = strv_append(a, "--exec-opt");
        a = strv_append(a, t->exec_opts[i]);
    }
    a = strv_append(a, "busybox");
    a = strv_append(a, "sleep");
    a = strv_append(a, "1000");
    return a;
}

static void parallel(struct bench_state *bs, const struct engine_target *t, unsigned k,
                     struct engine_bench_series *row)
{
    posix_spawn_file_actions_t fa;
    char names[64][64];
    pid_t pids[64];
    unsigned started = 0, failed = 0;
    uint64_t t0;
    struct engine_error e = {0};
    _cleanup_free_ char *errpath = NULL;
    char how[64] = "";
    int r;

    if (k > ELEMENTSOF(pids))
        k = ELEMENTSOF(pids);
    (void)posix_spawn_file_actions_init(&fa);
    (void)posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    errpath = xasprintf("%s/bench-parallel-%d.err", bs->ctx->root, (int)getpid());
    (void)posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
                                           0600);
    t0 = now_ns();
    for (unsigned i = 0; i < k; i++) {
        _cleanup_strv_free_ char **argv = NULL;

        bench_name(bs, names[i], sizeof(names[i]));
        argv = run_d_argv(bs, t, names[i]);
        /* /proc/self/exe: this very binary even if a rebuild replaced the file. */
        r = posix_spawn(&pids[i], "/proc/self/exe", &fa, NULL, argv, environ);
        if (r != 0) {
            pids[i] = -1;
            snprintf(how, sizeof(how), "spawn: %s", strerror(r));
        } else {
            started++;
        }
    }
    for (unsigned i = 0; i < k; i++) {
        int status = 0;

        if (pids[i] <= 0)
            continue;
        while ((r = (int)waitpid(pids[i], &status, 0)) < 0 && errno == EINTR)
            ;
        if (r < 0)
            snprintf(how, sizeof(how), "waitpid: %s", strerror(errno));
        else if (WIFSIGNALED(status))
            snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
        else if (WEXITSTATUS(status) != 0)
            snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
        failed += r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    (void)posix_spawn_file_actions_destroy(&fa);
    if (failed || started != k) {
        _cleanup_free_ char *text = NULL;
        char msg[512], *nl;

        if (read_file(errpath, &text, NULL) < 0)
            text = xstrdup("");
        if ((nl = strchr(text, '\n')))
            *nl = '\0';
        snprintf(msg, sizeof(msg), "%u of %u concurrent `engine run -d` failed (%s): %.380s",
                 failed + k - started, k, how, text);
        add_error(&row[ENGINE_BW_PARALLEL], msg);
    } else {
        add(&row[ENGINE_BW_PARALLEL], ms_since(t0));
    }
    /* Memory: of the first one, started by a CLI that has exited. */
    {
        struct engine_record *rec = NULL;
        double mib;

        if (engine_container_inspect(bs->ctx, names[0], &rec, &e) == 0 &&
            rec->status == ENGINE_CTR_RUNNING) {
            if (overhead_mib(rec->monitor_pid, rec->id, &mib) == 0)
                add(&row[ENGINE_BW_MEMORY], mib);
            else
                add_error(&row[ENGINE_BW_MEMORY], "No process of the container found");
        }
        engine_record_free(rec);
    }
    for (unsigned i = 0; i < k; i++)
        rm_quiet(bs->ctx, names[i]);
    (void)unlink(errpath);
}

/* Smallest memory limit that starts `true`, 6..64 MiB, a few probes. */
static void min_memory(struct bench_state *bs, const struct engine_target *t,
                       struct engine_bench_series *s)
{
    struct engine_error e = {0};
    int lo = 6, hi = 64;
    double ms;

    if (!(t->features & ENGINE_FEAT_LIMIT_MEMORY)) {
        s->not_supported = true;
        return;
    }
    if (start_exit(bs, t, (int64_t)hi << 20, &ms, &e) < 0) {
        add_error(s, "Does not start `true` even with 64 MiB");
        return;
    }
    if (start_exit(bs, t, (int64_t)lo << 20, &ms, &e) == 0) {
        add(s, lo);
        return;
    }
    /* lo fails, hi works: halve until 2 MiB apart. */
    while (hi - lo > 2) {
        int mid = (lo + hi) / 2;
        if (start_exit(bs, t, (int64_t)mid << 20, &ms, &e) == 0)
            hi = mid;
        else
            lo = mid;
    }
    add(s, hi);
}

/* Remove every container this run named (an interrupted or failed step). */
static void sweep(struct bench_state *bs)
{
    struct engine_record **v = NULL;
    struct engine_error e = {0};
    size_t n = 0;

    if (engine_container_list(bs->ctx, &v, &n, &e) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (v[i]->name && strncmp(v[i]->name, bs->prefix, strlen(bs->prefix)) == 0)
            rm_quiet(bs->ctx, v[i]->id);
    engine_records_free(v, n);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static void progress(struct bench_state *bs, unsigned iter, const char *label, int w)
{
    if (bs->o->progress)
        bs->o->progress(bs->o->ud, iter, bs->o->runs, label, workloads[w].name);
}

static bool stopped(const struct engine_bench_opts *o)
{
    return o->interrupted && *o->interrupted;
}

int engine_bench_run(struct engine_ctx *ctx, const struct engine_target *t, size_t nt,
                     const struct engine_bench_opts *o, struct engine_bench **ret,
                     struct engine_error *err)
{
    struct bench_state bs = {.ctx = ctx, .o = o};
    _cleanup_free_ char *lower = NULL;
    struct engine_bench *b;
    unsigned k = o->parallel ? o->parallel : 4;
    int q;

    q = engine_image_dir(ctx, "busybox", &lower, err);
    if (q < 0)
        return q;
    snprintf(bs.prefix, sizeof(bs.prefix), "bench-%d-", (int)getpid());
    b = xcalloc(1, sizeof(*b));
    b->n_rows = nt + 1;
    b->runs = o->runs;
    b->parallel = k;
    b->labels = xcalloc(nt + 2, sizeof(*b->labels));
    b->labels[0] = xstrdup("floor");
    for (size_t j = 0; j < nt; j++)
        b->labels[j + 1] = xstrdup(t[j].label);
    b->series = xcalloc(nt + 1, sizeof(*b->series));
    for (int w = 0; w < ENGINE_BW__COUNT; w++)
        if (!workloads[w].floor)
            b->series[0][w].not_supported = true;

    for (unsigned it = 1; it <= o->runs && !stopped(o); it++) {
        progress(&bs, it, "floor", ENGINE_BW_START_EXIT);
        floor_iteration(ctx, lower, k, b->series[0]);
        for (size_t j = 0; j < nt && !stopped(o); j++) {
            struct engine_bench_series *row = b->series[j + 1];
            struct engine_error e = {0};
            double ms;

            if (!t[j].available)
                continue;
            progress(&bs, it, t[j].label, ENGINE_BW_START_EXIT);
            if (start_exit(&bs, &t[j], 0, &ms, &e) < 0)
                add_error(&row[ENGINE_BW_START_EXIT], e.msg);
            else
                add(&row[ENGINE_BW_START_EXIT], ms);
            progress(&bs, it, t[j].label, ENGINE_BW_CREATE_RUNNING);
            lifecycle(&bs, &t[j], row);
            progress(&bs, it, t[j].label, ENGINE_BW_PARALLEL);
            parallel(&bs, &t[j], k, row);
            sweep(&bs);
        }
    }
    for (size_t j = 0; j < nt && !stopped(o); j++) {
        if (!t[j].available)
            continue;
        progress(&bs, 0, t[j].label, ENGINE_BW_MIN_MEMORY);
        min_memory(&bs, &t[j], &b->series[j + 1][ENGINE_BW_MIN_MEMORY]);
    }
    sweep(&bs);
    *ret = b;
    return 0;
}

void engine_bench_free(struct engine_bench *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_rows; i++) {
        free(b->labels[i]);
        for (int w = 0; w < ENGINE_BW__COUNT; w++)
            free(b->series[i][w].v);
    }
    free(b->labels);
    free(b->series);
    free(b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v. */
static double percentile(const double *v, size_t n, double p)
{
    size_t r = (size_t)(p * (double)n);

    if ((double)r < p * (double)n)
        r++;

    return v[r ? r - 1 : 0];
}

bool engine_bench_summarise(const struct engine_bench_series *s, struct engine_bench_summary *ret)
{
    _cleanup_free_ double *v = NULL;

    if (!s->n)
        return false;
    v = xmalloc(s->n * sizeof(*v));
    memcpy(v, s->v, s->n * sizeof(*v));
    qsort(v, s->n, sizeof(*v), cmp_double);
    ret->n = s->n;
    ret->min = v[0];
    ret->max = v[s->n - 1];
    ret->median = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
    ret->p90 = percentile(v, s->n, 0.9);
    return true;
}
