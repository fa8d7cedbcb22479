/* tests/data/sdk/mini.c - a tiny driver that tests/integration/sdk.sh compiles
 * IN THE TEST, against copies of the installed SDK header, in several shapes:
 *
 *   -DMINI_NAME='"x"'   the driver's name (the file is engine-driver-x.so)
 *   -DMINI_V11          built against a driver.h bumped to ABI 1.1 with a new
 *                       member `checkpoint` appended: sets it
 *   -DMINI_NULL_CREATE  leaves the mandatory create() NULL
 *   -DMINI_PROBE_FAIL   probe() fails (not "declined": the check itself fails)
 *   -DMINI_ENTRY_NULL   engine_driver_entry() returns NULL
 *   -DMINI_CRASHY       crashes (SIGSEGV) in create() of a container whose command
 *                       is "segv", and in the operation named by $MINI_CRASH_IN
 *
 * It runs a container as chroot + exec, no cgroup: just enough to prove a
 * module of that shape really works in the core. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <engine/driver.h>

#ifndef MINI_NAME
#define MINI_NAME "mini"
#endif

extern char **environ;

struct engine_drv {
    int unused;
};

struct engine_ctr {
    char *rootfs;
    char **argv, **env;
};

#ifdef MINI_CRASHY
static int *volatile nowhere; /* not provably NULL: a real SIGSEGV, not a trap */

static void maybe_crash(const char *op)
{
    const char *in = getenv("MINI_CRASH_IN");

    if (in && strcmp(in, op) == 0)
        *nowhere = 1;
}

static void maybe_crash_spec(const struct engine_spec *spec)
{
    if (spec->argv && spec->argv[0] && strcmp(spec->argv[0], "segv") == 0)
        *nowhere = 1;
}
#else
static void maybe_crash(const char *op)
{
    (void)op;
}

static void maybe_crash_spec(const struct engine_spec *spec)
{
    (void)spec;
}
#endif

static char **strv_copy(char *const *v)
{
    size_t n = 0;
    char **c;

    while (v && v[n])
        n++;
    c = calloc(n + 1, sizeof(*c));
    for (size_t i = 0; c && i < n; i++)
        c[i] = strdup(v[i]);
    return c;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static int mini_init(const struct engine_host *host, const struct engine_opts *opts,
                     struct engine_drv **ret_drv, struct engine_error *err)
{
    (void)host;
    (void)opts;
    maybe_crash("init");
    *ret_drv = calloc(1, sizeof(**ret_drv));
    return *ret_drv ? 0 : engine_error_errno(err, ENOMEM, "mini");
}

static void mini_fini(struct engine_drv *drv)
{
    free(drv);
}

static int mini_probe(struct engine_drv *drv, struct engine_error *err)
{
    (void)drv;
    (void)err;
#ifdef MINI_PROBE_FAIL
    return engine_error_set(err, EIO, "Cannot read /proc/mini: the probe itself broke");
#else
    maybe_crash("probe");
    return 0;
#endif
}

static int mini_open(const struct engine_spec *spec, struct engine_ctr **ret,
                     struct engine_error *err)
{
    struct engine_ctr *c = calloc(1, sizeof(*c));

    if (!c)
        return engine_error_errno(err, ENOMEM, "mini");
    c->rootfs = strdup(spec->rootfs);
    c->argv = strv_copy(spec->argv);
    c->env = strv_copy(spec->env);
    *ret = c;
    return 0;
}

__attribute__((unused)) static int mini_create(struct engine_drv *drv,
                                               const struct engine_spec *spec,
                                               struct engine_ctr **ret, struct engine_error *err)
{
    (void)drv;
    maybe_crash("create");
    maybe_crash_spec(spec);
    return mini_open(spec, ret, err);
}

static int mini_restore(struct engine_drv *drv, const struct engine_spec *spec,
                        struct engine_ctr **ret, struct engine_error *err)
{
    (void)drv;
    maybe_crash("restore");
    return mini_open(spec, ret, err);
}

static void mini_release(struct engine_ctr *c)
{
    free(c->rootfs);
    strv_free(c->argv);
    strv_free(c->env);
    free(c);
}

static int mini_start(struct engine_ctr *c, const struct engine_stdio *io, pid_t *ret_pid,
                      struct engine_error *err)
{
    pid_t pid;

    maybe_crash("start");
    pid = fork();
    if (pid < 0)
        return engine_error_errno(err, errno, "mini: fork");
    if (pid == 0) {
        sigset_t none;
        int in = fcntl(io->in, F_DUPFD, 3), out = fcntl(io->out, F_DUPFD, 3),
            er = fcntl(io->err, F_DUPFD, 3);

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
            signal(s, SIG_DFL);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(er, 2) < 0 || chroot(c->rootfs) < 0 ||
            chdir("/") < 0)
            _exit(126);
        environ = c->env;
        execvp(c->argv[0], c->argv);
        _exit(127);
    }
    *ret_pid = pid;
    return 0;
}

static int mini_stats(struct engine_ctr *c, struct engine_stats *st, struct engine_error *err)
{
    (void)c;
    (void)st; /* every field stays ENGINE_SRC_NONE: honestly not available */
    (void)err;
    maybe_crash("stats");
    return 0;
}

static int mini_destroy(struct engine_ctr *c, struct engine_error *err)
{
    (void)err;
    maybe_crash("destroy");
    mini_release(c);
    return 0;
}

#ifdef MINI_V11
static int mini_checkpoint(struct engine_ctr *c, struct engine_error *err)
{
    (void)c;
    return engine_error_set(err, ENOTSUP, "mini cannot checkpoint");
}
#endif

__attribute__((unused)) static const struct engine_driver mini_driver = {
    .abi_major = ENGINE_DRIVER_ABI_MAJOR,
    .abi_minor = ENGINE_DRIVER_ABI_MINOR,
    .struct_size = sizeof(struct engine_driver),
    .name = MINI_NAME,
    .summary = "SDK test driver",
    .features = 0,
    .init = mini_init,
    .fini = mini_fini,
    .probe = mini_probe,
#ifndef MINI_NULL_CREATE
    .create = mini_create,
#endif
    .start = mini_start,
    .stats = mini_stats,
    .destroy = mini_destroy,
    .restore = mini_restore,
    .release = mini_release,
#ifdef MINI_V11
    .checkpoint = mini_checkpoint,
#endif
};

ENGINE_DRIVER_EXPORT const struct engine_driver *engine_driver_entry(void)
{
#ifdef MINI_ENTRY_NULL
    return NULL;
#else
    return &mini_driver;
#endif
}
