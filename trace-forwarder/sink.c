#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

int fwd_sink_open(const struct fwd_sink_spec *spec, const struct fwd_config *cfg,
                  struct fwd_sink **out, kata_error *err)
{
        struct fwd_sink *s = calloc(1, sizeof(*s));
        if (!s)
                return kata_error_set(err, ENOMEM, "out of memory");
        s->name = spec->name;
        int rc;
        if (strcmp(spec->name, "jsonl") == 0)
                rc = fwd_sink_jsonl_open(s, spec->arg, err);
        else if (strcmp(spec->name, "otlp") == 0)
                rc = fwd_sink_otlp_open(s, &cfg->otlp, err);
        else if (strcmp(spec->name, "lttng") == 0)
                rc = fwd_sink_lttng_open(s, err);
        else
                rc = kata_error_set(err, EINVAL, "unknown sink '%s' (lttng, otlp, jsonl)",
                                    spec->name);
        if (rc < 0) {
                free(s);
                return kata_error_prefix(err, "sink %s", spec->name);
        }
        *out = s;
        return 0;
}

void fwd_sink_free(struct fwd_sink *s)
{
        free(s);
}
