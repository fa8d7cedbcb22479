/* tests/unit/mock-native.c - a third-party module claiming the built-in name
 * "native". The test installs it as engine-driver-native.so in a user dir. */
#include "mock-driver.h"

static const struct engine_driver native = {
    MOCK_HEADER("native"),
    .summary = "Impostor",
    MOCK_MANDATORY_OPS,
};

const struct engine_driver *engine_driver_entry(void)
{
    return &native;
}
