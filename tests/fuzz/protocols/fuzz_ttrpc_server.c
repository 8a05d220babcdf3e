/* The whole server path on one connection: arbitrary bytes go into a socketpair served by
 * a ttrpc server that has every method of the .proto files registered (each handler
 * answers with an empty message of the method's response type). The harness reads until
 * the server closes the connection, checking that every byte it sends back is a valid
 * response frame; the server must neither crash, leak, nor hang on any input. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocols/methods.h"
#include "protocols/ttrpc.h"
#include "ttrpc.pb-c.h"

static kata_ttrpc_server *server;

static int empty_reply(void *user, const kata_ttrpc_call_info *info, const ProtobufCMessage *req,
                       ProtobufCMessage **resp, kata_ttrpc_status *st)
{
        const kata_rpc_method *m = user;
        ProtobufCMessage *out = calloc(1, m->output->sizeof_message);
        if (!out)
                return kata_ttrpc_status_set(st, KATA_TTRPC_INTERNAL, "out of memory");
        m->output->message_init(out);
        *resp = out;
        return KATA_TTRPC_OK;
}

static void init_server(void)
{
        kata_error err = KATA_ERROR_INIT;
        if (kata_ttrpc_server_new(&server, &err) < 0)
                abort();
        const kata_rpc_method *m;
        size_t n = kata_rpc_methods(&m);
        for (size_t i = 0; i < n; i++)
                if (kata_ttrpc_server_register(server, m[i].service, m[i].name, m[i].input,
                                               empty_reply, NULL, (void *)&m[i], &err) < 0)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!server)
                init_server();
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        kata_error err = KATA_ERROR_INIT;
        if (kata_ttrpc_server_add_conn(server, sv[1], &err) < 0) {
                close(sv[0]);
                return 0;
        }
        /* Inputs are small (libFuzzer's default max_len) and fit the socket buffer. */
        size_t off = 0;
        while (off < size) {
                ssize_t w = send(sv[0], data + off, size - off, MSG_NOSIGNAL);
                if (w <= 0)
                        break;
                off += (size_t)w;
        }
        shutdown(sv[0], SHUT_WR);
        for (;;) {
                kata_ttrpc_header h;
                uint8_t *payload = NULL;
                int r = kata_ttrpc_read_frame(sv[0], &h, &payload, &err);
                if (r < 0) {
                        if (r != -ECONNRESET)
                                abort(); /* the server wrote something that is not a frame */
                        break;
                }
                if (h.type != KATA_TTRPC_TYPE_RESPONSE)
                        abort();
                Ttrpc__Response *resp = ttrpc__response__unpack(NULL, h.length, payload);
                if (!resp)
                        abort();
                ttrpc__response__free_unpacked(resp, NULL);
                free(payload);
        }
        close(sv[0]);
        return 0;
}
