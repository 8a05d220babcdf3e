/* libFuzzer harness for the Link header parser that drives paging
 * (kata_release_link_next): any header gives no page, one URL, or an error saying why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *link = malloc(size + 1);
        if (link == NULL)
                return 0;
        memcpy(link, data, size);
        link[size] = '\0';

        char *next = NULL;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_release_link_next(
            link, "https://api.github.com/repos/kata-containers/kata-containers/releases?page=2",
            &next, &err);
        if (r < 0 && (next != NULL || err.msg[0] == '\0'))
                abort();
        if (r == 0 && next != NULL && strstr(next, "://") == NULL)
                abort(); /* a resolved URL always has a scheme */
        free(next);
        free(link);
        return 0;
}
