/* Test and benchmark peer playing a kata agent: connects to a forwarder socket and sends
 * framed OTLP spans, optionally followed by one bad frame.
 *
 *   span_sender --socket PATH [--frames N] [--spans M] [--tag T] [--bad MODE]
 *               [--out FILE]   write the byte stream to FILE instead of a socket
 *
 * Span names are "T-<frame>-<span>" so a test can check which spans arrived. MODE:
 * length0, huge, oversized=N (header says N, sends N bytes), truncated, garbage. After a
 * bad frame the sender waits for the forwarder to close the connection and exits 0 if it
 * did (3 if it did not within 5 s). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tracing/frame.h"
#include "tracing/ids.h"
#include "tracing/otlp.h"

static int write_all(int fd, const void *buf, size_t len)
{
        const uint8_t *p = buf;
        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int connect_to(const char *path)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        for (int tries = 0; tries < 100; tries++) {
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                if (fd < 0)
                        return -1;
                if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
                        return fd;
                close(fd);
                usleep(50000);
        }
        return -1;
}

/* Encodes frame number f of tag: spans spans, 150-ish bytes each like real ones. */
static int encode_frame(const char *tag, int f, int spans, uint8_t **out, size_t *out_len)
{
        kata_span_record *recs = calloc((size_t)spans, sizeof(*recs));
        const kata_span_record **ptrs = calloc((size_t)spans, sizeof(*ptrs));
        char(*names)[64] = calloc((size_t)spans, 64);
        kata_span_attr attr = {.key = "pid", .type = KATA_ATTR_INT, .v.i = 4242};
        uint8_t trace[KATA_TRACE_ID_LEN];
        kata_trace_id_generate(trace);
        for (int i = 0; i < spans; i++) {
                kata_span_record *r = &recs[i];
                memcpy(r->trace_id, trace, sizeof(trace));
                kata_span_id_generate(r->span_id);
                if (i)
                        memcpy(r->parent_span_id, recs[0].span_id, KATA_SPAN_ID_LEN);
                snprintf(names[i], 64, "%s-%d-%d", tag, f, i);
                r->name = names[i];
                r->source = "agent";
                r->sandbox_id = "sandbox-0123456789";
                r->container_id = "";
                r->status_message = "";
                r->status = KATA_SPAN_STATUS_OK;
                r->kind = KATA_SPAN_KIND_SERVER;
                r->start_ns = 1700000000000000000ull + (uint64_t)i * 1000;
                r->end_ns = r->start_ns + 500;
                r->attrs = &attr;
                r->n_attrs = 1;
                ptrs[i] = r;
        }
        kata_error err = KATA_ERROR_INIT;
        uint8_t *payload;
        size_t len;
        int rc = kata_otlp_encode(ptrs, (size_t)spans, "agent", &payload, &len, &err);
        free(recs);
        free(ptrs);
        free(names);
        if (rc < 0)
                return rc;
        uint8_t *frame = malloc(len + KATA_FRAME_HEADER_LEN);
        kata_frame_header_encode(len, frame);
        memcpy(frame + KATA_FRAME_HEADER_LEN, payload, len);
        free(payload);
        *out = frame;
        *out_len = len + KATA_FRAME_HEADER_LEN;
        return 0;
}

static int send_bad(int fd, const char *mode)
{
        uint8_t hdr[KATA_FRAME_HEADER_LEN];
        if (strcmp(mode, "length0") == 0) {
                kata_frame_header_encode(0, hdr);
                return write_all(fd, hdr, sizeof(hdr));
        }
        if (strcmp(mode, "huge") == 0) {
                memset(hdr, 0xff, sizeof(hdr));
                return write_all(fd, hdr, sizeof(hdr));
        }
        if (strncmp(mode, "oversized=", 10) == 0) {
                size_t n = strtoull(mode + 10, NULL, 10);
                kata_frame_header_encode(n, hdr);
                if (write_all(fd, hdr, sizeof(hdr)) < 0)
                        return -1;
                uint8_t *junk = calloc(1, 65536);
                /* The forwarder may close before taking it all: a write error is fine. */
                for (size_t off = 0; off < n; off += 65536) {
                        if (write_all(fd, junk, n - off < 65536 ? n - off : 65536) < 0)
                                break;
                }
                free(junk);
                return 0;
        }
        if (strcmp(mode, "garbage") == 0) {
                static const uint8_t junk[] = "\xff\xff\xff\xff\x0f this is not protobuf";
                kata_frame_header_encode(sizeof(junk), hdr);
                if (write_all(fd, hdr, sizeof(hdr)) < 0)
                        return -1;
                return write_all(fd, junk, sizeof(junk));
        }
        if (strcmp(mode, "truncated") == 0) {
                uint8_t *frame;
                size_t len;
                if (encode_frame("truncated", 0, 10, &frame, &len) < 0)
                        return -1;
                int rc = write_all(fd, frame, len / 2);
                free(frame);
                shutdown(fd, SHUT_WR); /* then the forwarder sees EOF mid-frame */
                return rc;
        }
        fprintf(stderr, "span_sender: unknown --bad mode '%s'\n", mode);
        return -2;
}

static int wait_closed(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char c;
        for (int i = 0; i < 50; i++) {
                if (poll(&p, 1, 100) > 0) {
                        ssize_t n = read(fd, &c, 1);
                        if (n <= 0)
                                return 0;
                }
        }
        return 3;
}

int main(int argc, char **argv)
{
        const char *socket_path = NULL, *out_path = NULL, *bad = NULL, *tag = "s";
        int frames = 1, spans = 10;
        /* The forwarder closes on a bad frame while we may still be writing it. */
        signal(SIGPIPE, SIG_IGN);
        static const struct option longopts[] = {
            {"socket", required_argument, 0, 'S'},
            {"out", required_argument, 0, 'o'},
            {"frames", required_argument, 0, 'f'},
            {"spans", required_argument, 0, 'n'},
            {"tag", required_argument, 0, 't'},
            {"bad", required_argument, 0, 'b'},
            {0, 0, 0, 0},
        };
        int opt;
        while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (opt) {
                case 'S':
                        socket_path = optarg;
                        break;
                case 'o':
                        out_path = optarg;
                        break;
                case 'f':
                        frames = atoi(optarg);
                        break;
                case 'n':
                        spans = atoi(optarg);
                        break;
                case 't':
                        tag = optarg;
                        break;
                case 'b':
                        bad = optarg;
                        break;
                default:
                        return 2;
                }
        }
        if ((!socket_path) == (!out_path) || frames < 0 || spans < 1) {
                fprintf(stderr, "span_sender: need exactly one of --socket/--out\n");
                return 2;
        }
        int fd =
            out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : connect_to(socket_path);
        if (fd < 0) {
                perror("span_sender: connect/open");
                return 1;
        }
        /* Benchmarks send many frames: encode a few distinct ones and cycle through them,
         * written in large chunks as an agent's batching would. */
        int distinct = frames < 64 ? frames : 64;
        uint8_t **enc = calloc((size_t)distinct + 1, sizeof(*enc));
        size_t *lens = calloc((size_t)distinct + 1, sizeof(*lens));
        for (int f = 0; f < distinct; f++) {
                if (encode_frame(tag, f, spans, &enc[f], &lens[f]) < 0)
                        return 1;
        }
        for (int f = 0; f < frames; f++) {
                if (write_all(fd, enc[f % distinct], lens[f % distinct]) < 0) {
                        perror("span_sender: write");
                        return 1;
                }
        }
        int rc = 0;
        if (bad) {
                rc = send_bad(fd, bad);
                if (rc == -2)
                        return 2;
                rc = wait_closed(fd);
        }
        close(fd);
        for (int f = 0; f < distinct; f++)
                free(enc[f]);
        free(enc);
        free(lens);
        return rc;
}
