/* core/cli/ps.c - engine ps and engine inspect. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../util.h"
#include "cli.h"

static const char *jstr(struct json_object *o, const char *k)
{
    struct json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_get_string(v)
               ? json_object_get_string(v)
               : "";
}

static void format_command(struct json_object *rec, char *buf, size_t len)
{
    struct json_object *cmd;
    size_t used = 0;

    buf[0] = '\0';
    if (!json_object_object_get_ex(rec, "Cmd", &cmd))
        return;
    for (size_t i = 0; i < json_object_array_length(cmd) && used + 1 < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
                                 json_object_get_string(json_object_array_get_idx(cmd, i)));
    if (strlen(buf) > 28)
        strcpy(buf + 25, "...");
}

static void format_state(struct json_object *st, char *buf, size_t len)
{
    const char *status = jstr(st, "Status");
    struct json_object *v;

    if (streq(status, "exited") && json_object_object_get_ex(st, "ExitCode", &v)) {
        int code = json_object_get_int(v);
        bool oom = json_object_object_get_ex(st, "OOMKilled", &v) && json_object_get_boolean(v);
        snprintf(buf, len, "exited (%d)%s", code, oom ? " oom" : "");
    } else
        snprintf(buf, len, "%s", status);
}

int cmd_ps(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"format", required_argument, NULL, 'f'},
                                         {}};
    struct engine_error err = {0};
    struct engine_api *api;
    struct json_object *list;
    bool all = false, quiet = false, json = false;
    int c, q;

    while ((c = getopt_long(argc, argv, "+aq", opts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'q')
            quiet = true;
        else if (c == 'f' && (streq(optarg, "json") || streq(optarg, "table")))
            json = streq(optarg, "json");
        else
            return cli_usage_error("ps", "bad option (ps [-a] [-q] [--format table|json])");
    }
    q = cli_api(cli, &api);
    if (q)
        return q;
    if (api->list(api->h, &list, &err) < 0)
        return cli_fail(&err);
    if (json) {
        printf("%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY));
        json_object_put(list);
        return 0;
    }
    if (!quiet)
        printf("%-12s  %-20s  %-8s  %-14s  %-8s  %-28s  %s\n", "ID", "NAME", "DRIVER", "STATE",
               "IMAGE", "COMMAND", "STARTED");
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i), *st = NULL;
        char cmd[64], state[32];
        const char *status;

        json_object_object_get_ex(r, "State", &st);
        status = jstr(st, "Status");
        if (!all && !streq(status, "running") && !streq(status, "paused"))
            continue;
        if (quiet) {
            printf("%.12s\n", jstr(r, "Id"));
            continue;
        }
        format_command(r, cmd, sizeof(cmd));
        format_state(st, state, sizeof(state));
        printf("%-12.12s  %-20s  %-8s  %-14s  %-8s  %-28s  %s\n", jstr(r, "Id"), jstr(r, "Name"),
               jstr(r, "Driver"), state, jstr(r, "Image"), cmd,
               *jstr(st, "Started") ? jstr(st, "Started") : "-");
    }
    json_object_put(list);
    return 0;
}

int cmd_inspect(struct cli *cli, int argc, char **argv)
{
    struct engine_error err = {0};
    struct engine_api *api;
    int q, rc = 0;

    if (argc < 2)
        return cli_usage_error("inspect", "requires a container");
    q = cli_api(cli, &api);
    if (q)
        return q;
    for (int i = 1; i < argc; i++) {
        struct json_object *o;
        if (api->inspect(api->h, argv[i], &o, &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
        json_object_put(o);
    }
    return rc;
}
