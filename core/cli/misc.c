/* core/cli/misc.c - engine stop, kill, rm, pause, unpause, logs, wait, image. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../util.h"
#include "cli.h"

static int parse_signal(const char *s)
{
    static const struct {
        const char *name;
        int sig;
    } sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},    {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                {"USR1", SIGUSR1}, {"USR2", SIGUSR2},  {"TERM", SIGTERM}, {"STOP", SIGSTOP},
                {"CONT", SIGCONT}, {"WINCH", SIGWINCH}};
    int64_t n;

    if (parse_int64(s, &n) == 0)
        return n > 0 && n < 65 ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
        if (strcasecmp(s, sigs[i].name) == 0)
            return sigs[i].sig;
    return -1;
}

/* Apply fn to every container named on the command line, docker-style:
 * print each name that worked, report each that failed, exit 1 if any did. */
#define FOR_EACH_REF(verb, call)                                                                   \
    do {                                                                                           \
        struct engine_error err = {0};                                                             \
        struct engine_api *api;                                                                    \
        int q_ = cli_api(cli, &api), rc_ = 0;                                                      \
        if (q_)                                                                                    \
            return q_;                                                                             \
        if (optind >= argc)                                                                        \
            return cli_usage_error(verb, "requires at least one container");                       \
        for (int i = optind; i < argc; i++) {                                                      \
            const char *ref = argv[i];                                                             \
            if ((call) < 0) {                                                                      \
                (void)cli_fail(&err);                                                              \
                rc_ = 1;                                                                           \
            } else {                                                                               \
                printf("%s\n", ref);                                                               \
            }                                                                                      \
        }                                                                                          \
        return rc_;                                                                                \
    } while (0)

int cmd_stop(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"time", required_argument, NULL, 't'}, {}};
    int64_t t = 10;
    int c;

    while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1)
        if (c != 't' || parse_int64(optarg, &t) < 0 || t < 0)
            return cli_usage_error("stop", "bad option (stop [-t SECONDS] NAME...)");
    FOR_EACH_REF("stop", api->stop(api->h, ref, (unsigned)t, &err));
}

int cmd_kill(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"signal", required_argument, NULL, 's'}, {}};
    int sig = SIGKILL, c;

    while ((c = getopt_long(argc, argv, "+s:", opts, NULL)) != -1)
        if (c != 's' || (sig = parse_signal(optarg)) < 0)
            return cli_usage_error("kill", "bad option (kill [-s SIGNAL] NAME...)");
    FOR_EACH_REF("kill", api->kill(api->h, ref, sig, &err));
}

int cmd_rm(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {}};
    bool force = false;
    int c;

    while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
        if (c != 'f')
            return cli_usage_error("rm", "bad option (rm [-f] NAME...)");
        force = true;
    }
    FOR_EACH_REF("rm", api->remove(api->h, ref, force, &err));
}

int cmd_pause(struct cli *cli, int argc, char **argv)
{
    optind = 1;
    FOR_EACH_REF("pause", api->pause(api->h, ref, true, &err));
}

int cmd_unpause(struct cli *cli, int argc, char **argv)
{
    optind = 1;
    FOR_EACH_REF("unpause", api->pause(api->h, ref, false, &err));
}

int cmd_logs(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"follow", no_argument, NULL, 'f'}, {}};
    struct engine_error err = {0};
    struct engine_api *api;
    bool follow = false;
    int c, q;

    while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
        if (c != 'f')
            return cli_usage_error("logs", "bad option (logs [-f] NAME)");
        follow = true;
    }
    if (optind + 1 != argc)
        return cli_usage_error("logs", "requires exactly one container");
    q = cli_api(cli, &api);
    if (q)
        return q;
    fflush(stdout);
    if (api->logs(api->h, argv[optind], follow, 1, 2, &err) < 0)
        return cli_fail(&err);
    return 0;
}

int cmd_wait(struct cli *cli, int argc, char **argv)
{
    optind = 1;
    {
        struct engine_error err = {0};
        struct engine_api *api;
        int q = cli_api(cli, &api), rc = 0;

        if (q)
            return q;
        if (optind >= argc)
            return cli_usage_error("wait", "requires at least one container");
        for (int i = optind; i < argc; i++) {
            int code;
            if (api->wait(api->h, argv[i], &code, &err) < 0) {
                rc = cli_fail(&err);
                continue;
            }
            printf("%d\n", code);
        }
        return rc;
    }
}

int cmd_image(struct cli *cli, int argc, char **argv)
{
    struct engine_error err = {0};
    struct engine_ctx *ctx;
    const char *name = argc > 2 ? argv[2] : "busybox";
    int q;

    if (argc < 2 || (!streq(argv[1], "init") && !streq(argv[1], "ls")))
        return cli_usage_error("image", "usage: engine image init [NAME] | engine image ls");
    q = cli_ctx(cli, &ctx);
    if (q)
        return q;
    if (streq(argv[1], "ls")) {
        char *dir = NULL;
        printf("%-12s %s\n", "IMAGE", "PATH");
        if (engine_image_dir(ctx, "busybox", &dir, &err) == 0)
            printf("%-12s %s\n", "busybox", dir);
        free(dir);
    } else if (engine_image_init(ctx, name, &err) < 0) {
        q = cli_fail(&err);
    } else {
        printf("%s\n", name);
    }
    engine_ctx_free(ctx);
    return q;
}

/* In-process even when a daemon runs: the command's stdio are this terminal's,
 * and the exec'd process must be a child of the caller to be waited for. */
int cmd_exec(struct cli *cli, int argc, char **argv)
{
    struct engine_error err = {0};
    struct engine_ctx *ctx;
    int q, code = 0;

    if (argc < 3 || argv[1][0] == '-')
        return cli_usage_error("exec", "usage: engine exec NAME COMMAND [ARG...]");
    q = cli_ctx(cli, &ctx);
    if (q)
        return q;
    fflush(stdout);
    if (engine_container_exec(ctx, argv[1], argv + 2,
                              &(struct engine_stdio){.in = 0, .out = 1, .err = 2}, &code, &err) < 0)
        code = cli_fail(&err);
    engine_ctx_free(ctx);
    return code;
}
