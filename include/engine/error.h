/* engine/error.h - the error object every fallible call fills.
 *
 * Part of engine's public driver SDK. Header-only on purpose: a driver module
 * built against the installed headers needs no symbol from libengine to report
 * an error. */
#ifndef ENGINE_ERROR_H
#define ENGINE_ERROR_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ENGINE_ERROR_MSG_MAX 1024

/* code is a positive errno value (0 = no error). msg is a sentence that starts
 * with a capital and has no final period, e.g.
 * "Start container 'web': pivot_root: Operation not permitted". */
struct engine_error {
    int code;
    char msg[ENGINE_ERROR_MSG_MAX];
};

/* Set err (if not NULL) and return -code, so callers can write
 *   return engine_error_set(err, EINVAL, "Bad name '%s'", name); */
static inline int engine_error_setv(struct engine_error *err, int code, const char *fmt, va_list ap)
{
    if (code < 0)
        code = -code;
    if (code == 0)
        code = EIO;
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return -code;
}

__attribute__((format(printf, 3, 4))) static inline int
engine_error_set(struct engine_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = engine_error_setv(err, code, fmt, ap);
    va_end(ap);
    return r;
}

/* Like engine_error_set() but appends ": strerror(code)". */
__attribute__((format(printf, 3, 4))) static inline int
engine_error_errno(struct engine_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (code < 0)
        code = -code;
    if (code == 0)
        code = EIO;
    va_start(ap, fmt);
    (void)engine_error_setv(err, code, fmt, ap);
    va_end(ap);
    if (err) {
        n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(code));
    }
    return -code;
}

/* Prefix context to an error already set: "Create container 'web': <old>". */
__attribute__((format(printf, 2, 3))) static inline int engine_error_wrap(struct engine_error *err,
                                                                          const char *fmt, ...)
{
    char old[ENGINE_ERROR_MSG_MAX];
    va_list ap;
    size_t n;

    if (!err)
        return -EIO;
    memcpy(old, err->msg, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    n = strlen(err->msg);
    snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", old);
    return -(err->code ? err->code : EIO);
}

static inline void engine_error_clear(struct engine_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

#endif
