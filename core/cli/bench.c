/* core/cli/bench.c - engine bench: run the workloads of core/bench.c on the
 * drivers, then print median/p90/min/max with ratios to the floor and to
 * native as a table, JSON or CSV, and optionally draw them as an SVG chart. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../bench.h"
#include "../util.h"
#include "cli.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct progress {
    bool tty;
    unsigned last_iter;
};

static void on_progress(void *ud, unsigned iter, unsigned runs, const char *label,
                        const char *workload)
{
    struct progress *p = ud;

    if (p->tty) {
        if (iter)
            fprintf(stderr, "\r\033[Kbench: run %u/%u: %s %s", iter, runs, label, workload);
        else
            fprintf(stderr, "\r\033[Kbench: %s: probing the smallest memory limit", label);
    } else if (iter != p->last_iter) {
        if (iter)
            fprintf(stderr, "bench: run %u/%u\n", iter, runs);
        else
            fprintf(stderr, "bench: probing the smallest memory limit of each driver\n");
    }
    p->last_iter = iter;
}

static void bench_usage(void)
{
    printf("Usage: engine bench [-e DRIVER[,DRIVER...]] [-n RUNS] [--parallel K]\n"
           "                    [--format table|json|csv] [--svg FILE]\n\n"
           "Runs the same workloads on each driver in one run, interleaved (each run\n"
           "goes round the drivers once, so host noise hits all alike), and a floor row:\n"
           "the same start with bare kernel calls and no engine.\n\n"
           "  -e, --driver LIST   drivers (default: every available one, plus oci/crun)\n"
           "  -n, --runs N        runs per driver (default 20)\n"
           "      --parallel K    containers started at once in 'parallel' (default 4)\n"
           "      --format FMT    table (default), json or csv\n"
           "      --svg FILE      also draw a chart of the medians with min-max whiskers\n\n"
           "Workloads:\n");
    for (int w = 0; w < ENGINE_BW__COUNT; w++) {
        const struct engine_bench_workload_info *i = engine_bench_workload(w);
        printf("  %-15s %s (%s)\n", i->name, i->summary, i->unit);
    }
    printf("\nMemory is the proportional set size (Pss) of the container's monitor, its\n"
           "descendants and the backend processes naming the container, minus the payload.\n"
           "stop is `stop -t 0`: sleep as pid 1 ignores SIGTERM, so it is the SIGKILL path.\n");
}

/* Median of row r for workload w, 0 when none. */
static double median_of(const struct engine_bench *b, size_t r, int w)
{
    struct engine_bench_summary s;

    return engine_bench_summarise(&b->series[r][w], &s) ? s.median : 0;
}

static size_t native_row(const struct engine_bench *b)
{
    for (size_t r = 1; r < b->n_rows; r++)
        if (streq(b->labels[r], "native"))
            return r;
    return 0;
}

static bool row_shown(const struct engine_target *t, const struct engine_bench *b, size_t r)
{
    (void)b;
    return r == 0 || t[r - 1].available;
}

static void fmt_val(char *buf, size_t len, double v)
{
    if (v >= 100)
        snprintf(buf, len, "%.0f", v);
    else if (v >= 10)
        snprintf(buf, len, "%.1f", v);
    else
        snprintf(buf, len, "%.2f", v);
}

static void fmt_ratio(char *buf, size_t len, double v, double ref)
{
    if (ref > 0 && v > 0)
        snprintf(buf, len, "%.2fx", v / ref);
    else
        snprintf(buf, len, "-");
}

static void print_table(const struct engine_bench *b, const struct engine_target *t, size_t nt)
{
    size_t nat = native_row(b);

    printf("%-20s %-9s %4s %9s %9s %9s %9s %8s %8s\n", "WORKLOAD", "DRIVER", "N", "MEDIAN", "P90",
           "MIN", "MAX", "xFLOOR", "xNATIVE");
    for (int w = 0; w < ENGINE_BW__COUNT; w++) {
        const struct engine_bench_workload_info *wi = engine_bench_workload(w);
        double fl = median_of(b, 0, w), na = nat ? median_of(b, nat, w) : 0;
        char title[48];

        snprintf(title, sizeof(title), "%s (%s)", wi->name, wi->unit);
        for (size_t r = 0; r < b->n_rows; r++) {
            const struct engine_bench_series *s = &b->series[r][w];
            struct engine_bench_summary sm;
            char m[16], p[16], mi[16], ma[16], rf[16], rn[16];

            if (!row_shown(t, b, r) || (r == 0 && !wi->floor))
                continue;
            printf("%-20s %-9s ", title, b->labels[r]);
            title[0] = '\0';
            if (s->not_supported) {
                printf("%4s %9s\n", "-", "n/s (driver declares no limit-memory)");
                continue;
            }
            if (!engine_bench_summarise(s, &sm)) {
                printf("%4s error: %s\n", "0", s->errors ? s->first_error : "no sample");
                continue;
            }
            fmt_val(m, sizeof(m), sm.median);
            fmt_val(p, sizeof(p), sm.p90);
            fmt_val(mi, sizeof(mi), sm.min);
            fmt_val(ma, sizeof(ma), sm.max);
            fmt_ratio(rf, sizeof(rf), sm.median, wi->floor ? fl : 0);
            fmt_ratio(rn, sizeof(rn), sm.median, na);
            printf("%4zu %9s %9s %9s %9s %8s %8s", sm.n, m, p, mi, ma, rf, rn);
            if (s->errors)
                printf("  (%u errors: %s)", s->errors, s->first_error);
            printf("\n");
        }
    }
    for (size_t j = 0; j < nt; j++)
        if (!t[j].available)
            printf("skipped %s: %s\n", t[j].label, t[j].reason);
}

static void add_num(struct json_object *o, const char *k, double v, bool have)
{
    json_object_object_add(o, k, have ? json_object_new_double(v) : NULL);
}

static void print_json(const struct engine_bench *b, const struct engine_target *t, size_t nt)
{
    struct json_object *root = json_object_new_object(), *ws = json_object_new_array();
    struct json_object *drivers = json_object_new_array(), *host = json_object_new_object();
    size_t nat = native_row(b);
    struct utsname u;

    if (uname(&u) == 0)
        json_object_object_add(host, "kernel", json_object_new_string(u.release));
    json_object_object_add(host, "cpus", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_object_add(root, "host", host);
    json_object_object_add(root, "runs", json_object_new_int((int)b->runs));
    json_object_object_add(root, "parallel", json_object_new_int((int)b->parallel));
    json_object_object_add(root, "memory_method",
                           json_object_new_string("Pss of monitor + descendants + backend "
                                                  "processes naming the container, payload "
                                                  "excluded"));
    for (size_t j = 0; j < nt; j++) {
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "name", json_object_new_string(t[j].label));
        json_object_object_add(d, "available", json_object_new_boolean(t[j].available));
        if (!t[j].available)
            json_object_object_add(d, "reason", json_object_new_string(t[j].reason));
        json_object_array_add(drivers, d);
    }
    json_object_object_add(root, "drivers", drivers);
    for (int w = 0; w < ENGINE_BW__COUNT; w++) {
        const struct engine_bench_workload_info *wi = engine_bench_workload(w);
        struct json_object *wo = json_object_new_object(), *rows = json_object_new_array();
        double fl = median_of(b, 0, w), na = nat ? median_of(b, nat, w) : 0;

        json_object_object_add(wo, "name", json_object_new_string(wi->name));
        json_object_object_add(wo, "unit", json_object_new_string(wi->unit));
        json_object_object_add(wo, "summary", json_object_new_string(wi->summary));
        for (size_t r = 0; r < b->n_rows; r++) {
            const struct engine_bench_series *s = &b->series[r][w];
            struct engine_bench_summary sm = {0};
            struct json_object *ro;
            bool have;

            if (!row_shown(t, b, r) || (r == 0 && !wi->floor))
                continue;
            have = engine_bench_summarise(s, &sm);
            ro = json_object_new_object();
            json_object_object_add(ro, "driver", json_object_new_string(b->labels[r]));
            json_object_object_add(ro, "n", json_object_new_int((int)sm.n));
            add_num(ro, "median", sm.median, have);
            add_num(ro, "p90", sm.p90, have);
            add_num(ro, "min", sm.min, have);
            add_num(ro, "max", sm.max, have);
            add_num(ro, "ratio_floor", wi->floor && fl > 0 ? sm.median / fl : 0,
                    have && wi->floor && fl > 0);
            add_num(ro, "ratio_native", na > 0 ? sm.median / na : 0, have && na > 0);
            json_object_object_add(ro, "errors", json_object_new_int((int)s->errors));
            if (s->errors)
                json_object_object_add(ro, "error", json_object_new_string(s->first_error));
            if (s->not_supported)
                json_object_object_add(ro, "not_supported", json_object_new_boolean(true));
            json_object_array_add(rows, ro);
        }
        json_object_object_add(wo, "rows", rows);
        json_object_array_add(ws, wo);
    }
    json_object_object_add(root, "workloads", ws);
    printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
    json_object_put(root);
}

static void csv_num(bool have, double v)
{
    if (have)
        printf(",%.4f", v);
    else
        printf(",");
}

static void print_csv(const struct engine_bench *b, const struct engine_target *t)
{
    size_t nat = native_row(b);

    printf("workload,unit,driver,n,median,p90,min,max,ratio_floor,ratio_native,errors\n");
    for (int w = 0; w < ENGINE_BW__COUNT; w++) {
        const struct engine_bench_workload_info *wi = engine_bench_workload(w);
        double fl = median_of(b, 0, w), na = nat ? median_of(b, nat, w) : 0;

        for (size_t r = 0; r < b->n_rows; r++) {
            const struct engine_bench_series *s = &b->series[r][w];
            struct engine_bench_summary sm = {0};
            bool have;

            if (!row_shown(t, b, r) || (r == 0 && !wi->floor))
                continue;
            have = engine_bench_summarise(s, &sm);
            printf("%s,%s,%s,%zu", wi->name, wi->unit, b->labels[r], sm.n);
            csv_num(have, sm.median);
            csv_num(have, sm.p90);
            csv_num(have, sm.min);
            csv_num(have, sm.max);
            csv_num(have && wi->floor && fl > 0, fl > 0 ? sm.median / fl : 0);
            csv_num(have && na > 0, na > 0 ? sm.median / na : 0);
            printf(",%u\n", s->errors);
        }
    }
}

/* ---- SVG: one panel per workload, a bar per driver (median) with a
 * min-max whisker, each panel on its own scale with its unit. ---- */

static const char *const palette[] = {"#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"};

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            fputc(*s, f);
    }
}

/* A round axis maximum at or above v: 1, 2, 2.5, 5 x 10^k. */
static double nice_max(double v)
{
    double p = 1;

    if (v <= 0)
        return 1;
    while (p * 10 <= v)
        p *= 10;
    while (p > v)
        p /= 10;
    if (v <= p * 1)
        return p;
    if (v <= p * 2)
        return p * 2;
    if (v <= p * 2.5)
        return p * 2.5;
    if (v <= p * 5)
        return p * 5;
    return p * 10;
}

static int write_svg(const char *path, const struct engine_bench *b, const struct engine_target *t)
{
    const int W = 1080, LEFT = 100, PLOT = 560, ROW = 22, HEAD = 54, GAP = 18;
    _cleanup_fclose_ FILE *f = fopen(path, "w");
    size_t nat = native_row(b);
    int y = 56, height = y;

    if (!f)
        return -errno;
    for (int w = 0; w < ENGINE_BW__COUNT; w++) {
        int rows = 0;
        for (size_t r = 0; r < b->n_rows; r++)
            rows += row_shown(t, b, r) && (r > 0 || engine_bench_workload(w)->floor);
        height += HEAD + rows * ROW + GAP;
    }
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, sans-serif\" "
            "font-size=\"12\">\n",
            W, height, W, height);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f,
            "<text x=\"%d\" y=\"24\" font-size=\"17\" font-weight=\"bold\">engine bench: "
            "%u runs per driver, interleaved</text>\n",
            LEFT - 90, b->runs);
    fprintf(f,
            "<text x=\"%d\" y=\"42\" fill=\"#555\">Bar: median. Whisker: min to max. "
            "Label: median (x floor, x native). Lower is better. K = %u for parallel. "
            "A whisker cut by the axis ends in an arrow.</text>\n",
            LEFT - 90, b->parallel);
    for (int w = 0; w < ENGINE_BW__COUNT; w++) {
        const struct engine_bench_workload_info *wi = engine_bench_workload(w);
        double fl = median_of(b, 0, w), na = nat ? median_of(b, nat, w) : 0, top = 0, axis;
        int row = 0, rows = 0;

        for (size_t r = 0; r < b->n_rows; r++)
            rows += row_shown(t, b, r) && (r > 0 || wi->floor);

        /* The scale follows the p90s: one outlier must not flatten every bar.
         * A whisker past the axis is cut there, with an arrow head. */
        for (size_t r = 0; r < b->n_rows; r++) {
            struct engine_bench_summary sm;
            if (row_shown(t, b, r) && engine_bench_summarise(&b->series[r][w], &sm)) {
                if (sm.p90 > top)
                    top = sm.p90;
                if (sm.median * 1.05 > top)
                    top = sm.median * 1.05;
            }
        }
        axis = nice_max(top);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">", LEFT - 90,
                y + 18);
        xml_text(f, wi->name);
        fprintf(f, " (%s)</text><text x=\"%d\" y=\"%d\" fill=\"#555\">", wi->unit, LEFT + 110,
                y + 18);
        xml_text(f, wi->summary);
        fprintf(f, "</text>\n");
        /* grid and tick labels */
        for (int k = 0; k <= 4; k++) {
            int x = LEFT + PLOT * k / 4;
            char lab[32];
            fmt_val(lab, sizeof(lab), axis * k / 4);
            fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x,
                    y + HEAD - 14, x, y + HEAD - 10 + ROW * rows);
            fprintf(f,
                    "<text x=\"%d\" y=\"%d\" fill=\"#777\" font-size=\"10\" "
                    "text-anchor=\"middle\">%s %s</text>\n",
                    x, y + HEAD - 16, lab, k == 4 ? wi->unit : "");
        }
        for (size_t r = 0; r < b->n_rows; r++) {
            const struct engine_bench_series *s = &b->series[r][w];
            struct engine_bench_summary sm;
            int cy, x0 = LEFT;

            if (!row_shown(t, b, r) || (r == 0 && !wi->floor))
                continue;
            cy = y + HEAD + row * ROW;
            row++;
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LEFT - 8, cy + 4);
            xml_text(f, b->labels[r]);
            fprintf(f, "</text>\n");
            if (!engine_bench_summarise(s, &sm)) {
                fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#a00\">", x0 + 4, cy + 4);
                xml_text(f, s->not_supported ? "not supported by the driver"
                                             : (s->errors ? "error (see table)" : "no sample"));
                fprintf(f, "</text>\n");
                continue;
            }
            {
                double sc = PLOT / axis;
                int xb = x0 + (int)(sm.median * sc + 0.5), xmin = x0 + (int)(sm.min * sc),
                    xmax = x0 + (int)(sm.max * sc + 0.5);
                bool cut = xmax > LEFT + PLOT;

                if (cut)
                    xmax = LEFT + PLOT;
                char lab[128], v[16], rf[16], rn[16];

                fprintf(f,
                        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                        "fill-opacity=\"0.85\"/>\n",
                        x0, cy - 7, xb - x0 > 1 ? xb - x0 : 1, 14,
                        palette[r % ELEMENTSOF(palette)]);
                fprintf(f,
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#222\"/>"
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#222\"/>"
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#222\"/>\n",
                        xmin, cy, xmax, cy, xmin, cy - 4, xmin, cy + 4, xmax, cy - 4, xmax, cy + 4);
                if (cut)
                    fprintf(f, "<path d=\"M%d %d l7 4 l-7 4 z\" fill=\"#222\"/>\n", xmax, cy - 4);
                fmt_val(v, sizeof(v), sm.median);
                fmt_ratio(rf, sizeof(rf), sm.median, wi->floor ? fl : 0);
                fmt_ratio(rn, sizeof(rn), sm.median, na);
                if (r == 0)
                    snprintf(lab, sizeof(lab), "%s %s", v, wi->unit);
                else if (wi->floor)
                    snprintf(lab, sizeof(lab), "%s %s (%s floor, %s native)", v, wi->unit, rf, rn);
                else
                    snprintf(lab, sizeof(lab), "%s %s (%s native)", v, wi->unit, rn);
                if (cut) {
                    char mx[16];
                    size_t l = strlen(lab);
                    fmt_val(mx, sizeof(mx), sm.max);
                    snprintf(lab + l, sizeof(lab) - l, ", max %s", mx);
                }
                fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n",
                        (xmax > xb ? xmax : xb) + (cut ? 12 : 6), cy + 4, lab);
            }
        }
        y += HEAD + row * ROW + GAP;
    }
    fprintf(f, "</svg>\n");
    return ferror(f) ? -EIO : 0;
}

int cmd_bench(struct cli *cli, int argc, char **argv)
{
    enum { O_PARALLEL = 256, O_FORMAT, O_SVG, O_HELP };
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'e'},
        {"runs", required_argument, NULL, 'n'},
        {"parallel", required_argument, NULL, O_PARALLEL},
        {"format", required_argument, NULL, O_FORMAT},
        {"svg", required_argument, NULL, O_SVG},
        {"help", no_argument, NULL, O_HELP},
        {},
    };
    const char *list = NULL, *svg = NULL;
    enum fmt fmt = FMT_TABLE;
    struct engine_bench_opts bo = {.runs = 20, .parallel = 4, .interrupted = &interrupted};
    struct progress pr = {.tty = isatty(STDERR_FILENO), .last_iter = (unsigned)-1};
    struct engine_ctx *ctx = NULL;
    struct engine_error err = {0};
    struct engine_target *t = NULL, *avail;
    struct engine_bench *b = NULL;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    size_t nt = 0, na = 0;
    int64_t v;
    int c, q;

    while ((c = getopt_long(argc, argv, "+e:n:", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            list = optarg;
            break;
        case 'n':
            if (parse_int64(optarg, &v) < 0 || v < 1 || v > 100000)
                return cli_usage_error("bench", "invalid -n '%s' (1..100000)", optarg);
            bo.runs = (unsigned)v;
            break;
        case O_PARALLEL:
            if (parse_int64(optarg, &v) < 0 || v < 1 || v > 64)
                return cli_usage_error("bench", "invalid --parallel '%s' (1..64)", optarg);
            bo.parallel = (unsigned)v;
            break;
        case O_FORMAT:
            if (streq(optarg, "table"))
                fmt = FMT_TABLE;
            else if (streq(optarg, "json"))
                fmt = FMT_JSON;
            else if (streq(optarg, "csv"))
                fmt = FMT_CSV;
            else
                return cli_usage_error("bench", "unknown --format '%s' (table, json, csv)", optarg);
            break;
        case O_SVG:
            svg = optarg;
            break;
        case O_HELP:
            bench_usage();
            return 0;
        default:
            return cli_usage_error("bench", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    if (!list && cli->driver)
        list = cli->driver;
    q = cli_ctx(cli, &ctx);
    if (q)
        return q;
    if (engine_targets_resolve(ctx, list, &t, &nt, &err) < 0) {
        q = cli_fail(&err);
        goto out;
    }
    for (size_t j = 0; j < nt; j++)
        na += t[j].available;
    if (na == 0) {
        q = cli_fail(&(struct engine_error){.code = ENODEV,
                                            .msg = "No driver to benchmark is available here"});
        goto out;
    }
    avail = t;
    bo.progress = on_progress;
    bo.ud = &pr;
    (void)sigaction(SIGINT, &sa, &old_int);
    (void)sigaction(SIGTERM, &sa, &old_term);
    q = engine_bench_run(ctx, avail, nt, &bo, &b, &err);
    (void)sigaction(SIGINT, &old_int, NULL);
    (void)sigaction(SIGTERM, &old_term, NULL);
    if (pr.tty)
        fprintf(stderr, "\r\033[K");
    if (q < 0) {
        q = cli_fail(&err);
        goto out;
    }
    if (interrupted)
        fprintf(stderr, "bench: interrupted, showing the runs done so far\n");
    if (fmt == FMT_JSON)
        print_json(b, t, nt);
    else if (fmt == FMT_CSV)
        print_csv(b, t);
    else
        print_table(b, t, nt);
    if (svg) {
        q = write_svg(svg, b, t);
        if (q < 0) {
            q = cli_fail(&(struct engine_error){.code = -q});
            fprintf(stderr, "engine bench: cannot write %s\n", svg);
            goto out;
        }
        if (fmt == FMT_TABLE)
            printf("chart: %s\n", svg);
    }
    q = interrupted ? 130 : 0;
out:
    engine_bench_free(b);
    engine_targets_free(t, nt);
    engine_ctx_free(ctx);
    return q;
}
