/* core/isolate.h - running a driver's calls in a helper process
 * ([driver.NAME] isolate = yes), so a plugin that crashes fails the call
 * instead of killing the CLI, the daemon or the monitor. */
#ifndef ENGINE_ISOLATE_H
#define ENGINE_ISOLATE_H

#include <stdbool.h>

#include <engine/error.h>

struct engine_config;
struct engine_module;

/* True when the config (file or --exec-opt) sets isolate to yes for driver. */
bool engine_isolate_wanted(const struct engine_config *cfg, const char *driver);

/* Replace m->table, before its init, with a proxy: the same name, summary,
 * options and ABI; every operation forwarded to a helper process that holds
 * the real table. The helper is forked by init, and again by the next call
 * after it died. exec() is not forwarded (the proxy's table has none). */
int engine_isolate_wrap(struct engine_module *m, struct engine_error *err);

#endif
