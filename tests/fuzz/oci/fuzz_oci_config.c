/* Any byte string given to the OCI config parser either parses (and the spec can be
 * walked and freed) or yields an error with a message; never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        kata_error err = KATA_ERROR_INIT;
        kata_oci_spec *spec = NULL;
        int r = kata_oci_spec_parse((const char *)data, size, &spec, &err);
        if (r < 0) {
                if (spec || err.msg[0] == 0)
                        abort();
                return 0;
        }
        if (!spec || !spec->process.args || !spec->process.args[0] || !spec->process.cwd)
                abort();
        for (size_t i = 0; i < spec->n_mounts; i++) {
                unsigned long flags, prop;
                char *opts = NULL;
                if (kata_oci_mount_parse_options(&spec->mounts[i], &flags, &prop, &opts, &err) == 0)
                        free(opts);
        }
        (void)kata_oci_env_get(spec->process.env, "PATH");
        kata_oci_spec_free(spec);
        return 0;
}
