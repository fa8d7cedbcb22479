/* core/cli/stats.c - engine stats: the normalised stats of containers, each
 * value with where it came from, or "n/a". */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../util.h"
#include "cli.h"

static void print_value(enum engine_stat_field f, const struct engine_stat *s)
{
    char buf[64];

    if (s->source == ENGINE_SRC_NONE) {
        printf("  %-16s %-16s %s\n", engine_stat_name(f), "n/a", "not available");
        return;
    }
    switch (f) {
    case ENGINE_STAT_MEM_CURRENT:
    case ENGINE_STAT_MEM_MAX:
    case ENGINE_STAT_MEM_LIMIT:
    case ENGINE_STAT_IO_READ_BYTES:
    case ENGINE_STAT_IO_WRITE_BYTES:
    case ENGINE_STAT_NET_RX_BYTES:
    case ENGINE_STAT_NET_TX_BYTES:
        if (s->value == UINT64_MAX)
            snprintf(buf, sizeof(buf), "unlimited");
        else
            format_size(buf, sizeof(buf), s->value);
        break;
    case ENGINE_STAT_CPU_NS:
        snprintf(buf, sizeof(buf), "%.3fs", (double)s->value / 1e9);
        break;
    default:
        if (s->value == UINT64_MAX)
            snprintf(buf, sizeof(buf), "unlimited");
        else
            snprintf(buf, sizeof(buf), "%" PRIu64, s->value);
    }
    printf("  %-16s %-16s %s (%" PRIu64 ")\n", engine_stat_name(f), buf,
           engine_stat_source_name((enum engine_stat_source)s->source), s->value);
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"no-stream", no_argument, NULL, 'n'}, {}};
    struct engine_error err = {0};
    struct engine_api *api;
    bool json = false;
    int c, q, rc = 0;

    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (c == 'f' && (streq(optarg, "json") || streq(optarg, "table")))
            json = streq(optarg, "json");
        else if (c != 'n')
            return cli_usage_error("stats", "bad option (stats [--format table|json] NAME...)");
    }
    if (optind >= argc)
        return cli_usage_error("stats", "requires a container");
    q = cli_api(cli, &api);
    if (q)
        return q;
    for (int i = optind; i < argc; i++) {
        struct engine_stats st;

        if (api->stats(api->h, argv[i], &st, &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        if (json) {
            struct json_object *o = engine_stats_to_json(&st);
            printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
            json_object_put(o);
            continue;
        }
        printf("%s:\n", argv[i]);
        for (int f = 0; f < ENGINE_STAT__COUNT; f++)
            print_value((enum engine_stat_field)f, &st.field[f]);
    }
    return rc;
}
