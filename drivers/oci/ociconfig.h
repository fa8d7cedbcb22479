/* drivers/oci/ociconfig.h - the OCI runtime config (config.json) for a spec,
 * built with json-c. Separate from oci.c so tests/unit/test-oci-config.c can
 * check it without a runtime. */
#ifndef ENGINE_OCI_CONFIG_H
#define ENGINE_OCI_CONFIG_H

#include <engine/error.h>
#include <engine/spec.h>

struct json_object;

#define OCI_VERSION "1.0.2"

/* cgroups_path is linux.cgroupsPath, e.g. "/engine/<id>": absolute, so that
 * with the cgroupfs manager runc and crun put it under each hierarchy's root
 * (a relative path would be taken relative to the runtime's own cgroup). */
int oci_config_build(const struct engine_spec *spec, const char *cgroups_path,
                     struct json_object **ret, struct engine_error *err);

/* "uid[:gid]" (numbers only) into ids; NULL or "" is root. */
int oci_parse_user(const char *user, unsigned *ret_uid, unsigned *ret_gid,
                   struct engine_error *err);

#endif
