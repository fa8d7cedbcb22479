/* core/util.h - small helpers shared by the core: cleanup attributes, files,
 * paths, sizes. Nothing here logs. */
#ifndef ENGINE_UTIL_H
#define ENGINE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <dirent.h>

#include <engine/error.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_free_ _cleanup_(strv_freep)
#define _unused_ __attribute__((unused))

static inline void freep(void *p)
{
    free(*(void **)p);
}
static inline void closep(int *fd)
{
    if (*fd >= 0)
        (void)close(*fd);
}
static inline void fclosep(FILE **f)
{
    if (*f)
        (void)fclose(*f);
}
static inline void closedirp(DIR **d)
{
    if (*d)
        (void)closedir(*d);
}

/* Take ownership: return *pp and set it to NULL. */
#define steal_pointer(pp)                                                                          \
    ({                                                                                             \
        __typeof__(*(pp)) _p = *(pp);                                                              \
        *(pp) = NULL;                                                                              \
        _p;                                                                                        \
    })
#define steal_fd(fdp)                                                                              \
    ({                                                                                             \
        int _fd = *(fdp);                                                                          \
        *(fdp) = -1;                                                                               \
        _fd;                                                                                       \
    })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)

/* Allocation that aborts on OOM: the core treats running out of memory as fatal. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_length(char *const *v);
char **strv_copy(char *const *v);
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
    strv_free(*v);
}
char **strv_append(char **v, const char *s); /* returns the new vector */

/* Files. All return 0 or a negative errno. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
int write_file(const char *path, const char *s); /* open O_WRONLY|O_TRUNC, write, close */
int read_file(const char *path, char **ret, size_t *ret_len);
int read_u64_file(const char *path, uint64_t *ret); /* first number in the file */
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path); /* does not cross mount points */
bool path_exists(const char *path);

/* "64m", "1g", "512k", "1048576" -> bytes. */
int parse_size(const char *s, int64_t *ret);
/* "0.5" -> quota 50000 / period 100000. */
int parse_cpus(const char *s, uint64_t *ret_quota_us, uint64_t *ret_period_us);
int parse_int64(const char *s, int64_t *ret);
void format_size(char *buf, size_t len, uint64_t bytes); /* "64.0MiB" */

/* Time. */
uint64_t now_ns(void);      /* CLOCK_MONOTONIC */
uint64_t realtime_ns(void); /* CLOCK_REALTIME */
void format_iso8601(char *buf, size_t len, uint64_t realtime_ns);

/* Names and ids. A name is [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; an id is 64
 * lowercase hex characters. Both are checked before they touch a path. */
int engine_name_validate(const char *name, struct engine_error *err);
bool engine_id_valid(const char *id);
void engine_id_generate(char ret[65]);

#endif
