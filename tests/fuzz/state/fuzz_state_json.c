/* Any bytes given to the state.json loader either load or fail with a message naming the
 * problem; a loaded state serializes, and that output loads back and serializes to the
 * same text (the writer never produces what the reader refuses). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        kata_sandbox_state st, again;
        kata_error err = KATA_ERROR_INIT;
        if (kata_sandbox_state_from_json((const char *)data, size, &st, &err) != 0) {
                if (err.msg[0] == '\0' || st.containers || st.cgroups)
                        abort();
                return 0;
        }
        char *one = NULL, *two = NULL;
        if (kata_sandbox_state_to_json(&st, &one, &err) != 0)
                abort();
        if (kata_sandbox_state_from_json(one, strlen(one), &again, &err) != 0)
                abort();
        if (kata_sandbox_state_to_json(&again, &two, &err) != 0 || strcmp(one, two) != 0)
                abort();
        for (size_t i = 0; i < st.ncontainers; i++) {
                if (!kata_sandbox_state_find_container(&again, st.containers[i].id))
                        abort();
        }
        free(one);
        free(two);
        kata_sandbox_state_free(&st);
        kata_sandbox_state_free(&again);
        return 0;
}
