/* tests/unit/mock-abi2.c - a driver built for a future ABI major 2.0. */
#include "mock-driver.h"

static const struct engine_driver abi2 = {
    MOCK_HEADER("mockabi2"),
    MOCK_MANDATORY_OPS,
    .abi_major = 2,
    .abi_minor = 0,
};

const struct engine_driver *engine_driver_entry(void)
{
    return &abi2;
}
