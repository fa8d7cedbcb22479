/* tests/unit/test-loader.c - core/loader.c and core/drivers.c against the mock
 * driver modules built in tests/.libs: a good one, a wrong ABI major, no entry
 * symbol, a NULL mandatory op, a NULL table, an older minor with a shorter
 * table, and an impostor named "native"; then the registry's search order,
 * option checks, init/probe caching, and the drivers JSON. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "util.h"
#include "tap.h"

#define LIBS TEST_BUILDDIR "/.libs"
#define OLD_SIZE (offsetof(struct engine_driver, release) + sizeof(void (*)(void)))

static char tmp[64];

static char *mock(const char *name)
{
    return xasprintf("%s/engine-driver-%s.so", LIBS, name);
}

static int load(const char *name, struct engine_module **ret, struct engine_error *err)
{
    _cleanup_free_ char *path = mock(name);

    engine_error_clear(err);
    *ret = NULL;
    return engine_module_load(path, ret, err);
}

static void test_load_good(void)
{
    struct engine_module *m = NULL;
    struct engine_error err = {0};
    int r = load("mockgood", &m, &err);

    if (!ok(r == 0 && m, "mockgood loads")) {
        printf("#   %s\n", err.msg);
        return;
    }
    is_str(m->name, "mockgood", "its name comes from the file name");
    ok(m->table.struct_size == sizeof(struct engine_driver), "the whole table is copied");
    ok(m->table.stop && m->table.pause && m->table.resume && !m->table.exec && !m->table.state,
       "optional ops are copied as the module set them");
    ok(m->table.options && streq(m->table.options[0], "color"), "options are visible");
    ok(!m->builtin && !m->initialised, "a module loaded by path is not built-in nor initialised");
    engine_module_free(m);
}

static void test_load_refused(void)
{
    _cleanup_free_ char *abi2 = mock("mockabi2"), *want = NULL;
    struct engine_module *m = NULL;
    struct engine_error err = {0};
    int r;

    r = load("mockabi2", &m, &err);
    want = xasprintf("%s: driver ABI 2.0, engine supports 1.x", abi2);
    ok(r < 0 && !m, "a module built for ABI 2.0 is refused");
    is_str(err.msg, want, "the error names the file and both versions");

    r = load("mocknosym", &m, &err);
    ok(r < 0 && !m && strstr(err.msg, "engine-driver-mocknosym.so: no symbol engine_driver_entry"),
       "a module without the entry symbol is refused (%s)", err.msg);
    r = load("mocknoop", &m, &err);
    ok(r < 0 && !m &&
           strstr(err.msg, "engine-driver-mocknoop.so: driver 'mocknoop' lacks the "
                           "mandatory operation create()"),
       "a module with a NULL create is refused naming it (%s)", err.msg);
    r = load("mocktiny", &m, &err);
    ok(r == -EPROTO && !m && strstr(err.msg, "engine-driver-mocktiny.so: driver table is ") &&
           strstr(err.msg, "ABI 1.0 needs at least"),
       "a table too short for the mandatory ops is refused (%s)", err.msg);
    r = load("mocknull", &m, &err);
    ok(r < 0 && !m &&
           strstr(err.msg, "engine-driver-mocknull.so: engine_driver_entry() returned "
                           "no driver table"),
       "an entry returning NULL is refused (%s)", err.msg);
    r = load("mocknative", &m, &err);
    ok(r < 0 && !m &&
           strstr(err.msg, "driver calls itself 'native' but the file is named for "
                           "'mocknative'"),
       "a table whose name differs from the file name is refused (%s)", err.msg);
    r = load("doesnotexist", &m, &err);
    ok(r < 0 && !m && strstr(err.msg, "Cannot load driver module: ") &&
           strstr(err.msg, "engine-driver-doesnotexist.so"),
       "a missing file gives dlerror's text (%s)", err.msg);
    engine_error_clear(&err);
    r = engine_module_load(LIBS "/libnotadriver.so", &m, &err);
    ok(r == -EINVAL && !m && strstr(err.msg, "not a driver module"),
       "a file not named engine-driver-NAME.so is refused (%s)", err.msg);
}

static void test_load_old_minor(void)
{
    struct engine_module *m = NULL;
    struct engine_error err = {0};
    int r = load("mockold", &m, &err);

    if (!ok(r == 0 && m, "a 1.x module with a table ending at release loads")) {
        printf("#   %s\n", err.msg);
        return;
    }
    ok(m->table.struct_size == OLD_SIZE, "its struct_size is kept (%u)", m->table.struct_size);
    ok(m->table.release && m->table.restore && m->table.init, "its mandatory ops are there");
    ok(!m->table.stop && !m->table.pause && !m->table.resume && !m->table.state && !m->table.exec,
       "members past its struct_size read as NULL even though the module has more");
    engine_module_free(m);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void link_mock(const char *dir, const char *as, const char *mock_name)
{
    _cleanup_free_ char *src = mock(mock_name);
    _cleanup_free_ char *dst = xasprintf("%s/%s/engine-driver-%s.so", tmp, dir, as);

    if (symlink(src, dst) < 0)
        printf("# symlink %s: %s\n", dst, strerror(errno));
}

static void make_tree(void)
{
    static const char *const dirs[] = {"builtin", "builtin2", "user1", "user2", "state", "root"};

    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        _cleanup_free_ char *d = xasprintf("%s/%s", tmp, dirs[i]);
        (void)mkdir(d, 0755);
    }
    link_mock("builtin", "mockgood", "mockgood");
    link_mock("builtin", "native", "mocknative");
    link_mock("builtin2", "mocknoop", "mocknoop");
    link_mock("user1", "native", "mocknative");
    link_mock("user1", "mockold", "mockold");
    link_mock("user1", "mockabi2", "mockabi2");
    link_mock("user2", "mockold", "mockold");
    link_mock("user2", "mocknull", "mocknull");
    {
        _cleanup_free_ char *a = xasprintf("%s/user1/README", tmp);
        _cleanup_free_ char *b = xasprintf("%s/user1/libother.so", tmp);
        write_text(a, "not a module\n");
        write_text(b, "not a module either\n");
    }
    write_text("engine.conf", "# a config with one typo\n"
                              "[engine]\n"
                              "driver = mockgood\n"
                              "\n"
                              "[driver.mockgood]\n"
                              "color = red\n"
                              "colour = blue\n");
    /* mockold is isolated (its probe answers from a helper process);
     * mockgood is not, so its counters are readable here. */
    write_text("good.conf", "[driver.mockgood]\n"
                            "color = red\n"
                            "isolate = no\n"
                            "[driver.mockold]\n"
                            "isolate = yes\n");
}

static void scan(struct engine_registry *reg, struct engine_config *cfg)
{
    _cleanup_free_ char *builtin = xasprintf("%s/builtin:%s/builtin2", tmp, tmp);
    _cleanup_free_ char *user = xasprintf("%s/user1:/nonexistent/drivers", tmp);
    _cleanup_free_ char *env = xasprintf("%s/user2:%s/builtin", tmp, tmp);
    struct engine_error err = {0};

    setenv("ENGINE_BUILTIN_DRIVER_DIR", builtin, 1);
    setenv("ENGINE_DRIVER_PATH", env, 1);
    free(cfg->driver_dir);
    cfg->driver_dir = xstrdup(user);
    memset(reg, 0, sizeof(*reg));
    reg->state_dir = xasprintf("%s/state", tmp);
    reg->root = xasprintf("%s/root", tmp);
    ok(engine_registry_scan(reg, cfg, &err) == 0, "registry scan succeeds");
}

static bool bad_has(const struct engine_registry *reg, const char *path, const char *msg)
{
    for (size_t i = 0; i < reg->n_bad; i++)
        if (strstr(reg->bad_paths[i], path) && strstr(reg->bad_errs[i].msg, msg))
            return true;
    return false;
}

static void test_registry_order(struct engine_registry *reg)
{
    _cleanup_free_ char *native_b = xasprintf("%s/builtin/engine-driver-native.so", tmp);
    _cleanup_free_ char *native_u = xasprintf("%s/user1/engine-driver-native.so", tmp);
    _cleanup_free_ char *old_u1 = xasprintf("%s/user1/engine-driver-mockold.so", tmp);
    _cleanup_free_ char *old_u2 = xasprintf("%s/user2/engine-driver-mockold.so", tmp);
    _cleanup_free_ char *dup = NULL;
    char names[256];

    engine_registry_names(reg, names, sizeof(names));
    is_str(names, "native, mockgood, mockold", "modules found: built-ins first, native leading");
    ok(reg->n == 3 && reg->mods[0]->builtin && reg->mods[1]->builtin && !reg->mods[2]->builtin,
       "built-in flags follow the dir a module came from");
    ok(reg->n >= 1 && streq(reg->mods[0]->path, native_b),
       "the built-in native wins over the user dir's");
    ok(reg->n == 3 && streq(reg->mods[2]->path, old_u1),
       "among user dirs, driver_dir comes before $ENGINE_DRIVER_PATH");
    dup = xasprintf("a driver named 'native' is already loaded from %s", native_b);
    ok(bad_has(reg, native_u, dup), "the third-party native is refused naming both paths");
    free(dup);
    dup = xasprintf("a driver named 'mockold' is already loaded from %s", old_u1);
    ok(bad_has(reg, old_u2, dup), "a later user dir's duplicate is refused naming both paths");
    ok(bad_has(reg, "user1/engine-driver-mockabi2.so", "driver ABI 2.0, engine supports 1.x"),
       "a wrong ABI is recorded as refused");
    ok(bad_has(reg, "user2/engine-driver-mocknull.so", "returned no driver table"),
       "a NULL table is recorded as refused");
    ok(bad_has(reg, "builtin2/engine-driver-mocknoop.so", "create()"),
       "the second built-in dir is scanned too");
    ok(reg->n_bad == 5, "nothing else is refused: other files ignored, dirs scanned once (%zu)",
       reg->n_bad);
}

static void test_registry_bad_options(void)
{
    struct engine_registry reg;
    struct engine_config cfg;
    struct engine_module *m = NULL;
    struct engine_error err = {0};

    if (!ok(engine_config_load("engine.conf", false, &cfg, &err) == 0, "engine.conf loads"))
        return;
    scan(&reg, &cfg);
    ok(engine_registry_get(&reg, "mockgood", &m, &err) == -EINVAL && !m,
       "an unknown [driver.mockgood] key fails the driver");
    is_str(err.msg,
           "engine.conf:7: Unknown option 'colour' for driver 'mockgood' (known: color, "
           "size)",
           "the error names file, line, key, driver and the known keys");
    engine_config_free(&cfg);
    memset(&cfg, 0, sizeof(cfg));
    ok(engine_config_add_exec_opt(&cfg, "mockgood.shape=round", NULL, &err) == 0,
       "--exec-opt mockgood.shape is parsed");
    ok(engine_registry_get(&reg, "mockgood", &m, &err) == -EINVAL, "but refused by the registry");
    is_str(err.msg,
           "--exec-opt mockgood.shape: Unknown option 'shape' for driver 'mockgood' "
           "(known: color, size)",
           "naming the option");
    free((char *)reg.state_dir);
    free((char *)reg.root);
    engine_registry_free(&reg);
    engine_config_free(&cfg);
}

static void test_registry_get(struct engine_registry *reg)
{
    struct engine_module *m = NULL, *m2 = NULL;
    struct engine_error err = {0};
    const struct engine_opt ok_opts[] = {{"color", "blue"}, {"isolate", "yes"}};
    const struct engine_opt bad_opts[] = {{"size", "1"}, {"bogus", "1"}};
    _cleanup_free_ char *host = NULL;
    int *init_calls;
    const char *last_opts, *last_host;
    int r;

    r = engine_registry_get(reg, "mockgood", &m, &err);
    if (!ok(r == 0 && m, "mockgood is found, initialised and probed")) {
        printf("#   %s\n", err.msg);
        return;
    }
    init_calls = dlsym(m->dl, "mock_init_calls");
    last_opts = dlsym(m->dl, "mock_last_opts");
    last_host = dlsym(m->dl, "mock_last_host");
    if (!ok(init_calls && last_opts && last_host, "the mock's counters are visible"))
        return;
    is_str(last_opts, "color=red size=3", "init got the file's and --exec-opt's keys, not isolate");
    host = xasprintf("mockgood %s/state %s/root", tmp, tmp);
    is_str(last_host, host, "init got a host naming the driver and the dirs");
    ok(m->host.cgroup_create && m->host.struct_size > 0, "the host services are filled");
    ok(engine_registry_get(reg, "mockgood", &m2, &err) == 0 && m2 == m && *init_calls == 1,
       "a second get is cached: init ran once (%d)", *init_calls);

    ok(engine_module_check_opts(m, ok_opts, ELEMENTSOF(ok_opts), &err) == 0,
       "per-container options the driver knows (and isolate) pass");
    ok(engine_module_check_opts(m, bad_opts, ELEMENTSOF(bad_opts), &err) == -EINVAL,
       "an unknown per-container option fails");
    is_str(err.msg, "Unknown option 'bogus' for driver 'mockgood' (known: color, size)",
           "naming it and the known keys");

    m = NULL;
    r = engine_registry_get(reg, "mockold", &m, &err);
    ok(r == -ENODEV && err.code == ENODEV && !m, "a declining driver gives ENODEV");
    is_str(err.msg,
           "Driver 'mockold' is not available on this host: mockold backend not "
           "installed",
           "with the driver's reason");
    ok(engine_registry_get(reg, "mockold", &m, &err) == -ENODEV, "and again from the cache");

    r = engine_registry_get(reg, "foo", &m, &err);
    ok(r == -ENOENT, "an unknown driver gives ENOENT");
    is_str(err.msg, "Unknown driver 'foo' (known: native, mockgood, mockold)",
           "listing the known drivers");
    r = engine_registry_get(reg, "mockabi2", &m, &err);
    ok(r == -ENOENT &&
           strstr(err.msg, "Unknown driver 'mockabi2' (known: native, mockgood, "
                           "mockold): ") &&
           strstr(err.msg, "driver ABI 2.0"),
       "a refused driver's name says why it was refused (%s)", err.msg);
}

static struct json_object *find_entry(struct json_object *a, const char *key, const char *value)
{
    struct json_object *v;

    for (size_t i = 0; i < json_object_array_length(a); i++) {
        struct json_object *o = json_object_array_get_idx(a, i);

        if (json_object_object_get_ex(o, key, &v) && v && strstr(json_object_get_string(v), value))
            return o;
    }
    return NULL;
}

static const char *field(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v))
        return "(missing)";
    return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE)
             : "null";
}

static void test_drivers_json(struct engine_ctx *ctx)
{
    struct json_object *a = engine_drivers_to_json(ctx), *o;

    ok(json_object_is_type(a, json_type_array) && json_object_array_length(a) == 8,
       "the matrix has 3 drivers and 5 refused modules");
    o = find_entry(a, "name", "mockgood");
    is_str(field(o, "available"), "true", "mockgood is available");
    is_str(field(o, "reason"), "null", "with a null reason");
    is_str(field(o, "abi"), "\"1.0\"", "abi \"1.0\"");
    is_str(field(o, "builtin"), "true", "built-in");
    is_str(field(o, "summary"), "\"Mock driver that loads\"", "its summary");
    is_str(field(o, "features"), "[\"pause\",\"stats-cpu\",\"limit-memory\",\"ns-pid\",\"mounts\"]",
           "its features by name");
    is_str(field(o, "options"), "[\"color\",\"size\"]", "its options");
    o = find_entry(a, "name", "mockold");
    is_str(field(o, "available"), "false", "mockold is not available");
    is_str(field(o, "reason"), "\"mockold backend not installed\"", "and says why");
    is_str(field(o, "features"), "[]", "no features");
    is_str(field(o, "options"), "[]", "no options");
    o = find_entry(a, "path", "user1/engine-driver-mockabi2.so");
    is_str(field(o, "refused"), "true", "a refused module is listed as refused");
    ok(o && strstr(field(o, "error"), "driver ABI 2.0, engine supports 1.x"), "with its error");
    json_object_put(a);
}

static void test_names(void)
{
    static const char *const want_feats[] = {
        "pause",           "exec",         "stats-cpu", "stats-memory", "stats-pids",   "stats-io",
        "stats-net",       "limit-memory", "limit-cpu", "limit-pids",   "limit-cpuset", "ns-pid",
        "ns-mount",        "ns-net",       "ns-uts",    "ns-ipc",       "ns-user",      "ns-cgroup",
        "readonly-rootfs", "oom-report",   "mounts",
    };
    static const char *const want_stats[] = {
        "cpu_ns",       "memory_current", "memory_max",    "memory_limit",
        "pids_current", "pids_limit",     "io_read_bytes", "io_write_bytes",
        "net_rx_bytes", "net_tx_bytes",   "oom_kills",
    };
    static const char *const want_src[] = {"n/a", "cgroup-v1", "cgroup-v2", "lxc",    "libvirt",
                                           "vz",  "proc",      "runtime",   "monitor"};
    bool all = true;

    for (size_t i = 0; i < ELEMENTSOF(want_feats); i++) {
        const char *n = engine_feature_name(UINT64_C(1) << i);
        if (!n || !streq(n, want_feats[i])) {
            printf("# feature bit %zu: %s\n", i, n ? n : "(null)");
            all = false;
        }
    }
    ok(all, "every feature bit has its name");
    ok(engine_feature_name(ENGINE_FEAT_OOM_REPORT) &&
           streq(engine_feature_name(ENGINE_FEAT_OOM_REPORT), "oom-report"),
       "ENGINE_FEAT_OOM_REPORT is oom-report");
    ok(!engine_feature_name(UINT64_C(1) << 40) && !engine_feature_name(3) &&
           !engine_feature_name(0),
       "unknown bits and masks have no name");
    all = ELEMENTSOF(want_stats) == ENGINE_STAT__COUNT;
    for (size_t i = 0; i < ELEMENTSOF(want_stats); i++)
        all = all && engine_stat_name(i) && streq(engine_stat_name(i), want_stats[i]);
    ok(all, "every stats field has its name");
    ok(!engine_stat_name(ENGINE_STAT__COUNT), "past the last field: no name");
    all = ELEMENTSOF(want_src) == ENGINE_SRC__COUNT;
    for (size_t i = 0; i < ELEMENTSOF(want_src); i++)
        all = all && streq(engine_stat_source_name(i), want_src[i]);
    ok(all, "every stats source has its name");
}

static void test_stats_json(void)
{
    struct engine_stats st = {.struct_size = sizeof(st), .n_fields = ENGINE_STAT__COUNT};
    struct json_object *o;

    engine_stats_set(&st, ENGINE_STAT_CPU_NS, 123456789012ULL, ENGINE_SRC_CGROUP_V1);
    engine_stats_set(&st, ENGINE_STAT_OOM_KILLS, 0, ENGINE_SRC_MONITOR);
    o = engine_stats_to_json(&st);
    ok(json_object_object_length(o) == ENGINE_STAT__COUNT, "one key per stats field");
    is_str(field(o, "cpu_ns"), "{\"value\":123456789012,\"source\":\"cgroup-v1\"}",
           "a value with its source");
    is_str(field(o, "oom_kills"), "{\"value\":0,\"source\":\"monitor\"}",
           "a real 0 stays a 0 with its source");
    is_str(field(o, "net_rx_bytes"), "{\"value\":null,\"source\":\"n/a\"}",
           "an unavailable field is null, never a silent 0");
    json_object_put(o);
}

int main(void)
{
    _cleanup_free_ char *probe = mock("mockgood");
    struct engine_ctx ctx = {0};
    struct engine_error err = {0};

    if (access(probe, R_OK) < 0) {
        printf("1..0 # SKIP mock modules not built in %s\n", LIBS);
        return 77;
    }
    snprintf(tmp, sizeof(tmp), "/tmp/engine-test-loader.XXXXXX");
    if (!mkdtemp(tmp) || chdir(tmp) < 0) {
        printf("1..0 # SKIP cannot make a temp dir: %s\n", strerror(errno));
        return 77;
    }
    test_load_good();
    test_load_refused();
    test_load_old_minor();
    test_names();
    test_stats_json();

    make_tree();
    test_registry_bad_options();

    if (ok(engine_config_load("good.conf", false, &ctx.cfg, &err) == 0, "good.conf loads") &&
        ok(engine_config_add_exec_opt(&ctx.cfg, "mockgood.size=3", NULL, &err) == 0,
           "--exec-opt mockgood.size=3 is parsed")) {
        scan(&ctx.reg, &ctx.cfg);
        test_registry_order(&ctx.reg);
        test_registry_get(&ctx.reg);
        test_drivers_json(&ctx);
        free((char *)ctx.reg.state_dir);
        free((char *)ctx.reg.root);
        engine_registry_free(&ctx.reg);
    }
    engine_config_free(&ctx.cfg);

    if (chdir("/") == 0)
        (void)rm_rf(tmp);
    return tap_done();
}
