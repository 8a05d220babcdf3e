/* The monitor's HTTP endpoint (libmicrohttpd, a small thread pool so that one slow scrape
 * never holds up another request):
 *   GET /metrics               every sandbox, Prometheus text format 0.0.4
 *   GET /metrics?sandbox=ID    one sandbox (404 when unknown)
 *   GET /sandboxes             JSON list
 * Anything else answers 400 (bad query, over-long URL), 404 (unknown path or sandbox) or
 * 405 (not GET/HEAD); a request never brings the server down. */
#ifndef KATA_METRICS_SERVER_H
#define KATA_METRICS_SERVER_H

#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"
#include "metrics/collect.h"

#define KATA_METRICS_DEFAULT_LISTEN "127.0.0.1:8090"
/* Longer URLs (path plus query) get 400. Requests over the connection memory limit
 * (64 KiB) are refused by libmicrohttpd itself with 414. */
#define KATA_METRICS_MAX_URL 4096

typedef struct kata_metrics_server kata_metrics_server;

/* Parses "HOST:PORT" (IPv4 literal, "localhost", or "[IPv6]:PORT"; PORT 0 picks a free
 * port). -EINVAL naming what is wrong. */
int kata_metrics_parse_listen(const char *listen, struct sockaddr_storage *out, kata_error *err);

/* Starts serving c on listen (NULL: KATA_METRICS_DEFAULT_LISTEN). c must outlive the
 * server. */
int kata_metrics_server_start(kata_metrics_collector *c, const char *listen,
                              kata_metrics_server **out, kata_error *err);
/* The bound port (useful after port 0). */
uint16_t kata_metrics_server_port(const kata_metrics_server *s);
/* Stops accepting, finishes requests in flight, frees s. */
void kata_metrics_server_stop(kata_metrics_server *s);

#endif
