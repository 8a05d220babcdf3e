/* OTLP protobuf decoding as the forwarder's decoding sinks see it: every decoded span is
 * formatted as a JSON line and re-encoded, and the re-encoding must decode again. Whatever
 * the wire-format check accepts (the otlp sink's pass-through) must decode to as many
 * spans. */
#include <stdio.h>
#include <stdlib.h>

#include "tracing/otlp.h"
#include "tracing/record.h"

struct ctx {
        kata_strbuf line;
        size_t spans;
};

static void on_span(const kata_span_record *rec, void *arg)
{
        struct ctx *c = arg;
        c->line.len = 0;
        kata_span_record_jsonl(rec, &c->line);
        kata_span_record *copy = kata_span_record_clone(rec);
        const kata_span_record *one[1] = {copy};
        kata_error err = KATA_ERROR_INIT;
        uint8_t *buf;
        size_t len;
        if (copy && kata_otlp_encode(one, 1, rec->source, &buf, &len, &err) == 0) {
                if (kata_otlp_wire_check(buf, len, &err) != 1 ||
                    kata_otlp_decode(buf, len, NULL, NULL, &err) != 1) {
                        fprintf(stderr, "re-encoded span does not decode: %s\n", err.msg);
                        abort();
                }
                free(buf);
        }
        free(copy);
        c->spans++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ctx c = {{0}, 0};
        kata_error err = KATA_ERROR_INIT;
        int decoded = kata_otlp_decode(data, size, on_span, &c, &err);
        kata_strbuf_free(&c.line);
        /* What the pass-through check lets through, a real decoder must accept too. */
        int64_t checked = kata_otlp_wire_check(data, size, &err);
        if (checked >= 0 && checked != decoded) {
                fprintf(stderr, "wire check accepted %lld spans, decoder returned %d\n",
                        (long long)checked, decoded);
                abort();
        }
        return 0;
}
