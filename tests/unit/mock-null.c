/* tests/unit/mock-null.c - a driver whose entry point returns no table. */
#include "mock-driver.h"

const struct engine_driver *engine_driver_entry(void)
{
    return NULL;
}
