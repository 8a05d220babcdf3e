/* ttrpc frame codec and blocking frame I/O. The decoder is the first thing untrusted
 * bytes meet: it checks every field before anything is allocated. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocols/ttrpc.h"

void kata_ttrpc_header_encode(const kata_ttrpc_header *h, uint8_t out[KATA_TTRPC_HEADER_SIZE])
{
        out[0] = (uint8_t)(h->length >> 24);
        out[1] = (uint8_t)(h->length >> 16);
        out[2] = (uint8_t)(h->length >> 8);
        out[3] = (uint8_t)h->length;
        out[4] = (uint8_t)(h->stream_id >> 24);
        out[5] = (uint8_t)(h->stream_id >> 16);
        out[6] = (uint8_t)(h->stream_id >> 8);
        out[7] = (uint8_t)h->stream_id;
        out[8] = h->type;
        out[9] = h->flags;
}

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int kata_ttrpc_header_decode(const uint8_t in[KATA_TTRPC_HEADER_SIZE], kata_ttrpc_header *h,
                             kata_error *err)
{
        h->length = be32(in);
        h->stream_id = be32(in + 4);
        h->type = in[8];
        h->flags = in[9];
        if (h->length > KATA_TTRPC_MAX_PAYLOAD)
                return kata_error_set(
                    err, EMSGSIZE, "ttrpc frame of %u bytes on stream %u exceeds the %u-byte cap",
                    h->length, h->stream_id, KATA_TTRPC_MAX_PAYLOAD);
        if (h->type != KATA_TTRPC_TYPE_REQUEST && h->type != KATA_TTRPC_TYPE_RESPONSE)
                return kata_error_set(err, EPROTO,
                                      "ttrpc frame on stream %u has unknown type %u (want 1 or 2)",
                                      h->stream_id, h->type);
        if (h->stream_id == 0)
                return kata_error_set(err, EPROTO, "ttrpc frame has stream id 0");
        return 0;
}

int kata_ttrpc_frame_decode(const uint8_t *buf, size_t len, kata_ttrpc_header *h,
                            const uint8_t **payload, size_t *consumed, kata_error *err)
{
        *consumed = 0;
        if (len < KATA_TTRPC_HEADER_SIZE)
                return -EAGAIN;
        int r = kata_ttrpc_header_decode(buf, h, err);
        if (r < 0)
                return r;
        if (len - KATA_TTRPC_HEADER_SIZE < h->length)
                return -EAGAIN;
        *payload = buf + KATA_TTRPC_HEADER_SIZE;
        *consumed = KATA_TTRPC_HEADER_SIZE + (size_t)h->length;
        return 0;
}

/* Reads exactly len bytes. Returns len, or the count read before EOF, or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = read(fd, (char *)buf + done, len - done);
                if (n > 0) {
                        done += (size_t)n;
                } else if (n == 0) {
                        break;
                } else if (errno == EINTR) {
                        continue;
                } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        struct pollfd p = {.fd = fd, .events = POLLIN};
                        if (poll(&p, 1, -1) < 0 && errno != EINTR)
                                return -errno;
                } else {
                        return -errno;
                }
        }
        return (ssize_t)done;
}

int kata_ttrpc_read_frame(int fd, kata_ttrpc_header *h, uint8_t **payload, kata_error *err)
{
        uint8_t hdr[KATA_TTRPC_HEADER_SIZE];
        *payload = NULL;
        ssize_t n = read_full(fd, hdr, sizeof(hdr));
        if (n < 0)
                return kata_error_errno(err, (int)-n, "reading ttrpc frame header");
        if (n == 0)
                return kata_error_set(err, ECONNRESET, "connection closed by peer");
        if ((size_t)n < sizeof(hdr))
                return kata_error_set(err, EPIPE, "truncated ttrpc header (%zd of %d bytes)", n,
                                      KATA_TTRPC_HEADER_SIZE);
        int r = kata_ttrpc_header_decode(hdr, h, err);
        if (r < 0)
                return r;
        if (h->length == 0)
                return 0;
        uint8_t *buf = malloc(h->length);
        if (!buf)
                return kata_error_errno(err, ENOMEM, "ttrpc frame of %u bytes", h->length);
        n = read_full(fd, buf, h->length);
        if (n < 0 || (size_t)n < h->length) {
                free(buf);
                if (n < 0)
                        return kata_error_errno(err, (int)-n, "reading ttrpc payload");
                return kata_error_set(
                    err, EPIPE, "truncated ttrpc frame on stream %u (%zd of %u payload bytes)",
                    h->stream_id, n, h->length);
        }
        *payload = buf;
        return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
                if (n < 0 && errno == ENOTSOCK)
                        n = write(fd, buf + done, len - done);
                if (n > 0) {
                        done += (size_t)n;
                } else if (n < 0 && errno == EINTR) {
                        continue;
                } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        struct pollfd p = {.fd = fd, .events = POLLOUT};
                        if (poll(&p, 1, -1) < 0 && errno != EINTR)
                                return -errno;
                } else {
                        return n < 0 ? -errno : -EIO;
                }
        }
        return 0;
}

int kata_ttrpc_write_frame(int fd, const kata_ttrpc_header *h, const void *payload, kata_error *err)
{
        if (h->length > KATA_TTRPC_MAX_PAYLOAD)
                return kata_error_set(err, EMSGSIZE,
                                      "ttrpc payload of %u bytes exceeds the %u-byte cap",
                                      h->length, KATA_TTRPC_MAX_PAYLOAD);
        /* One buffer, one send: small frames go out in a single segment. */
        size_t total = KATA_TTRPC_HEADER_SIZE + (size_t)h->length;
        uint8_t stackbuf[4096];
        uint8_t *buf = total <= sizeof(stackbuf) ? stackbuf : malloc(total);
        if (!buf)
                return kata_error_errno(err, ENOMEM, "ttrpc frame of %zu bytes", total);
        kata_ttrpc_header_encode(h, buf);
        if (h->length)
                memcpy(buf + KATA_TTRPC_HEADER_SIZE, payload, h->length);
        int r = write_all(fd, buf, total);
        if (buf != stackbuf)
                free(buf);
        if (r < 0)
                return kata_error_errno(err, -r, "writing ttrpc frame");
        return 0;
}
