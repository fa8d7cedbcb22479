/* core/conf.h - engine.conf (INI, parsed with inih) and the precedence of
 * where a setting comes from. */
#ifndef ENGINE_CONFIG_H
#define ENGINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <engine/error.h>
#include <engine/spec.h>

#define ENGINE_DEFAULT_CONFIG SYSCONFDIR "/engine/engine.conf"
#define ENGINE_DEFAULT_STATE_DIR "/run/engine"
#define ENGINE_DEFAULT_ROOT "/var/lib/engine"
#define ENGINE_DEFAULT_DRIVER "native"

/* One [driver.NAME] key, remembered with where it was set for error messages. */
struct engine_config_opt {
    char *driver;
    char *key;
    char *value;
    char *file; /* "--exec-opt" for command-line options */
    int line;
};

struct engine_config {
    char *file; /* the file loaded, NULL if none */
    /* [engine] */
    char *driver;     /* default driver, NULL = not set here */
    char *driver_dir; /* colon-separated extra search dirs */
    char *state_dir;
    char *root;
    char *socket; /* daemon socket path */
    char *log_level;
    /* [container] defaults for run */
    struct engine_limits defaults;
    /* [driver.NAME] */
    struct engine_config_opt *opts;
    size_t n_opts;
};

/* Load path. A missing file is not an error when optional is true. Errors name
 * the file and line: "engine.conf:12: Unknown key 'drvier' in [engine]". */
int engine_config_load(const char *path, bool optional, struct engine_config *cfg,
                       struct engine_error *err);
/* Add a --exec-opt "DRIVER.key=value" (or "key=value" for default_driver). */
int engine_config_add_exec_opt(struct engine_config *cfg, const char *arg,
                               const char *default_driver, struct engine_error *err);
void engine_config_free(struct engine_config *cfg);

/* Pick the driver: cli (-e on run) > daemon (-e on engine -d) > $ENGINE_DRIVER >
 * [engine] driver > "native". Returns a pointer into its arguments or a literal. */
const char *engine_config_pick_driver(const struct engine_config *cfg, const char *cli,
                                      const char *daemon);

#endif
