/* drivers/libvirt/domain-xml.c - the libvirt-lxc domain XML for an engine spec,
 * written with libxml2's xmlTextWriter so every name, argument and value is
 * escaped by the library, never by hand. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "domain-xml.h"

/* Arguments: the container id (for the done marker), N, then N "NAME=VALUE"
 * environment entries, then the command. The environment travels as
 * arguments, not <initenv>: libvirt 9.0 re-formats the definition for its
 * libvirt_lxc controller without escaping <initenv> text, so a value with '<'
 * or '&' made the domain fail to start. Nothing forks before the command, so it
 * is pid 2 under the wrapper. fd 3 is the gate, opened read-write so that
 * neither side blocks in open(): the first line lets the command start once the
 * driver has the console open, the second lets the wrapper exit once the driver
 * has read the output up to the done marker. The command's stderr is a fifo the
 * driver copies to the container's stderr (the console would merge it into
 * stdout). $? of the command goes to the exit file (127 when it is not found,
 * 128+N when a signal killed it). */
const char libvirt_wrapper_script[] =
    "exec 3<>" LIBVIRT_CTR_GATE "; m=$1; n=$2; shift 2; "
    "while [ \"$n\" -gt 0 ]; do export \"$1\"; shift; n=$((n - 1)); done; "
    "read -r _ <&3; \"$@\" 3<&- 2>" LIBVIRT_CTR_STDERR "; echo $? >" LIBVIRT_CTR_EXIT "; "
    "printf '\\033]engine-done;%s\\007' \"$m\"; read -r -t 5 _ <&3";

/* XML 1.0 cannot carry these at all, escaped or not. */
static int check_text(const char *what, const char *s, struct engine_error *err)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return engine_error_set(err, EINVAL,
                                    "%s contains control character 0x%02x, which "
                                    "libvirt's XML cannot carry",
                                    what, *p);
    return 0;
}

/* libvirt's schema: initenv names are [a-zA-Z_][a-zA-Z0-9_]*. */
static int check_env_name(const char *name, size_t len, struct engine_error *err)
{
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return engine_error_set(err, EINVAL,
                                    "Environment variable name '%.*s' is not "
                                    "accepted by libvirt ([A-Za-z_][A-Za-z0-9_]*)",
                                    (int)len, name);
    }
    return len ? 0 : engine_error_set(err, EINVAL, "Empty environment variable name");
}

/* The writer functions return -1 on failure: collect that in one place. */
struct xw {
    xmlTextWriterPtr w;
    bool failed;
};

static void xw_start(struct xw *x, const char *el)
{
    if (xmlTextWriterStartElement(x->w, BAD_CAST el) < 0)
        x->failed = true;
}

static void xw_end(struct xw *x)
{
    if (xmlTextWriterEndElement(x->w) < 0)
        x->failed = true;
}

static void xw_attr(struct xw *x, const char *name, const char *value)
{
    if (xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0)
        x->failed = true;
}

static void xw_text(struct xw *x, const char *el, const char *text)
{
    if (xmlTextWriterWriteElement(x->w, BAD_CAST el, BAD_CAST text) < 0)
        x->failed = true;
}

static void xw_u64(struct xw *x, const char *el, const char *unit, uint64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    xw_start(x, el);
    if (unit)
        xw_attr(x, "unit", unit);
    if (xmlTextWriterWriteString(x->w, BAD_CAST buf) < 0)
        x->failed = true;
    xw_end(x);
}

static int write_os(struct xw *x, const struct engine_spec *spec,
                    const struct libvirt_xml_params *p, struct engine_error *err)
{
    char *const *argv = spec->argv;
    char count[32];
    size_t n_env = 0;
    int r;

    for (char *const *e = spec->env; e && *e; e++, n_env++) {
        const char *eq = strchr(*e, '=');

        if (!eq)
            return engine_error_set(err, EINVAL, "Environment entry '%s' is not NAME=VALUE", *e);
        if ((r = check_env_name(*e, (size_t)(eq - *e), err)) < 0 ||
            (r = check_text("Environment value", eq + 1, err)) < 0)
            return r;
        if (!p->wrap && strpbrk(eq + 1, "<>&'\""))
            return engine_error_set(err, EINVAL,
                                    "Environment value of '%.*s' contains one of "
                                    "<>&'\" which libvirt's <initenv> does not "
                                    "escape",
                                    (int)(eq - *e), *e);
    }
    xw_start(x, "os");
    xw_text(x, "type", "exe");
    if (p->wrap) {
        xw_text(x, "init", LIBVIRT_WRAPPER_SHELL);
        xw_text(x, "initarg", "-c");
        xw_text(x, "initarg", libvirt_wrapper_script);
        xw_text(x, "initarg", "sh"); /* $0 */
        if ((r = check_text("Container id", spec->id, err)) < 0)
            return r;
        xw_text(x, "initarg", spec->id);
        snprintf(count, sizeof(count), "%zu", n_env);
        xw_text(x, "initarg", count);
        for (char *const *e = spec->env; e && *e; e++)
            xw_text(x, "initarg", *e);
    } else {
        xw_text(x, "init", argv[0]);
        argv++;
    }
    for (; *argv; argv++) {
        if ((r = check_text("Command argument", *argv, err)) < 0)
            return r;
        xw_text(x, "initarg", *argv);
    }
    for (char *const *e = p->wrap ? NULL : spec->env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        char *name = strndup(*e, (size_t)(eq - *e));

        if (!name)
            return engine_error_errno(err, ENOMEM, "Domain XML");
        xw_start(x, "initenv");
        xw_attr(x, "name", name);
        if (xmlTextWriterWriteString(x->w, BAD_CAST(eq + 1)) < 0)
            x->failed = true;
        xw_end(x);
        free(name);
    }
    if (spec->cwd && spec->cwd[0]) {
        if ((r = check_text("Working directory", spec->cwd, err)) < 0)
            return r;
        xw_text(x, "initdir", spec->cwd);
    }
    if (spec->user && spec->user[0]) {
        const char *colon = strchr(spec->user, ':');
        char *uid = strndup(spec->user, colon ? (size_t)(colon - spec->user) : strlen(spec->user));

        if (!uid)
            return engine_error_errno(err, ENOMEM, "Domain XML");
        xw_text(x, "inituser", uid);
        xw_text(x, "initgroup", colon ? colon + 1 : uid);
        free(uid);
    }
    xw_end(x);
    return 0;
}

static void write_fs(struct xw *x, const char *source, const char *target, bool readonly)
{
    xw_start(x, "filesystem");
    xw_attr(x, "type", "mount");
    xw_attr(x, "accessmode", "passthrough");
    xw_start(x, "source");
    xw_attr(x, "dir", source);
    xw_end(x);
    xw_start(x, "target");
    xw_attr(x, "dir", target);
    xw_end(x);
    if (readonly) {
        xw_start(x, "readonly");
        xw_end(x);
    }
    xw_end(x);
}

static int write_devices(struct xw *x, const struct engine_spec *spec,
                         const struct libvirt_xml_params *p, struct engine_error *err)
{
    int r;

    xw_start(x, "devices");
    write_fs(x, p->root_source, "/", spec->readonly_rootfs);
    if (p->control_dir)
        write_fs(x, p->control_dir, LIBVIRT_CTR_DIR, false);
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct engine_mount *m = &spec->mounts[i];

        if (!m->target || m->target[0] != '/')
            return engine_error_set(err, EINVAL, "Mount %zu needs an absolute target", i);
        if ((r = check_text("Mount target", m->target, err)) < 0)
            return r;
        if (!m->type || strcmp(m->type, "bind") == 0) {
            if (!m->source || (r = check_text("Mount source", m->source, err)) < 0)
                return m->source ? r : engine_error_set(err, EINVAL, "Mount %zu has no source", i);
            write_fs(x, m->source, m->target, m->readonly);
        } else if (strcmp(m->type, "tmpfs") == 0) {
            xw_start(x, "filesystem");
            xw_attr(x, "type", "ram");
            xw_start(x, "source");
            xw_attr(x, "usage", "65536"); /* KiB; libvirt needs a size */
            xw_end(x);
            xw_start(x, "target");
            xw_attr(x, "dir", m->target);
            xw_end(x);
            xw_end(x);
        } else {
            return engine_error_set(err, ENOTSUP,
                                    "Mount type '%s' is not supported by the "
                                    "libvirt driver (bind, tmpfs)",
                                    m->type);
        }
    }
    xw_start(x, "console");
    xw_attr(x, "type", "pty");
    xw_end(x);
    xw_end(x);
    return 0;
}

static int write_domain(struct xw *x, const struct engine_spec *spec,
                        const struct libvirt_xml_params *p, struct engine_error *err)
{
    const struct engine_limits *l = &spec->limits;
    int r;

    xw_start(x, "domain");
    xw_attr(x, "type", "lxc");
    xw_text(x, "name", p->name);
    xw_u64(x, "memory", "KiB", p->memory_kib);
    xw_u64(x, "currentMemory", "KiB", p->memory_kib);
    xw_start(x, "vcpu");
    if (l->cpuset_cpus) {
        if ((r = check_text("cpuset", l->cpuset_cpus, err)) < 0)
            return r;
        xw_attr(x, "cpuset", l->cpuset_cpus);
    }
    if (xmlTextWriterWriteString(x->w, BAD_CAST "1") < 0)
        x->failed = true;
    xw_end(x);
    if (l->cpu_quota_us || l->cpu_shares) {
        xw_start(x, "cputune");
        if (l->cpu_shares)
            xw_u64(x, "shares", NULL, l->cpu_shares);
        if (l->cpu_quota_us) {
            xw_u64(x, "period", NULL, l->cpu_period_us ? l->cpu_period_us : 100000);
            xw_u64(x, "quota", NULL, l->cpu_quota_us);
        }
        xw_end(x);
    }
    if (l->memory_bytes > 0 && l->memory_swap_bytes > l->memory_bytes) {
        xw_start(x, "memtune");
        xw_u64(x, "swap_hard_limit", "KiB", (uint64_t)l->memory_swap_bytes / 1024);
        xw_end(x);
    }
    if ((r = write_os(x, spec, p, err)) < 0)
        return r;
    if (!spec->network_host) {
        /* Without it libvirt-lxc shares the host's network when no interface is given. */
        xw_start(x, "features");
        xw_start(x, "privnet");
        xw_end(x);
        xw_end(x);
    }
    xw_text(x, "on_poweroff", "destroy");
    xw_text(x, "on_reboot", "destroy");
    xw_text(x, "on_crash", "destroy");
    if ((r = write_devices(x, spec, p, err)) < 0)
        return r;
    xw_end(x);
    return 0;
}

int libvirt_domain_xml(const struct engine_spec *spec, const struct libvirt_xml_params *p,
                       char **ret_xml, struct engine_error *err)
{
    xmlBufferPtr buf;
    struct xw x = {0};
    char *out;
    int r;

    if (!spec->argv || !spec->argv[0])
        return engine_error_set(err, EINVAL, "Domain '%s': no command", p->name);
    if ((r = check_text("Domain name", p->name, err)) < 0 ||
        (r = check_text("Root directory", p->root_source, err)) < 0)
        return r;
    buf = xmlBufferCreate();
    if (!buf)
        return engine_error_errno(err, ENOMEM, "Domain XML for '%s'", p->name);
    x.w = xmlNewTextWriterMemory(buf, 0);
    if (!x.w) {
        xmlBufferFree(buf);
        return engine_error_errno(err, ENOMEM, "Domain XML for '%s'", p->name);
    }
    (void)xmlTextWriterSetIndent(x.w, 1);
    (void)xmlTextWriterSetIndentString(x.w, BAD_CAST "  ");
    r = write_domain(&x, spec, p, err);
    if (r == 0 && xmlTextWriterEndDocument(x.w) < 0)
        x.failed = true;
    xmlFreeTextWriter(x.w); /* flushes into buf */
    if (r == 0 && x.failed)
        r = engine_error_set(err, EIO, "Domain XML for '%s': libxml2's writer failed", p->name);
    if (r == 0) {
        out = strdup((const char *)xmlBufferContent(buf));
        if (!out)
            r = engine_error_errno(err, ENOMEM, "Domain XML for '%s'", p->name);
        else
            *ret_xml = out;
    }
    xmlBufferFree(buf);
    return r;
}
