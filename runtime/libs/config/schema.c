#include "config/schema.h"

#include <string.h>

#include "common/util.h"
#include "config/config.h"

const char *const kata_config_hypervisor_names[] = {
    "local", "qemu", "firecracker", "clh", "dragonball", "stratovirt", "remote", NULL,
};

static const char *const internetworking_models[] = {"tcfilter", "macvtap", "none", NULL};

#define HV(field) offsetof(struct kata_hypervisor_config, field)
#define AG(field) offsetof(struct kata_agent_config, field)
#define RT(field) offsetof(struct kata_runtime_config, field)
#define IGNORED(key)                                                                               \
        {                                                                                          \
                key, KATA_KEY_IGNORED, 0, 0, 0, NULL, NULL                                         \
        }

static const struct kata_config_key hypervisor_keys[] = {
    {"path", KATA_KEY_PATH, HV(path), 0, 0, NULL, NULL},
    {"kernel", KATA_KEY_PATH, HV(kernel), 0, 0, NULL, NULL},
    {"initrd", KATA_KEY_PATH, HV(initrd), 0, 0, NULL, NULL},
    {"image", KATA_KEY_PATH, HV(image), 0, 0, NULL, NULL},
    {"machine_type", KATA_KEY_STRING, HV(machine_type), 0, 0, NULL, NULL},
    {"default_vcpus", KATA_KEY_U32, HV(default_vcpus), 1, 1024, NULL, NULL},
    {"default_memory", KATA_KEY_U32, HV(default_memory), 64, 4194304, NULL, NULL},
    {"kernel_params", KATA_KEY_STRING, HV(kernel_params), 0, 0, NULL, NULL},
    {"enable_debug", KATA_KEY_BOOL, HV(enable_debug), 0, 0, NULL, NULL},
    {"agent_path", KATA_KEY_PATH, HV(agent_path), 0, 0, "local", NULL},
    {"cgroup_parent", KATA_KEY_STRING, HV(cgroup_parent), 0, 0, NULL, NULL},
    {"use_vhost_vsock", KATA_KEY_BOOL, HV(use_vhost_vsock), 0, 0, "qemu", NULL},
    /* Kata's hypervisor keys that our drivers do not use. */
    IGNORED("block_device_aio"),
    IGNORED("block_device_cache_direct"),
    IGNORED("block_device_cache_noflush"),
    IGNORED("block_device_cache_set"),
    IGNORED("block_device_driver"),
    IGNORED("cold_plug_vfio"),
    IGNORED("confidential_guest"),
    IGNORED("cpu_features"),
    IGNORED("ctlpath"),
    IGNORED("default_bridges"),
    IGNORED("default_maxmemory"),
    IGNORED("default_maxvcpus"),
    IGNORED("disable_block_device_use"),
    IGNORED("disable_guest_selinux"),
    IGNORED("disable_image_nvdimm"),
    IGNORED("disable_nesting_checks"),
    IGNORED("disable_selinux"),
    IGNORED("disable_vhost_net"),
    IGNORED("enable_annotations"),
    IGNORED("enable_guest_swap"),
    IGNORED("enable_hugepages"),
    IGNORED("enable_iommu"),
    IGNORED("enable_iommu_platform"),
    IGNORED("enable_iothreads"),
    IGNORED("enable_mem_prealloc"),
    IGNORED("enable_vhost_user_store"),
    IGNORED("extra_monitor_socket"),
    IGNORED("enable_virtio_mem"),
    IGNORED("entropy_source"),
    IGNORED("file_mem_backend"),
    IGNORED("firmware"),
    IGNORED("firmware_volume"),
    IGNORED("guest_hook_path"),
    IGNORED("guest_memory_dump_paging"),
    IGNORED("guest_memory_dump_path"),
    IGNORED("hot_plug_vfio"),
    IGNORED("hotplug_vfio_on_root_bus"),
    IGNORED("jailer_path"),
    IGNORED("machine_accelerators"),
    IGNORED("memory_offset"),
    IGNORED("memory_slots"),
    IGNORED("msize_9p"),
    IGNORED("pcie_root_port"),
    IGNORED("pflashes"),
    IGNORED("reclaim_guest_freed_memory"),
    IGNORED("rootfs_type"),
    IGNORED("rootless"),
    IGNORED("rx_rate_limiter_max_rate"),
    IGNORED("seccompsandbox"),
    IGNORED("sev_snp_guest"),
    IGNORED("shared_fs"),
    IGNORED("tx_rate_limiter_max_rate"),
    IGNORED("use_legacy_serial"),
    IGNORED("valid_ctlpaths"),
    IGNORED("valid_entropy_sources"),
    IGNORED("valid_file_mem_backends"),
    IGNORED("valid_hypervisor_paths"),
    IGNORED("valid_jailer_paths"),
    IGNORED("valid_vhost_user_store_paths"),
    IGNORED("valid_virtio_fs_daemon_paths"),
    IGNORED("vhost_user_reconnect_timeout_sec"),
    IGNORED("vhost_user_store_path"),
    IGNORED("virtio_fs_cache"),
    IGNORED("virtio_fs_cache_size"),
    IGNORED("virtio_fs_daemon"),
    IGNORED("virtio_fs_extra_args"),
    IGNORED("virtio_fs_inode_file_handles"),
    IGNORED("virtio_fs_queue_size"),
};

static const struct kata_config_key agent_keys[] = {
    {"enable_tracing", KATA_KEY_BOOL, AG(enable_tracing), 0, 0, NULL, NULL},
    {"enable_debug", KATA_KEY_BOOL, AG(enable_debug), 0, 0, NULL, NULL},
    {"debug_console_enabled", KATA_KEY_BOOL, AG(debug_console_enabled), 0, 0, NULL, NULL},
    {"dial_timeout", KATA_KEY_U32, AG(dial_timeout), 1, 3600, NULL, NULL},
    {"kernel_modules", KATA_KEY_STRING_LIST, AG(kernel_modules), 0, 0, NULL, NULL},
    IGNORED("cdh_api_timeout"),
    IGNORED("container_pipe_size"),
    IGNORED("enable_agent_metrics"),
};

static const struct kata_config_key runtime_keys[] = {
    {"enable_debug", KATA_KEY_BOOL, RT(enable_debug), 0, 0, NULL, NULL},
    {"enable_tracing", KATA_KEY_BOOL, RT(enable_tracing), 0, 0, NULL, NULL},
    {"sandbox_cgroup_only", KATA_KEY_BOOL, RT(sandbox_cgroup_only), 0, 0, NULL, NULL},
    {"static_sandbox_resource_mgmt", KATA_KEY_BOOL, RT(static_sandbox_resource_mgmt), 0, 0, NULL,
     NULL},
    {"internetworking_model", KATA_KEY_CHOICE, RT(internetworking_model), 0, 0, NULL,
     internetworking_models},
    {"state_root", KATA_KEY_PATH, RT(state_root), 0, 0, NULL, NULL},
    IGNORED("create_container_timeout"),
    IGNORED("dan_conf"),
    IGNORED("disable_guest_empty_dir"),
    IGNORED("disable_guest_seccomp"),
    IGNORED("disable_new_netns"),
    IGNORED("enable_cpu_memory_hotplug"),
    IGNORED("enable_pprof"),
    IGNORED("enable_vcpus_pinning"),
    IGNORED("experimental"),
    IGNORED("guest_selinux_label"),
    IGNORED("jaeger_endpoint"),
    IGNORED("jaeger_password"),
    IGNORED("jaeger_user"),
    IGNORED("sandbox_bind_mounts"),
    IGNORED("vfio_mode"),
};

enum kata_config_section_kind kata_config_section_kind(const char *name, const char **hv_name)
{
        if (kata_str_startswith(name, "hypervisor.")) {
                if (hv_name)
                        *hv_name = name + strlen("hypervisor.");
                return KATA_SECTION_HYPERVISOR;
        }
        if (strcmp(name, "agent.kata") == 0)
                return KATA_SECTION_AGENT;
        if (strcmp(name, "runtime") == 0)
                return KATA_SECTION_RUNTIME;
        if (strcmp(name, "factory") == 0 || strcmp(name, "image") == 0)
                return KATA_SECTION_IGNORED;
        return KATA_SECTION_UNKNOWN;
}

static const struct kata_config_key *find_in(const struct kata_config_key *keys, size_t n,
                                             const char *key)
{
        for (size_t i = 0; i < n; i++) {
                if (strcmp(keys[i].name, key) == 0)
                        return &keys[i];
        }
        return NULL;
}

const struct kata_config_key *kata_config_schema_find(enum kata_config_section_kind section,
                                                      const char *key)
{
        switch (section) {
        case KATA_SECTION_HYPERVISOR:
                return find_in(hypervisor_keys, KATA_ARRAY_SIZE(hypervisor_keys), key);
        case KATA_SECTION_AGENT:
                return find_in(agent_keys, KATA_ARRAY_SIZE(agent_keys), key);
        case KATA_SECTION_RUNTIME:
                return find_in(runtime_keys, KATA_ARRAY_SIZE(runtime_keys), key);
        default:
                return NULL;
        }
}

size_t kata_config_schema_index(enum kata_config_section_kind section,
                                const struct kata_config_key *key)
{
        switch (section) {
        case KATA_SECTION_HYPERVISOR:
                return (size_t)(key - hypervisor_keys);
        case KATA_SECTION_AGENT:
                return (size_t)(key - agent_keys);
        case KATA_SECTION_RUNTIME:
                return (size_t)(key - runtime_keys);
        default:
                return 0;
        }
}

_Static_assert(KATA_ARRAY_SIZE(hypervisor_keys) <= KATA_CONFIG_MAX_SECTION_KEYS &&
                   KATA_ARRAY_SIZE(agent_keys) <= KATA_CONFIG_MAX_SECTION_KEYS &&
                   KATA_ARRAY_SIZE(runtime_keys) <= KATA_CONFIG_MAX_SECTION_KEYS,
               "a schema table outgrew KATA_CONFIG_MAX_SECTION_KEYS");

bool kata_config_hypervisor_known(const char *name)
{
        for (size_t i = 0; kata_config_hypervisor_names[i]; i++) {
                if (strcmp(kata_config_hypervisor_names[i], name) == 0)
                        return true;
        }
        return false;
}
