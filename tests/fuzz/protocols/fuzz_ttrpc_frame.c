/* The ttrpc frame decoder over an arbitrary byte stream, as a server's reader sees it:
 * decode frames one after another, and for every request frame unpack the envelope.
 * Invariants: consumed sizes stay within the input, payloads lie inside it, lengths never
 * exceed the cap. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "protocols/ttrpc.h"
#include "ttrpc.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t off = 0;
        while (off < size) {
                kata_ttrpc_header h;
                const uint8_t *payload = NULL;
                size_t used = 0;
                kata_error err = KATA_ERROR_INIT;
                int r = kata_ttrpc_frame_decode(data + off, size - off, &h, &payload, &used, &err);
                if (r < 0)
                        break; /* incomplete or invalid: a server stops reading here */
                if (used < KATA_TTRPC_HEADER_SIZE || used > size - off ||
                    h.length > KATA_TTRPC_MAX_PAYLOAD ||
                    payload != data + off + KATA_TTRPC_HEADER_SIZE)
                        abort();
                if (h.type == KATA_TTRPC_TYPE_REQUEST) {
                        Ttrpc__Request *req = ttrpc__request__unpack(NULL, h.length, payload);
                        ttrpc__request__free_unpacked(req, NULL);
                } else {
                        Ttrpc__Response *resp = ttrpc__response__unpack(NULL, h.length, payload);
                        ttrpc__response__free_unpacked(resp, NULL);
                }
                off += used;
        }
        /* the header decoder alone, on the first bytes */
        if (size >= KATA_TTRPC_HEADER_SIZE) {
                kata_ttrpc_header h;
                uint8_t back[KATA_TTRPC_HEADER_SIZE];
                if (kata_ttrpc_header_decode(data, &h, NULL) == 0) {
                        kata_ttrpc_header_encode(&h, back);
                        for (int i = 0; i < KATA_TTRPC_HEADER_SIZE; i++)
                                if (back[i] != data[i])
                                        abort();
                }
        }
        return 0;
}
