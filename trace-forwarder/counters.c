#include <inttypes.h>

#include "counters.h"
#include "sink.h"

void fwd_counters_print(FILE *out, const struct fwd_counters *c, struct fwd_sink *const *sinks,
                        size_t n_sinks)
{
        uint64_t forwarded = 0, dropped = 0;
        for (size_t i = 0; i < n_sinks; i++) {
                forwarded += fwd_sink_read(&sinks[i]->forwarded);
                dropped += fwd_sink_read(&sinks[i]->dropped);
        }
        fprintf(out,
                "kata-trace-forwarder: stats: connections=%" PRIu64 " active=%" PRIu64
                " frames=%" PRIu64 " bad_frames=%" PRIu64 " received=%" PRIu64 " forwarded=%" PRIu64
                " dropped=%" PRIu64 " bytes=%" PRIu64 "\n",
                c->connections, c->active, c->frames, c->bad_frames, c->received, forwarded,
                dropped, c->bytes);
        for (size_t i = 0; i < n_sinks; i++)
                fprintf(out,
                        "kata-trace-forwarder: stats: sink=%s forwarded=%" PRIu64
                        " dropped=%" PRIu64 "\n",
                        sinks[i]->name, fwd_sink_read(&sinks[i]->forwarded),
                        fwd_sink_read(&sinks[i]->dropped));
        fflush(out);
}
