/* In-memory sandbox state: containers, cgroups, status names. */
#include "state/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void kata_sandbox_state_init(kata_sandbox_state *st)
{
        memset(st, 0, sizeof(*st));
        st->version = KATA_STATE_VERSION;
}

void kata_sandbox_state_free(kata_sandbox_state *st)
{
        if (!st)
                return;
        free(st->cgroups);
        free(st->containers);
        memset(st, 0, sizeof(*st));
}

int kata_sandbox_state_add_container(kata_sandbox_state *st, const kata_container_state *c,
                                     kata_error *err)
{
        if (!kata_id_is_valid(c->id))
                return kata_error_set(err, EINVAL, "invalid container id '%.*s'", KATA_STATE_ID_MAX,
                                      c->id);
        if (kata_sandbox_state_find_container(st, c->id))
                return kata_error_set(err, EEXIST, "container %s already exists in sandbox %s",
                                      c->id, st->id);
        kata_container_state *n =
            realloc(st->containers, (st->ncontainers + 1) * sizeof(*st->containers));
        if (!n)
                return kata_error_set(err, ENOMEM, "out of memory adding container %s", c->id);
        st->containers = n;
        st->containers[st->ncontainers++] = *c;
        return 0;
}

kata_container_state *kata_sandbox_state_find_container(kata_sandbox_state *st, const char *cid)
{
        for (size_t i = 0; i < st->ncontainers; i++) {
                if (strcmp(st->containers[i].id, cid) == 0)
                        return &st->containers[i];
        }
        return NULL;
}

int kata_sandbox_state_remove_container(kata_sandbox_state *st, const char *cid, kata_error *err)
{
        kata_container_state *c = kata_sandbox_state_find_container(st, cid);
        if (!c)
                return kata_error_set(err, ENOENT, "no container %s in sandbox %s", cid, st->id);
        size_t i = (size_t)(c - st->containers);
        memmove(c, c + 1, (st->ncontainers - i - 1) * sizeof(*c));
        st->ncontainers--;
        return 0;
}

static int copy_field(char *dst, size_t size, const char *src, const char *what, kata_error *err)
{
        size_t n = strlen(src);
        if (n >= size)
                return kata_error_set(err, ENAMETOOLONG, "%s is %zu bytes, at most %zu allowed",
                                      what, n, size - 1);
        memcpy(dst, src, n + 1);
        return 0;
}

int kata_sandbox_state_set_cgroup(kata_sandbox_state *st, const char *controller, const char *path,
                                  kata_error *err)
{
        kata_state_cgroup cg;
        int r =
            copy_field(cg.controller, sizeof(cg.controller), controller, "cgroup controller", err);
        if (r < 0)
                return r;
        if (!controller[0])
                return kata_error_set(err, EINVAL, "empty cgroup controller name");
        r = copy_field(cg.path, sizeof(cg.path), path, "cgroup path", err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < st->ncgroups; i++) {
                if (strcmp(st->cgroups[i].controller, controller) == 0) {
                        st->cgroups[i] = cg;
                        return 0;
                }
        }
        if (st->ncgroups >= KATA_STATE_CGROUP_MAX)
                return kata_error_set(err, E2BIG, "more than %d cgroup controllers",
                                      KATA_STATE_CGROUP_MAX);
        kata_state_cgroup *n = realloc(st->cgroups, (st->ncgroups + 1) * sizeof(*st->cgroups));
        if (!n)
                return kata_error_set(err, ENOMEM, "out of memory");
        st->cgroups = n;
        st->cgroups[st->ncgroups++] = cg;
        return 0;
}

const char *kata_sandbox_state_cgroup(const kata_sandbox_state *st, const char *controller)
{
        for (size_t i = 0; i < st->ncgroups; i++) {
                if (strcmp(st->cgroups[i].controller, controller) == 0)
                        return st->cgroups[i].path;
        }
        return NULL;
}

static const char *const sandbox_status_names[] = {
    [KATA_SANDBOX_CREATED] = "created",
    [KATA_SANDBOX_RUNNING] = "running",
    [KATA_SANDBOX_STOPPED] = "stopped",
};

static const char *const container_status_names[] = {
    [KATA_CONTAINER_CREATED] = "created",
    [KATA_CONTAINER_RUNNING] = "running",
    [KATA_CONTAINER_PAUSED] = "paused",
    [KATA_CONTAINER_STOPPED] = "stopped",
};

const char *kata_sandbox_status_name(enum kata_sandbox_status s)
{
        if ((unsigned)s < KATA_ARRAY_SIZE(sandbox_status_names))
                return sandbox_status_names[s];
        return NULL;
}

int kata_sandbox_status_parse(const char *name, enum kata_sandbox_status *out)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(sandbox_status_names); i++) {
                if (strcmp(name, sandbox_status_names[i]) == 0) {
                        *out = (enum kata_sandbox_status)i;
                        return 0;
                }
        }
        return -EINVAL;
}

const char *kata_container_status_name(enum kata_container_status s)
{
        if ((unsigned)s < KATA_ARRAY_SIZE(container_status_names))
                return container_status_names[s];
        return NULL;
}

int kata_container_status_parse(const char *name, enum kata_container_status *out)
{
        for (size_t i = 0; i < KATA_ARRAY_SIZE(container_status_names); i++) {
                if (strcmp(name, container_status_names[i]) == 0) {
                        *out = (enum kata_container_status)i;
                        return 0;
                }
        }
        return -EINVAL;
}
