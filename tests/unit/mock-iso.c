/* tests/unit/mock-iso.c - "mockiso", the driver test-isolate runs behind the
 * isolate proxy. state() echoes back the spec it was made from, so the test
 * sees what crossed the helper's socket; stats() reports the helper's pid;
 * create() of a container named "segv" and stop(SIGSEGV) crash on purpose. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock-driver.h"

struct engine_ctr {
    char desc[256];
};

/* Die of SIGSEGV as a crashing driver would, even under ASan/UBSan (whose
 * handlers would turn it into a report and another exit status). */
static void crash(void)
{
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
}

static size_t add(char *buf, size_t off, size_t len, const char *s)
{
    int w = snprintf(buf + off, off < len ? len - off : 0, "%s", s ? s : "-");

    return off + (w > 0 ? (size_t)w : 0);
}

static void describe(const struct engine_spec *s, const char *how, char *buf, size_t len)
{
    const struct engine_limits *l = &s->limits;
    char num[160];
    size_t off = 0;

    off = add(buf, off, len, how);
    off = add(buf, off, len, " ");
    off = add(buf, off, len, s->name);
    for (size_t i = 0; s->argv && s->argv[i]; i++) {
        off = add(buf, off, len, i ? "," : " argv=");
        off = add(buf, off, len, s->argv[i]);
    }
    for (size_t i = 0; s->env && s->env[i]; i++) {
        off = add(buf, off, len, i ? "," : " env=");
        off = add(buf, off, len, s->env[i]);
    }
    off = add(buf, off, len, " user=");
    off = add(buf, off, len, s->user);
    snprintf(num, sizeof(num), " mem=%lld pids=%lld quota=%llu ro=%d", (long long)l->memory_bytes,
             (long long)l->pids_max, (unsigned long long)l->cpu_quota_us, s->readonly_rootfs);
    off = add(buf, off, len, num);
    off = add(buf, off, len, " cpuset=");
    off = add(buf, off, len, l->cpuset_cpus);
    for (size_t i = 0; i < s->n_mounts; i++) {
        off = add(buf, off, len, " mount=");
        off = add(buf, off, len, s->mounts[i].source);
        off = add(buf, off, len, ":");
        off = add(buf, off, len, s->mounts[i].target);
        off = add(buf, off, len, s->mounts[i].readonly ? ":ro" : ":rw");
    }
    for (size_t i = 0; i < s->n_opts; i++) {
        off = add(buf, off, len, " opt=");
        off = add(buf, off, len, s->opts[i].key);
        off = add(buf, off, len, "=");
        off = add(buf, off, len, s->opts[i].value);
    }
}

static int iso_open(const struct engine_spec *spec, const char *how, struct engine_ctr **ret,
                    struct engine_error *err)
{
    struct engine_ctr *c = calloc(1, sizeof(*c));

    if (!c)
        return engine_error_set(err, ENOMEM, "mockiso");
    describe(spec, how, c->desc, sizeof(c->desc));
    *ret = c;
    return 0;
}

static int iso_create(struct engine_drv *drv, const struct engine_spec *spec,
                      struct engine_ctr **ret, struct engine_error *err)
{
    (void)drv;
    if (spec->name && strcmp(spec->name, "segv") == 0)
        crash();
    return iso_open(spec, "created", ret, err);
}

static int iso_restore(struct engine_drv *drv, const struct engine_spec *spec,
                       struct engine_ctr **ret, struct engine_error *err)
{
    (void)drv;
    return iso_open(spec, "restored", ret, err);
}

static void iso_release(struct engine_ctr *c)
{
    free(c);
}

static int iso_destroy(struct engine_ctr *c, struct engine_error *err)
{
    (void)err;
    free(c);
    return 0;
}

static int iso_start(struct engine_ctr *c, const struct engine_stdio *io, pid_t *ret_pid,
                     struct engine_error *err)
{
    pid_t pid = fork();

    (void)c;
    if (pid < 0)
        return engine_error_set(err, errno, "mockiso: fork");
    if (pid == 0) {
        (void)!write(io->out, "hello\n", 6);
        _exit(7);
    }
    *ret_pid = pid;
    return 0;
}

static int iso_stats(struct engine_ctr *c, struct engine_stats *st, struct engine_error *err)
{
    (void)c;
    (void)err;
    engine_stats_set(st, ENGINE_STAT_CPU_NS, 42, ENGINE_SRC_PROC);
    engine_stats_set(st, ENGINE_STAT_PIDS_CURRENT, (uint64_t)getpid(), ENGINE_SRC_PROC);
    return 0;
}

static int iso_state(struct engine_ctr *c, struct engine_state *st, struct engine_error *err)
{
    (void)err;
    st->status = ENGINE_CTR_RUNNING;
    snprintf(st->detail, sizeof(st->detail), "%s", c->desc);
    return 0;
}

static int iso_stop(struct engine_ctr *c, int sig, unsigned timeout_ms, struct engine_error *err)
{
    (void)c;
    if (sig == SIGSEGV)
        crash();
    return engine_error_set(err, EPERM, "mockiso stop %d %u", sig, timeout_ms);
}

static const struct engine_driver iso = {
    MOCK_HEADER("mockiso"),
    .summary = "Mock driver for the isolate proxy",
    .features = ENGINE_FEAT_EXEC | ENGINE_FEAT_STATS_CPU,
    MOCK_MANDATORY_OPS,
    .create = iso_create,
    .restore = iso_restore,
    .release = iso_release,
    .destroy = iso_destroy,
    .start = iso_start,
    .stats = iso_stats,
    .state = iso_state,
    .stop = iso_stop,
};

const struct engine_driver *engine_driver_entry(void)
{
    return &iso;
}
