#include "metrics/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

#define THREADS 4

struct kata_metrics_server {
        struct MHD_Daemon *daemon;
        kata_metrics_collector *collector;
        uint16_t port;
};

int kata_metrics_parse_listen(const char *listen, struct sockaddr_storage *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        char host[64];
        const char *port_text;
        bool v6 = listen[0] == '[';
        if (v6) {
                const char *close = strchr(listen, ']');
                if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof(host))
                        return kata_error_set(err, EINVAL,
                                              "listen address '%s': expected [IPv6]:PORT", listen);
                memcpy(host, listen + 1, (size_t)(close - listen - 1));
                host[close - listen - 1] = '\0';
                port_text = close + 2;
        } else {
                const char *colon = strrchr(listen, ':');
                if (!colon || (size_t)(colon - listen) >= sizeof(host))
                        return kata_error_set(err, EINVAL,
                                              "listen address '%s': expected HOST:PORT", listen);
                memcpy(host, listen, (size_t)(colon - listen));
                host[colon - listen] = '\0';
                port_text = colon + 1;
        }
        uint64_t port;
        if (kata_parse_u64(port_text, &port) < 0 || port > 65535 || !*port_text)
                return kata_error_set(err, EINVAL, "listen address '%s': invalid port", listen);
        if (v6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t)port);
                if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
                        return kata_error_set(err, EINVAL,
                                              "listen address '%s': invalid IPv6 address", listen);
                return 0;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)out;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (strcmp(host, "localhost") == 0)
                strcpy(host, "127.0.0.1");
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
                return kata_error_set(
                    err, EINVAL, "listen address '%s': host must be an IP address or localhost",
                    listen);
        return 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
                               const char *content_type, char *body, size_t len, bool owned)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(
            len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
        if (!r) {
                if (owned)
                        free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        enum MHD_Result ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
                                    const char *fmt, const char *arg)
{
        char msg[512];
        snprintf(msg, sizeof(msg), fmt, arg);
        strncat(msg, "\n", sizeof(msg) - strlen(msg) - 1);
        return respond(conn, status, "text/plain; charset=utf-8", msg, strlen(msg), false);
}

struct query {
        const char *sandbox;
        int nsandbox;
        const char *problem; /* first thing wrong, NULL when fine */
        size_t bytes;
};

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
        struct query *q = cls;
        q->bytes += strlen(key) + (value ? strlen(value) : 0);
        if (q->problem)
                return MHD_YES;
        if (strcmp(key, "sandbox") != 0)
                q->problem = "unknown query parameter (only 'sandbox' is accepted)";
        else if (!value)
                q->problem = "'sandbox' needs a value (sandbox=ID)";
        else if (++q->nsandbox > 1)
                q->problem = "'sandbox' given more than once";
        else
                q->sandbox = value;
        return MHD_YES;
}

static enum MHD_Result handle_metrics(struct kata_metrics_server *s, struct MHD_Connection *conn,
                                      const char *sandbox)
{
        char *text = NULL;
        size_t len = 0;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_metrics_collector_scrape(s->collector, sandbox, &text, &len, &err);
        if (r == -ENOENT && sandbox)
                return respond_text(conn, MHD_HTTP_NOT_FOUND, "%s", err.msg);
        if (r == -EINVAL)
                return respond_text(conn, MHD_HTTP_BAD_REQUEST, "%s", err.msg);
        if (r < 0) {
                kata_log_error("scrape: %s", err.msg);
                return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err.msg);
        }
        return respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len,
                       true);
}

static enum MHD_Result handle_sandboxes(struct kata_metrics_server *s, struct MHD_Connection *conn)
{
        char *json = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_metrics_collector_sandboxes_json(s->collector, &json, &err) < 0) {
                kata_log_error("sandboxes: %s", err.msg);
                return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err.msg);
        }
        size_t len = strlen(json);
        return respond(conn, MHD_HTTP_OK, "application/json", json, len, true);
}

static const char index_page[] = "kata-ctl monitor\n"
                                 "  /metrics             every sandbox (Prometheus text)\n"
                                 "  /metrics?sandbox=ID  one sandbox\n"
                                 "  /sandboxes           the sandboxes (JSON)\n";

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
        struct kata_metrics_server *s = cls;
        static int headers_seen;
        if (*con_cls == NULL) {
                /* First call: headers only. Answer on the second, once any body is read. */
                *con_cls = &headers_seen;
                return MHD_YES;
        }
        if (*upload_data_size) {
                *upload_data_size = 0; /* a body is ignored: no endpoint takes one */
                return MHD_YES;
        }
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "%s not allowed", method);
        struct query q = {0};
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, &q);
        if (strlen(url) + q.bytes > KATA_METRICS_MAX_URL)
                return respond_text(conn, MHD_HTTP_BAD_REQUEST, "URL longer than %s bytes", "4096");
        bool is_metrics = strcmp(url, "/metrics") == 0;
        if (!is_metrics && strcmp(url, "/sandboxes") != 0 && strcmp(url, "/") != 0)
                return respond_text(conn, MHD_HTTP_NOT_FOUND, "no such endpoint (try %s)",
                                    "/metrics or /sandboxes");
        if (q.problem)
                return respond_text(conn, MHD_HTTP_BAD_REQUEST, "%s", q.problem);
        if (!is_metrics && q.nsandbox)
                return respond_text(conn, MHD_HTTP_BAD_REQUEST, "%s",
                                    "'sandbox' only applies to /metrics");
        if (q.sandbox && !kata_id_is_valid(q.sandbox))
                return respond_text(conn, MHD_HTTP_BAD_REQUEST, "%s",
                                    "invalid sandbox id (1-128 characters of [A-Za-z0-9_.-])");
        if (is_metrics)
                return handle_metrics(s, conn, q.sandbox);
        if (strcmp(url, "/sandboxes") == 0)
                return handle_sandboxes(s, conn);
        return respond(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", (char *)index_page,
                       sizeof(index_page) - 1, false);
}

int kata_metrics_server_start(kata_metrics_collector *c, const char *listen,
                              kata_metrics_server **out, kata_error *err)
{
        struct sockaddr_storage addr;
        int r =
            kata_metrics_parse_listen(listen ? listen : KATA_METRICS_DEFAULT_LISTEN, &addr, err);
        if (r < 0)
                return r;
        struct kata_metrics_server *s = calloc(1, sizeof(*s));
        if (!s)
                return kata_error_set(err, ENOMEM, "out of memory");
        s->collector = c;
        unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
        if (addr.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        s->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)THREADS, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned int)256, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
        if (!s->daemon) {
                free(s);
                return kata_error_set(err, EADDRINUSE,
                                      "cannot listen on %s (address in use or not local?)",
                                      listen ? listen : KATA_METRICS_DEFAULT_LISTEN);
        }
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
        s->port = info ? info->port : 0;
        *out = s;
        return 0;
}

uint16_t kata_metrics_server_port(const kata_metrics_server *s)
{
        return s->port;
}

void kata_metrics_server_stop(kata_metrics_server *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->daemon);
        free(s);
}
