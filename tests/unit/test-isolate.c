/* tests/unit/test-isolate.c - core/isolate.c: a driver with isolate = yes,
 * reached through the registry like the CLI and daemon reach it. A spec with
 * every kind of member crosses the helper's socket intact; start() passes
 * stdio and its container ends up a child of the caller (a subreaper);
 * a helper killed between calls is replaced and handles restored; a crash in
 * stop() or create() is an error naming the signal and the operation; a
 * forked child talks to its own helper; fini leaves no helper behind. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "loader.h"
#include "tap.h"
#include "util.h"

static char tmp[64] = "/tmp/engine-test-isolate.XXXXXX";

static pid_t helper_pid(struct engine_module *m, struct engine_ctr *c)
{
    struct engine_stats st = {.struct_size = sizeof(st), .n_fields = ENGINE_STAT__COUNT};
    struct engine_error e = {0};

    if (m->table.stats(c, &st, &e) < 0 || st.field[ENGINE_STAT_PIDS_CURRENT].source == 0)
        return -1;
    return (pid_t)st.field[ENGINE_STAT_PIDS_CURRENT].value;
}

static void state_detail(struct engine_module *m, struct engine_ctr *c, char *buf, size_t len)
{
    struct engine_state st = {.struct_size = sizeof(st)};
    struct engine_error e = {0};

    if (m->table.state(c, &st, &e) < 0)
        snprintf(buf, len, "error: %.200s", e.msg);
    else
        snprintf(buf, len, "%s", st.detail);
}

int main(void)
{
    static char *argv[] = {"sh", "-c", "echo hi", NULL};
    static char *env[] = {"A=1", "PATH=/bin", NULL};
    const struct engine_mount mounts[] = {{"/src", "/dst", "bind", NULL, 1}};
    const struct engine_opt opts[] = {{"k", "v"}};
    struct engine_spec spec = {
        .struct_size = sizeof(spec),
        .id = "0123",
        .name = "web",
        .image = "busybox",
        .image_dir = "/img",
        .rootfs = "/rootfs",
        .state_dir = "/state",
        .argv = argv,
        .env = env,
        .cwd = "/",
        .user = "1000:1000",
        .readonly_rootfs = 1,
        .limits = {.memory_bytes = 64 << 20,
                   .pids_max = 32,
                   .cpu_quota_us = 50000,
                   .cpuset_cpus = "0-1"},
        .mounts = mounts,
        .n_mounts = 1,
        .opts = opts,
        .n_opts = 1,
    };
    const char *want = "created web argv=sh,-c,echo hi env=A=1,PATH=/bin user=1000:1000 "
                       "mem=67108864 pids=32 quota=50000 ro=1 cpuset=0-1 mount=/src:/dst:ro "
                       "opt=k=v";
    struct engine_registry reg = {0};
    struct engine_config cfg = {0};
    struct engine_error err = {0};
    struct engine_module *m = NULL;
    struct engine_ctr *c = NULL, *c2 = NULL;
    _cleanup_free_ char *conf = NULL, *dir = NULL, *link = NULL, *so = NULL;
    char detail[256], out[16] = "";
    pid_t h1, h2, pid;
    int status, p[2], r;

    if (!mkdtemp(tmp))
        return 99;
    conf = xasprintf("%s/engine.conf", tmp);
    dir = xasprintf("%s/drivers", tmp);
    link = xasprintf("%s/engine-driver-mockiso.so", dir);
    so = xasprintf("%s/.libs/engine-driver-mockiso.so", TEST_BUILDDIR);
    (void)mkdir(dir, 0755);
    if (symlink(so, link) < 0)
        return 99;
    {
        FILE *f = fopen(conf, "w");
        if (!f)
            return 99;
        fputs("[driver.mockiso]\nisolate = yes\n", f);
        fclose(f);
    }
    setenv("ENGINE_BUILTIN_DRIVER_DIR", dir, 1);
    unsetenv("ENGINE_DRIVER_PATH");
    if (!ok(engine_config_load(conf, false, &cfg, &err) == 0, "config loads"))
        return 1;
    reg.state_dir = tmp;
    reg.root = tmp;
    engine_registry_scan(&reg, &cfg, &err);
    r = engine_registry_get(&reg, "mockiso", &m, &err);
    if (!ok(r == 0 && m, "the isolated driver initialises and probes (%s)", err.msg))
        return 1;
    ok(!m->table.exec && !(m->table.features & ENGINE_FEAT_EXEC) &&
           (m->table.features & ENGINE_FEAT_STATS_CPU) && !m->table.pause && m->table.state,
       "the proxy offers what the driver has, except exec");

    r = m->table.create(m->drv, &spec, &c, &err);
    if (!ok(r == 0 && c, "create through the helper (%s)", err.msg))
        return 1;
    state_detail(m, c, detail, sizeof(detail));
    is_str(detail, want, "the spec crossed the socket intact");
    h1 = helper_pid(m, c);
    ok(h1 > 0 && h1 != getpid(), "the driver runs in another process (%d)", (int)h1);

    /* start(): stdio by SCM_RIGHTS, the container reparented to us. */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (pipe(p) == 0) {
        const struct engine_stdio io = {.in = 0, .out = p[1], .err = 2};

        pid = 0;
        r = m->table.start(c, &io, &pid, &err);
        close(p[1]);
        ok(r == 0 && pid > 0, "start returns a pid (%s)", err.msg);
        ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
               WEXITSTATUS(status) == 7,
           "the container is our child: we reap its exit code 7");
        ok(read(p[0], out, sizeof(out) - 1) == 6 && streq(out, "hello\n"),
           "it wrote to the stdout we passed");
        close(p[0]);
    }

    r = m->table.stop(c, SIGTERM, 1234, &err);
    is_str(err.msg, "mockiso stop 15 1234", "stop's arguments and error come back");
    ok(r == -EPERM, "with its code");

    /* A helper killed between calls: the next call forks one and restores. */
    kill(h1, SIGKILL);
    {
        siginfo_t si; /* dead before the call, not during it; left for the proxy to reap */
        (void)waitid(P_PID, (id_t)h1, &si, WEXITED | WNOWAIT);
    }
    state_detail(m, c, detail, sizeof(detail));
    ok(strncmp(detail, "restored web argv=sh", 20) == 0, "the handle is restored in a new helper");
    h2 = helper_pid(m, c);
    ok(h2 > 0 && h2 != h1, "in a new helper (%d)", (int)h2);

    engine_error_clear(&err);
    r = m->table.stop(c, SIGSEGV, 0, &err);
    ok(r < 0, "a crash in stop fails the call");
    is_str(err.msg, "Driver 'mockiso' crashed (SIGSEGV) in stop", "naming the signal and the op");
    state_detail(m, c, detail, sizeof(detail));
    ok(strncmp(detail, "restored", 8) == 0, "and the next call works");

    spec.name = "segv";
    engine_error_clear(&err);
    r = m->table.create(m->drv, &spec, &c2, &err);
    ok(r < 0 && !c2, "a crash in create fails it");
    is_str(err.msg, "Driver 'mockiso' crashed (SIGSEGV) in create", "naming the signal and op");

    pid = fork();
    if (pid == 0) {
        /* A forked child must not talk on its parent's socket. */
        h1 = helper_pid(m, c);
        _exit(h1 > 0 && h1 != h2 ? 0 : 1);
    }
    ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "a forked child gets a helper of its own");
    h2 = helper_pid(m, c);
    ok(h2 > 0, "the parent's helper still answers");

    ok(m->table.destroy(c, &err) == 0, "destroy through the helper");
    engine_registry_free(&reg);
    ok(kill(h2, 0) < 0 && errno == ESRCH, "fini leaves no helper behind");
    engine_config_free(&cfg);
    (void)unlink(link);
    (void)rmdir(dir);
    (void)unlink(conf);
    (void)rmdir(tmp);
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
