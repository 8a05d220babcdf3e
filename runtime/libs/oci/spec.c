/* Queries on a parsed spec and its release. */
#include "oci/oci.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/util.h"
#include "oci/json_field.h"

void kata_oci_process_clear(kata_oci_process *p)
{
        free(p->additional_gids);
        oci_free_string_array(p->args);
        oci_free_string_array(p->env);
        free(p->cwd);
        free(p->rlimits);
        memset(p, 0, sizeof(*p));
}

void kata_oci_resources_clear(kata_oci_resources *r)
{
        free(r->cpuset_cpus);
        free(r->cpuset_mems);
        free(r->devices);
        memset(r, 0, sizeof(*r));
}

void kata_oci_spec_free(kata_oci_spec *spec)
{
        if (!spec)
                return;
        free(spec->oci_version);
        free(spec->root_path);
        free(spec->hostname);
        kata_oci_process_clear(&spec->process);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                free(spec->mounts[i].destination);
                free(spec->mounts[i].type);
                free(spec->mounts[i].source);
                oci_free_string_array(spec->mounts[i].options);
        }
        free(spec->mounts);
        for (size_t i = 0; i < spec->linux.n_namespaces; i++)
                free(spec->linux.namespaces[i].path);
        free(spec->linux.namespaces);
        free(spec->linux.cgroups_path);
        kata_oci_resources_clear(&spec->linux.resources);
        oci_free_string_array(spec->linux.masked_paths);
        oci_free_string_array(spec->linux.readonly_paths);
        free(spec);
}

bool kata_oci_spec_has_namespace(const kata_oci_spec *spec, enum kata_oci_ns_type type,
                                 const char **path)
{
        for (size_t i = 0; i < spec->linux.n_namespaces; i++) {
                if (spec->linux.namespaces[i].type == type) {
                        if (path)
                                *path = spec->linux.namespaces[i].path;
                        return true;
                }
        }
        return false;
}

int kata_oci_ns_clone_flag(enum kata_oci_ns_type type)
{
        switch (type) {
        case KATA_OCI_NS_PID:
                return CLONE_NEWPID;
        case KATA_OCI_NS_NETWORK:
                return CLONE_NEWNET;
        case KATA_OCI_NS_MOUNT:
                return CLONE_NEWNS;
        case KATA_OCI_NS_IPC:
                return CLONE_NEWIPC;
        case KATA_OCI_NS_UTS:
                return CLONE_NEWUTS;
        case KATA_OCI_NS_USER:
                return CLONE_NEWUSER;
        case KATA_OCI_NS_CGROUP:
                return CLONE_NEWCGROUP;
        }
        return 0;
}

static const struct {
        const char *name;
        bool clear;
        unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"dirsync", false, MS_DIRSYNC},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
    {"defaults", false, 0},
};

static const struct {
        const char *name;
        unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int kata_oci_mount_parse_options(const kata_oci_mount *mount, unsigned long *flags,
                                 unsigned long *propagation, char **data, kata_error *err)
{
        size_t cap = 1;
        for (size_t i = 0; i < mount->n_options; i++)
                cap += strlen(mount->options[i]) + 1;
        char *d = calloc(1, cap);
        if (!d)
                return kata_error_set(err, ENOMEM, "out of memory");
        *flags = 0;
        *propagation = 0;
        for (size_t i = 0; i < mount->n_options; i++) {
                const char *o = mount->options[i];
                bool known = false;
                for (size_t k = 0; k < KATA_ARRAY_SIZE(mount_flags) && !known; k++) {
                        if (strcmp(o, mount_flags[k].name) == 0) {
                                known = true;
                                if (mount_flags[k].clear)
                                        *flags &= ~mount_flags[k].flag;
                                else
                                        *flags |= mount_flags[k].flag;
                        }
                }
                for (size_t k = 0; k < KATA_ARRAY_SIZE(propagation_flags) && !known; k++) {
                        if (strcmp(o, propagation_flags[k].name) == 0) {
                                known = true;
                                *propagation |= propagation_flags[k].flag;
                        }
                }
                if (known)
                        continue;
                if (d[0])
                        strcat(d, ",");
                strcat(d, o);
        }
        *data = d;
        return 0;
}

const char *kata_oci_env_get(char *const *env, const char *key)
{
        size_t klen = strlen(key);
        for (; env && *env; env++)
                if (strncmp(*env, key, klen) == 0 && (*env)[klen] == '=')
                        return *env + klen + 1;
        return NULL;
}
