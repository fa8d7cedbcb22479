/* core/cli/drivers.c - `engine drivers [--format table|json]`: every driver
 * module found, whether it can run on this host, and what it can do. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "../util.h"
#include "cli.h"

#define COLS 5

static const char *json_str(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !v)
        return NULL;
    return json_object_get_string(v);
}

static bool get_bool(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* One row of the table: NAME ABI AVAILABLE FEATURES PATH (third-party only). */
static void driver_row(struct json_object *d, char *cells[COLS])
{
    struct json_object *feats;
    char *list = xstrdup("");

    if (json_object_object_get_ex(d, "features", &feats))
        for (size_t i = 0; i < json_object_array_length(feats); i++) {
            char *n = xasprintf("%s%s%s", list, i ? "," : "",
                                json_object_get_string(json_object_array_get_idx(feats, i)));
            free(list);
            list = n;
        }
    cells[0] = xstrdup(json_str(d, "name") ?: "?");
    cells[1] = xstrdup(json_str(d, "abi") ?: "?");
    if (get_bool(d, "available"))
        cells[2] = xstrdup(get_bool(d, "isolated") ? "yes (isolated)" : "yes");
    else
        cells[2] = xasprintf("no: %s", json_str(d, "reason") ?: "unknown reason");
    if (!*list) {
        free(list);
        list = xstrdup("-");
    }
    cells[3] = list;
    cells[4] = xstrdup(get_bool(d, "builtin") ? "" : json_str(d, "path") ?: "");
}

/* Cells padded to their column's width; no trailing blanks. */
static void print_row(char *const *cells, const size_t *width)
{
    char line[4096];
    size_t off = 0, n;

    for (size_t c = 0; c < COLS && off < sizeof(line); c++)
        off +=
            (size_t)snprintf(line + off, sizeof(line) - off, "%-*s%s",
                             c + 1 < COLS ? (int)width[c] : 0, cells[c], c + 1 < COLS ? "  " : "");
    n = strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        line[--n] = '\0';
    puts(line);
}

static void print_table(struct json_object *a)
{
    static const char *const head[COLS] = {"NAME", "ABI", "AVAILABLE", "FEATURES", "PATH"};
    size_t n = json_object_array_length(a), rows = 0, width[COLS];
    char *(*cells)[COLS] = xcalloc(n + 1, sizeof(*cells));

    for (size_t c = 0; c < COLS; c++)
        width[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
        struct json_object *d = json_object_array_get_idx(a, i);

        if (get_bool(d, "refused"))
            continue;
        driver_row(d, cells[rows]);
        for (size_t c = 0; c < COLS; c++)
            if (strlen(cells[rows][c]) > width[c])
                width[c] = strlen(cells[rows][c]);
        rows++;
    }
    print_row((char *const *)head, width);
    for (size_t r = 0; r < rows; r++) {
        print_row(cells[r], width);
        for (size_t c = 0; c < COLS; c++)
            free(cells[r][c]);
    }
    free(cells);
    for (size_t i = 0; i < n; i++) {
        struct json_object *d = json_object_array_get_idx(a, i);

        if (get_bool(d, "refused"))
            printf("refused: %s\n", json_str(d, "error") ?: json_str(d, "path") ?: "?");
    }
}

static void drivers_usage(FILE *f)
{
    fprintf(f, "Usage: engine drivers [--format table|json]\n\n"
               "List the driver modules found, whether each can run on this host,\n"
               "its features, and the modules that were refused.\n");
}

int cmd_drivers(struct cli *cli, int argc, char **argv)
{
    struct json_object *json = NULL;
    struct engine_error err = {0};
    struct engine_api *api;
    const char *format = "table";
    int r;

    for (int i = 1; i < argc; i++) {
        if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
            drivers_usage(stdout);
            return 0;
        } else if (streq(argv[i], "--format") && i + 1 < argc) {
            format = argv[++i];
        } else if (strncmp(argv[i], "--format=", 9) == 0) {
            format = argv[i] + 9;
        } else {
            return cli_usage_error("drivers", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!streq(format, "table") && !streq(format, "json"))
        return cli_usage_error("drivers", "unknown format '%s' (table or json)", format);
    r = cli_api(cli, &api); /* prints its own error and returns the exit status */
    if (r)
        return r;
    r = api->drivers(api->h, &json, &err);
    if (r < 0)
        return cli_fail(&err);
    if (streq(format, "json"))
        printf("%s\n", json_object_to_json_string_ext(json, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    else
        print_table(json);
    json_object_put(json);
    return fflush(stdout) == 0 ? 0 : 1;
}
