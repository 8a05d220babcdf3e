/* jsonl sink: one JSON object per span and line (record.h's kata_span_record_jsonl). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

/* Lines collect in a buffer written with one fwrite when it passes this size or on tick. */
#define JSONL_FLUSH_BYTES (256 * 1024)

struct jsonl_sink {
        FILE *out;
        bool own;
        kata_strbuf buf;
        uint64_t pending; /* spans in buf */
};

static void jsonl_write(struct fwd_sink *s)
{
        struct jsonl_sink *j = s->impl;
        if (!j->buf.len)
                return;
        if (fwrite(j->buf.data, 1, j->buf.len, j->out) != j->buf.len || fflush(j->out) != 0)
                fwd_sink_count(&s->dropped, j->pending);
        else
                fwd_sink_count(&s->forwarded, j->pending);
        j->buf.len = 0;
        j->pending = 0;
}

static void jsonl_span(struct fwd_sink *s, const kata_span_record *rec)
{
        struct jsonl_sink *j = s->impl;
        if (kata_span_record_jsonl(rec, &j->buf) < 0) {
                fwd_sink_count(&s->dropped, 1);
                return;
        }
        j->pending++;
        if (j->buf.len >= JSONL_FLUSH_BYTES)
                jsonl_write(s);
}

static void jsonl_close(struct fwd_sink *s, unsigned timeout_ms)
{
        struct jsonl_sink *j = s->impl;
        jsonl_write(s);
        if (j->own)
                fclose(j->out);
        kata_strbuf_free(&j->buf);
        free(j);
        s->impl = NULL;
}

static const struct fwd_sink_ops jsonl_ops = {
    .span = jsonl_span,
    .tick = jsonl_write,
    .close = jsonl_close,
};

int fwd_sink_jsonl_open(struct fwd_sink *s, const char *path, kata_error *err)
{
        struct jsonl_sink *j = calloc(1, sizeof(*j));
        if (!j)
                return kata_error_set(err, ENOMEM, "out of memory");
        if (path && path[0] && strcmp(path, "-") != 0) {
                j->out = fopen(path, "ae");
                if (!j->out) {
                        int e = errno;
                        free(j);
                        return kata_error_errno(err, e, "opening %s", path);
                }
                j->own = true;
        } else {
                j->out = stdout;
        }
        s->impl = j;
        s->ops = &jsonl_ops;
        return 0;
}
