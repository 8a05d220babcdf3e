#include <string.h>

#include "forwarder.h"
#include "tracing/frame.h"

void fwd_config_defaults(struct fwd_config *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->vsock_cid = 0xffffffffu; /* VMADDR_CID_ANY */
        cfg->vsock_port = FWD_HVSOCK_PORT;
        cfg->max_frame = KATA_FRAME_MAX_DEFAULT;
        cfg->flush_timeout_ms = 5000;
        cfg->otlp.endpoint = FWD_DEFAULT_OTLP_URL;
        cfg->otlp.queue_bytes = 64u * 1024 * 1024;
        cfg->otlp.batch_bytes = 1024 * 1024;
        cfg->otlp.batch_ms = 200;
        cfg->otlp.max_retries = 5;
        cfg->otlp.backoff_ms = 100;
        cfg->otlp.timeout_ms = 10000;
}
