/* core/conf.c - engine.conf: an INI file parsed with inih, checked key by key
 * through one table, plus --exec-opt and the choice of the default driver.
 *
 * inih only reports the line of the first error it sees itself, so lines are
 * counted by our own reader; every error names "file:line". */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <string.h>

#include "conf.h"
#include "util.h"

#define DRIVER_SECTION_PREFIX "driver."
#define DRIVER_NAME_MAX 64
/* inih's fixed line buffer; a longer line is an error, never silently cut. */
#define CONF_LINE_MAX 200

struct conf_parser {
    struct engine_config *cfg;
    const char *file;
    FILE *f;
    int line; /* physical line the reader returned last */
    struct engine_error err;
    int err_line; /* line of the first error we found, 0 = none */
};

struct conf_key {
    const char *section;
    const char *key;
    size_t offset; /* of the member in struct engine_config */
    int (*parse)(struct engine_config *cfg, size_t offset, const char *value);
    const char *expected; /* for "Bad value ...: expected <this>" */
};

static int conf_set_string(struct engine_config *cfg, size_t offset, const char *value)
{
    char **field = (char **)((char *)cfg + offset);

    free(*field);
    *field = xstrdup(value);
    return 0;
}

static bool driver_name_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > DRIVER_NAME_MAX || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

static int conf_set_driver(struct engine_config *cfg, size_t offset, const char *value)
{
    if (!driver_name_valid(value))
        return -EINVAL;
    return conf_set_string(cfg, offset, value);
}

static int conf_set_nonempty(struct engine_config *cfg, size_t offset, const char *value)
{
    if (!*value)
        return -EINVAL;
    return conf_set_string(cfg, offset, value);
}

static int conf_set_abspath(struct engine_config *cfg, size_t offset, const char *value)
{
    if (value[0] != '/')
        return -EINVAL;
    return conf_set_string(cfg, offset, value);
}

static int conf_set_log_level(struct engine_config *cfg, size_t offset, const char *value)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};

    for (size_t i = 0; i < ELEMENTSOF(levels); i++)
        if (streq(value, levels[i]))
            return conf_set_string(cfg, offset, value);
    return -EINVAL;
}

static int conf_set_memory(struct engine_config *cfg, size_t offset, const char *value)
{
    return parse_size(value, &cfg->defaults.memory_bytes);
}

static int conf_set_cpus(struct engine_config *cfg, size_t offset, const char *value)
{
    return parse_cpus(value, &cfg->defaults.cpu_quota_us, &cfg->defaults.cpu_period_us);
}

static int conf_set_pids(struct engine_config *cfg, size_t offset, const char *value)
{
    int64_t v;

    if (parse_int64(value, &v) < 0 || v <= 0)
        return -EINVAL;
    cfg->defaults.pids_max = v;
    return 0;
}

static int conf_set_cpuset(struct engine_config *cfg, size_t offset, const char *value)
{
    if (!*value || strspn(value, "0123456789,-") != strlen(value) ||
        !isdigit((unsigned char)value[0]))
        return -EINVAL;
    free((char *)cfg->defaults.cpuset_cpus);
    cfg->defaults.cpuset_cpus = xstrdup(value);
    return 0;
}

#define CFG_OFF(m) offsetof(struct engine_config, m)

static const struct conf_key conf_keys[] = {
    {.section = "engine",
     .key = "driver",
     .offset = CFG_OFF(driver),
     .parse = conf_set_driver,
     .expected = "a driver name like native or lxc"},
    {.section = "engine",
     .key = "driver_dir",
     .offset = CFG_OFF(driver_dir),
     .parse = conf_set_nonempty,
     .expected = "colon-separated directories"},
    {.section = "engine",
     .key = "state_dir",
     .offset = CFG_OFF(state_dir),
     .parse = conf_set_abspath,
     .expected = "an absolute path"},
    {.section = "engine",
     .key = "root",
     .offset = CFG_OFF(root),
     .parse = conf_set_abspath,
     .expected = "an absolute path"},
    {.section = "engine",
     .key = "socket",
     .offset = CFG_OFF(socket),
     .parse = conf_set_abspath,
     .expected = "an absolute path"},
    {.section = "engine",
     .key = "log_level",
     .offset = CFG_OFF(log_level),
     .parse = conf_set_log_level,
     .expected = "error, warn, info or debug"},
    {.section = "container",
     .key = "memory",
     .parse = conf_set_memory,
     .expected = "a size like 64m"},
    {.section = "container",
     .key = "cpus",
     .parse = conf_set_cpus,
     .expected = "a number of CPUs like 0.5"},
    {.section = "container",
     .key = "pids",
     .parse = conf_set_pids,
     .expected = "a positive integer"},
    {.section = "container",
     .key = "cpuset",
     .parse = conf_set_cpuset,
     .expected = "a CPU list like 0-1,3"},
};

/* The core's own key in every [driver.NAME]; never passed to the driver. */
static int conf_check_isolate(const char *value)
{
    static const char *const ok[] = {"yes", "no", "true", "false", "1", "0"};

    for (size_t i = 0; i < ELEMENTSOF(ok); i++)
        if (streq(value, ok[i]))
            return 0;
    return -EINVAL;
}

/* Remember the first error only: it is the one the user must fix first. */
__attribute__((format(printf, 3, 4))) static int conf_error(struct conf_parser *p, int code,
                                                            const char *fmt, ...)
{
    char msg[ENGINE_ERROR_MSG_MAX];
    va_list ap;

    if (p->err_line)
        return 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->err_line = p->line;
    engine_error_set(&p->err, code, "%s:%d: %s", p->file, p->line, msg);
    return 0;
}

static void config_set_opt(struct engine_config *cfg, const char *driver, const char *key,
                           const char *value, const char *file, int line)
{
    struct engine_config_opt *o = NULL;

    for (size_t i = 0; i < cfg->n_opts; i++)
        if (streq(cfg->opts[i].driver, driver) && streq(cfg->opts[i].key, key)) {
            o = &cfg->opts[i];
            free(o->value);
            free(o->file);
            break;
        }
    if (!o) {
        struct engine_config_opt *v = realloc(cfg->opts, (cfg->n_opts + 1) * sizeof(*v));
        if (!v)
            abort();
        cfg->opts = v;
        o = &cfg->opts[cfg->n_opts++];
        o->driver = xstrdup(driver);
        o->key = xstrdup(key);
    }
    o->value = xstrdup(value);
    o->file = xstrdup(file);
    o->line = line;
}

static int conf_driver_key(struct conf_parser *p, const char *driver, const char *name,
                           const char *value)
{
    if (!driver_name_valid(driver))
        return conf_error(p, EINVAL, "Invalid driver name '%s' in section [%s%s]", driver,
                          DRIVER_SECTION_PREFIX, driver);
    if (!*name)
        return conf_error(p, EINVAL, "Empty key in [%s%s]", DRIVER_SECTION_PREFIX, driver);
    if (streq(name, "isolate") && conf_check_isolate(value) < 0)
        return conf_error(p, EINVAL, "Bad value '%s' for isolate in [%s%s]: expected yes or no",
                          value, DRIVER_SECTION_PREFIX, driver);
    config_set_opt(p->cfg, driver, name, value, p->file, p->line);
    return 1;
}

static bool section_known(const char *section)
{
    if (strncmp(section, DRIVER_SECTION_PREFIX, strlen(DRIVER_SECTION_PREFIX)) == 0)
        return true;
    for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++)
        if (streq(conf_keys[i].section, section))
            return true;
    return false;
}

static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
    struct conf_parser *p = user;

    if (!*section)
        return conf_error(p, EINVAL, "Key '%s' outside of any section", name);
    if (strncmp(section, DRIVER_SECTION_PREFIX, strlen(DRIVER_SECTION_PREFIX)) == 0)
        return conf_driver_key(p, section + strlen(DRIVER_SECTION_PREFIX), name, value);
    if (!section_known(section))
        return conf_error(p, EINVAL, "Unknown section [%s]", section);
    for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
        const struct conf_key *k = &conf_keys[i];

        if (!streq(k->section, section) || !streq(k->key, name))
            continue;
        if (k->parse(p->cfg, k->offset, value) < 0)
            return conf_error(p, EINVAL, "Bad value '%s' for %s in [%s]: expected %s", value, name,
                              section, k->expected);
        return 1;
    }
    return conf_error(p, EINVAL, "Unknown key '%s' in [%s]", name, section);
}

/* A section header alone (no keys) never reaches the handler, so headers are
 * checked here as the reader sees them. */
static void conf_check_header(struct conf_parser *p, const char *line)
{
    const char *end = strchr(line, ']');
    char name[CONF_LINE_MAX];
    size_t n;

    if (!end)
        return; /* inih reports the syntax error */
    n = (size_t)(end - line - 1);
    memcpy(name, line + 1, n);
    name[n] = '\0';
    if (!section_known(name))
        conf_error(p, EINVAL, "Unknown section [%s]", name);
    else if (strncmp(name, DRIVER_SECTION_PREFIX, strlen(DRIVER_SECTION_PREFIX)) == 0 &&
             !driver_name_valid(name + strlen(DRIVER_SECTION_PREFIX)))
        conf_error(p, EINVAL, "Invalid driver name '%s' in section [%s]",
                   name + strlen(DRIVER_SECTION_PREFIX), name);
}

/* fgets that counts physical lines, strips leading blanks (so an indented key
 * is a key, not a continuation of the previous value) and refuses lines too
 * long for inih instead of letting it split them. */
static char *conf_reader(char *str, int num, void *stream)
{
    struct conf_parser *p = stream;
    size_t len, skip;

    if (!fgets(str, num, p->f))
        return NULL;
    p->line++;
    len = strlen(str);
    if (len > 0 && str[len - 1] != '\n') {
        int c = fgetc(p->f);

        if (c != EOF && c != '\n') {
            while ((c = fgetc(p->f)) != EOF && c != '\n')
                ;
            conf_error(p, EINVAL, "Line too long (at most %d characters)", num - 1);
            strcpy(str, "\n");
            return str;
        }
    }
    skip = strspn(str, " \t");
    memmove(str, str + skip, len - skip + 1);
    if (str[0] == '[')
        conf_check_header(p, str);
    return str;
}

int engine_config_load(const char *path, bool optional, struct engine_config *cfg,
                       struct engine_error *err)
{
    struct conf_parser p = {.cfg = cfg, .file = path};
    _cleanup_fclose_ FILE *f = NULL;
    int r;

    memset(cfg, 0, sizeof(*cfg));
    f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT && optional)
            return 0;
        return engine_error_errno(err, errno, "Cannot open config file %s", path);
    }
    p.f = f;
    r = ini_parse_stream(conf_reader, &p, conf_handler, &p);
    if (r > 0 && (!p.err_line || r < p.err_line)) {
        p.err_line = r;
        engine_error_set(&p.err, EINVAL, "%s:%d: Syntax error (expected [section] or key = value)",
                         path, r);
    } else if (r < 0 && !p.err_line) {
        p.err_line = -1;
        engine_error_set(&p.err, r == -2 ? ENOMEM : EIO, "Cannot parse config file %s", path);
    }
    if (p.err_line) {
        engine_config_free(cfg);
        if (err)
            *err = p.err;
        return -p.err.code;
    }
    cfg->file = xstrdup(path);
    return 0;
}

int engine_config_add_exec_opt(struct engine_config *cfg, const char *arg,
                               const char *default_driver, struct engine_error *err)
{
    _cleanup_free_ char *copy = xstrdup(arg);
    char *eq = strchr(copy, '='), *dot, *driver, *key;

    if (!eq || eq == copy)
        return engine_error_set(err, EINVAL, "Invalid --exec-opt '%s': expected DRIVER.key=value",
                                arg);
    *eq = '\0';
    dot = strchr(copy, '.');
    if (dot) {
        *dot = '\0';
        driver = copy;
        key = dot + 1;
    } else {
        driver = (char *)default_driver;
        key = copy;
        if (!driver)
            return engine_error_set(err, EINVAL,
                                    "Invalid --exec-opt '%s': no driver given (use "
                                    "DRIVER.key=value)",
                                    arg);
    }
    if (!driver_name_valid(driver))
        return engine_error_set(err, EINVAL, "Invalid --exec-opt '%s': bad driver name '%s'", arg,
                                driver);
    if (!*key)
        return engine_error_set(err, EINVAL, "Invalid --exec-opt '%s': expected DRIVER.key=value",
                                arg);
    if (streq(key, "isolate") && conf_check_isolate(eq + 1) < 0)
        return engine_error_set(err, EINVAL, "Invalid --exec-opt '%s': isolate must be yes or no",
                                arg);
    config_set_opt(cfg, driver, key, eq + 1, "--exec-opt", 0);
    return 0;
}

void engine_config_free(struct engine_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->file);
    free(cfg->driver);
    free(cfg->driver_dir);
    free(cfg->state_dir);
    free(cfg->root);
    free(cfg->socket);
    free(cfg->log_level);
    free((char *)cfg->defaults.cpuset_cpus);
    for (size_t i = 0; i < cfg->n_opts; i++) {
        free(cfg->opts[i].driver);
        free(cfg->opts[i].key);
        free(cfg->opts[i].value);
        free(cfg->opts[i].file);
    }
    free(cfg->opts);
    memset(cfg, 0, sizeof(*cfg));
}

const char *engine_config_pick_driver(const struct engine_config *cfg, const char *cli,
                                      const char *daemon)
{
    const char *env;

    if (cli && *cli)
        return cli;
    if (daemon && *daemon)
        return daemon;
    env = getenv("ENGINE_DRIVER");
    if (env && *env)
        return env;
    if (cfg && cfg->driver && *cfg->driver)
        return cfg->driver;
    return ENGINE_DEFAULT_DRIVER;
}
