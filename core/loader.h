/* core/loader.h - finding and loading driver modules, and the registry of the
 * drivers loaded. Modules are opened with RTLD_NOW|RTLD_LOCAL and never
 * unloaded while the process runs. */
#ifndef ENGINE_LOADER_H
#define ENGINE_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <engine/driver.h>

struct engine_config;

struct engine_module {
    char *name; /* from the file name engine-driver-NAME.so */
    char *path;
    void *dl;
    bool builtin;               /* found in the built-in driver dir */
    struct engine_driver table; /* copy, members past the module's struct_size zeroed */
    /* filled by engine_registry_get() */
    struct engine_drv *drv;
    bool initialised;
    int probe_status; /* 0 ok, ENGINE_DECLINED, <0 failure */
    struct engine_error probe_err;
    struct engine_host host;
};

/* Open one module file and validate it: the entry symbol, abi_major, the
 * struct_size, the name matching the file name, the mandatory operations.
 * Never crashes on a bad module; the error names the file and both versions. */
int engine_module_load(const char *path, struct engine_module **ret, struct engine_error *err);
void engine_module_free(struct engine_module *m);

struct engine_registry {
    struct engine_module **mods;
    size_t n;
    /* Modules that failed to load, for `engine drivers`. */
    char **bad_paths;
    struct engine_error *bad_errs;
    size_t n_bad;
    const struct engine_config *cfg;
    bool lazy;             /* scan only names files; dlopen on first use (the ctx
                            * sets it: `engine ps` must not pay for libvirt) */
    const char *state_dir; /* resolved by the ctx, passed to drivers' host */
    const char *root;
};

/* Scan the search path: dirs from cfg->driver_dir, then $ENGINE_DRIVER_PATH,
 * then the built-in dir (ENGINE_DRIVER_DIR, overridable for tests with
 * $ENGINE_BUILTIN_DRIVER_DIR). The first module of a name wins; a later one
 * of the same name is recorded as refused, naming both paths. */
int engine_registry_scan(struct engine_registry *reg, const struct engine_config *cfg,
                         struct engine_error *err);
/* Find, init (with the [driver.NAME] options, after checking every key against
 * table.options) and probe the named driver. Unknown: the error lists the known
 * names. Declined: the error carries the driver's reason. */
int engine_registry_get(struct engine_registry *reg, const char *name, struct engine_module **ret,
                        struct engine_error *err);
struct engine_module *engine_registry_find(struct engine_registry *reg, const char *name);
/* "native, lxc, libvirt" into buf. */
void engine_registry_names(const struct engine_registry *reg, char *buf, size_t len);
/* Load every module not loaded yet (lazy registries), refusing bad ones. */
void engine_registry_load_all(struct engine_registry *reg);
void engine_registry_free(struct engine_registry *reg);

/* Check per-container options (--exec-opt NAME.key=v) against a driver's keys. */
int engine_module_check_opts(const struct engine_module *m, const struct engine_opt *opts, size_t n,
                             struct engine_error *err);

#endif
