/* tests/unit/mock-driver.h - stub operations shared by the mock driver modules
 * the loader tests load. A mock includes only the public engine
 * headers, like an outside driver would. */
#ifndef MOCK_DRIVER_H
#define MOCK_DRIVER_H

#include <stddef.h>

#include <engine/driver.h>

const struct engine_driver *engine_driver_entry(void);

struct engine_drv {
    int dummy;
};

static struct engine_drv mock_drv __attribute__((unused));

static inline int mock_init(const struct engine_host *host, const struct engine_opts *opts,
                            struct engine_drv **ret_drv, struct engine_error *err)
{
    *ret_drv = &mock_drv;
    return 0;
}

static inline int mock_probe(struct engine_drv *drv, struct engine_error *err)
{
    return 0;
}

static inline int mock_create(struct engine_drv *drv, const struct engine_spec *spec,
                              struct engine_ctr **ret_ctr, struct engine_error *err)
{
    return engine_error_set(err, ENOTSUP, "Mock driver cannot create containers");
}

static inline int mock_start(struct engine_ctr *ctr, const struct engine_stdio *io, pid_t *ret_pid,
                             struct engine_error *err)
{
    return engine_error_set(err, ENOTSUP, "Mock driver cannot start containers");
}

static inline int mock_stats(struct engine_ctr *ctr, struct engine_stats *st,
                             struct engine_error *err)
{
    return 0;
}

static inline int mock_destroy(struct engine_ctr *ctr, struct engine_error *err)
{
    return 0;
}

static inline int mock_restore(struct engine_drv *drv, const struct engine_spec *spec,
                               struct engine_ctr **ret_ctr, struct engine_error *err)
{
    return engine_error_set(err, ENOENT, "Mock driver has no containers");
}

static inline void mock_release(struct engine_ctr *ctr)
{
}

static inline int mock_stop(struct engine_ctr *ctr, int sig, unsigned timeout_ms,
                            struct engine_error *err)
{
    return 0;
}

static inline int mock_pause(struct engine_ctr *ctr, struct engine_error *err)
{
    return 0;
}

#define MOCK_MANDATORY_OPS                                                                         \
    .init = mock_init, .probe = mock_probe, .create = mock_create, .start = mock_start,            \
    .stats = mock_stats, .destroy = mock_destroy, .restore = mock_restore, .release = mock_release

#define MOCK_HEADER(nm)                                                                            \
    .abi_major = ENGINE_DRIVER_ABI_MAJOR, .abi_minor = ENGINE_DRIVER_ABI_MINOR,                    \
    .struct_size = sizeof(struct engine_driver), .name = (nm)

#endif
