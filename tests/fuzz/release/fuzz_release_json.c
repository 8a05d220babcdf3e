/* libFuzzer harness for the releases JSON parser (kata_release_list_parse): any input
 * must give either an error or a list sorted newest first of valid semver releases. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/release.h"

static void check_list(const struct kata_release_list *list, bool include_pre)
{
        for (size_t i = 0; i < list->count; i++) {
                const struct kata_release *r = &list->items[i];
                struct kata_semver v;
                if (r->version == NULL || r->date == NULL || r->url == NULL)
                        abort();
                if (kata_semver_parse(r->version, &v, NULL) != 0 ||
                    kata_semver_compare(&v, &r->semver) != 0)
                        abort();
                if (r->prerelease && !include_pre)
                        abort();
                for (const char *c = r->url; *c; c++)
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                abort(); /* would reach the terminal */
                for (const char *c = r->date; *c; c++)
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                abort();
                if (i > 0 && kata_semver_compare(&list->items[i - 1].semver, &r->semver) < 0)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (int pre = 0; pre <= 1; pre++) {
                struct kata_release_list list = {0};
                kata_error err = KATA_ERROR_INIT;
                int r = kata_release_list_parse((const char *)data, size, pre, &list, &err);
                if (r < 0 && err.msg[0] == '\0')
                        abort(); /* every failure must say what was wrong */
                check_list(&list, pre);
                kata_release_list_free(&list);
        }
        return 0;
}
