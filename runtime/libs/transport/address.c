/* The one address parser: unix://, hvsock://, vsock://, fd://. */
#include "transport/transport.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* Strict decimal: 1..10 digits, nothing else, value within UINT32_MAX. */
static int parse_u32_digits(const char *s, size_t len, uint32_t *out)
{
        if (len == 0 || len > 10)
                return -EINVAL;
        uint64_t v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
                return -ERANGE;
        *out = (uint32_t)v;
        return 0;
}

static int copy_path(const char *text, const char *path, size_t len, kata_address *out,
                     kata_error *err)
{
        if (len == 0)
                return kata_error_set(err, EINVAL, "address '%s': empty socket path", text);
        if (len >= sizeof(out->path))
                return kata_error_set(err, ENAMETOOLONG,
                                      "address '%s': socket path is %zu bytes, longer than the "
                                      "%zu a unix socket allows",
                                      text, len, sizeof(out->path) - 1);
        memcpy(out->path, path, len);
        out->path[len] = '\0';
        return 0;
}

static int parse_port(const char *text, const char *s, size_t len, const char *what, uint32_t *out,
                      kata_error *err)
{
        int r = parse_u32_digits(s, len, out);
        if (r == -ERANGE)
                return kata_error_set(err, ERANGE, "address '%s': %s is larger than %" PRIu32, text,
                                      what, UINT32_MAX);
        if (r < 0)
                return kata_error_set(err, EINVAL, "address '%s': %s must be a decimal number",
                                      text, what);
        return 0;
}

static int parse_hvsock(const char *text, const char *rest, kata_address *out, kata_error *err)
{
        const char *colon = strrchr(rest, ':');
        if (!colon)
                return kata_error_set(err, EINVAL, "address '%s': expected hvsock://PATH:PORT",
                                      text);
        int r = copy_path(text, rest, (size_t)(colon - rest), out, err);
        if (r < 0)
                return r;
        return parse_port(text, colon + 1, strlen(colon + 1), "port", &out->port, err);
}

static int parse_vsock(const char *text, const char *rest, kata_address *out, kata_error *err)
{
        const char *colon = strchr(rest, ':');
        if (!colon)
                return kata_error_set(err, EINVAL, "address '%s': expected vsock://CID:PORT", text);
        size_t cidlen = (size_t)(colon - rest);
        if (cidlen == 3 && strncmp(rest, "any", 3) == 0) {
                out->cid = KATA_VSOCK_CID_ANY;
        } else {
                int r = parse_port(text, rest, cidlen, "CID", &out->cid, err);
                if (r < 0)
                        return r;
        }
        return parse_port(text, colon + 1, strlen(colon + 1), "port", &out->port, err);
}

static int parse_fd(const char *text, const char *rest, kata_address *out, kata_error *err)
{
        if (rest[0] == '\0') {
                out->fd = -1;
                return 0;
        }
        uint32_t v;
        int r = parse_u32_digits(rest, strlen(rest), &v);
        if (r < 0 || v > INT32_MAX)
                return kata_error_set(err, EINVAL,
                                      "address '%s': expected fd://N with N a file descriptor "
                                      "number, or fd:// for LISTEN_FDS",
                                      text);
        out->fd = (int)v;
        return 0;
}

int kata_address_parse(const char *text, kata_address *out, kata_error *err)
{
        if (!text)
                return kata_error_set(err, EINVAL, "no address given");
        memset(out, 0, sizeof(*out));
        out->fd = -1;
        const char *sep = strstr(text, "://");
        if (!sep)
                return kata_error_set(err, EINVAL,
                                      "address '%s': expected unix://PATH, hvsock://PATH:PORT, "
                                      "vsock://CID:PORT or fd://N",
                                      text);
        size_t slen = (size_t)(sep - text);
        const char *rest = sep + 3;
        int r;
        if (slen == 4 && strncmp(text, "unix", 4) == 0) {
                out->kind = KATA_TRANSPORT_UNIX;
                r = copy_path(text, rest, strlen(rest), out, err);
        } else if (slen == 6 && strncmp(text, "hvsock", 6) == 0) {
                out->kind = KATA_TRANSPORT_HVSOCK;
                r = parse_hvsock(text, rest, out, err);
        } else if (slen == 5 && strncmp(text, "vsock", 5) == 0) {
                out->kind = KATA_TRANSPORT_VSOCK;
                r = parse_vsock(text, rest, out, err);
        } else if (slen == 2 && strncmp(text, "fd", 2) == 0) {
                out->kind = KATA_TRANSPORT_FD;
                r = parse_fd(text, rest, out, err);
        } else {
                return kata_error_set(err, EINVAL,
                                      "address '%s': unknown scheme '%.*s' (expected unix, "
                                      "hvsock, vsock or fd)",
                                      text, (int)(slen > 32 ? 32 : slen), text);
        }
        if (r < 0)
                memset(out, 0, sizeof(*out));
        return r;
}

int kata_address_format(const kata_address *addr, char *buf, size_t size)
{
        switch (addr->kind) {
        case KATA_TRANSPORT_UNIX:
                return snprintf(buf, size, "unix://%s", addr->path);
        case KATA_TRANSPORT_HVSOCK:
                return snprintf(buf, size, "hvsock://%s:%" PRIu32, addr->path, addr->port);
        case KATA_TRANSPORT_VSOCK:
                if (addr->cid == KATA_VSOCK_CID_ANY)
                        return snprintf(buf, size, "vsock://any:%" PRIu32, addr->port);
                return snprintf(buf, size, "vsock://%" PRIu32 ":%" PRIu32, addr->cid, addr->port);
        case KATA_TRANSPORT_FD:
                if (addr->fd < 0)
                        return snprintf(buf, size, "fd://");
                return snprintf(buf, size, "fd://%d", addr->fd);
        }
        return -EINVAL;
}

const char *kata_transport_kind_name(enum kata_transport_kind kind)
{
        switch (kind) {
        case KATA_TRANSPORT_UNIX:
                return "unix";
        case KATA_TRANSPORT_HVSOCK:
                return "hvsock";
        case KATA_TRANSPORT_VSOCK:
                return "vsock";
        case KATA_TRANSPORT_FD:
                return "fd";
        }
        return "unknown";
}
