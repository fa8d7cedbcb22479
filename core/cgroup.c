/* core/cgroup.c - cgroups for every driver: detection of v1, hybrid and pure v2
 * hosts, creating a named cgroup with limits, attaching, stats, freezing,
 * killing and removing it. On v1 and hybrid hosts the v1 controllers are used
 * (the hybrid unified mount has no controllers); on v2 the unified tree. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The v1 controllers engine uses, in the order they are created. */
enum cg_ctrl { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_PIDS, CG_CPUSET, CG_FREEZER, CG_BLKIO, CG__COUNT };

static const char *const ctrl_names[CG__COUNT] = {
    [CG_MEMORY] = "memory", [CG_CPU] = "cpu",         [CG_CPUACCT] = "cpuacct", [CG_PIDS] = "pids",
    [CG_CPUSET] = "cpuset", [CG_FREEZER] = "freezer", [CG_BLKIO] = "blkio",
};

/* What the host looks like: the mode and, for v1, each controller's mount. */
struct cg_layout {
    enum engine_cgroup_mode mode;
    char root[PATH_MAX];
    char mounts[CG__COUNT][PATH_MAX]; /* "" when the controller is not mounted */
};

struct engine_cgroup {
    enum engine_cgroup_mode mode;
    char *name;
    char *dirs[CG__COUNT]; /* v1: leaf directory per controller, NULL if none */
    char *v2_dir;          /* v2: the leaf directory */
};

static const char *cgroup_root(void)
{
    const char *r = getenv("ENGINE_CGROUP_ROOT");

    return r && *r ? r : "/sys/fs/cgroup";
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *w = s;

    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static bool option_has(const char *opts, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = opts; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static bool path_under(const char *path, const char *root)
{
    size_t n = strlen(root);

    while (n > 1 && root[n - 1] == '/')
        n--;
    return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Fill l->mounts from mountinfo text: v1 "cgroup" mounts below root. A
 * controller mounted twice keeps its first mount. Pure function, for tests. */
static void cg_parse_mountinfo(const char *text, struct cg_layout *l)
{
    _cleanup_free_ char *copy = xstrdup(text);
    char *save = NULL;

    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[8] = {0}, *sep, *tail, *s2 = NULL;
        int n = 0;

        sep = strstr(line, " - ");
        if (!sep)
            continue;
        *sep = '\0';
        tail = sep + 3;
        for (char *t = strtok_r(line, " ", &s2); t && n < 5; t = strtok_r(NULL, " ", &s2))
            f[n++] = t;
        if (n < 5)
            continue;
        /* tail: fstype source superoptions */
        f[5] = strtok_r(tail, " ", &s2);
        f[6] = strtok_r(NULL, " ", &s2);
        f[7] = strtok_r(NULL, " ", &s2);
        if (!f[5] || !f[7] || !streq(f[5], "cgroup"))
            continue;
        unescape_octal(f[4]);
        if (!path_under(f[4], l->root))
            continue;
        for (int c = 0; c < CG__COUNT; c++) {
            if (l->mounts[c][0] == '\0' && option_has(f[7], ctrl_names[c]))
                snprintf(l->mounts[c], sizeof(l->mounts[c]), "%s", f[4]);
        }
    }
}

/* The mode from the filesystem types of root and root/unified, and whether
 * any v1 controller is mounted. Pure function, for tests. */
static enum engine_cgroup_mode cg_mode_from(long root_magic, long unified_magic,
                                            const struct cg_layout *l)
{
    if (root_magic == CGROUP2_SUPER_MAGIC)
        return ENGINE_CGROUP_V2;
    if (unified_magic == CGROUP2_SUPER_MAGIC)
        return ENGINE_CGROUP_HYBRID;
    (void)l;
    return ENGINE_CGROUP_V1;
}

static void cg_detect(struct cg_layout *l)
{
    _cleanup_free_ char *mi = NULL;
    _cleanup_free_ char *unified = NULL;
    struct statfs sf;
    long root_magic = 0, unified_magic = 0;

    memset(l, 0, sizeof(*l));
    snprintf(l->root, sizeof(l->root), "%s", cgroup_root());
    if (statfs(l->root, &sf) == 0)
        root_magic = (long)sf.f_type;
    unified = xasprintf("%s/unified", l->root);
    if (root_magic != CGROUP2_SUPER_MAGIC && statfs(unified, &sf) == 0)
        unified_magic = (long)sf.f_type;
    if (root_magic != CGROUP2_SUPER_MAGIC && read_file("/proc/self/mountinfo", &mi, NULL) == 0)
        cg_parse_mountinfo(mi, l);
    l->mode = cg_mode_from(root_magic, unified_magic, l);
}

/* Detected once per process (the unit test resets layout_done). */
static struct cg_layout layout;
static bool layout_done;

static const struct cg_layout *cg_layout(void)
{
    if (!layout_done) {
        cg_detect(&layout);
        layout_done = true;
    }
    return &layout;
}

enum engine_cgroup_mode engine_cgroup_mode(void)
{
    return cg_layout()->mode;
}

const char *engine_cgroup_mode_name(enum engine_cgroup_mode m)
{
    switch (m) {
    case ENGINE_CGROUP_V1:
        return "v1";
    case ENGINE_CGROUP_HYBRID:
        return "hybrid";
    case ENGINE_CGROUP_V2:
        return "v2";
    }
    return "unknown";
}

static int cg_name_check(const char *name, struct engine_error *err)
{
    if (!name || !*name || name[0] == '/' || strstr(name, "..") || strstr(name, "//"))
        return engine_error_set(err, EINVAL, "Bad cgroup name '%s'", name ? name : "");
    return 0;
}

/* A new handle with the leaf paths filled, nothing touched on disk. Two v1
 * controllers mounted together (cpu,cpuacct) share one directory. */
static struct engine_cgroup *cg_new(const char *name)
{
    const struct cg_layout *l = cg_layout();
    struct engine_cgroup *cg = xcalloc(1, sizeof(*cg));

    cg->mode = l->mode;
    cg->name = xstrdup(name);
    if (l->mode == ENGINE_CGROUP_V2) {
        cg->v2_dir = xasprintf("%s/%s", l->root, name);
        return cg;
    }
    for (int c = 0; c < CG__COUNT; c++) {
        if (l->mounts[c][0])
            cg->dirs[c] = xasprintf("%s/%s", l->mounts[c], name);
    }
    return cg;
}

void engine_cgroup_free(struct engine_cgroup *cg)
{
    if (!cg)
        return;
    for (int c = 0; c < CG__COUNT; c++)
        free(cg->dirs[c]);
    free(cg->v2_dir);
    free(cg->name);
    free(cg);
}

/* True when an earlier controller already has the same directory (co-mounted). */
static bool cg_dir_shared(const struct engine_cgroup *cg, int c)
{
    for (int i = 0; i < c; i++) {
        if (cg->dirs[i] && streq(cg->dirs[i], cg->dirs[c]))
            return true;
    }
    return false;
}

static int cg_write(const char *dir, const char *file, const char *value)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);

    return write_file(p, value);
}

static int cg_read(const char *dir, const char *file, char **ret)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);

    return read_file(p, ret, NULL);
}

static bool cg_file_exists(const char *dir, const char *file)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);

    return path_exists(p);
}

/* cpuset children start with empty cpus/mems, and attaching to such a cgroup
 * fails with ENOSPC: give each new level its parent's. */
static int cpuset_inherit(const char *dir)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    _cleanup_free_ char *parent = xstrdup(dir);
    char *slash = strrchr(parent, '/');

    if (!slash)
        return 0;
    *slash = '\0';
    for (size_t i = 0; i < ELEMENTSOF(files); i++) {
        _cleanup_free_ char *mine = NULL, *theirs = NULL;
        int r;

        if (cg_read(dir, files[i], &mine) == 0 && mine[strspn(mine, " \n")] != '\0')
            continue;
        r = cg_read(parent, files[i], &theirs);
        if (r < 0)
            return r;
        r = cg_write(dir, files[i], theirs);
        if (r < 0)
            return r;
    }
    return 0;
}

/* mkdir every level of name below base; remember the leaf was made by us. */
static int cg_mkdir_levels(const char *base, const char *name, bool cpuset, bool *ret_made)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", base, name);
    size_t off = strlen(base) + 1;
    int r;

    *ret_made = false;
    for (char *s = path + off;; s++) {
        bool last = (*s == '\0');

        if (*s != '/' && !last)
            continue;
        *s = '\0';
        if (mkdir(path, 0755) == 0) {
            if (last)
                *ret_made = true;
            if (cpuset) {
                r = cpuset_inherit(path);
                if (r < 0)
                    return r;
            }
        } else if (errno != EEXIST) {
            return -errno;
        }
        if (last)
            break;
        *s = '/';
    }
    return 0;
}

/* v2: enable the controllers engine uses from the root down to the leaf's
 * parent, each on its own so one missing controller does not block the rest. */
static void cg2_enable_controllers(const char *root, const char *name)
{
    static const char *const want[] = {"cpu", "memory", "pids", "io", "cpuset"};
    _cleanup_free_ char *path = xasprintf("%s/%s", root, name);
    char *last = strrchr(path, '/');
    size_t off = strlen(root);

    if (!last)
        return;
    *last = '\0';
    for (char *s = path + off;; s++) {
        bool end = (*s == '\0');
        _cleanup_free_ char *avail = NULL;

        if (*s != '/' && !end)
            continue;
        *s = '\0';
        (void)mkdir(path, 0755);
        if (cg_read(path, "cgroup.controllers", &avail) == 0) {
            for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                _cleanup_free_ char *w = xasprintf("+%s", want[i]);
                char *hit = strstr(avail, want[i]);
                size_t n = strlen(want[i]);

                if (hit && (hit == avail || hit[-1] == ' ') &&
                    (hit[n] == '\0' || hit[n] == ' ' || hit[n] == '\n'))
                    (void)cg_write(path, "cgroup.subtree_control", w);
            }
        }
        if (end)
            break;
        *s = '/';
    }
}

static int cg_set(const struct engine_cgroup *cg, const char *dir, const char *file,
                  const char *value, struct engine_error *err)
{
    int r = cg_write(dir, file, value);

    if (r < 0)
        return engine_error_errno(err, r, "Cgroup %s: cannot set %s to %s", cg->name, file, value);
    return 0;
}

static int cg1_apply_limits(const struct engine_cgroup *cg, const struct engine_limits *lim,
                            struct engine_error *err)
{
    char buf[64];
    int r;

    if (lim->memory_bytes > 0 && cg->dirs[CG_MEMORY]) {
        const char *d = cg->dirs[CG_MEMORY];
        int64_t sw = lim->memory_swap_bytes > 0 ? lim->memory_swap_bytes : lim->memory_bytes;

        snprintf(buf, sizeof(buf), "%" PRId64, lim->memory_bytes);
        r = cg_set(cg, d, "memory.limit_in_bytes", buf, err);
        if (r < 0)
            return r;
        if (cg_file_exists(d, "memory.memsw.limit_in_bytes") && lim->memory_swap_bytes >= 0) {
            snprintf(buf, sizeof(buf), "%" PRId64, sw);
            r = cg_set(cg, d, "memory.memsw.limit_in_bytes", buf, err);
            if (r < 0)
                return r;
        }
    } else if (lim->memory_bytes > 0) {
        return engine_error_set(err, ENOTSUP, "Cgroup %s: no memory controller for -m", cg->name);
    }
    if (lim->cpu_quota_us > 0) {
        const char *d = cg->dirs[CG_CPU];

        if (!d)
            return engine_error_set(err, ENOTSUP, "Cgroup %s: no cpu controller", cg->name);
        snprintf(buf, sizeof(buf), "%" PRIu64,
                 lim->cpu_period_us ? lim->cpu_period_us : (uint64_t)100000);
        r = cg_set(cg, d, "cpu.cfs_period_us", buf, err);
        if (r < 0)
            return r;
        snprintf(buf, sizeof(buf), "%" PRIu64, lim->cpu_quota_us);
        r = cg_set(cg, d, "cpu.cfs_quota_us", buf, err);
        if (r < 0)
            return r;
    }
    if (lim->cpu_shares > 0) {
        if (!cg->dirs[CG_CPU])
            return engine_error_set(err, ENOTSUP, "Cgroup %s: no cpu controller", cg->name);
        snprintf(buf, sizeof(buf), "%" PRIu64, lim->cpu_shares);
        r = cg_set(cg, cg->dirs[CG_CPU], "cpu.shares", buf, err);
        if (r < 0)
            return r;
    }
    if (lim->pids_max > 0) {
        if (!cg->dirs[CG_PIDS])
            return engine_error_set(err, ENOTSUP, "Cgroup %s: no pids controller", cg->name);
        snprintf(buf, sizeof(buf), "%" PRId64, lim->pids_max);
        r = cg_set(cg, cg->dirs[CG_PIDS], "pids.max", buf, err);
        if (r < 0)
            return r;
    }
    if (lim->cpuset_cpus && *lim->cpuset_cpus) {
        if (!cg->dirs[CG_CPUSET])
            return engine_error_set(err, ENOTSUP, "Cgroup %s: no cpuset controller", cg->name);
        r = cg_set(cg, cg->dirs[CG_CPUSET], "cpuset.cpus", lim->cpuset_cpus, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* v1 shares (2..262144) to v2 weight (1..10000), as crun converts them. */
static uint64_t shares_to_weight(uint64_t shares)
{
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

static int cg2_apply_limits(const struct engine_cgroup *cg, const struct engine_limits *lim,
                            struct engine_error *err)
{
    const char *d = cg->v2_dir;
    char buf[64];
    int r;

    if (lim->memory_bytes > 0) {
        snprintf(buf, sizeof(buf), "%" PRId64, lim->memory_bytes);
        r = cg_set(cg, d, "memory.max", buf, err);
        if (r < 0)
            return r;
        if (cg_file_exists(d, "memory.swap.max") && lim->memory_swap_bytes >= 0) {
            int64_t sw = lim->memory_swap_bytes > lim->memory_bytes
                             ? lim->memory_swap_bytes - lim->memory_bytes
                             : 0;

            snprintf(buf, sizeof(buf), "%" PRId64, sw);
            r = cg_set(cg, d, "memory.swap.max", buf, err);
            if (r < 0)
                return r;
        }
    }
    if (lim->cpu_quota_us > 0) {
        snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64, lim->cpu_quota_us,
                 lim->cpu_period_us ? lim->cpu_period_us : (uint64_t)100000);
        r = cg_set(cg, d, "cpu.max", buf, err);
        if (r < 0)
            return r;
    }
    if (lim->cpu_shares > 0) {
        snprintf(buf, sizeof(buf), "%" PRIu64, shares_to_weight(lim->cpu_shares));
        r = cg_set(cg, d, "cpu.weight", buf, err);
        if (r < 0)
            return r;
    }
    if (lim->pids_max > 0) {
        snprintf(buf, sizeof(buf), "%" PRId64, lim->pids_max);
        r = cg_set(cg, d, "pids.max", buf, err);
        if (r < 0)
            return r;
    }
    if (lim->cpuset_cpus && *lim->cpuset_cpus) {
        r = cg_set(cg, d, "cpuset.cpus", lim->cpuset_cpus, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

/* rmdir, retrying briefly: a cgroup whose last task just died can still be
 * busy for a moment. */
static int cg_rmdir(const char *dir)
{
    for (int i = 0; i < 100; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return -errno;
        sleep_ms(10);
    }
    return -EBUSY;
}

static void cg_remove_dirs(struct engine_cgroup *cg, const bool *made)
{
    if (cg->v2_dir) {
        if (!made || made[0])
            (void)cg_rmdir(cg->v2_dir);
        return;
    }
    for (int c = 0; c < CG__COUNT; c++) {
        if (cg->dirs[c] && (!made || made[c]))
            (void)cg_rmdir(cg->dirs[c]);
    }
}

int engine_cgroup_create(const char *name, const struct engine_limits *limits,
                         struct engine_cgroup **ret_cg, struct engine_error *err)
{
    const struct cg_layout *l = cg_layout();
    struct engine_cgroup *cg;
    bool made[CG__COUNT] = {false};
    bool any = false;
    int r;

    r = cg_name_check(name, err);
    if (r < 0)
        return r;
    cg = cg_new(name);
    if (cg->mode == ENGINE_CGROUP_V2) {
        cg2_enable_controllers(l->root, name);
        r = cg_mkdir_levels(l->root, name, false, &made[0]);
        if (r < 0) {
            engine_error_errno(err, r, "Cgroup %s: cannot create %s", name, cg->v2_dir);
            goto fail;
        }
        r = limits ? cg2_apply_limits(cg, limits, err) : 0;
        if (r < 0)
            goto fail;
        *ret_cg = cg;
        return 0;
    }
    for (int c = 0; c < CG__COUNT; c++) {
        if (!cg->dirs[c] || cg_dir_shared(cg, c))
            continue;
        r = cg_mkdir_levels(l->mounts[c], name, c == CG_CPUSET, &made[c]);
        if (r < 0) {
            engine_error_errno(err, r, "Cgroup %s: cannot create %s", name, cg->dirs[c]);
            goto fail;
        }
        any = true;
    }
    if (!any) {
        r = engine_error_set(err, ENOTSUP, "Cgroup %s: no cgroup controller mounted under %s", name,
                             l->root);
        goto fail;
    }
    r = limits ? cg1_apply_limits(cg, limits, err) : 0;
    if (r < 0)
        goto fail;
    *ret_cg = cg;
    return 0;
fail:
    cg_remove_dirs(cg, made);
    engine_cgroup_free(cg);
    return r;
}

int engine_cgroup_open(const char *name, struct engine_cgroup **ret_cg, struct engine_error *err)
{
    struct engine_cgroup *cg;
    int r;

    r = cg_name_check(name, err);
    if (r < 0)
        return r;
    if (!engine_cgroup_exists(name))
        return engine_error_set(err, ENOENT, "Cgroup %s does not exist", name);
    cg = cg_new(name);
    /* A controller directory that is gone is simply not used. */
    for (int c = 0; c < CG__COUNT; c++) {
        if (cg->dirs[c] && !path_exists(cg->dirs[c]))
            cg->dirs[c] = (free(cg->dirs[c]), NULL);
    }
    *ret_cg = cg;
    return 0;
}

static void cg_freep(struct engine_cgroup **cg)
{
    engine_cgroup_free(*cg);
}

int engine_cgroup_exists(const char *name)
{
    _cleanup_(cg_freep) struct engine_cgroup *cg = NULL;

    if (cg_name_check(name, NULL) < 0)
        return 0;
    cg = cg_new(name);
    if (cg->v2_dir)
        return path_exists(cg->v2_dir);
    for (int c = 0; c < CG__COUNT; c++) {
        if (cg->dirs[c] && path_exists(cg->dirs[c]))
            return 1;
    }
    return 0;
}

int engine_cgroup_attach(struct engine_cgroup *cg, pid_t pid, struct engine_error *err)
{
    char buf[32];
    int r;

    snprintf(buf, sizeof(buf), "%d", (int)pid);
    if (cg->v2_dir) {
        r = cg_write(cg->v2_dir, "cgroup.procs", buf);
        if (r < 0)
            return engine_error_errno(err, r, "Cgroup %s: cannot attach pid %d", cg->name,
                                      (int)pid);
        return 0;
    }
    for (int c = 0; c < CG__COUNT; c++) {
        if (!cg->dirs[c] || cg_dir_shared(cg, c))
            continue;
        r = cg_write(cg->dirs[c], "cgroup.procs", buf);
        if (r < 0)
            return engine_error_errno(err, r, "Cgroup %s: cannot attach pid %d to %s", cg->name,
                                      (int)pid, ctrl_names[c]);
    }
    return 0;
}

const char *engine_cgroup_path(struct engine_cgroup *cg, const char *controller)
{
    if (!cg)
        return NULL;
    if (cg->v2_dir)
        return cg->v2_dir;
    if (!controller)
        return NULL; /* hybrid: engine does not use the controller-less unified tree */
    for (int c = 0; c < CG__COUNT; c++) {
        if (streq(controller, ctrl_names[c]))
            return cg->dirs[c];
    }
    return NULL;
}

/* The directory whose cgroup.procs lists the container's tasks. */
static const char *cg_procs_dir(const struct engine_cgroup *cg)
{
    static const enum cg_ctrl order[] = {CG_PIDS,    CG_FREEZER, CG_MEMORY, CG_CPU,
                                         CG_CPUACCT, CG_CPUSET,  CG_BLKIO};

    if (cg->v2_dir)
        return cg->v2_dir;
    for (size_t i = 0; i < ELEMENTSOF(order); i++) {
        if (cg->dirs[order[i]] && path_exists(cg->dirs[order[i]]))
            return cg->dirs[order[i]];
    }
    return NULL;
}

/* "key value" lines (memory.oom_control, cpu.stat, memory.events). */
static int kv_lookup(const char *text, const char *key, uint64_t *ret)
{
    size_t n = strlen(key);

    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, n) == 0 && p[n] == ' ') {
            *ret = strtoull(p + n + 1, NULL, 10);
            return 0;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -ENOENT;
}

/* blkio.throttle.io_service_bytes: "MAJ:MIN Read N" lines, summed over devices. */
static void blkio_sum(const char *text, uint64_t *ret_read, uint64_t *ret_write)
{
    *ret_read = *ret_write = 0;
    for (const char *p = text; p && *p;) {
        char dev[64], op[16];
        unsigned long long v;

        if (sscanf(p, "%63s %15s %llu", dev, op, &v) == 3) {
            if (streq(op, "Read"))
                *ret_read += v;
            else if (streq(op, "Write"))
                *ret_write += v;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." lines, summed over devices. */
static void iostat_sum(const char *text, uint64_t *ret_read, uint64_t *ret_write)
{
    *ret_read = *ret_write = 0;
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);

        for (const char *q = p; q < end; q++) {
            if (strncmp(q, "rbytes=", 7) == 0)
                *ret_read += strtoull(q + 7, NULL, 10);
            else if (strncmp(q, "wbytes=", 7) == 0)
                *ret_write += strtoull(q + 7, NULL, 10);
        }
        p = eol ? eol + 1 : NULL;
    }
}

/* v1 "unlimited" is a huge page-rounded number, v2 says "max": both mean no value. */
static bool is_unlimited(uint64_t v)
{
    return v >= (UINT64_C(1) << 62);
}

static void stat_u64(struct engine_stats *st, enum engine_stat_field f, const char *dir,
                     const char *file, enum engine_stat_source src, bool limit)
{
    _cleanup_free_ char *p = NULL;
    uint64_t v;

    if (!dir)
        return;
    p = xasprintf("%s/%s", dir, file);
    if (read_u64_file(p, &v) < 0)
        return;
    if (limit && is_unlimited(v))
        return;
    engine_stats_set(st, f, v, src);
}

static void cg1_stats(const struct engine_cgroup *cg, struct engine_stats *st)
{
    const enum engine_stat_source s = ENGINE_SRC_CGROUP_V1;
    const char *mem = cg->dirs[CG_MEMORY];
    _cleanup_free_ char *oom = NULL, *io = NULL;
    uint64_t v, rd, wr;

    stat_u64(st, ENGINE_STAT_CPU_NS, cg->dirs[CG_CPUACCT], "cpuacct.usage", s, false);
    stat_u64(st, ENGINE_STAT_MEM_CURRENT, mem, "memory.usage_in_bytes", s, false);
    stat_u64(st, ENGINE_STAT_MEM_MAX, mem, "memory.max_usage_in_bytes", s, false);
    stat_u64(st, ENGINE_STAT_MEM_LIMIT, mem, "memory.limit_in_bytes", s, true);
    stat_u64(st, ENGINE_STAT_PIDS_CURRENT, cg->dirs[CG_PIDS], "pids.current", s, false);
    stat_u64(st, ENGINE_STAT_PIDS_LIMIT, cg->dirs[CG_PIDS], "pids.max", s, true);
    if (mem && cg_read(mem, "memory.oom_control", &oom) == 0 && kv_lookup(oom, "oom_kill", &v) == 0)
        engine_stats_set(st, ENGINE_STAT_OOM_KILLS, v, s);
    if (cg->dirs[CG_BLKIO] &&
        cg_read(cg->dirs[CG_BLKIO], "blkio.throttle.io_service_bytes", &io) == 0) {
        blkio_sum(io, &rd, &wr);
        engine_stats_set(st, ENGINE_STAT_IO_READ_BYTES, rd, s);
        engine_stats_set(st, ENGINE_STAT_IO_WRITE_BYTES, wr, s);
    }
}

static void cg2_stats(const struct engine_cgroup *cg, struct engine_stats *st)
{
    const enum engine_stat_source s = ENGINE_SRC_CGROUP_V2;
    const char *d = cg->v2_dir;
    _cleanup_free_ char *cpu = NULL, *ev = NULL, *io = NULL;
    uint64_t v, rd, wr;

    if (cg_read(d, "cpu.stat", &cpu) == 0 && kv_lookup(cpu, "usage_usec", &v) == 0)
        engine_stats_set(st, ENGINE_STAT_CPU_NS, v * 1000, s);
    stat_u64(st, ENGINE_STAT_MEM_CURRENT, d, "memory.current", s, false);
    stat_u64(st, ENGINE_STAT_MEM_MAX, d, "memory.peak", s, false);
    stat_u64(st, ENGINE_STAT_MEM_LIMIT, d, "memory.max", s, true);
    stat_u64(st, ENGINE_STAT_PIDS_CURRENT, d, "pids.current", s, false);
    stat_u64(st, ENGINE_STAT_PIDS_LIMIT, d, "pids.max", s, true);
    if (cg_read(d, "memory.events", &ev) == 0 && kv_lookup(ev, "oom_kill", &v) == 0)
        engine_stats_set(st, ENGINE_STAT_OOM_KILLS, v, s);
    if (cg_read(d, "io.stat", &io) == 0) {
        iostat_sum(io, &rd, &wr);
        engine_stats_set(st, ENGINE_STAT_IO_READ_BYTES, rd, s);
        engine_stats_set(st, ENGINE_STAT_IO_WRITE_BYTES, wr, s);
    }
}

int engine_cgroup_stats(struct engine_cgroup *cg, struct engine_stats *st, struct engine_error *err)
{
    const char *d = cg_procs_dir(cg);

    if (!d)
        return engine_error_set(err, ENOENT, "Cgroup %s does not exist", cg->name);
    if (st->struct_size == 0)
        st->struct_size = sizeof(*st);
    if (st->n_fields < ENGINE_STAT__COUNT)
        st->n_fields = ENGINE_STAT__COUNT;
    if (cg->v2_dir)
        cg2_stats(cg, st);
    else
        cg1_stats(cg, st);
    return 0;
}

/* Wait until the freezer reports the wanted state; v1 passes through FREEZING
 * and may need the write repeated while tasks are in the middle of forking. */
static int cg1_freeze(struct engine_cgroup *cg, int frozen, struct engine_error *err)
{
    const char *want = frozen ? "FROZEN" : "THAWED";
    const char *d = cg->dirs[CG_FREEZER];
    int r;

    if (!d)
        return engine_error_set(err, ENOTSUP, "Cgroup %s: no freezer controller", cg->name);
    for (int i = 0; i < 1000; i++) {
        _cleanup_free_ char *state = NULL;

        if (i % 50 == 0) {
            r = cg_write(d, "freezer.state", want);
            if (r < 0)
                return engine_error_errno(err, r, "Cgroup %s: cannot write %s to freezer.state",
                                          cg->name, want);
        }
        r = cg_read(d, "freezer.state", &state);
        if (r < 0)
            return engine_error_errno(err, r, "Cgroup %s: cannot read freezer.state", cg->name);
        if (strncmp(state, want, strlen(want)) == 0)
            return 0;
        sleep_ms(5);
    }
    return engine_error_set(err, ETIMEDOUT, "Cgroup %s: freezer did not reach %s", cg->name, want);
}

static int cg2_freeze(struct engine_cgroup *cg, int frozen, struct engine_error *err)
{
    int r;

    r = cg_write(cg->v2_dir, "cgroup.freeze", frozen ? "1" : "0");
    if (r < 0)
        return engine_error_errno(err, r, "Cgroup %s: cannot write cgroup.freeze", cg->name);
    for (int i = 0; i < 1000; i++) {
        _cleanup_free_ char *ev = NULL;
        uint64_t v;

        if (cg_read(cg->v2_dir, "cgroup.events", &ev) == 0 && kv_lookup(ev, "frozen", &v) == 0 &&
            (v != 0) == (frozen != 0))
            return 0;
        sleep_ms(5);
    }
    return engine_error_set(err, ETIMEDOUT, "Cgroup %s: did not become %s", cg->name,
                            frozen ? "frozen" : "thawed");
}

int engine_cgroup_freeze(struct engine_cgroup *cg, int frozen, struct engine_error *err)
{
    return cg->v2_dir ? cg2_freeze(cg, frozen, err) : cg1_freeze(cg, frozen, err);
}

/* 1 when frozen, 0 when not, <0 when unknown. */
static int cg_is_frozen(const struct engine_cgroup *cg)
{
    _cleanup_free_ char *s = NULL;

    if (cg->v2_dir) {
        if (cg_read(cg->v2_dir, "cgroup.freeze", &s) < 0)
            return -ENOENT;
        return s[0] == '1';
    }
    if (!cg->dirs[CG_FREEZER] || cg_read(cg->dirs[CG_FREEZER], "freezer.state", &s) < 0)
        return -ENOENT;
    return strncmp(s, "THAWED", 6) != 0;
}

int engine_cgroup_kill(struct engine_cgroup *cg, int sig)
{
    const char *d = cg_procs_dir(cg);
    _cleanup_free_ char *procs = NULL;
    int n = 0;

    if (!d || cg_read(d, "cgroup.procs", &procs) < 0)
        return 0;
    for (char *p = procs; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);

        if (end == p)
            break;
        if (pid > 0 && kill((pid_t)pid, sig) == 0)
            n++;
        p = end;
        while (*p == '\n' || *p == ' ')
            p++;
    }
    /* Frozen tasks only act on SIGKILL once thawed. */
    if (sig == SIGKILL && n > 0 && cg_is_frozen(cg) == 1)
        (void)engine_cgroup_freeze(cg, 0, NULL);
    return n;
}

static bool cg_empty(const struct engine_cgroup *cg)
{
    const char *d = cg_procs_dir(cg);
    _cleanup_free_ char *procs = NULL;

    if (!d || cg_read(d, "cgroup.procs", &procs) < 0)
        return true;
    return procs[strspn(procs, " \n")] == '\0';
}

int engine_cgroup_destroy(struct engine_cgroup *cg, struct engine_error *err)
{
    int r = 0;

    if (!cg)
        return 0;
    if (cg->v2_dir && cg_file_exists(cg->v2_dir, "cgroup.kill"))
        (void)cg_write(cg->v2_dir, "cgroup.kill", "1");
    for (int i = 0; i < 500 && !cg_empty(cg); i++) {
        (void)engine_cgroup_kill(cg, SIGKILL);
        sleep_ms(10);
    }
    if (!cg_empty(cg))
        r = engine_error_set(err, EBUSY, "Cgroup %s: tasks survive SIGKILL", cg->name);
    if (cg->v2_dir) {
        int q = cg_rmdir(cg->v2_dir);
        if (q < 0 && r == 0)
            r = engine_error_errno(err, q, "Cgroup %s: cannot remove %s", cg->name, cg->v2_dir);
    } else {
        for (int c = 0; c < CG__COUNT; c++) {
            int q;

            if (!cg->dirs[c] || cg_dir_shared(cg, c))
                continue;
            q = cg_rmdir(cg->dirs[c]);
            if (q < 0 && r == 0)
                r = engine_error_errno(err, q, "Cgroup %s: cannot remove %s", cg->name,
                                       cg->dirs[c]);
        }
    }
    engine_cgroup_free(cg);
    return r;
}
