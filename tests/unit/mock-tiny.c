/* tests/unit/mock-tiny.c - a 1.0 driver whose struct_size claims a table too
 * short to hold the mandatory operations: it must be refused, not read past. */
#include <stddef.h>

#include "mock-driver.h"

static const struct engine_driver tiny = {
    MOCK_HEADER("mocktiny"),
    .struct_size = offsetof(struct engine_driver, create),
    MOCK_MANDATORY_OPS,
};

const struct engine_driver *engine_driver_entry(void)
{
    return &tiny;
}
