/* tests/unit/mock-good.c - a well-formed driver, "mockgood". It records how it
 * was initialised in exported variables the loader test reads with dlsym. */
#include <stdio.h>
#include <string.h>

#include "mock-driver.h"

int mock_init_calls;
char mock_last_opts[512];
char mock_last_host[512];

static const char *const good_options[] = {"color", "size", NULL};

static int good_init(const struct engine_host *host, const struct engine_opts *opts,
                     struct engine_drv **ret_drv, struct engine_error *err)
{
    size_t off = 0;

    mock_init_calls++;
    mock_last_opts[0] = '\0';
    for (size_t i = 0; i < opts->n; i++)
        off += (size_t)snprintf(mock_last_opts + off, sizeof(mock_last_opts) - off, "%s%s=%s",
                                i ? " " : "", opts->v[i].key, opts->v[i].value);
    snprintf(mock_last_host, sizeof(mock_last_host), "%s %s %s",
             host->driver_name ? host->driver_name : "(null)",
             host->state_dir ? host->state_dir : "(null)",
             host->root_dir ? host->root_dir : "(null)");
    return mock_init(host, opts, ret_drv, err);
}

static const struct engine_driver good = {
    MOCK_HEADER("mockgood"),
    .summary = "Mock driver that loads",
    .features = ENGINE_FEAT_PAUSE | ENGINE_FEAT_STATS_CPU | ENGINE_FEAT_LIMIT_MEMORY |
                ENGINE_FEAT_NS_PID | ENGINE_FEAT_MOUNTS,
    .options = good_options,
    MOCK_MANDATORY_OPS,
    .init = good_init,
    .stop = mock_stop,
    .pause = mock_pause,
    .resume = mock_pause,
};

const struct engine_driver *engine_driver_entry(void)
{
    return &good;
}
