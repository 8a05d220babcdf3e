/* Agent metrics text -> relayed set -> rendered text: no crash, no leak, and whatever is
 * accepted renders into text that the relay itself accepts again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        kata_metric_set *set = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_metrics_relay_parse((const char *)data, size, "sb", &set, &err) < 0)
                return 0;
        char *text = NULL;
        size_t len = 0;
        if (kata_metric_set_render(set, &text, &len, &err) == 0) {
                kata_metric_set *again = NULL;
                if (kata_metrics_relay_parse(text, len, "sb", &again, &err) < 0)
                        abort(); /* our own output must parse */
                kata_metric_set_free(again);
                free(text);
        }
        kata_metric_set_free(set);
        return 0;
}
