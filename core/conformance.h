/* core/conformance.h - the conformance suite (one scenario table run against
 * every driver) and the driver targets it shares with `engine bench`. */
#ifndef ENGINE_CONFORMANCE_H
#define ENGINE_CONFORMANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* What a suite or a benchmark runs on: a driver, maybe with a per-container
 * option. "oci/crun" is the oci driver with --exec-opt oci.runtime=crun. */
struct engine_target {
    char *label;      /* "native", "oci/crun" */
    char *driver;     /* "oci" */
    char **exec_opts; /* NULL or {"oci.runtime=crun", NULL} */
    bool available;
    char reason[ENGINE_ERROR_MSG_MAX]; /* why not available */
    uint64_t features;                 /* ENGINE_FEAT_* the driver declares */
};

/* list: "native,lxc,oci/crun" or NULL for every driver in the registry, plus
 * "oci/crun" when oci is there. Unavailable targets are kept, with the reason. */
int engine_targets_resolve(struct engine_ctx *ctx, const char *list, struct engine_target **ret,
                           size_t *ret_n, struct engine_error *err);
void engine_targets_free(struct engine_target *t, size_t n);

/* Output of one attached run. */
struct engine_run_result {
    char id[65];
    int exit_code;
    char *out, *err; /* captured stdout and stderr, NUL-terminated */
};

/* Create and start req attached, capture stdout/stderr apart, wait for the
 * exit code. The container is left (exited) unless req->auto_remove. */
int engine_run_capture(struct engine_ctx *ctx, const struct engine_create_req *req,
                       struct engine_run_result *ret, struct engine_error *err);
void engine_run_result_free(struct engine_run_result *r);

enum engine_conf_result {
    ENGINE_CONF_PASS,
    ENGINE_CONF_FAIL,
    ENGINE_CONF_NOT_SUPPORTED, /* the driver declares the feature bit off */
    ENGINE_CONF_SKIPPED,       /* could not be run here: the reason says why */
};

struct engine_conf_cell {
    int result;    /* enum engine_conf_result */
    char why[512]; /* failure, skip reason, or a note on a pass */
    uint64_t duration_ns;
};

struct engine_conf_scenario {
    const char *name; /* "hostname" */
    const char *summary;
    uint64_t features; /* every bit must be declared, else NOT_SUPPORTED */
    /* 0 = pass (why may hold a note), <0 = fail with why. */
    int (*run)(struct engine_ctx *ctx, const struct engine_target *t, char *why, size_t len);
};

const struct engine_conf_scenario *engine_conf_scenarios(size_t *ret_n);
const char *engine_conf_result_name(int result); /* "pass", "FAIL", ... */
/* Run one scenario on one target, never leaving a container behind. */
void engine_conf_run(struct engine_ctx *ctx, const struct engine_target *t,
                     const struct engine_conf_scenario *s, struct engine_conf_cell *ret);

#endif
