/* Framing of the agent-to-forwarder stream: each frame is a u64 big-endian payload
 * length followed by the payload (an OTLP ExportTraceServiceRequest). The same framing
 * as Kata's trace forwarder, with a size cap. */
#ifndef KATA_TRACING_FRAME_H
#define KATA_TRACING_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define KATA_FRAME_HEADER_LEN  8
#define KATA_FRAME_MAX_DEFAULT (16u * 1024 * 1024)
/* No sane frame is this large, whatever --max-frame says: such a length is garbage. */
#define KATA_FRAME_LEN_IMPOSSIBLE (1ull << 40)

void kata_frame_header_encode(uint64_t payload_len, uint8_t out[KATA_FRAME_HEADER_LEN]);

/* Looks at the start of buf. Returns 1 and sets *payload_len when a whole frame is there
 * (it occupies KATA_FRAME_HEADER_LEN + *payload_len bytes), 0 when more bytes are needed,
 * -EBADMSG for an impossible length (zero, or absurdly large) and -EMSGSIZE for a frame
 * above max_payload; errors fill err. */
int kata_frame_parse(const uint8_t *buf, size_t len, uint64_t max_payload, size_t *payload_len,
                     kata_error *err);

#endif
