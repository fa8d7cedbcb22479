/* core/cli/daemon.c - engine -d: parse the daemon's options and serve
 * (core/daemon.c does the work). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../daemon.h"
#include "../util.h"
#include "cli.h"

static void daemon_usage(FILE *f)
{
    fprintf(f, "Usage: engine -d [OPTIONS]\n"
               "\n"
               "Serve the engine API (HTTP/1.1 + JSON) on a Unix socket.\n"
               "\n"
               "  -e, --driver NAME      default driver for containers created through the daemon\n"
               "  -c, --config FILE      engine.conf to load (SIGHUP reloads it)\n"
               "      --exec-opt D.k=v   driver-wide option\n"
               "      --state-dir DIR    runtime state directory\n"
               "      --root DIR         persistent root\n"
               "  -H, --host unix:///P   socket to serve (same as --socket)\n"
               "      --socket PATH      socket to serve (default [engine] socket, else\n"
               "                         <state dir>/engine.sock: " ENGINE_DEFAULT_SOCKET ")\n"
               "      --log-level LEVEL  error, warn, info (default) or debug\n"
               "      --detach           go to the background once the socket is served\n"
               "      --pidfile FILE     write the daemon's pid here\n");
}

static int parse_level(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {
        {.name = "error", .level = ENGINE_LOG_ERROR},  {.name = "warn", .level = ENGINE_LOG_WARN},
        {.name = "warning", .level = ENGINE_LOG_WARN}, {.name = "info", .level = ENGINE_LOG_INFO},
        {.name = "debug", .level = ENGINE_LOG_DEBUG},
    };

    for (size_t i = 0; i < ELEMENTSOF(levels); i++)
        if (strcasecmp(s, levels[i].name) == 0)
            return levels[i].level;
    return -1;
}

int cmd_daemon(struct cli *cli, int argc, char **argv)
{
    enum {
        OPT_SOCKET = 256,
        OPT_LOG_LEVEL,
        OPT_DETACH,
        OPT_PIDFILE,
        OPT_EXEC_OPT,
        OPT_STATE_DIR,
        OPT_ROOT
    };
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'c'},
        {"host", required_argument, NULL, 'H'},
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"detach", no_argument, NULL, OPT_DETACH},
        {"pidfile", required_argument, NULL, OPT_PIDFILE},
        {"exec-opt", required_argument, NULL, OPT_EXEC_OPT},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"root", required_argument, NULL, OPT_ROOT},
        {"help", no_argument, NULL, 'h'},
        {},
    };
    struct engine_daemon_opts o = {.log_level = ENGINE_LOG_INFO};
    struct engine_error err = {0};
    const char *level = NULL;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "e:c:H:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            cli->driver = optarg;
            cli->opts.daemon_driver = optarg;
            break;
        case 'c':
            cli->opts.config_path = optarg;
            break;
        case 'H':
        case OPT_SOCKET:
            o.socket_path = engine_host_socket_path(optarg);
            break;
        case OPT_LOG_LEVEL:
            level = optarg;
            break;
        case OPT_DETACH:
            o.detach = true;
            break;
        case OPT_PIDFILE:
            o.pidfile = optarg;
            break;
        case OPT_EXEC_OPT:
            cli->opts.exec_opts = strv_append((char **)cli->opts.exec_opts, optarg);
            break;
        case OPT_STATE_DIR:
            cli->opts.state_dir = optarg;
            break;
        case OPT_ROOT:
            cli->opts.root = optarg;
            break;
        case 'h':
            daemon_usage(stdout);
            return 0;
        default:
            daemon_usage(stderr);
            return 125;
        }
    }
    if (optind < argc)
        return cli_usage_error("-d", "unexpected argument '%s'", argv[optind]);
    /* -H before -d names the socket too (docker -H ... -d). */
    if (!o.socket_path && cli->host)
        o.socket_path = engine_host_socket_path(cli->host);
    if (level && (o.log_level = parse_level(level)) < 0)
        return cli_usage_error("-d", "unknown log level '%s' (error, warn, info, debug)", level);
    cli->opts.daemon_driver = cli->driver;
    o.ctx_opts = &cli->opts;
    if (engine_daemon_run(&o, &err) < 0)
        return cli_fail(&err);
    return 0;
}
