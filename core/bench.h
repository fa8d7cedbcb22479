/* core/bench.h - `engine bench`: the same workloads on every driver in one
 * run, interleaved, plus a "floor" row done with bare kernel calls. */
#ifndef ENGINE_BENCH_H
#define ENGINE_BENCH_H

#include <signal.h>
#include <stdbool.h>

#include "conformance.h"

enum engine_bench_workload {
    ENGINE_BW_START_EXIT,     /* create+start+wait+rm of `true`, like run --rm */
    ENGINE_BW_CREATE_RUNNING, /* create call to a running `sleep` (start returned) */
    ENGINE_BW_STATS,          /* one stats call on a running container */
    ENGINE_BW_STOP,           /* stop -t 0 (SIGKILL) of `sleep`, until recorded exited */
    ENGINE_BW_RM,             /* rm of the stopped container */
    ENGINE_BW_PARALLEL,       /* K concurrent `engine run -d`, until all run */
    ENGINE_BW_MEMORY,         /* PSS of monitor + backend processes, payload excluded */
    ENGINE_BW_MIN_MEMORY,     /* smallest -m that starts `true` (binary search) */
    ENGINE_BW__COUNT
};

struct engine_bench_workload_info {
    const char *name, *unit, *summary;
    bool floor; /* the floor row measures it too */
};

const struct engine_bench_workload_info *engine_bench_workload(enum engine_bench_workload w);

struct engine_bench_series {
    double *v;
    size_t n, cap;
    unsigned errors;
    bool not_supported;
    char first_error[512];
};

/* Row 0 is the floor, rows 1.. the targets in order. */
struct engine_bench {
    size_t n_rows;
    char **labels;
    struct engine_bench_series (*series)[ENGINE_BW__COUNT];
    unsigned runs, parallel;
};

struct engine_bench_opts {
    unsigned runs;                      /* iterations; each runs every driver once */
    unsigned parallel;                  /* K of ENGINE_BW_PARALLEL */
    volatile sig_atomic_t *interrupted; /* set by a signal handler: stop early */
    /* Progress: iteration (1-based, 0 = min-memory probes), row label, workload. */
    void (*progress)(void *ud, unsigned iter, unsigned runs, const char *label,
                     const char *workload);
    void *ud;
};

int engine_bench_run(struct engine_ctx *ctx, const struct engine_target *t, size_t nt,
                     const struct engine_bench_opts *o, struct engine_bench **ret,
                     struct engine_error *err);
void engine_bench_free(struct engine_bench *b);

struct engine_bench_summary {
    size_t n;
    double median, p90, min, max;
};
/* false when the series has no value. */
bool engine_bench_summarise(const struct engine_bench_series *s, struct engine_bench_summary *ret);

#endif
