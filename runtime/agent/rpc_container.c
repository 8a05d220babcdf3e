/* Container RPCs: create, start, remove, stats, pause, resume. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.pb-c.h"
#include "agent/container.h"
#include "agent/rpc.h"
#include "agent/storage.h"
#include "common/util.h"
#include "protocols/pb_json.h"

/* The protobuf Spec goes through JSON into the OCI library, so that the agent and the
 * runtime validate a spec with the same code and the same messages. */
static int spec_from_request(const Grpc__Spec *oci, kata_oci_spec **out, kata_error *err)
{
        if (!oci)
                return kata_error_set(err, EINVAL, "OCI: missing");
        struct json_object *json = NULL;
        int r = kata_pb_to_json(&oci->base, 0, &json, err);
        if (r < 0)
                return kata_error_prefix(err, "OCI");
        r = kata_oci_spec_from_json(json, out, err);
        json_object_put(json);
        if (r < 0)
                return kata_error_prefix(err, "OCI");
        return 0;
}

RPC_HANDLER(rpc_create_container)
{
        struct agent *a = user;
        const Grpc__CreateContainerRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        kata_oci_spec *spec = NULL;
        if (agent_check_id("container_id", req->container_id, false, &err) < 0 ||
            agent_storages_mount(req->container_id, req->storages, req->n_storages, &err) < 0 ||
            spec_from_request(req->oci, &spec, &err) < 0 ||
            container_create(a, req->container_id, spec, &err) < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_start_container)
{
        const Grpc__StartContainerRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (container_start(user, req->container_id, &err) < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_remove_container)
{
        const Grpc__RemoveContainerRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        int r = container_remove(user, req->container_id, req->timeout, &err);
        agent_storages_unmount(req->container_id); /* its disks, so the host can unplug them */
        if (r < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_update_container)
{
        const Grpc__UpdateContainerRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (agent_check_id("container_id", req->container_id, false, &err) < 0)
                return rpc_fail(status, &err);
        if (!req->resources)
                return kata_ttrpc_status_set(status, KATA_TTRPC_INVALID_ARGUMENT,
                                             "resources: missing");
        struct json_object *json = NULL;
        kata_oci_resources res;
        memset(&res, 0, sizeof(res));
        int r = kata_pb_to_json(&req->resources->base, 0, &json, &err);
        if (r == 0) {
                r = kata_oci_resources_from_json(json, &res, &err);
                json_object_put(json);
        }
        if (r == 0)
                r = container_update(user, req->container_id, &res, &err);
        kata_oci_resources_clear(&res);
        if (r < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_pause_container)
{
        const Grpc__PauseContainerRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (container_pause(user, req->container_id, true, &err) < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

RPC_HANDLER(rpc_resume_container)
{
        const Grpc__ResumeContainerRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (container_pause(user, req->container_id, false, &err) < 0)
                return rpc_fail(status, &err);
        return KATA_TTRPC_OK;
}

static Grpc__BlkioStatsEntry *blkio_entry(uint32_t major, uint32_t minor, const char *op,
                                          uint64_t value)
{
        Grpc__BlkioStatsEntry *e = rpc_new_message(&grpc__blkio_stats_entry__descriptor);
        if (e) {
                e->major = major;
                e->minor = minor;
                e->op = rpc_strdup(op);
                e->value = value;
        }
        return e;
}

static int fill_stats(const kata_cgroup_stats *st, Grpc__CgroupStats *cs)
{
        if (st->cpu.valid) {
                Grpc__CpuStats *cpu = rpc_new_message(&grpc__cpu_stats__descriptor);
                if (!cpu)
                        return -ENOMEM;
                cs->cpu_stats = cpu;
                cpu->cpu_usage = rpc_new_message(&grpc__cpu_usage__descriptor);
                cpu->throttling_data = rpc_new_message(&grpc__throttling_data__descriptor);
                if (!cpu->cpu_usage || !cpu->throttling_data)
                        return -ENOMEM;
                cpu->cpu_usage->total_usage = st->cpu.usage_ns;
                cpu->cpu_usage->usage_in_usermode = st->cpu.user_ns;
                cpu->cpu_usage->usage_in_kernelmode = st->cpu.system_ns;
                if (st->cpu.n_percpu) {
                        cpu->cpu_usage->percpu_usage = calloc(st->cpu.n_percpu, sizeof(uint64_t));
                        if (!cpu->cpu_usage->percpu_usage)
                                return -ENOMEM;
                        memcpy(cpu->cpu_usage->percpu_usage, st->cpu.percpu_ns,
                               st->cpu.n_percpu * sizeof(uint64_t));
                        cpu->cpu_usage->n_percpu_usage = st->cpu.n_percpu;
                }
                cpu->throttling_data->periods = st->cpu.nr_periods;
                cpu->throttling_data->throttled_periods = st->cpu.nr_throttled;
                cpu->throttling_data->throttled_time = st->cpu.throttled_ns;
        }
        if (st->memory.valid) {
                Grpc__MemoryStats *mem = rpc_new_message(&grpc__memory_stats__descriptor);
                if (!mem)
                        return -ENOMEM;
                cs->memory_stats = mem;
                mem->cache = st->memory.cache;
                mem->usage = rpc_new_message(&grpc__memory_data__descriptor);
                mem->swap_usage = rpc_new_message(&grpc__memory_data__descriptor);
                if (!mem->usage || !mem->swap_usage)
                        return -ENOMEM;
                mem->usage->usage = st->memory.usage;
                mem->usage->max_usage = st->memory.max_usage;
                mem->usage->failcnt = st->memory.failcnt;
                mem->usage->limit = st->memory.limit;
                mem->swap_usage->usage = st->memory.swap_usage;
                mem->swap_usage->limit = st->memory.swap_limit;
                mem->stats = calloc(1, sizeof(*mem->stats));
                if (!mem->stats)
                        return -ENOMEM;
                Grpc__MemoryStats__StatsEntry *oom =
                    rpc_new_message(&grpc__memory_stats__stats_entry__descriptor);
                if (!oom)
                        return -ENOMEM;
                oom->key = rpc_strdup("oom_kill");
                oom->value = st->memory.oom_kills;
                mem->stats[0] = oom;
                mem->n_stats = 1;
        }
        if (st->pids.valid) {
                cs->pids_stats = rpc_new_message(&grpc__pids_stats__descriptor);
                if (!cs->pids_stats)
                        return -ENOMEM;
                cs->pids_stats->current = st->pids.current;
                cs->pids_stats->limit = st->pids.limit;
        }
        if (st->io.valid) {
                Grpc__BlkioStats *io = rpc_new_message(&grpc__blkio_stats__descriptor);
                if (!io)
                        return -ENOMEM;
                cs->blkio_stats = io;
                size_t n = st->io.n_devices * 2;
                io->io_service_bytes_recursive = calloc(n ? n : 1, sizeof(void *));
                io->io_serviced_recursive = calloc(n ? n : 1, sizeof(void *));
                if (!io->io_service_bytes_recursive || !io->io_serviced_recursive)
                        return -ENOMEM;
                for (size_t i = 0; i < st->io.n_devices; i++) {
                        const kata_cgroup_io_device *d = &st->io.devices[i];
                        Grpc__BlkioStatsEntry *e[4] = {
                            blkio_entry(d->major, d->minor, "Read", d->read_bytes),
                            blkio_entry(d->major, d->minor, "Write", d->write_bytes),
                            blkio_entry(d->major, d->minor, "Read", d->read_ios),
                            blkio_entry(d->major, d->minor, "Write", d->write_ios)};
                        io->io_service_bytes_recursive[io->n_io_service_bytes_recursive++] = e[0];
                        io->io_service_bytes_recursive[io->n_io_service_bytes_recursive++] = e[1];
                        io->io_serviced_recursive[io->n_io_serviced_recursive++] = e[2];
                        io->io_serviced_recursive[io->n_io_serviced_recursive++] = e[3];
                        if (!e[0] || !e[1] || !e[2] || !e[3])
                                return -ENOMEM;
                }
        }
        return 0;
}

/* The sandbox's interfaces (containers share its network, as in Kata). */
static int fill_network(Grpc__StatsContainerResponse *resp)
{
        char *text = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_read_file("/proc/net/dev", 1 << 20, &text, NULL, &err) < 0)
                return 0; /* no figures is not an error */
        size_t lines = 0;
        for (const char *p = text; *p; p++)
                lines += *p == '\n';
        resp->network_stats = calloc(lines ? lines : 1, sizeof(void *));
        if (!resp->network_stats) {
                free(text);
                return -ENOMEM;
        }
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(line, ':');
                if (!colon)
                        continue; /* the two header lines */
                *colon = 0;
                unsigned long long v[16];
                if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
                           &v[10], &v[11]) != 12)
                        continue;
                Grpc__NetworkStats *ns = rpc_new_message(&grpc__network_stats__descriptor);
                if (!ns) {
                        free(text);
                        return -ENOMEM;
                }
                ns->name = rpc_strdup(kata_str_trim(line));
                ns->rx_bytes = v[0];
                ns->rx_packets = v[1];
                ns->rx_errors = v[2];
                ns->rx_dropped = v[3];
                ns->tx_bytes = v[8];
                ns->tx_packets = v[9];
                ns->tx_errors = v[10];
                ns->tx_dropped = v[11];
                resp->network_stats[resp->n_network_stats++] = ns;
        }
        free(text);
        return 0;
}

RPC_HANDLER(rpc_stats_container)
{
        struct agent *a = user;
        const Grpc__StatsContainerRequest *req = (const void *)request;
        kata_error err = KATA_ERROR_INIT;
        if (agent_check_id("container_id", req->container_id, false, &err) < 0)
                return rpc_fail(status, &err);
        struct agent_container *c = agent_container_get(a, req->container_id);
        if (!c)
                return kata_ttrpc_status_set(status, KATA_TTRPC_NOT_FOUND, "container %s not found",
                                             req->container_id);
        /* No lock: the reference keeps c alive, and reading cgroup files never waits
         * for a kill or a remove (Kata's deadlock). */
        kata_cgroup_stats *st = calloc(1, sizeof(*st));
        int r = st ? 0 : kata_error_set(&err, ENOMEM, "out of memory");
        if (r == 0 && !c->cgroup)
                r = kata_error_set(&err, ENOTSUP, "container %s has no cgroup", req->container_id);
        if (r == 0)
                r = kata_cgroup_stats_read(c->cgroup, st, &err);
        agent_container_put(a, c);
        if (r < 0) {
                free(st);
                return rpc_fail(status, &err);
        }
        Grpc__StatsContainerResponse *resp =
            rpc_new_message(&grpc__stats_container_response__descriptor);
        if (resp)
                resp->cgroup_stats = rpc_new_message(&grpc__cgroup_stats__descriptor);
        if (!resp || !resp->cgroup_stats || fill_stats(st, resp->cgroup_stats) < 0 ||
            fill_network(resp) < 0) {
                free(st);
                if (resp)
                        protobuf_c_message_free_unpacked(&resp->base, NULL);
                return kata_ttrpc_status_set(status, KATA_TTRPC_RESOURCE_EXHAUSTED,
                                             "out of memory");
        }
        free(st);
        *response = &resp->base;
        return KATA_TTRPC_OK;
}
