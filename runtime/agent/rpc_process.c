/* Process RPCs: exec, signal, wait, and the ListProcesses extension for `kata-ctl top`. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.pb-c.h"
#include "agent/container.h"
#include "agent/process.h"
#include "agent/rpc.h"
#include "common/util.h"
#include "protocols/pb_json.h"

RPC_HANDLER(rpc_exec_process)
{
        struct agent *a = user;
        const Grpc__ExecProcessRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (agent_check_id("container_id", req->container_id, false, &err) < 0 ||
            agent_check_id("exec_id", req->exec_id, false, &err) < 0)
                return rpc_fail(status, &err);
        if (!req->process)
                return kata_ttrpc_status_set(status, KATA_TTRPC_INVALID_ARGUMENT,
                                             "process: missing");
        struct json_object *json = NULL;
        kata_oci_process proc;
        memset(&proc, 0, sizeof(proc));
        int r = kata_pb_to_json(&req->process->base, 0, &json, &err);
        if (r == 0) {
                r = kata_oci_process_from_json(json, &proc, &err);
                json_object_put(json);
        }
        if (r == 0)
                r = container_exec(a, req->container_id, req->exec_id, &proc, &err);
        kata_oci_process_clear(&proc);
        if (r < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_signal_process)
{
        const Grpc__SignalProcessRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (container_signal(user, req->container_id, req->exec_id, (int)req->signal, &err) < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_wait_process)
{
        struct agent *a = user;
        const Grpc__WaitProcessRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (agent_check_id("container_id", req->container_id, false, &err) < 0 ||
            agent_check_id("exec_id", req->exec_id, true, &err) < 0)
                return rpc_fail(status, &err);
        struct agent_process *p = agent_process_get(a, req->container_id, req->exec_id, NULL);
        if (!p)
                return kata_ttrpc_status_set(status, KATA_TTRPC_NOT_FOUND,
                                             "process '%s' of container %s not found", req->exec_id,
                                             req->container_id);
        int code = 0;
        int r = agent_process_wait(a, p, &code);
        agent_process_put(a, p);
        if (r < 0)
                return kata_ttrpc_status_set(status, KATA_TTRPC_UNAVAILABLE,
                                             "the agent is stopping");
        Grpc__WaitProcessResponse *resp = rpc_new_message(&grpc__wait_process_response__descriptor);
        if (!resp)
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        resp->status = code;
        *response = &resp->base;
        return KATA_TTRPC_OK;
}

/* One /proc/<pid> entry; NULL when the process is gone. */
static Grpc__ProcessInfo *process_info(pid_t pid)
{
        char path[64];
        char *stat = NULL, *cmdline = NULL, *status = NULL;
        size_t cmdline_len = 0;
        kata_error err = KATA_ERROR_INIT;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        if (kata_read_file(path, 8192, &stat, NULL, &err) < 0)
                return NULL;
        Grpc__ProcessInfo *pi = rpc_new_message(&grpc__process_info__descriptor);
        if (!pi) {
                free(stat);
                return NULL;
        }
        pi->pid = pid;
        char *open = strchr(stat, '('), *close = strrchr(stat, ')');
        if (open && close && close > open) {
                *close = 0;
                pi->comm = rpc_strdup(open + 1);
                char state = '?';
                int ppid = 0;
                unsigned long long utime = 0, stime = 0;
                long long rss = 0;
                sscanf(close + 2,
                       "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
                       "%*d %*u %*u %lld",
                       &state, &ppid, &utime, &stime, &rss);
                char st[2] = {state, 0};
                pi->state = rpc_strdup(st);
                pi->ppid = ppid;
                long ticks = sysconf(_SC_CLK_TCK);
                pi->cpu_time_ns =
                    (utime + stime) * (1000000000ull / (uint64_t)(ticks > 0 ? ticks : 100));
                pi->rss_bytes = (uint64_t)(rss > 0 ? rss : 0) * (uint64_t)sysconf(_SC_PAGESIZE);
        }
        free(stat);
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        if (kata_read_file(path, 65536, &status, NULL, &err) == 0) {
                const char *uid = strstr(status, "\nUid:");
                if (uid)
                        pi->uid = (uint32_t)strtoul(uid + 5, NULL, 10);
                free(status);
        }
        snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
        if (kata_read_file(path, 65536, &cmdline, &cmdline_len, &err) == 0) {
                size_t n = 0;
                for (size_t i = 0; i < cmdline_len; i++)
                        if (cmdline[i] == 0)
                                n++;
                pi->args = calloc(n ? n : 1, sizeof(char *));
                for (size_t off = 0; pi->args && off < cmdline_len && pi->n_args < n;) {
                        pi->args[pi->n_args++] = rpc_strdup(cmdline + off);
                        off += strlen(cmdline + off) + 1;
                }
                free(cmdline);
        }
        return pi;
}

RPC_HANDLER(rpc_list_processes)
{
        struct agent *a = user;
        const Grpc__ListProcessesRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (agent_check_id("container_id", req->container_id, false, &err) < 0)
                return rpc_fail(status, &err);
        struct agent_container *c = agent_container_get(a, req->container_id);
        if (!c)
                return kata_ttrpc_status_set(status, KATA_TTRPC_NOT_FOUND, "container %s not found",
                                             req->container_id);
        pid_t *pids = NULL;
        size_t n = 0;
        int r = 0;
        if (c->cgroup) {
                r = kata_cgroup_pids(c->cgroup, &pids, &n, &err);
        } else {
                pthread_mutex_lock(&a->lock);
                for (struct agent_process *p = c->processes; p; p = p->next)
                        n++;
                pids = calloc(n ? n : 1, sizeof(pid_t));
                n = 0;
                for (struct agent_process *p = c->processes; pids && p; p = p->next)
                        if (!p->exited)
                                pids[n++] = p->pid;
                pthread_mutex_unlock(&a->lock);
                if (!pids)
                        r = kata_error_set(&err, ENOMEM, "out of memory");
        }
        agent_container_put(a, c);
        if (r < 0)
                return rpc_fail(status, &err);
        Grpc__ListProcessesResponse *resp =
            rpc_new_message(&grpc__list_processes_response__descriptor);
        if (resp)
                resp->processes = calloc(n ? n : 1, sizeof(void *));
        if (!resp || !resp->processes) {
                free(resp);
                free(pids);
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                Grpc__ProcessInfo *pi = process_info(pids[i]);
                if (pi)
                        resp->processes[resp->n_processes++] = pi;
        }
        free(pids);
        *response = &resp->base;
        return KATA_TTRPC_OK;
}
