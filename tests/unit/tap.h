/* tests/unit/tap.h - TAP output for the C unit tests: "ok N - desc" or
 * "not ok N - desc" plus diagnostics; exit status 1 when a test failed. */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static bool ok(bool cond, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond)
        tap_failed++;
    return cond;
}

/* Compare strings, printing both when they differ. */
__attribute__((format(printf, 3, 4), unused)) static bool is_str(const char *got, const char *want,
                                                                 const char *fmt, ...)
{
    bool same = got && want ? strcmp(got, want) == 0 : got == want;
    va_list ap;

    printf("%sok %d - ", same ? "" : "not ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!same) {
        tap_failed++;
        printf("#   expected: '%s'\n#   got:      '%s'\n", want ? want : "(null)",
               got ? got : "(null)");
    }
    return same;
}

__attribute__((unused)) static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    fflush(stdout);
    return tap_failed ? 1 : 0;
}

#endif
