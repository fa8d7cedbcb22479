/* core/loader.c - opening driver modules, validating their table against the
 * ABI, and the registry: which module serves which driver name, and each
 * driver's one-time init and probe.
 *
 * A module that was accepted is never dlclose'd: the daemon is threaded and a
 * driver may have started threads or registered callbacks we cannot see. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "conf.h"
#include "isolate.h"
#include "loader.h"
#include "util.h"

#define MODULE_PREFIX "engine-driver-"
#define MODULE_SUFFIX ".so"
/* The core's own key, allowed in every [driver.NAME] and never passed on. */
#define CORE_OPT_ISOLATE "isolate"

/* Every 1.0 module fills at least up to release, the last mandatory member. */
#define DRIVER_TABLE_MIN_SIZE                                                                      \
    (offsetof(struct engine_driver, release) + sizeof(((struct engine_driver *)0)->release))

/* The daemon serves requests from several threads; a driver is initialised
 * once whichever asks first. */
static pthread_mutex_t registry_init_lock = PTHREAD_MUTEX_INITIALIZER;

#ifndef ENGINE_DRIVER_DIR
#define ENGINE_DRIVER_DIR "/usr/local/lib/engine/drivers"
#endif

/* "engine-driver-NAME.so" -> "NAME", NULL when the file is not a module. */
static char *module_name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    size_t n;

    base = base ? base + 1 : path;
    n = strlen(base);
    if (strncmp(base, MODULE_PREFIX, strlen(MODULE_PREFIX)) != 0 ||
        n <= strlen(MODULE_PREFIX) + strlen(MODULE_SUFFIX) ||
        !streq(base + n - strlen(MODULE_SUFFIX), MODULE_SUFFIX))
        return NULL;
    return strndup(base + strlen(MODULE_PREFIX), n - strlen(MODULE_PREFIX) - strlen(MODULE_SUFFIX));
}

static int module_check_table(const char *path, const char *name, const struct engine_driver *t,
                              struct engine_error *err)
{
    static const struct {
        const char *name;
        size_t offset;
    } mandatory[] = {
        {"init", offsetof(struct engine_driver, init)},
        {"probe", offsetof(struct engine_driver, probe)},
        {"create", offsetof(struct engine_driver, create)},
        {"start", offsetof(struct engine_driver, start)},
        {"stats", offsetof(struct engine_driver, stats)},
        {"destroy", offsetof(struct engine_driver, destroy)},
        {"restore", offsetof(struct engine_driver, restore)},
        {"release", offsetof(struct engine_driver, release)},
    };

    if (t->abi_major != ENGINE_DRIVER_ABI_MAJOR)
        return engine_error_set(err, EPROTO, "%s: driver ABI %u.%u, engine supports %u.x", path,
                                t->abi_major, t->abi_minor, ENGINE_DRIVER_ABI_MAJOR);
    if (t->struct_size < DRIVER_TABLE_MIN_SIZE)
        return engine_error_set(
            err, EPROTO, "%s: driver table is %u bytes, ABI %u.%u needs at least %zu", path,
            t->struct_size, t->abi_major, t->abi_minor, (size_t)DRIVER_TABLE_MIN_SIZE);
    if (!t->name)
        return engine_error_set(err, EINVAL, "%s: driver has no name", path);
    if (!streq(t->name, name))
        return engine_error_set(err, EINVAL,
                                "%s: driver calls itself '%.64s' but the file is named for '%s'",
                                path, t->name, name);
    for (size_t i = 0; i < ELEMENTSOF(mandatory); i++) {
        void *fn;

        memcpy(&fn, (const char *)t + mandatory[i].offset, sizeof(fn));
        if (!fn)
            return engine_error_set(err, EINVAL,
                                    "%s: driver '%s' lacks the mandatory operation %s()", path,
                                    name, mandatory[i].name);
    }
    return 0;
}

int engine_module_load(const char *path, struct engine_module **ret, struct engine_error *err)
{
    _cleanup_free_ char *name = module_name_from_path(path);
    engine_driver_entry_fn entry;
    const struct engine_driver *t;
    struct engine_module *m;
    void *dl;
    int r;

    if (!name)
        return engine_error_set(err, EINVAL, "%s: not a driver module (expected %sNAME%s)", path,
                                MODULE_PREFIX, MODULE_SUFFIX);
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        return engine_error_set(err, ENOEXEC, "Cannot load driver module: %s", dlerror());
    *(void **)&entry = dlsym(dl, ENGINE_DRIVER_ENTRY_SYMBOL);
    if (!entry) {
        (void)dlclose(dl);
        return engine_error_set(err, ENOEXEC, "%s: no symbol %s(), not an engine driver", path,
                                ENGINE_DRIVER_ENTRY_SYMBOL);
    }
    t = entry();
    if (!t) {
        (void)dlclose(dl);
        return engine_error_set(err, EINVAL, "%s: %s() returned no driver table", path,
                                ENGINE_DRIVER_ENTRY_SYMBOL);
    }
    r = module_check_table(path, name, t, err);
    if (r < 0) {
        (void)dlclose(dl);
        return r;
    }
    m = xcalloc(1, sizeof(*m));
    /* A table from an older minor is shorter: what it lacks stays NULL. */
    memcpy(&m->table, t, t->struct_size < sizeof(m->table) ? t->struct_size : sizeof(m->table));
    m->table.struct_size = sizeof(m->table) < t->struct_size ? sizeof(m->table) : t->struct_size;
    m->name = steal_pointer(&name);
    m->path = xstrdup(path);
    m->dl = dl;
    *ret = m;
    return 0;
}

void engine_module_free(struct engine_module *m)
{
    if (!m)
        return;
    if (m->drv && m->table.fini)
        m->table.fini(m->drv);
    free(m->name);
    free(m->path);
    free(m);
}

struct engine_module *engine_registry_find(struct engine_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (streq(reg->mods[i]->name, name))
            return reg->mods[i];
    return NULL;
}

void engine_registry_names(const struct engine_registry *reg, char *buf, size_t len)
{
    size_t off = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < reg->n && off < len; i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", reg->mods[i]->name);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (reg->n == 0)
        snprintf(buf, len, "none");
}

static void registry_refuse(struct engine_registry *reg, const char *path,
                            const struct engine_error *e)
{
    char **paths = realloc(reg->bad_paths, (reg->n_bad + 1) * sizeof(*paths));
    struct engine_error *errs;

    if (!paths)
        abort();
    reg->bad_paths = paths;
    errs = realloc(reg->bad_errs, (reg->n_bad + 1) * sizeof(*errs));
    if (!errs)
        abort();
    reg->bad_errs = errs;
    reg->bad_paths[reg->n_bad] = xstrdup(path);
    reg->bad_errs[reg->n_bad] = *e;
    reg->n_bad++;
}

static void registry_add(struct engine_registry *reg, struct engine_module *m)
{
    struct engine_module **v = realloc(reg->mods, (reg->n + 1) * sizeof(*v));

    if (!v)
        abort();
    reg->mods = v;
    reg->mods[reg->n++] = m;
}

static int module_filter(const struct dirent *de)
{
    _cleanup_free_ char *name = module_name_from_path(de->d_name);

    return name != NULL;
}

static void registry_scan_dir(struct engine_registry *reg, const char *dir, bool builtin)
{
    struct dirent **ents = NULL;
    int n;

    n = scandir(dir, &ents, module_filter, alphasort);
    if (n < 0) {
        struct engine_error e;

        if (errno != ENOENT && errno != ENOTDIR) {
            engine_error_errno(&e, errno, "Cannot read driver directory %s", dir);
            registry_refuse(reg, dir, &e);
        }
        return;
    }
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, ents[i]->d_name);
        _cleanup_free_ char *name = module_name_from_path(ents[i]->d_name);
        struct engine_module *m, *other;
        struct engine_error e = {0};

        free(ents[i]);
        other = engine_registry_find(reg, name);
        if (other) {
            /* Never dlopen it: its constructors must not run either. */
            engine_error_set(&e, EEXIST, "%s: a driver named '%s' is already loaded from %s", path,
                             name, other->path);
            registry_refuse(reg, path, &e);
            continue;
        }
        if (reg->lazy) {
            m = xcalloc(1, sizeof(*m));
            m->name = steal_pointer(&name);
            m->path = xstrdup(path);
        } else if (engine_module_load(path, &m, &e) < 0) {
            registry_refuse(reg, path, &e);
            continue;
        }
        m->builtin = builtin;
        registry_add(reg, m);
    }
    free(ents);
}

/* Scan each dir of a colon-separated list once, even if listed twice or
 * reached through another path. */
static void registry_scan_list(struct engine_registry *reg, const char *list, bool builtin,
                               char ***seen)
{
    _cleanup_free_ char *copy = xstrdup(list);
    char *save = NULL;

    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char real[PATH_MAX];
        const char *key = realpath(dir, real) ? real : dir;
        bool dup = false;

        for (size_t i = 0; *seen && (*seen)[i]; i++)
            if (streq((*seen)[i], key))
                dup = true;
        if (dup)
            continue;
        *seen = strv_append(*seen, key);
        registry_scan_dir(reg, dir, builtin);
    }
}

int engine_registry_scan(struct engine_registry *reg, const struct engine_config *cfg,
                         struct engine_error *err)
{
    _cleanup_strv_free_ char **seen = NULL;
    const char *builtin = getenv("ENGINE_BUILTIN_DRIVER_DIR");
    const char *env = getenv("ENGINE_DRIVER_PATH");

    reg->cfg = cfg;
    /* Built-in first, so a third-party module can never take a built-in's name. */
    registry_scan_list(reg, builtin && *builtin ? builtin : ENGINE_DRIVER_DIR, true, &seen);
    /* The default driver leads every listing, whatever the dir order. */
    for (size_t i = 1; i < reg->n; i++)
        if (streq(reg->mods[i]->name, ENGINE_DEFAULT_DRIVER)) {
            struct engine_module *m = reg->mods[i];

            memmove(reg->mods + 1, reg->mods, i * sizeof(*reg->mods));
            reg->mods[0] = m;
        }
    if (cfg && cfg->driver_dir)
        registry_scan_list(reg, cfg->driver_dir, false, &seen);
    if (env && *env)
        registry_scan_list(reg, env, false, &seen);
    return 0;
}

static bool module_knows_opt(const struct engine_module *m, const char *key)
{
    if (streq(key, CORE_OPT_ISOLATE))
        return true;
    for (size_t i = 0; m->table.options && m->table.options[i]; i++)
        if (streq(m->table.options[i], key))
            return true;
    return false;
}

static void module_opt_names(const struct engine_module *m, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; m->table.options && m->table.options[i] && off < len; i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", m->table.options[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (!buf[0])
        snprintf(buf, len, "none");
}

static int module_unknown_opt(const struct engine_module *m, const char *where, const char *key,
                              struct engine_error *err)
{
    char known[512];

    module_opt_names(m, known, sizeof(known));
    return engine_error_set(err, EINVAL, "%s%sUnknown option '%s' for driver '%s' (known: %s)",
                            where ? where : "", where ? ": " : "", key, m->name, known);
}

int engine_module_check_opts(const struct engine_module *m, const struct engine_opt *opts, size_t n,
                             struct engine_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!module_knows_opt(m, opts[i].key))
            return module_unknown_opt(m, NULL, opts[i].key, err);
    return 0;
}

/* The [driver.NAME] keys and driver-wide --exec-opts for m, checked, without
 * the core's own keys. */
static int registry_driver_opts(const struct engine_registry *reg, const struct engine_module *m,
                                struct engine_opt **ret, size_t *ret_n, struct engine_error *err)
{
    const struct engine_config *cfg = reg->cfg;
    struct engine_opt *v;
    size_t n = 0;

    v = xcalloc(cfg ? cfg->n_opts + 1 : 1, sizeof(*v));
    for (size_t i = 0; cfg && i < cfg->n_opts; i++) {
        const struct engine_config_opt *o = &cfg->opts[i];

        if (!streq(o->driver, m->name))
            continue;
        if (!module_knows_opt(m, o->key)) {
            char where[PATH_MAX + 32];

            if (o->line > 0)
                snprintf(where, sizeof(where), "%s:%d", o->file, o->line);
            else
                snprintf(where, sizeof(where), "%s %s.%s", o->file, o->driver, o->key);
            free(v);
            return module_unknown_opt(m, where, o->key, err);
        }
        if (streq(o->key, CORE_OPT_ISOLATE))
            continue;
        v[n].key = o->key;
        v[n].value = o->value;
        n++;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

static int registry_init_module(struct engine_registry *reg, struct engine_module *m,
                                struct engine_error *err)
{
    _cleanup_free_ struct engine_opt *v = NULL;
    struct engine_opts opts;
    struct engine_error e = {0};
    int r;

    r = registry_driver_opts(reg, m, &v, &opts.n, err);
    if (r < 0)
        return r;
    opts.v = v;
    engine_host_fill(&m->host, m->name, reg->state_dir, reg->root);
    /* isolate = yes: from here on m->table forwards to a helper process. */
    if (engine_isolate_wanted(reg->cfg, m->name)) {
        r = engine_isolate_wrap(m, err);
        if (r < 0)
            return r;
    }
    m->initialised = true;
    r = m->table.init(&m->host, &opts, &m->drv, &e);
    if (r < 0) {
        m->drv = NULL;
        m->probe_status = r;
        engine_error_set(&m->probe_err, r, "Driver '%s' failed to initialise: %s", m->name,
                         e.msg[0] ? e.msg : strerror(-r));
        return 0;
    }
    engine_error_clear(&e);
    r = m->table.probe(m->drv, &e);
    if (r == ENGINE_DECLINED) {
        m->probe_status = ENGINE_DECLINED;
        /* Keep the driver's own words: `engine drivers` shows them as the reason. */
        engine_error_set(&m->probe_err, ENODEV, "%s", e.msg[0] ? e.msg : "no reason given");
    } else if (r < 0) {
        m->probe_status = r;
        engine_error_set(&m->probe_err, r, "Driver '%s': probe failed: %s", m->name,
                         e.msg[0] ? e.msg : strerror(-r));
    } else {
        m->probe_status = 0;
    }
    return 0;
}

/* dlopen a module a lazy scan only named; a bad one leaves the registry
 * for the refused list, exactly as an eager scan would have put it. */
static int registry_load(struct engine_registry *reg, struct engine_module *m,
                         struct engine_error *err)
{
    struct engine_module *loaded;
    struct engine_error e = {0};

    if (m->dl)
        return 0;
    if (engine_module_load(m->path, &loaded, &e) < 0) {
        registry_refuse(reg, m->path, &e);
        for (size_t i = 0; i < reg->n; i++)
            if (reg->mods[i] == m) {
                memmove(reg->mods + i, reg->mods + i + 1, (reg->n - i - 1) * sizeof(*reg->mods));
                reg->n--;
                break;
            }
        engine_module_free(m);
        if (err)
            *err = e;
        return -(e.code ? e.code : EIO);
    }
    loaded->builtin = m->builtin;
    free(m->name);
    free(m->path);
    *m = *loaded; /* keep the slot's address: callers may hold it */
    free(loaded);
    return 0;
}

void engine_registry_load_all(struct engine_registry *reg)
{
    (void)pthread_mutex_lock(&registry_init_lock);
    for (size_t i = 0; i < reg->n;) {
        struct engine_module *m = reg->mods[i];
        if (m->dl || registry_load(reg, m, NULL) == 0)
            i++; /* on failure the slot was removed: same i is the next one */
    }
    (void)pthread_mutex_unlock(&registry_init_lock);
}

int engine_registry_get(struct engine_registry *reg, const char *name, struct engine_module **ret,
                        struct engine_error *err)
{
    struct engine_module *m = engine_registry_find(reg, name);
    int r;

    if (m && !m->dl) {
        struct engine_error e = {0};

        (void)pthread_mutex_lock(&registry_init_lock);
        r = m->dl ? 0 : registry_load(reg, m, &e);
        (void)pthread_mutex_unlock(&registry_init_lock);
        if (r < 0)
            return engine_error_set(err, -r, "Driver '%s' cannot be loaded: %s", name, e.msg);
    }

    if (!m) {
        char known[512];

        engine_registry_names(reg, known, sizeof(known));
        for (size_t i = 0; i < reg->n_bad; i++) {
            _cleanup_free_ char *bad = module_name_from_path(reg->bad_paths[i]);

            if (bad && streq(bad, name))
                return engine_error_set(err, ENOENT, "Unknown driver '%s' (known: %s): %s", name,
                                        known, reg->bad_errs[i].msg);
        }
        return engine_error_set(err, ENOENT, "Unknown driver '%s' (known: %s)", name, known);
    }
    (void)pthread_mutex_lock(&registry_init_lock);
    r = m->initialised ? 0 : registry_init_module(reg, m, err);
    (void)pthread_mutex_unlock(&registry_init_lock);
    if (r < 0)
        return r;
    if (m->probe_status == ENGINE_DECLINED)
        return engine_error_set(err, ENODEV, "Driver '%s' is not available on this host: %s", name,
                                m->probe_err.msg);
    if (m->probe_status < 0) {
        if (err)
            *err = m->probe_err;
        return m->probe_status;
    }
    *ret = m;
    return 0;
}

void engine_registry_free(struct engine_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n; i++)
        engine_module_free(reg->mods[i]);
    free(reg->mods);
    for (size_t i = 0; i < reg->n_bad; i++)
        free(reg->bad_paths[i]);
    free(reg->bad_paths);
    free(reg->bad_errs);
    reg->mods = NULL;
    reg->bad_paths = NULL;
    reg->bad_errs = NULL;
    reg->n = reg->n_bad = 0;
}
