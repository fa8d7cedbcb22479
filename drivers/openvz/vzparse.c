/* drivers/openvz/vzparse.c - vzctl command lines, the container config, and
 * parsers for vzctl/vzlist output and the OpenVZ /proc files. Pure functions
 * (no I/O) so they are unit-tested against recorded outputs (tests/data/openvz).
 *
 * Formats, from vzctl(8), vzlist(8) and the OpenVZ wiki:
 *   /proc/bc/<ctid>/resources:  "  <resource> held maxheld barrier limit failcnt"
 *   /proc/user_beancounters:    "Version: 2.5", a header, then per container
 *                               "<uid>: <resource> held maxheld barrier limit failcnt"
 *                               followed by lines without the uid
 *   /proc/vz/vestat:            "Version: 2.2", a "VEID user nice system uptime
 *                               idle strv uptime used maxlat totlat numsched"
 *                               header, one line per container (times in ticks)
 *   vzctl status CTID:          "CTID 101 exist mounted running"
 *   vzlist -H -o ctid,status,numproc,physpages,physpages.l: columns, "-" for
 *                               a value not available */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/driver-util.h"
#include "vzparse.h"

#define MAX_TOKENS 16

/* Split one line (modified in place) on blanks. */
static size_t tokenize(char *line, char **tok, size_t max)
{
    size_t n = 0;
    char *save = NULL;

    for (char *t = strtok_r(line, " \t\r", &save); t && n < max; t = strtok_r(NULL, " \t\r", &save))
        tok[n++] = t;
    return n;
}

static int parse_u64(const char *s, uint64_t *ret)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* Parsers tokenise a private copy, so text stays const. */
static char *dup_text(const char *text)
{
    return strdup(text ? text : "");
}

int vz_parse_bc_resources(const char *text, const char *ctid, struct vz_bcs *ret,
                          struct engine_error *err)
{
    char *copy = dup_text(text), *save = NULL, *line;
    struct vz_bcs b = {.n = 0};
    bool in_section = ctid == NULL, seen_section = false;

    if (!copy)
        return engine_error_errno(err, ENOMEM, "Beancounters");
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tok[MAX_TOKENS], **t = tok;
        size_t n = tokenize(line, tok, MAX_TOKENS);
        struct vz_bc bc;

        if (n == 0 || !strcmp(tok[0], "Version:") || !strcmp(tok[0], "uid") ||
            !strcmp(tok[0], "resource"))
            continue;
        if (tok[0][strlen(tok[0]) - 1] == ':') {
            tok[0][strlen(tok[0]) - 1] = '\0';
            in_section = ctid == NULL || !strcmp(tok[0], ctid);
            seen_section |= in_section;
            t++;
            n--;
        }
        if (!in_section || n != 6 || !strcmp(t[0], "dummy"))
            continue;
        if (parse_u64(t[1], &bc.held) < 0 || parse_u64(t[2], &bc.maxheld) < 0 ||
            parse_u64(t[3], &bc.barrier) < 0 || parse_u64(t[4], &bc.limit) < 0 ||
            parse_u64(t[5], &bc.failcnt) < 0)
            continue;
        if (b.n == VZ_BC_MAX)
            break;
        snprintf(bc.name, sizeof(bc.name), "%s", t[0]);
        b.v[b.n++] = bc;
    }
    free(copy);
    if (ctid && !seen_section)
        return engine_error_set(err, ENOENT, "No beancounters for container %s", ctid);
    if (b.n == 0)
        return engine_error_set(err, EINVAL, "No beancounter lines found");
    *ret = b;
    return 0;
}

const struct vz_bc *vz_bc_find(const struct vz_bcs *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->v[i].name, name))
            return &b->v[i];
    return NULL;
}

int vz_parse_vestat(const char *text, const char *ctid, struct vz_vestat *ret,
                    struct engine_error *err)
{
    char *copy = dup_text(text), *save = NULL, *line;
    int r = engine_error_set(err, ENOENT, "Container %s not in /proc/vz/vestat", ctid);

    if (!copy)
        return engine_error_errno(err, ENOMEM, "vestat");
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tok[MAX_TOKENS];
        size_t n = tokenize(line, tok, MAX_TOKENS);
        struct vz_vestat v;

        if (n < 5 || strcmp(tok[0], ctid))
            continue;
        if (parse_u64(tok[1], &v.user) < 0 || parse_u64(tok[2], &v.nice) < 0 ||
            parse_u64(tok[3], &v.system) < 0 || parse_u64(tok[4], &v.uptime_ticks) < 0) {
            r = engine_error_set(err, EINVAL, "Bad /proc/vz/vestat line for container %s", ctid);
            break;
        }
        *ret = v;
        engine_error_clear(err);
        r = 0;
        break;
    }
    free(copy);
    return r;
}

int vz_parse_status(const char *text, struct vz_status *ret, struct engine_error *err)
{
    char *copy = dup_text(text), *tok[MAX_TOKENS];
    struct vz_status s = {false, false, false, false};
    size_t n;

    if (!copy)
        return engine_error_errno(err, ENOMEM, "vzctl status");
    copy[strcspn(copy, "\n")] = '\0';
    n = tokenize(copy, tok, MAX_TOKENS);
    if (n < 5 || (strcmp(tok[0], "CTID") && strcmp(tok[0], "VEID"))) {
        free(copy);
        return engine_error_set(err, EINVAL, "Unexpected vzctl status output '%.*s'",
                                (int)(strcspn(text, "\n") < 100 ? strcspn(text, "\n") : 100), text);
    }
    s.exists = !strcmp(tok[2], "exist");
    s.mounted = !strcmp(tok[3], "mounted");
    s.running = !strcmp(tok[4], "running");
    s.suspended = n > 5 && !strcmp(tok[5], "suspended");
    free(copy);
    *ret = s;
    return 0;
}

static uint64_t dash_or_u64(const char *s)
{
    uint64_t v;

    return parse_u64(s, &v) == 0 ? v : VZ_UNLIMITED;
}

int vz_parse_vzlist(const char *text, const char *ctid, struct vz_list_entry *ret,
                    struct engine_error *err)
{
    char *copy = dup_text(text), *save = NULL, *line;
    int r = engine_error_set(err, ENOENT, "Container %s not listed by vzlist", ctid);

    if (!copy)
        return engine_error_errno(err, ENOMEM, "vzlist");
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tok[MAX_TOKENS];
        size_t n = tokenize(line, tok, MAX_TOKENS);
        struct vz_list_entry e;

        if (n < 5 || strcmp(tok[0], ctid))
            continue;
        snprintf(e.ctid, sizeof(e.ctid), "%s", tok[0]);
        snprintf(e.status, sizeof(e.status), "%s", tok[1]);
        e.numproc = dash_or_u64(tok[2]);
        e.physpages = dash_or_u64(tok[3]);
        e.physpages_limit = dash_or_u64(tok[4]);
        *ret = e;
        engine_error_clear(err);
        r = 0;
        break;
    }
    free(copy);
    return r;
}

/* LONG_MAX (64-bit kernels) or INT_MAX (the 32-bit era) means no limit. */
static bool bc_unlimited(uint64_t v)
{
    return v >= UINT64_C(2147483647);
}

void vz_stats_fill(const struct vz_bcs *bcs, const struct vz_vestat *vestat, long page_size,
                   long clk_tck, struct engine_stats *st)
{
    const struct vz_bc *phys = vz_bc_find(bcs, "physpages");
    const struct vz_bc *nproc = vz_bc_find(bcs, "numproc");
    const struct vz_bc *oom = vz_bc_find(bcs, "oomguarpages");
    const uint64_t page = page_size > 0 ? (uint64_t)page_size : 4096;

    if (st->struct_size == 0)
        st->struct_size = sizeof(*st);
    if (st->n_fields < ENGINE_STAT__COUNT)
        st->n_fields = ENGINE_STAT__COUNT;
    if (phys) {
        engine_stats_set(st, ENGINE_STAT_MEM_CURRENT, phys->held * page, ENGINE_SRC_VZ);
        engine_stats_set(st, ENGINE_STAT_MEM_MAX, phys->maxheld * page, ENGINE_SRC_VZ);
        if (!bc_unlimited(phys->limit) && phys->limit > 0)
            engine_stats_set(st, ENGINE_STAT_MEM_LIMIT, phys->limit * page, ENGINE_SRC_VZ);
    }
    if (nproc) {
        engine_stats_set(st, ENGINE_STAT_PIDS_CURRENT, nproc->held, ENGINE_SRC_VZ);
        if (!bc_unlimited(nproc->limit))
            engine_stats_set(st, ENGINE_STAT_PIDS_LIMIT, nproc->limit, ENGINE_SRC_VZ);
    }
    /* On VSwap kernels an OOM kill in the container counts as a failure of
     * oomguarpages; before VSwap physpages carried it. */
    if (oom)
        engine_stats_set(st, ENGINE_STAT_OOM_KILLS, oom->failcnt, ENGINE_SRC_VZ);
    else if (phys)
        engine_stats_set(st, ENGINE_STAT_OOM_KILLS, phys->failcnt, ENGINE_SRC_VZ);
    if (vestat && clk_tck > 0) {
        uint64_t ticks = vestat->user + vestat->nice + vestat->system;

        engine_stats_set(st, ENGINE_STAT_CPU_NS, ticks * (UINT64_C(1000000000) / (uint64_t)clk_tck),
                         ENGINE_SRC_VZ);
    }
}

/* --- command lines ---------------------------------------------------------- */

void vz_argv_free(char **v)
{
    drv_strv_free(v);
}

bool vz_limits_any(const struct engine_limits *l)
{
    return l->memory_bytes > 0 || l->cpu_quota_us > 0 || l->cpu_shares > 0 || l->pids_max > 0 ||
           (l->cpuset_cpus && *l->cpuset_cpus);
}

/* vzctl(8): --ram/--swap take bytes with a K/M/G suffix (VSwap), --cpulimit a
 * percentage of one CPU, --cpuunits a weight 8..500000 (1000 is the default,
 * as 1024 is for cgroup shares), --numproc barrier:limit, --cpumask a list. */
char **vz_argv_set_limits(const char *vzctl, const char *ctid, const struct engine_limits *l)
{
    struct drv_argv a = {0};

    drv_argv_add(&a, "%s", vzctl);
    drv_argv_add(&a, "--quiet");
    drv_argv_add(&a, "set");
    drv_argv_add(&a, "%s", ctid);
    if (l->memory_bytes > 0) {
        int64_t swap =
            l->memory_swap_bytes > l->memory_bytes ? l->memory_swap_bytes - l->memory_bytes : 0;

        drv_argv_add(&a, "--ram");
        drv_argv_add(&a, "%" PRId64 "K", (l->memory_bytes + 1023) / 1024);
        drv_argv_add(&a, "--swap");
        drv_argv_add(&a, "%" PRId64 "K", (swap + 1023) / 1024);
    }
    if (l->cpu_quota_us > 0) {
        uint64_t period = l->cpu_period_us ? l->cpu_period_us : 100000;
        uint64_t pct = (l->cpu_quota_us * 100 + period - 1) / period;

        drv_argv_add(&a, "--cpulimit");
        drv_argv_add(&a, "%" PRIu64, pct ? pct : 1);
    }
    if (l->cpu_shares > 0) {
        uint64_t units = l->cpu_shares * 1000 / 1024;

        units = units < 8 ? 8 : units > 500000 ? 500000 : units;
        drv_argv_add(&a, "--cpuunits");
        drv_argv_add(&a, "%" PRIu64, units);
    }
    if (l->cpuset_cpus && *l->cpuset_cpus) {
        drv_argv_add(&a, "--cpumask");
        drv_argv_add(&a, "%s", l->cpuset_cpus);
    }
    if (l->pids_max > 0) {
        drv_argv_add(&a, "--numproc");
        drv_argv_add(&a, "%" PRId64 ":%" PRId64, l->pids_max, l->pids_max);
    }
    drv_argv_add(&a, "--save");
    return drv_argv_finish(&a);
}

char **vz_argv_start(const char *vzctl, const char *ctid)
{
    struct drv_argv a = {0};

    drv_argv_add(&a, "%s", vzctl);
    drv_argv_add(&a, "--quiet");
    drv_argv_add(&a, "start");
    drv_argv_add(&a, "%s", ctid);
    return drv_argv_finish(&a);
}

char **vz_argv_stop(const char *vzctl, const char *ctid, bool fast)
{
    struct drv_argv a = {0};

    drv_argv_add(&a, "%s", vzctl);
    drv_argv_add(&a, "--quiet");
    drv_argv_add(&a, "stop");
    drv_argv_add(&a, "%s", ctid);
    if (fast)
        drv_argv_add(&a, "--fast");
    return drv_argv_finish(&a);
}

char **vz_argv_umount(const char *vzctl, const char *ctid)
{
    struct drv_argv a = {0};

    drv_argv_add(&a, "%s", vzctl);
    drv_argv_add(&a, "--quiet");
    drv_argv_add(&a, "umount");
    drv_argv_add(&a, "%s", ctid);
    return drv_argv_finish(&a);
}

char **vz_argv_status(const char *vzctl, const char *ctid)
{
    struct drv_argv a = {0};

    drv_argv_add(&a, "%s", vzctl);
    drv_argv_add(&a, "status");
    drv_argv_add(&a, "%s", ctid);
    return drv_argv_finish(&a);
}

char **vz_argv_vzlist(const char *vzlist, const char *ctid)
{
    struct drv_argv a = {0};

    drv_argv_add(&a, "%s", vzlist);
    drv_argv_add(&a, "-H");
    drv_argv_add(&a, "-o");
    drv_argv_add(&a, "ctid,status,numproc,physpages,physpages.l");
    drv_argv_add(&a, "%s", ctid);
    return drv_argv_finish(&a);
}

/* vzctl exec2 joins its arguments into one command line for the container's
 * shell and returns that command's exit code; give it one pre-quoted string. */
char **vz_argv_exec(const char *vzctl, const char *ctid, const struct engine_spec *spec)
{
    struct drv_argv a = {0};
    char *cmd = vz_exec_command(spec);

    if (!cmd)
        return NULL;
    drv_argv_add(&a, "%s", vzctl);
    drv_argv_add(&a, "exec2");
    drv_argv_add(&a, "%s", ctid);
    drv_argv_add(&a, "%s", cmd);
    free(cmd);
    return drv_argv_finish(&a);
}

char *vz_shell_quote(const char *s)
{
    size_t n = 2;
    char *out, *p;

    for (const char *c = s; *c; c++)
        n += *c == '\'' ? 4 : 1;
    out = malloc(n + 1);
    if (!out)
        return NULL;
    p = out;
    *p++ = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *c;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return out;
}

/* Append " <quoted s>" (or "<quoted s>" at the start) to *buf. */
static int append_quoted(char **buf, size_t *len, const char *s, bool space)
{
    char *q = vz_shell_quote(s), *nb;
    size_t ql;

    if (!q)
        return -ENOMEM;
    ql = strlen(q);
    nb = realloc(*buf, *len + ql + 2);
    if (!nb) {
        free(q);
        return -ENOMEM;
    }
    *buf = nb;
    if (space)
        nb[(*len)++] = ' ';
    memcpy(nb + *len, q, ql + 1);
    *len += ql;
    free(q);
    return 0;
}

static int append_raw(char **buf, size_t *len, const char *s)
{
    size_t sl = strlen(s);
    char *nb = realloc(*buf, *len + sl + 1);

    if (!nb)
        return -ENOMEM;
    *buf = nb;
    memcpy(nb + *len, s, sl + 1);
    *len += sl;
    return 0;
}

char *vz_exec_command(const struct engine_spec *spec)
{
    char *buf = NULL;
    size_t len = 0;
    int r;

    if (!spec->argv || !spec->argv[0])
        return NULL;
    r = append_raw(&buf, &len, "cd");
    r = r < 0 ? r : append_quoted(&buf, &len, spec->cwd && *spec->cwd ? spec->cwd : "/", true);
    r = r < 0 ? r : append_raw(&buf, &len, " && exec env");
    for (size_t i = 0; r == 0 && spec->env && spec->env[i]; i++)
        r = append_quoted(&buf, &len, spec->env[i], true);
    /* "--" keeps env from reading a command that starts with '-' as an option. */
    r = r < 0 ? r : append_raw(&buf, &len, " --");
    for (size_t i = 0; r == 0 && spec->argv[i]; i++)
        r = append_quoted(&buf, &len, spec->argv[i], true);
    if (r < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The config is sourced by a shell: escape what a double-quoted string
 * would otherwise interpret. */
static int append_conf_value(char **buf, size_t *len, const char *key, const char *value)
{
    int r = append_raw(buf, len, key);

    r = r < 0 ? r : append_raw(buf, len, "=\"");
    for (const char *c = value ? value : ""; r == 0 && *c; c++) {
        char one[3] = {'\\', *c, '\0'};

        r = append_raw(buf, len, strchr("\"\\$`", *c) ? one : one + 1);
    }
    return r < 0 ? r : append_raw(buf, len, "\"\n");
}

char *vz_conf_render(const struct engine_spec *spec, const char *ctid, const char *ve_root)
{
    char *buf = NULL, host12[13], *head = NULL, *tmpl = NULL;
    size_t len = 0;
    int r;

    snprintf(host12, sizeof(host12), "%.12s", spec->id);
    if (asprintf(&head, "# Container %s (engine %s %s), written by engine's openvz driver\n", ctid,
                 spec->name, spec->id) < 0)
        return NULL;
    if (asprintf(&tmpl, "engine-%s", spec->image && *spec->image ? spec->image : "rootfs") < 0) {
        free(head);
        return NULL;
    }
    r = append_raw(&buf, &len, head);
    r = r < 0 ? r : append_conf_value(&buf, &len, "ONBOOT", "no");
    r = r < 0 ? r : append_conf_value(&buf, &len, "VE_ROOT", ve_root);
    r = r < 0 ? r : append_conf_value(&buf, &len, "VE_PRIVATE", spec->rootfs);
    r = r < 0 ? r : append_conf_value(&buf, &len, "VE_LAYOUT", "simfs");
    r = r < 0 ? r : append_conf_value(&buf, &len, "OSTEMPLATE", tmpl);
    r = r < 0 ? r
              : append_conf_value(&buf, &len, "HOSTNAME",
                                  spec->hostname && *spec->hostname ? spec->hostname : host12);
    r = r < 0 ? r : append_conf_value(&buf, &len, "DISK_QUOTA", "no");
    r = r < 0 ? r : append_conf_value(&buf, &len, "PHYSPAGES", "0:unlimited");
    r = r < 0 ? r : append_conf_value(&buf, &len, "SWAPPAGES", "0:0");
    r = r < 0 ? r : append_conf_value(&buf, &len, "NUMPROC", "unlimited:unlimited");
    free(head);
    free(tmpl);
    if (r < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

unsigned long vz_ctid_for(const char *id, unsigned attempt)
{
    unsigned long v = 0;

    for (int i = 0; i < 7 && id && id[i]; i++) {
        char c = id[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                                            : 0;

        v = v * 16 + d;
    }
    return 1000 + (v + attempt) % 2000000000UL;
}
