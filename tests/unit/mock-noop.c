/* tests/unit/mock-noop.c - a driver missing a mandatory operation (create). */
#include "mock-driver.h"

static const struct engine_driver noop = {
    MOCK_HEADER("mocknoop"),
    MOCK_MANDATORY_OPS,
    .create = NULL,
};

const struct engine_driver *engine_driver_entry(void)
{
    return &noop;
}
