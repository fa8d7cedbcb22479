/* core/cli/run.c - engine run, create, start (and the internal __monitor). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../monitor.h"
#include "../util.h"
#include "cli.h"

struct run_args {
    struct engine_create_req req;
    char **argv, **env, **exec_opts;
    struct engine_mount *mounts;
    char *mount_strs;
    bool detach;
};

static void run_usage(const char *verb)
{
    printf("Usage: engine %s [OPTIONS] IMAGE [COMMAND [ARG...]]\n\n"
           "  -e, --driver NAME      driver for this container (native, lxc, libvirt...)\n"
           "      --name NAME        container name ([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\n"
           "      --rm               remove the container when it exits\n"
           "  -d, --detach           run in the background, print the id\n"
           "  -m, --memory SIZE      memory limit (64m, 1g)\n"
           "      --memory-swap SIZE memory+swap limit\n"
           "      --cpus N           CPU quota in CPUs (0.5)\n"
           "      --cpu-shares N     relative CPU weight\n"
           "      --cpuset-cpus LIST CPUs allowed (0-1)\n"
           "      --pids N           max number of tasks\n"
           "  -h, --hostname NAME    hostname\n"
           "  -w, --workdir DIR      working directory\n"
           "  -u, --user UID[:GID]   user to run as\n"
           "      --env K=V          environment variable (repeatable)\n"
           "  -v, --volume SRC:DST[:ro]  bind mount\n"
           "      --read-only        read-only root filesystem\n"
           "      --network host     share the host's network\n"
           "      --exec-opt D.K=V   driver option for this container\n",
           verb);
}

static int parse_volume(const char *s, struct engine_mount *m)
{
    char *copy = xstrdup(s), *src = copy, *dst, *mode;

    dst = strchr(src, ':');
    if (!dst || dst == src) {
        free(copy);
        return -EINVAL;
    }
    *dst++ = '\0';
    mode = strchr(dst, ':');
    if (mode)
        *mode++ = '\0';
    if (mode && !streq(mode, "ro") && !streq(mode, "rw")) {
        free(copy);
        return -EINVAL;
    }
    *m = (struct engine_mount){.source = xstrdup(src),
                               .target = xstrdup(dst),
                               .type = "bind",
                               .readonly = mode && streq(mode, "ro")};
    free(copy);
    return 0;
}

/* Returns 0, or the exit status to return (usage errors, --help). */
static int parse_run_args(const char *verb, int argc, char **argv, struct run_args *a)
{
    enum {
        O_NAME = 256,
        O_RM,
        O_MSWAP,
        O_CPUS,
        O_SHARES,
        O_CPUSET,
        O_PIDS,
        O_ENV,
        O_RO,
        O_NET,
        O_EXECOPT,
        O_HELP
    };
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'e'},
        {"name", required_argument, NULL, O_NAME},
        {"rm", no_argument, NULL, O_RM},
        {"detach", no_argument, NULL, 'd'},
        {"memory", required_argument, NULL, 'm'},
        {"memory-swap", required_argument, NULL, O_MSWAP},
        {"cpus", required_argument, NULL, O_CPUS},
        {"cpu-shares", required_argument, NULL, O_SHARES},
        {"cpuset-cpus", required_argument, NULL, O_CPUSET},
        {"pids", required_argument, NULL, O_PIDS},
        {"pids-limit", required_argument, NULL, O_PIDS},
        {"hostname", required_argument, NULL, 'h'},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"env", required_argument, NULL, O_ENV},
        {"volume", required_argument, NULL, 'v'},
        {"read-only", no_argument, NULL, O_RO},
        {"network", required_argument, NULL, O_NET},
        {"net", required_argument, NULL, O_NET},
        {"exec-opt", required_argument, NULL, O_EXECOPT},
        {"help", no_argument, NULL, O_HELP},
        {},
    };
    struct engine_create_req *r = &a->req;
    size_t nm = 0;
    int64_t v;
    int c;

    while ((c = getopt_long(argc, argv, "+e:dm:h:w:u:v:", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            r->driver = optarg;
            break;
        case O_NAME:
            r->name = optarg;
            break;
        case O_RM:
            r->auto_remove = true;
            break;
        case 'd':
            a->detach = true;
            break;
        case 'm':
            if (parse_size(optarg, &r->limits.memory_bytes) < 0)
                return cli_usage_error(verb, "invalid memory size '%s'", optarg);
            break;
        case O_MSWAP:
            if (parse_size(optarg, &r->limits.memory_swap_bytes) < 0)
                return cli_usage_error(verb, "invalid memory-swap size '%s'", optarg);
            break;
        case O_CPUS:
            if (parse_cpus(optarg, &r->limits.cpu_quota_us, &r->limits.cpu_period_us) < 0)
                return cli_usage_error(verb, "invalid --cpus '%s' (e.g. 0.5, at least 0.01)",
                                       optarg);
            break;
        case O_SHARES:
            if (parse_int64(optarg, &v) < 0 || v < 2 || v > 262144)
                return cli_usage_error(verb, "invalid --cpu-shares '%s' (2..262144)", optarg);
            r->limits.cpu_shares = (uint64_t)v;
            break;
        case O_CPUSET:
            r->limits.cpuset_cpus = optarg;
            break;
        case O_PIDS:
            if (parse_int64(optarg, &v) < 0 || v <= 0)
                return cli_usage_error(verb, "invalid --pids '%s'", optarg);
            r->limits.pids_max = v;
            break;
        case 'h':
            r->hostname = optarg;
            break;
        case 'w':
            r->cwd = optarg;
            break;
        case 'u':
            r->user = optarg;
            break;
        case O_ENV:
            if (!strchr(optarg, '='))
                return cli_usage_error(verb, "invalid --env '%s' (want KEY=VALUE)", optarg);
            a->env = strv_append(a->env, optarg);
            break;
        case 'v':
            a->mounts = realloc(a->mounts, (nm + 1) * sizeof(*a->mounts));
            if (!a->mounts)
                abort();
            if (parse_volume(optarg, &a->mounts[nm]) < 0)
                return cli_usage_error(verb, "invalid --volume '%s' (want SRC:DST[:ro])", optarg);
            nm++;
            break;
        case O_RO:
            r->readonly_rootfs = true;
            break;
        case O_NET:
            if (!streq(optarg, "host") && !streq(optarg, "none") && !streq(optarg, "private"))
                return cli_usage_error(verb, "unknown --network '%s' (host, none)", optarg);
            r->network_host = streq(optarg, "host");
            break;
        case O_EXECOPT:
            a->exec_opts = strv_append(a->exec_opts, optarg);
            break;
        case O_HELP:
            run_usage(verb);
            return -1;
        default:
            return cli_usage_error(verb, "bad option");
        }
    }
    if (optind >= argc)
        return cli_usage_error(verb, "requires an IMAGE");
    r->image = argv[optind];
    a->argv = strv_copy(argv + optind + 1);
    r->argv = a->argv;
    r->env = a->env;
    r->exec_opts = a->exec_opts;
    r->mounts = a->mounts;
    r->n_mounts = nm;
    return 0;
}

static void run_args_free(struct run_args *a)
{
    strv_free(a->argv);
    strv_free(a->env);
    strv_free(a->exec_opts);
    for (size_t i = 0; i < a->req.n_mounts; i++) {
        free((char *)a->mounts[i].source);
        free((char *)a->mounts[i].target);
    }
    free(a->mounts);
}

static int do_run(struct cli *cli, int argc, char **argv, const char *verb, bool start)
{
    struct run_args a = {0};
    struct engine_error err = {0};
    struct engine_api *api;
    char id[65];
    int q, code = 0;

    q = parse_run_args(verb, argc, argv, &a);
    if (q) {
        run_args_free(&a);
        return q < 0 ? 0 : q;
    }
    q = cli_api(cli, &api);
    if (q)
        goto out;
    if (api->create(api->h, &a.req, id, &err) < 0) {
        q = cli_fail(&err);
        goto out;
    }
    if (!start) {
        printf("%s\n", id);
        goto out;
    }
    if (a.detach) {
        if (api->start(api->h, id, NULL, NULL, &err) < 0) {
            q = cli_fail(&err);
            if (a.req.auto_remove)
                (void)api->remove(api->h, id, true, &err);
            goto out;
        }
        printf("%s\n", id);
        goto out;
    }
    fflush(stdout);
    if (api->start(api->h, id, &(struct engine_attach){.out_fd = 1, .err_fd = 2, .exit_fd = -1},
                   &code, &err) < 0) {
        q = cli_fail(&err);
        if (a.req.auto_remove)
            (void)api->remove(api->h, id, true, &err);
        goto out;
    }
    q = code;
out:
    run_args_free(&a);
    return q;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
    return do_run(cli, argc, argv, "run", true);
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
    return do_run(cli, argc, argv, "create", false);
}

int cmd_start(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"attach", no_argument, NULL, 'a'}, {}};
    struct engine_error err = {0};
    struct engine_api *api;
    bool attach = false;
    int c, q, code = 0;

    while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
        if (c != 'a')
            return cli_usage_error("start", "bad option");
        attach = true;
    }
    if (optind >= argc)
        return cli_usage_error("start", "requires a container");
    q = cli_api(cli, &api);
    if (q)
        return q;
    if (attach) {
        if (optind + 1 != argc)
            return cli_usage_error("start", "-a takes exactly one container");
        if (api->start(api->h, argv[optind],
                       &(struct engine_attach){.out_fd = 1, .err_fd = 2, .exit_fd = -1}, &code,
                       &err) < 0)
            return cli_fail(&err);
        return code;
    }
    for (int i = optind; i < argc; i++) {
        if (api->start(api->h, argv[i], NULL, NULL, &err) < 0)
            q = cli_fail(&err);
        else
            printf("%s\n", argv[i]);
    }
    return q;
}

int cmd_monitor(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"sync-fd", required_argument, NULL, 's'}, {}};
    struct engine_ctx *ctx;
    int c, sync_fd = -1, q;

    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1)
        if (c == 's')
            sync_fd = atoi(optarg);
    if (optind >= argc || sync_fd < 0)
        return 125;
    q = cli_ctx(cli, &ctx);
    if (q)
        return q;
    engine_monitor_exec_main(ctx, argv[optind], sync_fd);
}
