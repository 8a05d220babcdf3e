/* lttng sink: re-emits each guest span as the host's kata_trace:span with source=agent,
 * so a host LTTng session holds runtime and agent spans in one trace. */
#include "sink.h"
#include "tracing/lttng.h"

static void lttng_span(struct fwd_sink *s, const kata_span_record *rec)
{
        kata_span_record relayed = *rec;
        relayed.source = "agent";
        kata_tracing_lttng_emit(&relayed);
        fwd_sink_count(&s->forwarded, 1);
}

static void lttng_close(struct fwd_sink *s, unsigned timeout_ms)
{
        s->impl = NULL;
}

static const struct fwd_sink_ops lttng_ops = {
    .span = lttng_span,
    .close = lttng_close,
};

int fwd_sink_lttng_open(struct fwd_sink *s, kata_error *err)
{
        int rc = kata_tracing_lttng_load(err);
        if (rc < 0)
                return rc;
        s->ops = &lttng_ops;
        return 0;
}
