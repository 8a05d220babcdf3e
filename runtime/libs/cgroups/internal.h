/* Shared by the files of the cgroups library; not part of its API. */
#ifndef KATA_CGROUPS_INTERNAL_H
#define KATA_CGROUPS_INTERNAL_H

#include <limits.h>

#include "cgroups/cgroups.h"

#define KATA_CGROUP_MAX_HIERARCHIES 16

typedef struct kata_cgroup_hierarchy {
        char *mount;
        bool v2;
        bool named;    /* a v1 "name=..." hierarchy without controllers (name=systemd) */
        unsigned mask; /* 1u << controller, for the controllers served from here */
} kata_cgroup_hierarchy;

struct kata_cgroup_layout {
        enum kata_cgroup_mode mode;
        char *root;
        kata_cgroup_hierarchy h[KATA_CGROUP_MAX_HIERARCHIES];
        size_t nh;
        int ctrl_h[KATA_CGROUP_NR_CONTROLLERS]; /* index into h, -1 when unavailable */
        int unified_h;                          /* -1 without cgroup2 */
};

struct kata_cgroup {
        const kata_cgroup_layout *layout;
        char rel[KATA_CGROUP_PATH_MAX];
        char *dir[KATA_CGROUP_MAX_HIERARCHIES];
        /* Depth (1 = first component) of the shallowest directory this handle created in
         * each hierarchy; 0 when it created none. */
        int created_depth[KATA_CGROUP_MAX_HIERARCHIES];
};

/* "<dir of c>/<file>" into buf; -ENOENT (err set) when c is unavailable. */
int cg_file(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file, char *buf,
            size_t size, kata_error *err);
bool cg_has(const kata_cgroup *cg, enum kata_cgroup_controller c);
bool cg_on_v2(const kata_cgroup *cg, enum kata_cgroup_controller c);
bool cg_file_exists(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file);
int cg_read(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file, char **out,
            kata_error *err);
int cg_write(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
             const char *value, kata_error *err);
/* One number; "max" and "-1" read as KATA_CGROUP_UNLIMITED. */
int cg_read_u64(const kata_cgroup *cg, enum kata_cgroup_controller c, const char *file,
                uint64_t *out, kata_error *err);

/* Value of "key N" in a flat-keyed file (memory.stat, cpu.stat, memory.events...).
 * Returns 0, or -ENOENT when the key is absent, -EINVAL when its value is not a number. */
int cg_parse_key(const char *text, const char *key, uint64_t *out);

void cg_sleep_ms(int ms);

#endif
