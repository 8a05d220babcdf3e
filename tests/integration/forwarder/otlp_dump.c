/* Test helper: decodes an OTLP ExportTraceServiceRequest body (a file, as an OTLP/HTTP
 * receiver got it) with the library's decoder and prints one JSON line per span.
 * Exit 1 when the body is not valid OTLP protobuf. */
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "tracing/otlp.h"

static void print_span(const kata_span_record *rec, void *ctx)
{
        kata_strbuf *b = ctx;
        b->len = 0;
        if (kata_span_record_jsonl(rec, b) == 0)
                fputs(b->data, stdout);
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: otlp_dump BODY-FILE\n");
                return 2;
        }
        kata_error err = KATA_ERROR_INIT;
        char *data;
        size_t len;
        if (kata_read_file(argv[1], 0, &data, &len, &err) < 0) {
                kata_error_print(&err, "otlp_dump", stderr);
                return 1;
        }
        kata_strbuf b = {0};
        int n = kata_otlp_decode((const uint8_t *)data, len, print_span, &b, &err);
        kata_strbuf_free(&b);
        free(data);
        if (n < 0) {
                kata_error_print(&err, "otlp_dump", stderr);
                return 1;
        }
        return 0;
}
