/* tests/unit/mock-old.c - a driver built for an older 1.x minor whose table
 * ended right after release. The members past its struct_size hold non-NULL
 * values here on purpose: the core must not read them. Its backend is
 * "missing", so probe declines. */
#include <stddef.h>

#include "mock-driver.h"

static int old_probe(struct engine_drv *drv, struct engine_error *err)
{
    engine_error_set(err, ENOENT, "mockold backend not installed");
    return ENGINE_DECLINED;
}

static const struct engine_driver old = {
    MOCK_HEADER("mockold"),
    .struct_size = offsetof(struct engine_driver, release) + sizeof(void (*)(void)),
    .summary = "Mock driver from an older minor",
    MOCK_MANDATORY_OPS,
    .probe = old_probe,
    .stop = mock_stop,
    .pause = mock_pause,
    .resume = mock_pause,
};

const struct engine_driver *engine_driver_entry(void)
{
    return &old;
}
