/* Trace and span ids, and the W3C trace-context `traceparent` header that carries a span
 * across a process boundary (ttrpc request metadata, runtime to agent). */
#ifndef KATA_TRACING_IDS_H
#define KATA_TRACING_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "tracing/record.h"

/* "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>" */
#define KATA_TRACEPARENT_LEN 55
/* Key under which the traceparent travels in ttrpc metadata. */
#define KATA_TRACEPARENT_KEY    "traceparent"
#define KATA_TRACE_FLAG_SAMPLED 0x01

typedef struct kata_span_context {
        uint8_t trace_id[KATA_TRACE_ID_LEN];
        uint8_t span_id[KATA_SPAN_ID_LEN];
        uint8_t flags;
} kata_span_context;

/* Random non-zero ids. The generator is a per-thread xoshiro256** seeded from
 * getrandom(2) (reseeded after fork), so no system call per span. */
void kata_trace_id_generate(uint8_t id[KATA_TRACE_ID_LEN]);
void kata_span_id_generate(uint8_t id[KATA_SPAN_ID_LEN]);

bool kata_id_bytes_zero(const uint8_t *id, size_t len);

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void kata_hex_encode(const uint8_t *id, size_t len, char *out);
/* Exactly 2*len hex digits (either case). 0 or -EINVAL. */
int kata_hex_decode(const char *hex, size_t len, uint8_t *out);

/* out must hold KATA_TRACEPARENT_LEN + 1 bytes. */
void kata_traceparent_format(const kata_span_context *ctx, char *out);

/* Parses a traceparent header. Rejects version ff, all-zero ids, bad hex and bad length;
 * accepts later versions' extra fields after a '-' as the W3C spec asks. */
int kata_traceparent_parse(const char *s, kata_span_context *out, kata_error *err);

#endif
