/* core/cli/conformance.c - engine conformance: run the suite's scenarios on
 * each driver and print the matrix (table, JSON) or TAP. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../conformance.h"
#include "../util.h"
#include "cli.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_TAP };

static volatile sig_atomic_t interrupted;

/* Stop after the scenario running now: it removes its containers. */
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void conf_usage(void)
{
    printf("Usage: engine conformance [-e DRIVER[,DRIVER...]] [-s SCENARIO[,...]] [--tap]\n"
           "                          [--format table|json]\n\n"
           "Runs one set of scenarios on every driver (default: every driver installed,\n"
           "plus oci/crun = oci with --exec-opt oci.runtime=crun). Each cell is pass, FAIL,\n"
           "n/s (not supported: the driver does not declare the feature) or skip (the\n"
           "driver is not available here). Exit status 1 when any scenario fails.\n\n"
           "  -e, --driver LIST     drivers to test (native,lxc,oci/crun...)\n"
           "  -s, --scenario LIST   only these scenarios\n"
           "      --tap             TAP output, one line per driver and scenario\n"
           "      --format FMT      table (default) or json\n"
           "  -l, --list            list the scenarios\n");
}

static bool selected(const char *list, const char *name)
{
    size_t n = strlen(name);

    if (!list)
        return true;
    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

static void print_tap(int n, const struct engine_target *t, const struct engine_conf_scenario *s,
                      const struct engine_conf_cell *c)
{
    switch (c->result) {
    case ENGINE_CONF_PASS:
        printf("ok %d - %s: %s%s%s\n", n, t->label, s->name, c->why[0] ? " # " : "", c->why);
        break;
    case ENGINE_CONF_FAIL:
        printf("not ok %d - %s: %s: %s\n", n, t->label, s->name, c->why);
        break;
    default:
        printf("ok %d # SKIP %s: %s: %s\n", n, t->label, s->name, c->why);
    }
    fflush(stdout);
}

static void print_table(const struct engine_target *t, size_t nt,
                        const struct engine_conf_scenario **sc, size_t ns,
                        struct engine_conf_cell *cells)
{
    int counts[4] = {0};

    printf("%-16s", "SCENARIO");
    for (size_t j = 0; j < nt; j++)
        printf(" %-9s", t[j].label);
    printf("\n");
    for (size_t i = 0; i < ns; i++) {
        printf("%-16s", sc[i]->name);
        for (size_t j = 0; j < nt; j++) {
            const struct engine_conf_cell *c = &cells[j * ns + i];
            char cell[16];

            snprintf(cell, sizeof(cell), "%s%s", engine_conf_result_name(c->result),
                     c->result == ENGINE_CONF_PASS && c->why[0] ? "*" : "");
            printf(" %-9s", cell);
            counts[c->result]++;
        }
        printf("\n");
    }
    printf("\n%d pass, %d FAIL, %d not supported (n/s), %d skipped\n", counts[0], counts[1],
           counts[2], counts[3]);
    for (size_t j = 0; j < nt; j++)
        if (!t[j].available)
            printf("skip  %s: %s\n", t[j].label, t[j].reason);
    for (size_t j = 0; j < nt; j++)
        for (size_t i = 0; i < ns; i++) {
            const struct engine_conf_cell *c = &cells[j * ns + i];
            if (c->result == ENGINE_CONF_FAIL)
                printf("FAIL  %s: %s: %s\n", t[j].label, sc[i]->name, c->why);
        }
    for (size_t j = 0; j < nt; j++)
        for (size_t i = 0; i < ns; i++) {
            const struct engine_conf_cell *c = &cells[j * ns + i];
            if (c->result == ENGINE_CONF_NOT_SUPPORTED)
                printf("n/s   %s: %s: %s\n", t[j].label, sc[i]->name, c->why);
        }
    for (size_t j = 0; j < nt; j++)
        for (size_t i = 0; i < ns; i++) {
            const struct engine_conf_cell *c = &cells[j * ns + i];
            if (c->result == ENGINE_CONF_PASS && c->why[0])
                printf("pass* %s: %s: %s\n", t[j].label, sc[i]->name, c->why);
        }
}

static const char *result_json_name(int r)
{
    static const char *const names[] = {"pass", "fail", "not-supported", "skipped"};
    return names[r];
}

static void print_json(const struct engine_target *t, size_t nt,
                       const struct engine_conf_scenario **sc, size_t ns,
                       struct engine_conf_cell *cells)
{
    struct json_object *root = json_object_new_object(), *drivers = json_object_new_array();
    struct json_object *scen = json_object_new_array();
    int counts[4] = {0};

    for (size_t i = 0; i < ns; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(sc[i]->name));
        json_object_object_add(o, "summary", json_object_new_string(sc[i]->summary));
        json_object_array_add(scen, o);
    }
    for (size_t j = 0; j < nt; j++) {
        struct json_object *d = json_object_new_object(), *res = json_object_new_object();

        json_object_object_add(d, "name", json_object_new_string(t[j].label));
        json_object_object_add(d, "driver", json_object_new_string(t[j].driver));
        json_object_object_add(d, "available", json_object_new_boolean(t[j].available));
        if (!t[j].available)
            json_object_object_add(d, "reason", json_object_new_string(t[j].reason));
        for (size_t i = 0; i < ns; i++) {
            const struct engine_conf_cell *c = &cells[j * ns + i];
            struct json_object *o = json_object_new_object();

            counts[c->result]++;
            json_object_object_add(o, "result",
                                   json_object_new_string(result_json_name(c->result)));
            if (c->why[0])
                json_object_object_add(o, "reason", json_object_new_string(c->why));
            json_object_object_add(o, "seconds",
                                   json_object_new_double((double)c->duration_ns / 1e9));
            json_object_object_add(res, sc[i]->name, o);
        }
        json_object_object_add(d, "results", res);
        json_object_array_add(drivers, d);
    }
    json_object_object_add(root, "scenarios", scen);
    json_object_object_add(root, "drivers", drivers);
    {
        struct json_object *s = json_object_new_object();
        for (int r = 0; r < 4; r++)
            json_object_object_add(s, result_json_name(r), json_object_new_int(counts[r]));
        json_object_object_add(root, "summary", s);
    }
    printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
    json_object_put(root);
}

int cmd_conformance(struct cli *cli, int argc, char **argv)
{
    enum { O_TAP = 256, O_FORMAT, O_HELP };
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'e'},
        {"scenario", required_argument, NULL, 's'},
        {"tap", no_argument, NULL, O_TAP},
        {"format", required_argument, NULL, O_FORMAT},
        {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, O_HELP},
        {},
    };
    const char *list = NULL, *only = NULL;
    enum fmt fmt = FMT_TABLE;
    struct engine_ctx *ctx = NULL;
    struct engine_error err = {0};
    struct engine_target *t = NULL;
    const struct engine_conf_scenario *all, **sc;
    struct engine_conf_cell *cells;
    size_t nt = 0, n_all, ns = 0;
    bool progress = isatty(STDERR_FILENO), failed = false;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    int c, q, tap_n = 0;

    all = engine_conf_scenarios(&n_all);
    while ((c = getopt_long(argc, argv, "+e:s:l", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            list = optarg;
            break;
        case 's':
            only = optarg;
            break;
        case O_TAP:
            fmt = FMT_TAP;
            break;
        case O_FORMAT:
            if (streq(optarg, "table"))
                fmt = FMT_TABLE;
            else if (streq(optarg, "json"))
                fmt = FMT_JSON;
            else if (streq(optarg, "tap"))
                fmt = FMT_TAP;
            else
                return cli_usage_error("conformance", "unknown --format '%s' (table, json)",
                                       optarg);
            break;
        case 'l':
            for (size_t i = 0; i < n_all; i++)
                printf("%-16s %s\n", all[i].name, all[i].summary);
            return 0;
        case O_HELP:
            conf_usage();
            return 0;
        default:
            return cli_usage_error("conformance", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage_error("conformance", "unexpected argument '%s'", argv[optind]);
    if (!list && cli->driver)
        list = cli->driver;
    sc = xcalloc(n_all, sizeof(*sc));
    for (size_t i = 0; i < n_all; i++)
        if (selected(only, all[i].name))
            sc[ns++] = &all[i];
    if (ns == 0) {
        free(sc);
        return cli_usage_error("conformance", "no scenario matches '%s' (see --list)", only);
    }
    q = cli_ctx(cli, &ctx);
    if (q) {
        free(sc);
        return q;
    }
    if (engine_targets_resolve(ctx, list, &t, &nt, &err) < 0) {
        q = cli_fail(&err);
        goto out;
    }
    cells = xcalloc(nt * ns + 1, sizeof(*cells));
    (void)sigaction(SIGINT, &sa, &old_int);
    (void)sigaction(SIGTERM, &sa, &old_term);
    for (size_t j = 0; j < nt; j++)
        for (size_t i = 0; i < ns; i++) {
            struct engine_conf_cell *cell = &cells[j * ns + i];

            if (progress && t[j].available && fmt != FMT_TAP)
                fprintf(stderr, "\r\033[K%s: %s ...", t[j].label, sc[i]->name);
            if (interrupted) {
                cell->result = ENGINE_CONF_SKIPPED;
                snprintf(cell->why, sizeof(cell->why), "interrupted");
            } else {
                engine_conf_run(ctx, &t[j], sc[i], cell);
            }
            failed |= cell->result == ENGINE_CONF_FAIL;
            if (fmt == FMT_TAP)
                print_tap(++tap_n, &t[j], sc[i], cell);
        }
    (void)sigaction(SIGINT, &old_int, NULL);
    (void)sigaction(SIGTERM, &old_term, NULL);
    if (progress && fmt != FMT_TAP)
        fprintf(stderr, "\r\033[K");
    if (fmt == FMT_TAP)
        printf("1..%d\n", tap_n);
    else if (fmt == FMT_JSON)
        print_json(t, nt, sc, ns, cells);
    else
        print_table(t, nt, sc, ns, cells);
    free(cells);
    q = interrupted ? 130 : failed ? 1 : 0;
out:
    engine_targets_free(t, nt);
    engine_ctx_free(ctx);
    free(sc);
    return q;
}
