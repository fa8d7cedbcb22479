/* tests/unit/test-openvz.c - the openvz driver's command lines and parsers
 * (drivers/openvz/vzparse.c, compiled in) against the samples in
 * tests/data/openvz, which follow vzctl's documented formats. */
#define _GNU_SOURCE

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vzparse.h"

static char *load(const char *name)
{
    char path[1024], *buf = NULL;
    size_t len = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/data/openvz/%s", TEST_SRCDIR, name);
    f = fopen(path, "re");
    if (!f) {
        printf("Bail out! cannot open %s\n", path);
        exit(1);
    }
    if (getdelim(&buf, &len, '\0', f) < 0) {
        printf("Bail out! cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    return buf;
}

/* argv joined with single spaces, for one comparison per command line. */
static char *join(char **v)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    for (size_t i = 0; v && v[i]; i++)
        fprintf(f, "%s%s", i ? " " : "", v[i]);
    fclose(f);
    return out;
}

static void check_argv(char **v, const char *want, const char *desc)
{
    char *got = join(v);

    is_str(got, want, "%s", desc);
    free(got);
    vz_argv_free(v);
}

static void test_bc_resources(void)
{
    char *text = load("bc-resources-101");
    struct engine_error err = {0};
    struct vz_bcs b;
    const struct vz_bc *bc;

    ok(vz_parse_bc_resources(text, NULL, &b, &err) == 0, "parse /proc/bc/101/resources");
    ok(b.n == 21, "21 resources, dummies skipped (got %zu)", b.n);
    bc = vz_bc_find(&b, "physpages");
    ok(bc && bc->held == 2267 && bc->maxheld == 2399 && bc->limit == 16384,
       "physpages held/maxheld/limit");
    bc = vz_bc_find(&b, "kmemsize");
    ok(bc && bc->barrier == VZ_UNLIMITED && bc->limit == VZ_UNLIMITED, "LONG_MAX kept as is");
    bc = vz_bc_find(&b, "oomguarpages");
    ok(bc && bc->failcnt == 3, "oomguarpages failcnt");
    ok(vz_bc_find(&b, "nosuch") == NULL, "unknown resource not found");
    free(text);

    ok(vz_parse_bc_resources("garbage\n\n", NULL, &b, &err) < 0 && err.code == EINVAL,
       "no beancounter line is an error: %s", err.msg);
}

static void test_user_beancounters(void)
{
    char *text = load("user_beancounters");
    struct engine_error err = {0};
    struct vz_bcs b;
    const struct vz_bc *bc;

    ok(vz_parse_bc_resources(text, "101", &b, &err) == 0, "user_beancounters section 101");
    ok(b.n == 6, "six lines in section 101 (got %zu)", b.n);
    bc = vz_bc_find(&b, "numproc");
    ok(bc && bc->held == 20 && bc->limit == 65, "101 numproc");
    ok(vz_parse_bc_resources(text, "102", &b, &err) == 0 && b.n == 3,
       "section 102 is the last one");
    bc = vz_bc_find(&b, "physpages");
    ok(bc && bc->failcnt == 7 && bc->limit == 4096, "102 physpages");
    ok(vz_parse_bc_resources(text, "999", &b, &err) == -ENOENT, "missing container: %s", err.msg);
    free(text);
}

static void test_vestat(void)
{
    char *text = load("vestat");
    struct engine_error err = {0};
    struct vz_vestat v;

    ok(vz_parse_vestat(text, "101", &v, &err) == 0, "vestat line of 101");
    ok(v.user == 142926 && v.nice == 10 && v.system == 10252 && v.uptime_ticks == 152896388,
       "101 user/nice/system/uptime");
    ok(vz_parse_vestat(text, "102", &v, &err) == 0 && v.user == 27188, "vestat line of 102");
    ok(vz_parse_vestat(text, "10", &v, &err) == -ENOENT, "no prefix match: %s", err.msg);
    free(text);
}

static void test_stats(void)
{
    char *bc_text = load("bc-resources-101"), *ve_text = load("vestat");
    struct engine_stats st = {.struct_size = sizeof(st)};
    struct vz_bcs b;
    struct vz_vestat v;

    vz_parse_bc_resources(bc_text, NULL, &b, NULL);
    vz_parse_vestat(ve_text, "101", &v, NULL);
    vz_stats_fill(&b, &v, 4096, 100, &st);
    ok(st.field[ENGINE_STAT_MEM_CURRENT].value == 2267ull * 4096 &&
           st.field[ENGINE_STAT_MEM_CURRENT].source == ENGINE_SRC_VZ,
       "memory current = physpages held * page size, from vz");
    ok(st.field[ENGINE_STAT_MEM_MAX].value == 2399ull * 4096, "memory max = maxheld");
    ok(st.field[ENGINE_STAT_MEM_LIMIT].value == 64ull << 20, "memory limit 64 MiB");
    ok(st.field[ENGINE_STAT_PIDS_CURRENT].value == 20 &&
           st.field[ENGINE_STAT_PIDS_LIMIT].value == 64,
       "pids current/limit from numproc");
    ok(st.field[ENGINE_STAT_OOM_KILLS].value == 3 &&
           st.field[ENGINE_STAT_OOM_KILLS].source == ENGINE_SRC_VZ,
       "OOM kills = oomguarpages failcnt");
    ok(st.field[ENGINE_STAT_CPU_NS].value == (142926ull + 10 + 10252) * 10000000ull,
       "cpu ns = (user+nice+system) ticks at 100 Hz");
    ok(st.field[ENGINE_STAT_IO_READ_BYTES].source == ENGINE_SRC_NONE, "io not available, said so");
    free(bc_text);

    /* Unlimited memory and no vestat: no limit, no CPU, never a silent 0. */
    bc_text = load("user_beancounters");
    memset(&st, 0, sizeof(st));
    vz_parse_bc_resources(bc_text, "101", &b, NULL);
    vz_stats_fill(&b, NULL, 4096, 100, &st);
    ok(st.field[ENGINE_STAT_MEM_LIMIT].source == ENGINE_SRC_NONE,
       "2147483647 pages is unlimited: no limit reported");
    ok(st.field[ENGINE_STAT_CPU_NS].source == ENGINE_SRC_NONE, "no vestat: no cpu");
    ok(st.field[ENGINE_STAT_OOM_KILLS].value == 1, "OOM count from section 101");
    free(bc_text);
    free(ve_text);
}

static void test_status_and_vzlist(void)
{
    char *text;
    struct engine_error err = {0};
    struct vz_status s;
    struct vz_list_entry e;

    text = load("vzctl-status-running");
    ok(vz_parse_status(text, &s, &err) == 0 && s.exists && s.mounted && s.running && !s.suspended,
       "status: exist mounted running");
    free(text);
    text = load("vzctl-status-stopped");
    ok(vz_parse_status(text, &s, &err) == 0 && s.exists && !s.mounted && !s.running,
       "status: exist unmounted down");
    free(text);
    text = load("vzctl-status-deleted");
    ok(vz_parse_status(text, &s, &err) == 0 && !s.exists && !s.running, "status: deleted");
    free(text);
    ok(vz_parse_status("Unable to open /dev/vzctl\n", &s, &err) == -EINVAL,
       "status: unexpected output is an error: %s", err.msg);
    ok(vz_parse_status("CTID 101 exist mounted running suspended\n", &s, &err) == 0 && s.suspended,
       "status: suspended");

    text = load("vzlist");
    ok(vz_parse_vzlist(text, "101", &e, &err) == 0 && !strcmp(e.status, "running") &&
           e.numproc == 20 && e.physpages == 2267 && e.physpages_limit == 16384,
       "vzlist line of 101");
    ok(vz_parse_vzlist(text, "102", &e, &err) == 0 && !strcmp(e.status, "stopped") &&
           e.numproc == VZ_UNLIMITED,
       "vzlist '-' is not a number");
    ok(vz_parse_vzlist(text, "105713", &e, &err) == 0 && e.physpages == 310, "vzlist wide CTID");
    ok(vz_parse_vzlist(text, "103", &e, &err) == -ENOENT, "vzlist missing CTID: %s", err.msg);
    free(text);
}

static void test_command_lines(void)
{
    struct engine_limits l = {0};
    char *argv[] = {"/bin/sh", "-c", "echo it's $HOME", NULL};
    char *env[] = {"PATH=/bin:/usr/bin", "A=b c", NULL};
    struct engine_spec spec = {
        .struct_size = sizeof(spec),
        .id = "0123abcdef0123abcdef0123abcdef0123abcdef0123abcdef0123abcdef0123",
        .name = "web",
        .image = "busybox",
        .rootfs = "/var/lib/engine/containers/x/rootfs",
        .state_dir = "/run/engine/x",
        .argv = argv,
        .env = env,
        .cwd = "/tmp",
    };
    char *s;

    ok(!vz_limits_any(&l), "no limits: no vzctl set");
    l.memory_bytes = 64 << 20;
    l.memory_swap_bytes = 96 << 20;
    l.cpu_quota_us = 50000;
    l.cpu_period_us = 100000;
    l.cpu_shares = 512;
    l.pids_max = 64;
    l.cpuset_cpus = "0-1";
    ok(vz_limits_any(&l), "limits need vzctl set");
    check_argv(vz_argv_set_limits("/usr/sbin/vzctl", "1001", &l),
               "/usr/sbin/vzctl --quiet set 1001 --ram 65536K --swap 32768K --cpulimit 50 "
               "--cpuunits 500 --cpumask 0-1 --numproc 64:64 --save",
               "vzctl set with every limit");
    memset(&l, 0, sizeof(l));
    l.memory_bytes = 1000;
    l.cpu_quota_us = 150000;
    l.cpu_period_us = 100000;
    check_argv(vz_argv_set_limits("vzctl", "1001", &l),
               "vzctl --quiet set 1001 --ram 1K --swap 0K --cpulimit 150 --save",
               "memory rounds up to KiB, no swap, cpulimit over 100%");
    memset(&l, 0, sizeof(l));
    l.cpu_shares = 2;
    check_argv(vz_argv_set_limits("vzctl", "7", &l), "vzctl --quiet set 7 --cpuunits 8 --save",
               "cpuunits clamped to vzctl's minimum");
    check_argv(vz_argv_start("vzctl", "1001"), "vzctl --quiet start 1001", "vzctl start");
    check_argv(vz_argv_stop("vzctl", "1001", false), "vzctl --quiet stop 1001", "vzctl stop");
    check_argv(vz_argv_stop("vzctl", "1001", true), "vzctl --quiet stop 1001 --fast",
               "vzctl stop --fast");
    check_argv(vz_argv_status("vzctl", "1001"), "vzctl status 1001", "vzctl status");
    check_argv(vz_argv_umount("vzctl", "1001"), "vzctl --quiet umount 1001", "vzctl umount");
    check_argv(vz_argv_vzlist("vzlist", "1001"),
               "vzlist -H -o ctid,status,numproc,physpages,physpages.l 1001", "vzlist");

    s = vz_shell_quote("it's");
    is_str(s, "'it'\\''s'", "shell quote of a single quote");
    free(s);
    s = vz_exec_command(&spec);
    is_str(s,
           "cd '/tmp' && exec env 'PATH=/bin:/usr/bin' 'A=b c' -- '/bin/sh' '-c' "
           "'echo it'\\''s $HOME'",
           "exec2 command string: cwd, env, quoted argv");
    free(s);
    check_argv(vz_argv_exec("vzctl", "1001", &spec),
               "vzctl exec2 1001 cd '/tmp' && exec env 'PATH=/bin:/usr/bin' 'A=b c' -- "
               "'/bin/sh' '-c' 'echo it'\\''s $HOME'",
               "vzctl exec2 gets the command as one argument");
    {
        char **v = vz_argv_exec("vzctl", "1001", &spec);
        size_t n = 0;

        while (v && v[n])
            n++;
        ok(n == 4, "exec2 argv has 4 elements (got %zu)", n);
        vz_argv_free(v);
    }

    s = vz_conf_render(&spec, "1001", "/run/engine/x/vzroot");
    ok(s && strstr(s, "VE_PRIVATE=\"/var/lib/engine/containers/x/rootfs\"\n"),
       "config: private area is the engine rootfs");
    ok(s && strstr(s, "VE_ROOT=\"/run/engine/x/vzroot\"\n") && strstr(s, "VE_LAYOUT=\"simfs\"\n"),
       "config: simfs, root under the state dir");
    ok(s && strstr(s, "HOSTNAME=\"0123abcdef01\"\n"), "config: default hostname is id[:12]");
    ok(s && strstr(s, "OSTEMPLATE=\"engine-busybox\"\n") && strstr(s, "ONBOOT=\"no\"\n"),
       "config: template name, not on boot");
    free(s);
    spec.rootfs = "/a \"b\" $c`d`\\e";
    s = vz_conf_render(&spec, "1001", "/r");
    ok(s && strstr(s, "VE_PRIVATE=\"/a \\\"b\\\" \\$c\\`d\\`\\\\e\"\n"),
       "config: shell-special characters escaped");
    free(s);

    ok(vz_ctid_for("000000f0", 0) == 1015, "CTID from the id's leading hex");
    ok(vz_ctid_for("000000f0", 2) == 1017, "CTID steps past a taken one");
    ok(vz_ctid_for("fffffff0", 0) >= 1000 && vz_ctid_for("fffffff0", 0) < 2147483647UL,
       "CTID in vzctl's range");
}

int main(void)
{
    test_bc_resources();
    test_user_beancounters();
    test_vestat();
    test_stats();
    test_status_and_vzlist();
    test_command_lines();
    return tap_done();
}
