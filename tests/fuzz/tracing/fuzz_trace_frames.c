/* The forwarder's view of an agent stream: frames cut out with kata_frame_parse, each
 * payload checked by the wire-format check and unpacked by the decoder. Both must agree
 * on the number of spans whenever both accept a payload. */
#include <stdio.h>
#include <stdlib.h>

#include "tracing/frame.h"
#include "tracing/otlp.h"

#define MAX_FRAME (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t off = 0;
        for (;;) {
                kata_error err = KATA_ERROR_INIT;
                size_t len;
                int rc = kata_frame_parse(data + off, size - off, MAX_FRAME, &len, &err);
                if (rc <= 0)
                        break;
                const uint8_t *payload = data + off + KATA_FRAME_HEADER_LEN;
                int64_t checked = kata_otlp_wire_check(payload, len, &err);
                int decoded = kata_otlp_decode(payload, len, NULL, NULL, &err);
                if (checked >= 0 && decoded >= 0 && checked != decoded) {
                        fprintf(stderr, "wire check counted %lld spans, decoder %d\n",
                                (long long)checked, decoded);
                        abort();
                }
                off += KATA_FRAME_HEADER_LEN + len;
        }
        return 0;
}
