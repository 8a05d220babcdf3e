/* libFuzzer harness for the semver parser and comparator. The input is two versions
 * separated by a newline; precedence must be a total order consistent with classify
 * and with the canonical form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/semver.h"

static int sign(int c)
{
        return (c > 0) - (c < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size + 1);
        if (buf == NULL)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        char *second = strchr(buf, '\n');
        if (second != NULL)
                *second++ = '\0';
        else
                second = buf;

        struct kata_semver a, b;
        kata_error err = KATA_ERROR_INIT;
        if (kata_semver_parse(buf, &a, &err) != 0) {
                if (err.msg[0] == '\0')
                        abort();
                goto out;
        }
        if (kata_semver_parse(second, &b, NULL) != 0)
                goto out;

        int ab = sign(kata_semver_compare(&a, &b)), ba = sign(kata_semver_compare(&b, &a));
        if (ab != -ba || kata_semver_compare(&a, &a) != 0)
                abort();
        if ((kata_semver_classify(&a, &b) != KATA_SEMVER_NOT_NEWER) != (ba > 0))
                abort();

        /* The canonical form parses back to an equal version. */
        char canon[KATA_SEMVER_PRERELEASE_MAX + 80];
        struct kata_semver c;
        kata_semver_format(&a, canon, sizeof(canon));
        if (kata_semver_parse(canon, &c, NULL) != 0 || kata_semver_compare(&a, &c) != 0)
                abort();
out:
        free(buf);
        return 0;
}
