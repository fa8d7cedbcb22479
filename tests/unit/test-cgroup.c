/* tests/unit/test-cgroup.c - core/cgroup.c: parsing and detection without
 * root, then (as root) a real cgroup on this host: create with limits, attach
 * a child, stats, freeze, kill, destroy, and an impossible limit. */
#include "cgroup.c" /* the static parsers are under test too */

#include <signal.h>
#include <sys/wait.h>

static int n_test, n_failed;

static void ok_if(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok_if(bool cond, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %d - ", cond ? "" : "not ", ++n_test);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond)
        n_failed++;
}

static void skip_test(const char *why)
{
    printf("ok %d # SKIP %s\n", ++n_test, why);
}

static const char hybrid_mountinfo[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "90 80 0:36 / /var/lib/x/pids rw shared:5 - cgroup cgroup rw,pids\n";

static const char comounted_mountinfo[] =
    "25 18 0:22 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755\n"
    "28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw shared:11 - cgroup cgroup rw,cpu,cpuacct\n"
    "29 25 0:26 / /sys/fs/cgroup/blkio rw shared:12 - cgroup cgroup rw,blkio\n"
    "30 25 0:27 / /sys/fs/cgroup/mem\\040ory rw shared:13 - cgroup cgroup rw,memory\n";

static void test_parse(void)
{
    struct cg_layout l = {0};
    uint64_t v = 0, rd = 0, wr = 0;

    snprintf(l.root, sizeof(l.root), "/sys/fs/cgroup");
    cg_parse_mountinfo(hybrid_mountinfo, &l);
    ok_if(streq(l.mounts[CG_CPU], "/sys/fs/cgroup/cpu") &&
              streq(l.mounts[CG_CPUACCT], "/sys/fs/cgroup/cpuacct"),
          "hybrid: separate cpu and cpuacct mounts found");
    ok_if(streq(l.mounts[CG_PIDS], "/sys/fs/cgroup/pids"),
          "a controller mounted again outside the root is ignored");
    ok_if(l.mounts[CG_BLKIO][0] == '\0', "an absent controller stays unset");
    ok_if(cg_mode_from(0x01021994 /* tmpfs */, CGROUP2_SUPER_MAGIC, &l) == ENGINE_CGROUP_HYBRID,
          "tmpfs root + cgroup2 unified = hybrid");

    memset(&l, 0, sizeof(l));
    snprintf(l.root, sizeof(l.root), "/sys/fs/cgroup/");
    cg_parse_mountinfo(comounted_mountinfo, &l);
    ok_if(streq(l.mounts[CG_CPU], "/sys/fs/cgroup/cpu,cpuacct") &&
              streq(l.mounts[CG_CPUACCT], "/sys/fs/cgroup/cpu,cpuacct"),
          "co-mounted cpu,cpuacct share one directory");
    ok_if(streq(l.mounts[CG_MEMORY], "/sys/fs/cgroup/mem ory"), "mountinfo escapes decoded");
    ok_if(cg_mode_from(0x01021994, 0x01021994, &l) == ENGINE_CGROUP_V1, "tmpfs alone = v1");
    ok_if(cg_mode_from(CGROUP2_SUPER_MAGIC, 0, &l) == ENGINE_CGROUP_V2, "cgroup2 root = v2");

    ok_if(kv_lookup("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", &v) == 0 && v == 3,
          "oom_kill read from memory.oom_control (not oom_kill_disable)");
    ok_if(kv_lookup("low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n", "oom_kill", &v) == 0 && v == 1,
          "oom_kill read from memory.events");
    ok_if(kv_lookup("usage_usec 12\n", "oom_kill", &v) == -ENOENT, "missing key is ENOENT");
    blkio_sum("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 1\n8:0 Total 4608\n"
              "8:16 Read 100\n8:16 Write 0\nTotal 4708\n",
              &rd, &wr);
    ok_if(rd == 4196 && wr == 512, "blkio Read/Write summed over devices");
    iostat_sum("8:0 rbytes=1000 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n"
               "8:16 rbytes=5 wbytes=7 rios=1 wios=1\n",
               &rd, &wr);
    ok_if(rd == 1005 && wr == 27, "io.stat rbytes/wbytes summed over devices");
    ok_if(shares_to_weight(1024) == 39 && shares_to_weight(2) == 1 &&
              shares_to_weight(262144) == 10000,
          "cpu.shares converted to cpu.weight like crun");
    ok_if(cg_name_check("engine/../x", NULL) < 0 && cg_name_check("/abs", NULL) < 0 &&
              cg_name_check("engine/abc", NULL) == 0,
          "cgroup names cannot escape the hierarchy");
    ok_if(is_unlimited(9223372036854771712ULL) && !is_unlimited(64ULL << 20),
          "v1 unlimited memory is not reported as a limit");
}

/* ENGINE_CGROUP_ROOT at a plain directory: no controller, create refuses. */
static void test_root_override(void)
{
    char dir[] = "/tmp/engine-cgroot.XXXXXX";
    pid_t pid;
    int status = 0;

    if (!mkdtemp(dir)) {
        ok_if(false, "mkdtemp");
        return;
    }
    pid = fork();
    if (pid == 0) {
        struct engine_cgroup *cg = NULL;
        struct engine_error err = {0};
        int r;

        setenv("ENGINE_CGROUP_ROOT", dir, 1);
        layout_done = false;
        r = engine_cgroup_create("engine/x", NULL, &cg, &err);
        _exit(engine_cgroup_mode() == ENGINE_CGROUP_V1 && r == -ENOTSUP && strstr(err.msg, dir)
                  ? 0
                  : 1);
    }
    waitpid(pid, &status, 0);
    ok_if(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "ENGINE_CGROUP_ROOT without controllers: create fails naming the root");
    rmdir(dir);
}

static uint64_t read_u64_at(const char *dir, const char *file)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
    uint64_t v = 0;

    (void)read_u64_file(p, &v);
    return v;
}

static bool proc_in_cgroup(pid_t pid, const char *name)
{
    _cleanup_free_ char *p = xasprintf("/proc/%d/cgroup", (int)pid), *text = NULL;

    return read_file(p, &text, NULL) == 0 && strstr(text, name) != NULL;
}

static void test_live(void)
{
    _cleanup_free_ char *name = xasprintf("engine/unit-test-%d", (int)getpid());
    struct engine_limits lim = {
        .memory_bytes = 64 << 20,
        .cpu_quota_us = 50000,
        .cpu_period_us = 100000,
        .cpu_shares = 512,
        .pids_max = 32,
        .cpuset_cpus = "0",
    };
    struct engine_cgroup *cg = NULL;
    struct engine_stats st = {.struct_size = sizeof(st)};
    struct engine_error err = {0};
    const char *mem;
    pid_t child;
    int r, status = 0;

    printf("# cgroup mode: %s\n", engine_cgroup_mode_name(engine_cgroup_mode()));
    r = engine_cgroup_create(name, &lim, &cg, &err);
    ok_if(r == 0, "create %s with limits (%s)", name, err.msg);
    if (r < 0)
        return;
    ok_if(engine_cgroup_exists(name), "exists after create");
    mem = engine_cgroup_path(cg, "memory");
    ok_if(mem &&
              read_u64_at(mem, cg->v2_dir ? "memory.max" : "memory.limit_in_bytes") == (64u << 20),
          "memory limit written");
    ok_if(read_u64_at(engine_cgroup_path(cg, "pids"), "pids.max") == 32, "pids.max written");

    child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    r = engine_cgroup_attach(cg, child, &err);
    ok_if(r == 0 && proc_in_cgroup(child, name), "child attached (%s)", err.msg);

    r = engine_cgroup_stats(cg, &st, &err);
    ok_if(r == 0, "stats (%s)", err.msg);
    ok_if(st.field[ENGINE_STAT_PIDS_CURRENT].source != ENGINE_SRC_NONE &&
              st.field[ENGINE_STAT_PIDS_CURRENT].value == 1,
          "pids_current = 1 (got %" PRIu64 ")", st.field[ENGINE_STAT_PIDS_CURRENT].value);
    ok_if(st.field[ENGINE_STAT_PIDS_LIMIT].value == 32, "pids_limit = 32");
    ok_if(st.field[ENGINE_STAT_MEM_LIMIT].value == (64u << 20), "memory_limit = 64 MiB");
    ok_if(st.field[ENGINE_STAT_MEM_CURRENT].source != ENGINE_SRC_NONE,
          "memory_current has a source");
    ok_if(st.field[ENGINE_STAT_CPU_NS].source != ENGINE_SRC_NONE, "cpu_ns has a source");
    ok_if(st.field[ENGINE_STAT_OOM_KILLS].source != ENGINE_SRC_NONE &&
              st.field[ENGINE_STAT_OOM_KILLS].value == 0,
          "oom_kills = 0 with a source");
    ok_if(st.field[ENGINE_STAT_NET_RX_BYTES].source == ENGINE_SRC_NONE,
          "net stays unavailable (not a cgroup figure)");

    r = engine_cgroup_freeze(cg, 1, &err);
    ok_if(r == 0 && cg_is_frozen(cg) == 1, "freeze (%s)", err.msg);
    r = engine_cgroup_freeze(cg, 0, &err);
    ok_if(r == 0 && cg_is_frozen(cg) == 0, "thaw (%s)", err.msg);

    ok_if(engine_cgroup_kill(cg, 0) == 1, "kill signals the one task");
    r = engine_cgroup_destroy(cg, &err);
    ok_if(r == 0, "destroy (%s)", err.msg);
    waitpid(child, &status, 0);
    ok_if(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "destroy killed the task");
    ok_if(!engine_cgroup_exists(name), "gone after destroy");
    ok_if(engine_cgroup_exists("engine"), "the engine parent stays");

    r = engine_cgroup_open(name, &cg, &err);
    ok_if(r == -ENOENT, "open of a removed cgroup is ENOENT");
}

static void test_impossible(void)
{
    _cleanup_free_ char *name = xasprintf("engine/unit-bad-%d", (int)getpid());
    struct engine_limits lim = {.cpuset_cpus = "9999"};
    struct engine_limits lim2 = {.cpu_quota_us = 10, .cpu_period_us = 100000};
    struct engine_cgroup *cg = NULL;
    struct engine_error err = {0};
    int r;

    r = engine_cgroup_create(name, &lim, &cg, &err);
    ok_if(r < 0 && strstr(err.msg, "cpuset.cpus"), "impossible cpuset refused: %s", err.msg);
    ok_if(!engine_cgroup_exists(name), "nothing left after a refused create");
    r = engine_cgroup_create(name, &lim2, &cg, &err);
    ok_if(r == -EINVAL && strstr(err.msg, "cpu"), "10us cpu quota refused: %s", err.msg);
    ok_if(!engine_cgroup_exists(name), "nothing left after a refused create");
}

/* The v2 code path on the controller-less unified mount of a hybrid host (or
 * the real root on a v2 host): create, attach, freeze, kill, destroy. */
static int v2_child(const char *root)
{
    _cleanup_free_ char *name = xasprintf("engine/unit-v2-%d", (int)getpid());
    struct engine_cgroup *cg = NULL;
    struct engine_stats st = {.struct_size = sizeof(st)};
    pid_t child;
    int status = 0, bad = 0;

    setenv("ENGINE_CGROUP_ROOT", root, 1);
    layout_done = false;
    if (engine_cgroup_mode() != ENGINE_CGROUP_V2)
        return 10;
    if (engine_cgroup_create(name, NULL, &cg, NULL) < 0)
        return 11;
    child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    bad |= engine_cgroup_attach(cg, child, NULL) < 0 ? 1 << 1 : 0;
    bad |= engine_cgroup_stats(cg, &st, NULL) < 0 ? 1 << 2 : 0;
    bad |= st.field[ENGINE_STAT_CPU_NS].source != ENGINE_SRC_CGROUP_V2 ? 1 << 3 : 0;
    bad |= engine_cgroup_freeze(cg, 1, NULL) < 0 || cg_is_frozen(cg) != 1 ? 1 << 4 : 0;
    bad |= engine_cgroup_freeze(cg, 0, NULL) < 0 ? 1 << 5 : 0;
    bad |= engine_cgroup_destroy(cg, NULL) < 0 ? 1 << 6 : 0;
    waitpid(child, &status, 0);
    bad |= !WIFSIGNALED(status) ? 1 << 7 : 0;
    bad |= engine_cgroup_exists(name) ? 1 << 8 : 0;
    if (strstr(root, "/unified")) {
        _cleanup_free_ char *parent = xasprintf("%s/engine", root);
        (void)rmdir(parent); /* nobody else uses the hybrid unified tree */
    }
    return bad ? 20 : 0;
}

static void test_v2(void)
{
    const char *root =
        engine_cgroup_mode() == ENGINE_CGROUP_V2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
    struct statfs sf;
    pid_t pid;
    int status = 0;

    if (statfs(root, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
        skip_test("no cgroup2 mount for the v2 path");
        return;
    }
    pid = fork();
    if (pid == 0)
        _exit(v2_child(root));
    waitpid(pid, &status, 0);
    ok_if(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "v2 path on %s: create, attach, stats, freeze, destroy (status %d)", root,
          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
    test_parse();
    test_root_override();
    if (geteuid() != 0) {
        skip_test("live cgroup tests need root");
    } else {
        test_live();
        test_impossible();
        test_v2();
    }
    printf("1..%d\n", n_test);
    return n_failed ? 1 : 0;
}
