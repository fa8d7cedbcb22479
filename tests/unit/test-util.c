/* tests/unit/test-util.c - core/util.c and core/names.c: sizes, CPU counts,
 * container names (checked before they touch a path) and ids. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util.h"
#include "tap.h"

static void test_parse_size(void)
{
    static const struct {
        const char *in;
        int64_t want;
    } good[] = {
        {"1048576", 1048576}, {"64m", 64LL << 20},   {"64M", 64LL << 20}, {"512k", 512LL << 10},
        {"1g", 1LL << 30},    {"1G", 1LL << 30},     {"2t", 2LL << 40},   {"100b", 100},
        {"64mb", 64LL << 20}, {"64MiB", 64LL << 20}, {"1.5g", 3LL << 29}, {"0", 0},
    };
    static const char *const bad[] = {"",     "abc",  "m",    "-1",     "-64m", "64x",
                                      "64mm", "64 m", " 64m", "64mibx", "1e30g"};

    for (size_t i = 0; i < ELEMENTSOF(good); i++) {
        int64_t v = -1;
        int r = parse_size(good[i].in, &v);
        ok(r == 0 && v == good[i].want, "parse_size(\"%s\") = %" PRId64 " (got %" PRId64 ")",
           good[i].in, good[i].want, v);
    }
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        int64_t v = 12345;
        int r = parse_size(bad[i], &v);
        ok(r < 0 && v == 12345, "parse_size(\"%s\") fails and leaves the output alone", bad[i]);
    }
    ok(parse_size(NULL, &(int64_t){0}) == -EINVAL, "parse_size(NULL) fails");
}

static void test_parse_cpus(void)
{
    static const struct {
        const char *in;
        uint64_t quota;
    } good[] = {
        {"0.5", 50000}, {"1", 100000}, {"2", 200000}, {"1.25", 125000}, {"0.01", 1000},
    };
    static const char *const bad[] = {"", "0", "-1", "abc", "0.5x", "2000", "0.001"};

    for (size_t i = 0; i < ELEMENTSOF(good); i++) {
        uint64_t q = 0, p = 0;
        int r = parse_cpus(good[i].in, &q, &p);
        ok(r == 0 && q == good[i].quota && p == 100000,
           "parse_cpus(\"%s\") = quota %" PRIu64 " / period 100000 (got %" PRIu64 "/%" PRIu64 ")",
           good[i].in, good[i].quota, q, p);
    }
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        uint64_t q = 0, p = 0;
        ok(parse_cpus(bad[i], &q, &p) < 0, "parse_cpus(\"%s\") fails", bad[i]);
    }
}

static void test_names(void)
{
    static const char *const good[] = {
        "web",
        "a",
        "Web-1",
        "a.b_c-d",
        "0abc",
        "x..y",
        "x234567890123456789012345678901234567890123456789012345678901234", /* 64 */
    };
    static const char *const bad[] = {
        "",
        "/",
        "a/b",
        "/etc",
        "..",
        ".",
        "../x",
        ".hidden",
        "-rf",
        "_x",
        "a b",
        "a\nb",
        "caf\xc3\xa9",
        "a:b",
        "a*",
        "12345678901234567890123456789012345678901234567890123456789012345", /* 65 */
        /* a name that is an id would be ambiguous with one */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    };
    struct engine_error err;

    for (size_t i = 0; i < ELEMENTSOF(good); i++) {
        engine_error_clear(&err);
        ok(engine_name_validate(good[i], &err) == 0, "name '%s' is valid", good[i]);
    }
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        char shown[32];
        int r;

        engine_error_clear(&err);
        r = engine_name_validate(bad[i], &err);
        /* Keep the TAP line on one line whatever the name holds. */
        snprintf(shown, sizeof(shown), "%.20s%s", bad[i], strlen(bad[i]) > 20 ? "..." : "");
        for (char *c = shown; *c; c++)
            if (*c == '\n')
                *c = '?';
        for (char *c = err.msg; *c; c++)
            if (*c == '\n')
                *c = '?';
        ok(r == -EINVAL && err.code == EINVAL &&
               strncmp(err.msg, "Invalid container name", 22) == 0,
           "name '%s' is refused (%s)", shown, err.msg);
    }
    ok(engine_name_validate(NULL, &err) == -EINVAL, "a NULL name is refused");
    ok(engine_name_validate("", NULL) == -EINVAL, "validation works without an error object");
}

static void test_ids(void)
{
    char id[65], id2[65];

    engine_id_generate(id);
    engine_id_generate(id2);
    ok(strlen(id) == 64 && engine_id_valid(id), "a generated id is 64 lowercase hex");
    ok(!streq(id, id2), "two generated ids differ");
    ok(!engine_id_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"),
       "upper case is not an id");
    ok(!engine_id_valid("0123456789abcdef"), "a short prefix is not an id");
    ok(!engine_id_valid(NULL) && !engine_id_valid(""), "NULL and empty are not ids");
}

static void test_format_size(void)
{
    char buf[32];

    format_size(buf, sizeof(buf), 512);
    is_str(buf, "512B", "format_size 512");
    format_size(buf, sizeof(buf), 64ULL << 20);
    is_str(buf, "64.0MiB", "format_size 64m");
}

int main(void)
{
    test_parse_size();
    test_parse_cpus();
    test_names();
    test_ids();
    test_format_size();
    return tap_done();
}
