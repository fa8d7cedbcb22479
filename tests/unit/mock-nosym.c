/* tests/unit/mock-nosym.c - a shared object without the entry symbol. */
#include "mock-driver.h"

const struct engine_driver *engine_driver_entry_v2(void);

static const struct engine_driver nosym = {
    MOCK_HEADER("mocknosym"),
    MOCK_MANDATORY_OPS,
};

const struct engine_driver *engine_driver_entry_v2(void)
{
    return &nosym;
}
