/* core/cli/cli.h - shared state of the engine command line; one file per verb. */
#ifndef ENGINE_CLI_H
#define ENGINE_CLI_H

#include "../api.h"

struct cli {
    struct engine_ctx_opts opts; /* -c, --state-dir, --root, --exec-opt */
    const char *host;            /* -H unix:///path, else $ENGINE_HOST */
    const char *driver;          /* -e given before the verb (daemon default) */
    int log_level;
    struct engine_api api; /* filled by cli_api() */
    bool have_api;
};

/* Connect to the daemon when its socket answers, else the core in-process. */
int cli_api(struct cli *cli, struct engine_api **ret);
/* Local context even when a daemon runs (drivers, image init, bench). */
int cli_ctx(struct cli *cli, struct engine_ctx **ret);
/* Print "engine: <msg>" to stderr and return exit status 125 like docker. */
int cli_fail(const struct engine_error *err);
int cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef int (*cli_verb_fn)(struct cli *cli, int argc, char **argv);

int cmd_run(struct cli *cli, int argc, char **argv);     /* run.c */
int cmd_create(struct cli *cli, int argc, char **argv);  /* run.c */
int cmd_start(struct cli *cli, int argc, char **argv);   /* run.c */
int cmd_ps(struct cli *cli, int argc, char **argv);      /* ps.c */
int cmd_inspect(struct cli *cli, int argc, char **argv); /* ps.c */
int cmd_stats(struct cli *cli, int argc, char **argv);   /* stats.c */
int cmd_stop(struct cli *cli, int argc, char **argv);    /* misc.c */
int cmd_kill(struct cli *cli, int argc, char **argv);    /* misc.c */
int cmd_rm(struct cli *cli, int argc, char **argv);      /* misc.c */
int cmd_pause(struct cli *cli, int argc, char **argv);   /* misc.c */
int cmd_unpause(struct cli *cli, int argc, char **argv); /* misc.c */
int cmd_logs(struct cli *cli, int argc, char **argv);    /* misc.c */
int cmd_wait(struct cli *cli, int argc, char **argv);    /* misc.c */
int cmd_image(struct cli *cli, int argc, char **argv);   /* misc.c */
int cmd_exec(struct cli *cli, int argc, char **argv);    /* misc.c */
int cmd_drivers(struct cli *cli, int argc, char **argv); /* drivers.c */
/* engine -d: main() stops its own parsing at -d and passes argv from "-d" on
 * (argv[0] = "-d"). cmd_daemon parses the rest with getopt_long (optind = 0
 * first): its own --socket, --log-level, --detach, --pidfile, and also the
 * global -e/-c/--exec-opt/--state-dir/--root/-H that may follow -d, storing
 * them into cli->driver (and cli->opts.daemon_driver), cli->opts.config_path,
 * cli->opts.exec_opts (strv_append), cli->opts.state_dir/root. */
int cmd_daemon(struct cli *cli, int argc, char **argv);      /* daemon.c (engine -d) */
int cmd_bench(struct cli *cli, int argc, char **argv);       /* bench.c */
int cmd_conformance(struct cli *cli, int argc, char **argv); /* conformance.c */
/* Internal: the monitor re-executed by the daemon. */
int cmd_monitor(struct cli *cli, int argc, char **argv); /* run.c */

#endif
