/* core/logs.c - reading a container's log, written by its monitor in frames
 * of [stream, 0, 0, 0, len(be32)] + data (Docker's attach framing). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "engine.h"
#include "monitor.h"
#include "util.h"

static int copy_out(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Copy every whole frame from *off on; returns -EPIPE when a reader went away. */
static int copy_frames(int log, off_t *off, int out_fd, int err_fd)
{
    unsigned char hdr[8];
    char buf[65536];

    for (;;) {
        size_t len;
        ssize_t n = pread(log, hdr, sizeof(hdr), *off);

        if (n != (ssize_t)sizeof(hdr))
            return 0; /* no whole header yet */
        len = ((size_t)hdr[4] << 24) | ((size_t)hdr[5] << 16) | ((size_t)hdr[6] << 8) | hdr[7];
        if (len > sizeof(buf))
            return -EBADMSG;
        n = pread(log, buf, len, *off + 8);
        if (n != (ssize_t)len)
            return 0; /* frame still being written */
        if (copy_out(hdr[0] == 2 ? err_fd : out_fd, buf, len) < 0)
            return -EPIPE;
        *off += 8 + (off_t)len;
    }
}

int engine_container_logs(struct engine_ctx *ctx, const char *ref, bool follow, int out_fd,
                          int err_fd, struct engine_error *err)
{
    struct engine_record *rec = NULL;
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int log = -1;
    off_t off = 0;
    int q;

    q = engine_container_inspect(ctx, ref, &rec, err);
    if (q < 0)
        return q;
    path = engine_log_path(ctx, rec->id);
    for (;;) {
        bool done;

        if (log < 0)
            log = open(path, O_RDONLY | O_CLOEXEC);
        if (log >= 0) {
            q = copy_frames(log, &off, out_fd, err_fd);
            if (q == -EPIPE) {
                q = 0; /* the reader left: not an error of ours */
                break;
            }
            if (q < 0) {
                engine_error_errno(err, q, "Read log %s", path);
                break;
            }
        }
        if (!follow)
            break;
        /* Stop following once the container exited and its last frames are out. */
        done = rec->status != ENGINE_CTR_RUNNING && rec->status != ENGINE_CTR_PAUSED &&
               rec->status != ENGINE_CTR_CREATED;
        if (done) {
            if (log >= 0)
                q = copy_frames(log, &off, out_fd, err_fd);
            q = q == -EPIPE ? 0 : q;
            if (q < 0)
                engine_error_errno(err, q, "Read log %s", path);
            break;
        }
        usleep(20000);
        engine_record_free(rec);
        rec = NULL;
        if (engine_container_inspect(ctx, ref, &rec, err) < 0) {
            /* Removed (--rm) while we followed: the open fd still reads the
             * unlinked log, so the last frames are not lost. */
            engine_error_clear(err);
            q = log >= 0 ? copy_frames(log, &off, out_fd, err_fd) : 0;
            q = q == -EPIPE ? 0 : q;
            if (q < 0)
                engine_error_errno(err, q, "Read log %s", path);
            break;
        }
    }
    engine_record_free(rec);
    return q;
}
