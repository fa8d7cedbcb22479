/* drivers/native/caps.c - the container's capabilities: Docker's default set
 * in the bounding, permitted and effective sets; inheritable and ambient
 * empty (as Docker does since the CVE-2022-24769 fix). */
#include "config.h"

#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "native.h"

static const cap_value_t default_caps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};
#define N_DEFAULT_CAPS (sizeof(default_caps) / sizeof(default_caps[0]))

unsigned long long native_caps_default_mask(void)
{
    unsigned long long m = 0;

    for (size_t i = 0; i < N_DEFAULT_CAPS; i++)
        m |= 1ULL << default_caps[i];
    return m;
}

int native_caps_apply(struct engine_error *err)
{
    unsigned long long keep = native_caps_default_mask();
    cap_t caps;
    int r = 0;

    /* Ask the running kernel which capabilities exist: it may know more than
     * our headers do, and every unknown one must go too. */
    for (int c = 0; c < 64; c++) {
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
            break; /* EINVAL: past the kernel's last capability */
        if (keep & (1ULL << c))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
            return engine_error_errno(err, errno, "drop capability %d from the bounding set", c);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return engine_error_errno(err, errno, "clear ambient capabilities");

    caps = cap_init(); /* all clear */
    if (!caps)
        return engine_error_errno(err, errno, "cap_init");
    if (cap_set_flag(caps, CAP_PERMITTED, N_DEFAULT_CAPS, default_caps, CAP_SET) < 0 ||
        cap_set_flag(caps, CAP_EFFECTIVE, N_DEFAULT_CAPS, default_caps, CAP_SET) < 0 ||
        cap_set_proc(caps) < 0)
        r = engine_error_errno(err, errno, "set capabilities");
    cap_free(caps);
    return r;
}
