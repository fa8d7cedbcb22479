/* tests/unit/test-libvirt-xml.c - the libvirt driver's domain XML builder:
 * names, arguments and environment values full of XML metacharacters must come
 * back unchanged from a real XML parser; what XML cannot carry is refused. */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "../drivers/libvirt/domain-xml.h"
#include "tap.h"

/* Text of the n-th (0-based) node matching expr, malloc'ed, or NULL. */
static char *xpath_text(xmlDocPtr doc, const char *expr, int n)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx) : NULL;
    char *r = NULL;

    if (o && o->nodesetval && n < o->nodesetval->nodeNr) {
        xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[n]);
        r = strdup((const char *)c);
        xmlFree(c);
    }
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return r;
}

static int xpath_count(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx) : NULL;
    int n = o && o->nodesetval ? o->nodesetval->nodeNr : -1;

    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return n;
}

static void check_text(xmlDocPtr doc, const char *expr, int n, const char *want)
{
    char *got = xpath_text(doc, expr, n);

    is_str(got, want, "%s[%d]", expr, n);
    free(got);
}

static char *const nasty_argv[] = {"/bin/echo", "a<b",  "c&d",        "'q'", "\"dq\"",
                                   "]]>",       "x\ny", "$HOME `id`", NULL};
static char *const nasty_env[] = {"FOO=bar <&'\">", "PATH=/bin:/usr/bin", "EMPTY=", NULL};
static const struct engine_mount mounts[] = {
    {.source = "/srv/a&b", .target = "/data", .type = "bind", .readonly = 1},
    {.target = "/scratch", .type = "tmpfs"},
};

static struct engine_spec base_spec(void)
{
    return (struct engine_spec){
        .struct_size = sizeof(struct engine_spec),
        .id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        .name = "web<&>",
        .rootfs = "/r",
        .argv = nasty_argv,
        .env = nasty_env,
        .cwd = "/w'd",
        .hostname = "h<&>",
        .limits = {.memory_bytes = 64 << 20, .cpu_quota_us = 50000, .cpu_period_us = 100000},
        .mounts = mounts,
        .n_mounts = 2,
    };
}

static void test_wrapped(void)
{
    struct engine_spec spec = base_spec();
    struct libvirt_xml_params p = {
        .name = "engine-0123456789ab",
        .root_source = "/run/engine-libvirt/engine-0123456789ab/root",
        .control_dir = "/run/engine-libvirt/engine-0123456789ab/ctl",
        .memory_kib = 65536,
        .wrap = true,
    };
    struct engine_error err = {0};
    char *xml = NULL;
    xmlDocPtr doc;
    int i = 0;

    ok(libvirt_domain_xml(&spec, &p, &xml, &err) == 0, "wrapped spec builds (%s)", err.msg);
    doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET) : NULL;
    if (!ok(doc != NULL, "the XML parses")) {
        printf("# %s\n", xml ? xml : "(null)");
        free(xml);
        return;
    }
    check_text(doc, "/domain/@type", 0, "lxc");
    check_text(doc, "/domain/name", 0, "engine-0123456789ab");
    check_text(doc, "/domain/memory", 0, "65536");
    check_text(doc, "/domain/memory/@unit", 0, "KiB");
    check_text(doc, "/domain/cputune/quota", 0, "50000");
    check_text(doc, "/domain/cputune/period", 0, "100000");
    check_text(doc, "/domain/os/type", 0, "exe");
    check_text(doc, "/domain/os/init", 0, LIBVIRT_WRAPPER_SHELL);
    check_text(doc, "/domain/os/initarg", i++, "-c");
    check_text(doc, "/domain/os/initarg", i++, libvirt_wrapper_script);
    check_text(doc, "/domain/os/initarg", i++, "sh");
    check_text(doc, "/domain/os/initarg", i++, spec.id);
    check_text(doc, "/domain/os/initarg", i++, "3");
    for (int e = 0; nasty_env[e]; e++)
        check_text(doc, "/domain/os/initarg", i++, nasty_env[e]);
    for (int a = 0; nasty_argv[a]; a++)
        check_text(doc, "/domain/os/initarg", i++, nasty_argv[a]);
    ok(xpath_count(doc, "/domain/os/initarg") == i, "no extra initarg");
    ok(xpath_count(doc, "/domain/os/initenv") == 0, "wrapped: environment travels as arguments");
    check_text(doc, "/domain/os/initdir", 0, "/w'd");
    ok(xpath_count(doc, "/domain/features/privnet") == 1, "private network by default");
    check_text(doc, "/domain/devices/filesystem/target[@dir='/']/../source/@dir", 0, p.root_source);
    check_text(doc, "/domain/devices/filesystem/target[@dir='" LIBVIRT_CTR_DIR "']/../source/@dir",
               0, p.control_dir);
    check_text(doc, "/domain/devices/filesystem/target[@dir='/data']/../source/@dir", 0,
               "/srv/a&b");
    ok(xpath_count(doc, "/domain/devices/filesystem/target[@dir='/data']/../readonly") == 1,
       "read-only bind mount");
    check_text(doc, "/domain/devices/filesystem[@type='ram']/target/@dir", 0, "/scratch");
    check_text(doc, "/domain/devices/console/@type", 0, "pty");
    xmlFreeDoc(doc);
    free(xml);
}

static void test_unwrapped(void)
{
    static char *const plain_env[] = {"A=1", NULL};
    struct engine_spec spec = base_spec();
    struct libvirt_xml_params p = {.name = "n&<'\"", .root_source = "/r", .memory_kib = 1};
    struct engine_error err = {0};
    char *xml = NULL;
    xmlDocPtr doc;

    spec.network_host = 1;
    spec.env = plain_env;
    ok(libvirt_domain_xml(&spec, &p, &xml, &err) == 0, "unwrapped spec builds (%s)", err.msg);
    doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "d.xml", NULL, XML_PARSE_NONET) : NULL;
    if (ok(doc != NULL, "unwrapped XML parses")) {
        check_text(doc, "/domain/name", 0, "n&<'\"");
        check_text(doc, "/domain/os/init", 0, "/bin/echo");
        check_text(doc, "/domain/os/initarg", 0, "a<b");
        check_text(doc, "/domain/os/initenv[@name='A']", 0, "1");
        ok(xpath_count(doc, "/domain/features/privnet") == 0, "host network: no privnet");
        xmlFreeDoc(doc);
    }
    free(xml);

    /* libvirt 9.0 re-formats <initenv> text unescaped: refuse rather than break. */
    spec.env = nasty_env;
    xml = NULL;
    ok(libvirt_domain_xml(&spec, &p, &xml, &err) == -EINVAL && !xml,
       "unwrapped: metacharacters in an environment value are refused (%s)", err.msg);
}

static void test_refused(void)
{
    static char *const ctl_argv[] = {"/bin/echo", "bell\a", NULL};
    static char *const bad_env[] = {"1BAD=x", NULL};
    static char *const no_eq_env[] = {"NOEQ", NULL};
    struct engine_spec spec = base_spec();
    struct libvirt_xml_params p = {.name = "x", .root_source = "/r", .memory_kib = 1, .wrap = true};
    struct engine_error err = {0};
    char *xml = NULL;

    spec.argv = ctl_argv;
    ok(libvirt_domain_xml(&spec, &p, &xml, &err) == -EINVAL && !xml &&
           strstr(err.msg, "control character"),
       "control character in an argument refused: %s", err.msg);
    spec = base_spec();
    spec.env = bad_env;
    ok(libvirt_domain_xml(&spec, &p, &xml, &err) == -EINVAL && !xml,
       "bad environment name refused: %s", err.msg);
    spec.env = no_eq_env;
    ok(libvirt_domain_xml(&spec, &p, &xml, &err) == -EINVAL && !xml,
       "environment entry without '=' refused: %s", err.msg);
    spec = base_spec();
    spec.argv = NULL;
    ok(libvirt_domain_xml(&spec, &p, &xml, &err) == -EINVAL && !xml, "no command refused");
}

int main(void)
{
    LIBXML_TEST_VERSION;
    test_wrapped();
    test_unwrapped();
    test_refused();
    xmlCleanupParser();
    return tap_done();
}
