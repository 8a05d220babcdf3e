#include <errno.h>

#include "tracing/frame.h"

void kata_frame_header_encode(uint64_t payload_len, uint8_t out[KATA_FRAME_HEADER_LEN])
{
        for (int i = 7; i >= 0; i--) {
                out[i] = (uint8_t)(payload_len & 0xff);
                payload_len >>= 8;
        }
}

int kata_frame_parse(const uint8_t *buf, size_t len, uint64_t max_payload, size_t *payload_len,
                     kata_error *err)
{
        if (len < KATA_FRAME_HEADER_LEN)
                return 0;
        uint64_t n = 0;
        for (int i = 0; i < KATA_FRAME_HEADER_LEN; i++)
                n = n << 8 | buf[i];
        if (n == 0)
                return kata_error_set(err, EBADMSG, "bad frame length 0");
        if (n >= KATA_FRAME_LEN_IMPOSSIBLE)
                return kata_error_set(err, EBADMSG, "bad frame length %llu", (unsigned long long)n);
        if (n > max_payload)
                return kata_error_set(err, EMSGSIZE, "frame of %llu bytes exceeds the cap of %llu",
                                      (unsigned long long)n, (unsigned long long)max_payload);
        if (len - KATA_FRAME_HEADER_LEN < n)
                return 0;
        *payload_len = (size_t)n;
        return 1;
}
