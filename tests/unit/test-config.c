/* tests/unit/test-config.c - core/conf.c: engine.conf golden files
 * (tests/data/good-*.ini -> good-*.expected dump, bad-*.ini -> bad-*.expected
 * error naming file:line), --exec-opt parsing and the driver precedence. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"
#include "tap.h"

static char *dump_config(const struct engine_config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

#define S(x) ((x) ? (x) : "(unset)")
    fprintf(f, "file=%s\n", S(cfg->file));
    fprintf(f, "driver=%s\n", S(cfg->driver));
    fprintf(f, "driver_dir=%s\n", S(cfg->driver_dir));
    fprintf(f, "state_dir=%s\n", S(cfg->state_dir));
    fprintf(f, "root=%s\n", S(cfg->root));
    fprintf(f, "socket=%s\n", S(cfg->socket));
    fprintf(f, "log_level=%s\n", S(cfg->log_level));
    fprintf(f, "memory_bytes=%" PRId64 "\n", cfg->defaults.memory_bytes);
    fprintf(f, "cpu_quota_us=%" PRIu64 "\n", cfg->defaults.cpu_quota_us);
    fprintf(f, "cpu_period_us=%" PRIu64 "\n", cfg->defaults.cpu_period_us);
    fprintf(f, "pids_max=%" PRId64 "\n", cfg->defaults.pids_max);
    fprintf(f, "cpuset_cpus=%s\n", S(cfg->defaults.cpuset_cpus));
#undef S
    for (size_t i = 0; i < cfg->n_opts; i++)
        fprintf(f, "opt %s.%s=%s (%s:%d)\n", cfg->opts[i].driver, cfg->opts[i].key,
                cfg->opts[i].value, cfg->opts[i].file, cfg->opts[i].line);
    fclose(f);
    return buf;
}

/* "good-full.ini" -> contents of "good-full.expected", without a final newline
 * for error files (one line each). */
static char *expected_for(const char *ini, bool chomp)
{
    _cleanup_free_ char *path = xasprintf("%.*s.expected", (int)(strrchr(ini, '.') - ini), ini);
    char *text = NULL;
    size_t n;

    if (read_file(path, &text, &n) < 0)
        return NULL;
    if (chomp && n > 0 && text[n - 1] == '\n')
        text[n - 1] = '\0';
    return text;
}

static void test_golden(void)
{
    glob_t g = {0};

    ok(glob("good-*.ini", 0, NULL, &g) == 0 && g.gl_pathc >= 3, "found the good-*.ini files");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct engine_config cfg;
        struct engine_error err = {0};
        _cleanup_free_ char *want = expected_for(g.gl_pathv[i], false), *got = NULL;
        int r = engine_config_load(g.gl_pathv[i], false, &cfg, &err);

        if (!ok(r == 0, "%s parses", g.gl_pathv[i])) {
            printf("#   %s\n", err.msg);
            continue;
        }
        got = dump_config(&cfg);
        is_str(got, want, "%s matches its .expected dump", g.gl_pathv[i]);
        engine_config_free(&cfg);
    }
    globfree(&g);

    ok(glob("bad-*.ini", 0, NULL, &g) == 0 && g.gl_pathc >= 10, "found the bad-*.ini files");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct engine_config cfg;
        struct engine_error err = {0};
        _cleanup_free_ char *want = expected_for(g.gl_pathv[i], true);
        int r = engine_config_load(g.gl_pathv[i], false, &cfg, &err);

        ok(r == -EINVAL && err.code == EINVAL, "%s is refused with EINVAL", g.gl_pathv[i]);
        is_str(err.msg, want, "%s: error names file:line", g.gl_pathv[i]);
        ok(cfg.file == NULL && cfg.n_opts == 0 && cfg.driver == NULL,
           "%s: nothing is left in the config", g.gl_pathv[i]);
    }
    globfree(&g);
}

static void test_missing(void)
{
    struct engine_config cfg;
    struct engine_error err = {0};

    ok(engine_config_load("/nonexistent/engine.conf", true, &cfg, &err) == 0 && !cfg.file,
       "a missing optional config is no error");
    ok(engine_config_load("/nonexistent/engine.conf", false, &cfg, &err) == -ENOENT,
       "a missing required config is ENOENT");
    is_str(err.msg, "Cannot open config file /nonexistent/engine.conf: No such file or directory",
           "the error names the file");
}

static const struct engine_config_opt *find_opt(const struct engine_config *cfg, const char *driver,
                                                const char *key)
{
    for (size_t i = 0; i < cfg->n_opts; i++)
        if (streq(cfg->opts[i].driver, driver) && streq(cfg->opts[i].key, key))
            return &cfg->opts[i];
    return NULL;
}

static void test_exec_opts(void)
{
    static const char *const bad[] = {
        "noequals", "=value", "lxc.=value", ".key=value", "a/b.key=v", "lxc.isolate=maybe",
    };
    struct engine_config cfg;
    struct engine_error err = {0};
    const struct engine_config_opt *o;

    ok(engine_config_load("good-full.ini", false, &cfg, &err) == 0, "good-full.ini loads");
    ok(engine_config_add_exec_opt(&cfg, "oci.runtime=/usr/bin/runc", "native", &err) == 0,
       "DRIVER.key=value is accepted");
    o = find_opt(&cfg, "oci", "runtime");
    ok(o && streq(o->value, "/usr/bin/runc") && streq(o->file, "--exec-opt") && o->line == 0,
       "it is recorded for driver oci with file --exec-opt");
    ok(engine_config_add_exec_opt(&cfg, "lxcpath=/srv/lxc", "lxc", &err) == 0,
       "key=value is accepted with a default driver");
    o = find_opt(&cfg, "lxc", "lxcpath");
    ok(o && streq(o->value, "/srv/lxc") && streq(o->file, "--exec-opt"),
       "it goes to the default driver and overrides [driver.lxc] from the file");
    ok(engine_config_add_exec_opt(&cfg, "native.args=a=b", NULL, &err) == 0 &&
           (o = find_opt(&cfg, "native", "args")) && streq(o->value, "a=b"),
       "a value may contain '='");
    ok(engine_config_add_exec_opt(&cfg, "native.empty=", NULL, &err) == 0 &&
           (o = find_opt(&cfg, "native", "empty")) && streq(o->value, ""),
       "an empty value is allowed");
    ok(engine_config_add_exec_opt(&cfg, "key=value", NULL, &err) == -EINVAL,
       "key=value without a default driver is refused");
    is_str(err.msg, "Invalid --exec-opt 'key=value': no driver given (use DRIVER.key=value)",
           "and the error says why");
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        size_t before = cfg.n_opts;

        err.msg[0] = '\0';
        ok(engine_config_add_exec_opt(&cfg, bad[i], "lxc", &err) == -EINVAL &&
               strstr(err.msg, bad[i]) && cfg.n_opts == before,
           "'%s' is refused naming it (%s)", bad[i], err.msg);
    }
    engine_config_free(&cfg);
    ok(cfg.opts == NULL && cfg.n_opts == 0 && cfg.driver == NULL, "free leaves an empty config");
}

static void test_pick_driver(void)
{
    struct engine_config cfg = {0};

    unsetenv("ENGINE_DRIVER");
    is_str(engine_config_pick_driver(&cfg, NULL, NULL), "native", "nothing set: native");
    cfg.driver = (char *)"lxc";
    is_str(engine_config_pick_driver(&cfg, NULL, NULL), "lxc", "[engine] driver beats native");
    setenv("ENGINE_DRIVER", "", 1);
    is_str(engine_config_pick_driver(&cfg, NULL, NULL), "lxc", "an empty $ENGINE_DRIVER is unset");
    setenv("ENGINE_DRIVER", "oci", 1);
    is_str(engine_config_pick_driver(&cfg, NULL, NULL), "oci", "$ENGINE_DRIVER beats the config");
    is_str(engine_config_pick_driver(&cfg, NULL, "libvirt"), "libvirt",
           "daemon -e beats $ENGINE_DRIVER");
    is_str(engine_config_pick_driver(&cfg, "nspawn", "libvirt"), "nspawn",
           "run -e beats the daemon's -e");
    cfg.driver = NULL;
    is_str(engine_config_pick_driver(&cfg, NULL, NULL), "oci", "$ENGINE_DRIVER beats native");
    unsetenv("ENGINE_DRIVER");
    is_str(engine_config_pick_driver(NULL, NULL, NULL), "native", "no config at all: native");
}

int main(void)
{
    if (chdir(TEST_SRCDIR "/data") < 0) {
        printf("1..0 # SKIP no %s/data\n", TEST_SRCDIR);
        return 77;
    }
    test_golden();
    test_missing();
    test_exec_opts();
    test_pick_driver();
    return tap_done();
}
