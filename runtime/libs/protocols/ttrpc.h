/* ttrpc: the agent's RPC protocol (containerd's ttrpc, as Kata uses it).
 *
 * Wire format: frames of a 10-byte header (u32 BE payload length, u32 BE stream id,
 * u8 type, u8 flags) and a payload of at most 4 MiB. A request frame (type 1) carries a
 * protobuf ttrpc.Request {service, method, payload, timeout_nano, metadata}; the reply
 * (type 2, same stream id) a ttrpc.Response {status {code, message}, payload}. Clients use
 * odd stream ids. Status codes are gRPC's.
 *
 * Three parts:
 *  - frame codec (ttrpc_frame.c): pure functions, no I/O state; the decoder validates and
 *    never trusts the input.
 *  - client (ttrpc_client.c): several threads may call at once on one connection; a
 *    reader thread matches responses to calls by stream id.
 *  - server (ttrpc_server.c): dispatch table "service/method" -> handler; requests run on
 *    a worker pool that grows whenever every worker is busy, so a blocking handler (long
 *    poll) blocks nothing else.
 */
#ifndef KATA_PROTOCOLS_TTRPC_H
#define KATA_PROTOCOLS_TTRPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* ---- status codes (gRPC numbering) ---- */

enum kata_ttrpc_code {
        KATA_TTRPC_OK = 0,
        KATA_TTRPC_CANCELLED = 1,
        KATA_TTRPC_UNKNOWN = 2,
        KATA_TTRPC_INVALID_ARGUMENT = 3,
        KATA_TTRPC_DEADLINE_EXCEEDED = 4,
        KATA_TTRPC_NOT_FOUND = 5,
        KATA_TTRPC_ALREADY_EXISTS = 6,
        KATA_TTRPC_PERMISSION_DENIED = 7,
        KATA_TTRPC_RESOURCE_EXHAUSTED = 8,
        KATA_TTRPC_FAILED_PRECONDITION = 9,
        KATA_TTRPC_ABORTED = 10,
        KATA_TTRPC_OUT_OF_RANGE = 11,
        KATA_TTRPC_UNIMPLEMENTED = 12,
        KATA_TTRPC_INTERNAL = 13,
        KATA_TTRPC_UNAVAILABLE = 14,
        KATA_TTRPC_DATA_LOSS = 15,
        KATA_TTRPC_UNAUTHENTICATED = 16,
};

/* "NOT_FOUND" etc.; "CODE_<n>" style text for numbers outside the table. */
const char *kata_ttrpc_code_name(int code);
/* Parses a name ("NOT_FOUND") or a number; returns 0 or -EINVAL. */
int kata_ttrpc_code_parse(const char *s, int *code);
/* The errno a library caller sees for a status: OK 0, DEADLINE_EXCEEDED ETIMEDOUT,
 * UNAVAILABLE ECONNRESET, NOT_FOUND ENOENT, INVALID_ARGUMENT EINVAL, ALREADY_EXISTS
 * EEXIST, UNIMPLEMENTED ENOSYS, others EREMOTEIO. Always >= 0. */
int kata_ttrpc_code_to_errno(int code);
/* The status a server returns for an errno from its own code (inverse of the above,
 * EPERM/EACCES PERMISSION_DENIED, anything else INTERNAL). */
int kata_ttrpc_code_from_errno(int errnum);

#define KATA_TTRPC_STATUS_MSG_MAX 1024

typedef struct kata_ttrpc_status {
        int code; /* enum kata_ttrpc_code */
        char message[KATA_TTRPC_STATUS_MSG_MAX];
} kata_ttrpc_status;

/* Sets st (when not NULL) and returns code. */
int kata_ttrpc_status_set(kata_ttrpc_status *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- frames ---- */

#define KATA_TTRPC_HEADER_SIZE   10
#define KATA_TTRPC_MAX_PAYLOAD   (4u << 20)
#define KATA_TTRPC_TYPE_REQUEST  1
#define KATA_TTRPC_TYPE_RESPONSE 2

typedef struct kata_ttrpc_header {
        uint32_t length; /* payload bytes, <= KATA_TTRPC_MAX_PAYLOAD */
        uint32_t stream_id;
        uint8_t type;
        uint8_t flags;
} kata_ttrpc_header;

void kata_ttrpc_header_encode(const kata_ttrpc_header *h, uint8_t out[KATA_TTRPC_HEADER_SIZE]);

/* Decodes and validates a header: length within the cap, type 1 or 2, stream id not 0.
 * Returns 0, or -EMSGSIZE (oversized) / -EPROTO (bad type or stream id) with err set.
 * The header fields are filled even on error so a server can answer the stream. */
int kata_ttrpc_header_decode(const uint8_t in[KATA_TTRPC_HEADER_SIZE], kata_ttrpc_header *h,
                             kata_error *err);

/* Incremental decoder over a byte buffer: when buf holds a whole valid frame at its
 * start, fills h, points *payload into buf and sets *consumed to the frame's size;
 * returns 0. Returns -EAGAIN (with *consumed 0) when more bytes are needed, or the
 * header_decode errors. Never reads past len. */
int kata_ttrpc_frame_decode(const uint8_t *buf, size_t len, kata_ttrpc_header *h,
                            const uint8_t **payload, size_t *consumed, kata_error *err);

/* Blocking I/O helpers on a stream fd (EINTR handled; O_NONBLOCK fds are polled).
 * read_frame: returns 0 with a malloc'd payload (NULL when length is 0), -ECONNRESET on a
 * clean EOF before the header, -EPIPE/-EIO on a truncated frame, header_decode errors
 * (the oversized payload is not read: the caller should close the connection). */
int kata_ttrpc_read_frame(int fd, kata_ttrpc_header *h, uint8_t **payload, kata_error *err);
/* Writes header + payload as one frame (MSG_NOSIGNAL when fd is a socket). */
int kata_ttrpc_write_frame(int fd, const kata_ttrpc_header *h, const void *payload,
                           kata_error *err);

/* ---- metadata ---- */

typedef struct kata_ttrpc_kv {
        const char *key;
        const char *value;
} kata_ttrpc_kv;

/* ---- client ---- */

typedef struct kata_ttrpc_client kata_ttrpc_client;

/* Takes ownership of a connected stream fd (unix socket, hybrid vsock after its
 * handshake, vsock) and starts the reader thread. Calls may be made from any thread.
 * On failure the fd is left open for the caller to close. */
int kata_ttrpc_client_new(int fd, kata_ttrpc_client **out, kata_error *err);
/* Joins the reader and closes the fd. No call may be in progress on c (join the
 * calling threads first); to abort calls in progress from another thread, shutdown(2) the
 * fd: they then fail with UNAVAILABLE. */
void kata_ttrpc_client_free(kata_ttrpc_client *c);

/* One RPC. Sends request (any protobuf-c message, may be NULL for an empty payload)
 * to service/method ("grpc.AgentService", "CreateContainer") with metadata (n_metadata
 * key/value pairs, may be 0) and waits at most timeout_ns (0: no limit) for the reply.
 *
 * On success returns 0 and sets *response to a message of response_desc's type (free it
 * with protobuf_c_message_free_unpacked(resp, NULL)); status (optional) gets OK.
 * Otherwise returns a negative errno, sets status and err:
 *   - the server's non-OK status: kata_ttrpc_code_to_errno(code);
 *   - no reply in time: -ETIMEDOUT, DEADLINE_EXCEEDED (the late reply is dropped);
 *   - connection closed or broken, before or during the call: -ECONNRESET, UNAVAILABLE;
 *   - reply payload that does not decode as response_desc: -EBADMSG, INTERNAL. */
int kata_ttrpc_call(kata_ttrpc_client *c, const char *service, const char *method,
                    const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *response_desc, const kata_ttrpc_kv *metadata,
                    size_t n_metadata, uint64_t timeout_ns, ProtobufCMessage **response,
                    kata_ttrpc_status *status, kata_error *err);

/* ---- server ---- */

typedef struct kata_ttrpc_server kata_ttrpc_server;

/* What a handler knows about the call besides its request. Valid during the call. */
typedef struct kata_ttrpc_call_info {
        const char *service;
        const char *method;
        uint32_t stream_id;
        uint64_t timeout_ns;  /* client's timeout_nano, 0 when none */
        uint64_t deadline_ns; /* kata_now_monotonic_ns() deadline, 0 when none */
        const kata_ttrpc_kv *metadata;
        size_t n_metadata;
        void *conn_data; /* what the accept hook stored for this connection, or NULL */
} kata_ttrpc_call_info;

/* Value of a metadata key (first match), or NULL. */
const char *kata_ttrpc_metadata_get(const kata_ttrpc_call_info *info, const char *key);

/* A handler gets the unpacked request (of the registered request descriptor's type).
 * It returns KATA_TTRPC_OK with *response set to a message of the method's response type
 * (heap-allocated: the server packs it, then frees it with the registration's
 * free_response, or protobuf_c_message_free_unpacked(resp, NULL) when that is NULL, so
 * every part must then be malloc'd) -- or a non-OK code with status->message filled
 * (kata_ttrpc_status_set) and *response left NULL. A negative errno returned instead is
 * mapped with kata_ttrpc_code_from_errno(). *response NULL with OK sends an empty
 * payload (google.protobuf.Empty). Handlers may block: each runs on its own worker thread
 * (a new one is started when no idle worker is left). */
typedef int (*kata_ttrpc_handler)(void *user, const kata_ttrpc_call_info *info,
                                  const ProtobufCMessage *request, ProtobufCMessage **response,
                                  kata_ttrpc_status *status);

/* Runs on the connection's own thread before ttrpc starts (e.g. the hybrid vsock
 * CONNECT/OK handshake); may store per-connection data in *conn_data (freed with
 * conn_data_free when the connection ends, if set). Non-zero return closes the
 * connection only. */
typedef int (*kata_ttrpc_accept_hook)(void *user, int fd, void **conn_data, kata_error *err);

int kata_ttrpc_server_new(kata_ttrpc_server **out, kata_error *err);

/* Registers a method. request_desc is the type requests unpack to. Registering the same
 * service/method twice fails with -EEXIST. Register before serving. */
int kata_ttrpc_server_register(kata_ttrpc_server *s, const char *service, const char *method,
                               const ProtobufCMessageDescriptor *request_desc,
                               kata_ttrpc_handler handler,
                               void (*free_response)(ProtobufCMessage *), void *user,
                               kata_error *err);

/* Same, taking service and types from a protoc-c service descriptor
 * (&grpc__agent_service__descriptor, "CreateContainer"); -ENOENT for an unknown method.
 * The server also checks that a handler's response has the method's output type. */
int kata_ttrpc_server_register_method(kata_ttrpc_server *s, const ProtobufCServiceDescriptor *svc,
                                      const char *method, kata_ttrpc_handler handler,
                                      void (*free_response)(ProtobufCMessage *), void *user,
                                      kata_error *err);

void kata_ttrpc_server_set_accept_hook(kata_ttrpc_server *s, kata_ttrpc_accept_hook hook,
                                       void (*conn_data_free)(void *), void *user);

/* Serves one connected fd on a new thread. Takes ownership of fd, also on failure (it is
 * then closed). Returns at once. */
int kata_ttrpc_server_add_conn(kata_ttrpc_server *s, int fd, kata_error *err);

/* Accept loop on a listening socket (any family): blocks, serving each accepted
 * connection on its own thread, until kata_ttrpc_server_stop(). Returns 0 after a stop,
 * or a negative errno when accept fails for good. Does not close listen_fd. May be
 * called from several threads for several listeners. */
int kata_ttrpc_server_serve(kata_ttrpc_server *s, int listen_fd, kata_error *err);

/* Graceful stop, callable from any thread or a handler: stops accepting, stops reading
 * new requests, lets running handlers finish and their responses be written. Returns at
 * once; kata_ttrpc_server_free() waits. */
void kata_ttrpc_server_stop(kata_ttrpc_server *s);
/* True once stop was called; long-polling handlers should check it and return. */
bool kata_ttrpc_server_stopping(const kata_ttrpc_server *s);

/* Stops (if needed), waits for every connection and handler thread, frees. Running
 * handlers get 2 s to answer; then connections are shut down entirely so that responses
 * stuck on a client that does not read fail. A handler that never returns still makes
 * this wait: long-poll handlers must return on stop (kata_ttrpc_server_stopping()). */
void kata_ttrpc_server_free(kata_ttrpc_server *s);

/* Connections currently open (for tests and metrics). */
size_t kata_ttrpc_server_conn_count(kata_ttrpc_server *s);

#endif
