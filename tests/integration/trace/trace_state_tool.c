/* Writes a sandbox state through the state library, as kata-runtime would, so that the
 * trace tests can scope to a sandbox of real cgroups and processes they made themselves.
 *
 *   trace-state-tool ROOT SID HYPERVISOR AGENT_PID [cgroup:CONTROLLER=PATH]...
 *                    [container:ID=CGROUPS_PATH]...
 *   trace-state-tool --add-container ROOT SID ID CGROUPS_PATH
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "state/state.h"

static int add_container(kata_sandbox_state *st, const char *spec, kata_error *err)
{
        kata_container_state c = {0};
        const char *eq = strchr(spec, '=');
        if (!eq || (size_t)(eq - spec) > KATA_STATE_ID_MAX)
                return kata_error_set(err, 22, "bad container spec '%s'", spec);
        memcpy(c.id, spec, eq - spec);
        snprintf(c.cgroup_path, sizeof(c.cgroup_path), "%s", eq + 1);
        snprintf(c.bundle, sizeof(c.bundle), "/tmp");
        c.status = KATA_CONTAINER_RUNNING;
        return kata_sandbox_state_add_container(st, &c, err);
}

int main(int argc, char **argv)
{
        kata_error err = KATA_ERROR_INIT;
        int rc;
        if (argc == 6 && strcmp(argv[1], "--add-container") == 0) {
                kata_container_state c = {0};
                snprintf(c.id, sizeof(c.id), "%s", argv[4]);
                snprintf(c.cgroup_path, sizeof(c.cgroup_path), "%s", argv[5]);
                snprintf(c.bundle, sizeof(c.bundle), "/tmp");
                c.status = KATA_CONTAINER_RUNNING;
                rc = kata_state_add_container(argv[2], argv[3], &c, &err);
        } else if (argc >= 5) {
                kata_sandbox_state st;
                kata_sandbox_state_init(&st);
                snprintf(st.id, sizeof(st.id), "%s", argv[2]);
                snprintf(st.hypervisor, sizeof(st.hypervisor), "%s", argv[3]);
                st.status = KATA_SANDBOX_RUNNING;
                st.agent_pid = atoll(argv[4]);
                st.cgroup_version = 1;
                st.created_ns = (int64_t)kata_now_realtime_ns();
                rc = 0;
                for (int i = 5; i < argc && rc == 0; i++) {
                        if (strncmp(argv[i], "cgroup:", 7) == 0) {
                                char ctl[64];
                                const char *eq = strchr(argv[i], '=');
                                if (!eq || eq - argv[i] - 7 >= (long)sizeof(ctl)) {
                                        rc = kata_error_set(&err, 22, "bad cgroup spec '%s'",
                                                            argv[i]);
                                        break;
                                }
                                snprintf(ctl, sizeof(ctl), "%.*s", (int)(eq - argv[i] - 7),
                                         argv[i] + 7);
                                if (strcmp(ctl, "unified") == 0)
                                        st.cgroup_version = 2;
                                rc = kata_sandbox_state_set_cgroup(&st, ctl, eq + 1, &err);
                        } else if (strncmp(argv[i], "container:", 10) == 0) {
                                rc = add_container(&st, argv[i] + 10, &err);
                        } else {
                                rc = kata_error_set(&err, 22, "unknown argument '%s'", argv[i]);
                        }
                }
                if (rc == 0)
                        rc = kata_state_create(argv[1], &st, &err);
                kata_sandbox_state_free(&st);
        } else {
                fprintf(stderr, "usage: see the comment at the top of trace_state_tool.c\n");
                return 2;
        }
        if (rc < 0) {
                kata_error_print(&err, "trace-state-tool", stderr);
                return 1;
        }
        return 0;
}
