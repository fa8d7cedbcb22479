/* drivers/libvirt/domain-xml.h - build the libvirt-lxc domain XML for a spec.
 *
 * Separate from the driver so the unit test can compile it with libxml2 alone
 * (no libvirt, no libvirtd). */
#ifndef ENGINE_LIBVIRT_DOMAIN_XML_H
#define ENGINE_LIBVIRT_DOMAIN_XML_H

#include <stdbool.h>
#include <stdint.h>

#include <engine/error.h>
#include <engine/spec.h>

/* Paths inside the container used by the wrapper that runs the command: the
 * wrapper waits on the gate fifo (so no output is lost before the console is
 * attached) and writes the command's exit status to the exit file, because
 * libvirt-lxc does not report init's exit code. The dir is a host dir bind
 * mounted into the container, so a read-only rootfs still works and nothing
 * is written into the container's own filesystem. */
#define LIBVIRT_CTR_DIR "/.engine"
#define LIBVIRT_CTR_GATE LIBVIRT_CTR_DIR "/gate"
#define LIBVIRT_CTR_EXIT LIBVIRT_CTR_DIR "/exit"
#define LIBVIRT_CTR_STDERR LIBVIRT_CTR_DIR "/stderr"
#define LIBVIRT_WRAPPER_SHELL "/bin/sh"

struct libvirt_xml_params {
    const char *name;        /* domain name, e.g. engine-<12 hex> */
    const char *root_source; /* host dir libvirtd mounts as the container's / */
    const char *control_dir; /* host dir mounted at LIBVIRT_CTR_DIR (gate, exit), or NULL */
    uint64_t memory_kib;     /* <memory>: libvirt-lxc requires one */
    bool wrap;               /* run argv under LIBVIRT_WRAPPER_SHELL (gate + exit file) */
};

/* The wrapper's script: argv follows as "$@". */
extern const char libvirt_wrapper_script[];

/* After the command the wrapper prints "\033]engine-done;<id>\007" on the
 * console and waits (up to 5 s) on the gate: libvirt-lxc drops console output
 * still in flight when init exits, so the driver reads up to this marker, then
 * lets the wrapper exit. */
#define LIBVIRT_DONE_PREFIX "\033]engine-done;"
#define LIBVIRT_DONE_SUFFIX "\007"

/* Build the XML in *ret_xml (malloc'ed, NUL-terminated). Every string from the
 * spec is escaped by libxml2's writer; strings XML cannot carry at all (control
 * characters) are refused with EINVAL naming the field. */
int libvirt_domain_xml(const struct engine_spec *spec, const struct libvirt_xml_params *p,
                       char **ret_xml, struct engine_error *err);

#endif
