/* Any string given to the address parser either parses or fails with a message; a parsed
 * address formats to text that parses back to the same address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport.h"

static int same(const kata_address *a, const kata_address *b)
{
        return a->kind == b->kind && strcmp(a->path, b->path) == 0 && a->cid == b->cid &&
               a->port == b->port && a->fd == b->fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        kata_address a, b;
        kata_error err = KATA_ERROR_INIT;
        if (kata_address_parse(text, &a, &err) == 0) {
                char buf[256];
                int n = kata_address_format(&a, buf, sizeof(buf));
                if (n < 0 || (size_t)n >= sizeof(buf))
                        abort();
                if (kata_address_parse(buf, &b, &err) != 0 || !same(&a, &b))
                        abort();
                if (strcmp(kata_transport_kind_name(a.kind), "unknown") == 0)
                        abort();
        } else if (err.msg[0] == '\0') {
                abort();
        }
        free(text);
        return 0;
}
