/* core/cli/main.c - `engine`: global options, the verb table, and the choice
 * between the daemon (when its socket answers) and the core in-process. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util.h"
#include "cli.h"

/* Verbs other helpers' files provide; weak so a partial tree still links. */
int cmd_daemon(struct cli *cli, int argc, char **argv) __attribute__((weak));
int cmd_bench(struct cli *cli, int argc, char **argv) __attribute__((weak));
int cmd_conformance(struct cli *cli, int argc, char **argv) __attribute__((weak));
int cmd_drivers(struct cli *cli, int argc, char **argv) __attribute__((weak));
int engine_api_remote(const char *socket_path, struct engine_api *ret, struct engine_error *err)
    __attribute__((weak));

struct verb {
    const char *name;
    cli_verb_fn fn;
    const char *help;
};

static const struct verb verbs[] = {
    {.name = "run", .fn = cmd_run, .help = "Create and start a container"},
    {.name = "create", .fn = cmd_create, .help = "Create a container"},
    {.name = "start", .fn = cmd_start, .help = "Start a created container"},
    {.name = "ps", .fn = cmd_ps, .help = "List containers"},
    {.name = "inspect", .fn = cmd_inspect, .help = "Show a container's record as JSON"},
    {.name = "stats", .fn = cmd_stats, .help = "Resource usage of containers"},
    {.name = "stop", .fn = cmd_stop, .help = "Stop containers (SIGTERM, then SIGKILL)"},
    {.name = "kill", .fn = cmd_kill, .help = "Send a signal to containers"},
    {.name = "rm", .fn = cmd_rm, .help = "Remove containers"},
    {.name = "pause", .fn = cmd_pause, .help = "Freeze containers"},
    {.name = "unpause", .fn = cmd_unpause, .help = "Thaw containers"},
    {.name = "logs", .fn = cmd_logs, .help = "Print a container's output"},
    {.name = "wait", .fn = cmd_wait, .help = "Wait for a container and print its exit code"},
    {.name = "exec", .fn = cmd_exec, .help = "Run a command in a running container"},
    {.name = "image", .fn = cmd_image, .help = "Built-in images: image init [NAME], image ls"},
    {.name = "drivers", .fn = NULL, .help = "List drivers: ABI, availability, features"},
    {.name = "bench", .fn = NULL, .help = "Compare drivers on this host"},
    {.name = "conformance", .fn = NULL, .help = "Run the conformance suite on drivers"},
    {.name = "__monitor", .fn = cmd_monitor, .help = NULL},
};

static cli_verb_fn verb_fn(const struct verb *v)
{
    if (v->fn)
        return v->fn;
    if (streq(v->name, "drivers"))
        return cmd_drivers;
    if (streq(v->name, "bench"))
        return cmd_bench;
    if (streq(v->name, "conformance"))
        return cmd_conformance;
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: engine [OPTIONS] COMMAND [ARGS...]\n"
               "       engine -d [-e DRIVER] [--socket PATH] [--detach --pidfile F]\n\n"
               "Options:\n"
               "  -c, --config FILE       engine.conf to read (default " ENGINE_DEFAULT_CONFIG
               ", $ENGINE_CONFIG)\n"
               "  -e, --driver NAME       default driver (with -d: the daemon's default)\n"
               "      --exec-opt D.K=V    driver option, as [driver.D] K = V\n"
               "      --state-dir DIR     runtime state (default " ENGINE_DEFAULT_STATE_DIR ")\n"
               "      --root DIR          images and container layers (default " ENGINE_DEFAULT_ROOT
               ")\n"
               "  -H, --host unix:///P    daemon socket (default $ENGINE_HOST, then "
               "<state-dir>/engine.sock)\n"
               "  -d, --daemon            run the daemon\n"
               "  -h, --help              this help\n"
               "  -v, --version           print the version\n\n"
               "Commands:\n");
    for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
        if (verbs[i].help)
            fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].help);
}

int cli_fail(const struct engine_error *err)
{
    fprintf(stderr, "engine: %s\n", err->msg[0] ? err->msg : strerror(err->code));
    return 125;
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "engine %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nSee 'engine %s --help'.\n", verb);
    return 125;
}

int cli_ctx(struct cli *cli, struct engine_ctx **ret)
{
    struct engine_error err = {0};

    if (engine_ctx_new(&cli->opts, ret, &err) < 0)
        return cli_fail(&err);
    return 0;
}

static const char *socket_from_host(const char *host)
{
    if (strncmp(host, "unix://", 7) == 0)
        return host + 7;
    return host;
}

int cli_api(struct cli *cli, struct engine_api **ret)
{
    struct engine_error err = {0};
    struct engine_ctx *ctx;
    const char *host = cli->host ? cli->host : getenv("ENGINE_HOST");
    _cleanup_free_ char *sock = NULL;
    int q;

    if (cli->have_api) {
        *ret = &cli->api;
        return 0;
    }
    if (host && *host) {
        /* Asked for a daemon by name: no silent fallback. */
        if (!engine_api_remote)
            return cli_fail(
                &(struct engine_error){.code = ENOTSUP, .msg = "This build has no daemon client"});
        if (engine_api_remote(socket_from_host(host), &cli->api, &err) < 0)
            return cli_fail(&err);
        cli->have_api = true;
        *ret = &cli->api;
        return 0;
    }
    q = cli_ctx(cli, &ctx);
    if (q)
        return q;
    sock = ctx->cfg.socket ? xstrdup(ctx->cfg.socket) : xasprintf("%s/engine.sock", ctx->state_dir);
    if (engine_api_remote && path_exists(sock) && engine_api_remote(sock, &cli->api, &err) == 0) {
        engine_ctx_free(ctx);
    } else {
        engine_api_local(ctx, &cli->api);
    }
    cli->have_api = true;
    *ret = &cli->api;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"driver", required_argument, NULL, 'e'},
        {"exec-opt", required_argument, NULL, 'O'}, {"state-dir", required_argument, NULL, 'S'},
        {"root", required_argument, NULL, 'R'},     {"host", required_argument, NULL, 'H'},
        {"daemon", no_argument, NULL, 'd'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'v'},        {},
    };
    struct cli cli = {0};
    char **exec_opts = NULL;
    bool daemon = false;
    int c, r;

    while ((c = getopt_long(argc, argv, "+c:e:H:dhv", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli.opts.config_path = optarg;
            break;
        case 'e':
            cli.driver = optarg;
            break;
        case 'O':
            exec_opts = strv_append(exec_opts, optarg);
            break;
        case 'S':
            cli.opts.state_dir = optarg;
            break;
        case 'R':
            cli.opts.root = optarg;
            break;
        case 'H':
            cli.host = optarg;
            break;
        case 'd':
            /* Everything after -d is the daemon's to parse (see cli.h). */
            daemon = true;
            goto parsed;
        case 'h':
            usage(stdout);
            return 0;
        case 'v':
            printf("engine %s (driver ABI %d.%d)\n", PACKAGE_VERSION, ENGINE_DRIVER_ABI_MAJOR,
                   ENGINE_DRIVER_ABI_MINOR);
            return 0;
        default:
            usage(stderr);
            return 125;
        }
    }
parsed:
    cli.opts.exec_opts = exec_opts;
    /* -e before the verb is the default driver: the daemon's with -d, and
     * for the in-process CLI the same (it outranks $ENGINE_DRIVER). */
    cli.opts.daemon_driver = cli.driver;
    if (daemon) {
        if (!cmd_daemon) {
            fprintf(stderr, "engine: this build has no daemon\n");
            return 125;
        }
        r = cmd_daemon(&cli, argc - optind + 1, argv + optind - 1);
        exec_opts = (char **)cli.opts.exec_opts; /* cmd_daemon may have appended */
        goto out;
    }
    if (optind >= argc) {
        usage(stderr);
        r = 125;
        goto out;
    }
    {
        int idx = optind;

        r = -1;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
            if (streq(verbs[i].name, argv[idx])) {
                cli_verb_fn fn = verb_fn(&verbs[i]);
                if (!fn) {
                    fprintf(stderr, "engine: '%s' is not in this build\n", argv[idx]);
                    r = 125;
                    break;
                }
                optind = 0; /* the verb's getopt starts afresh on argv[idx..] */
                r = fn(&cli, argc - idx, argv + idx);
                break;
            }
        if (r == -1) {
            fprintf(stderr, "engine: unknown command '%s'. See 'engine --help'.\n", argv[idx]);
            r = 125;
        }
    }
out:
    if (cli.have_api && cli.api.free)
        cli.api.free(cli.api.h);
    strv_free(exec_opts);
    return r;
}
