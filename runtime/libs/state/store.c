/* state.json files under a root directory, the container index, and their locks. */
#include "state/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

/* Writers wait this long for another CLI call holding a sandbox or the index. */
#define LOCK_TIMEOUT_MS 30000

static const char *root_or_default(const char *root)
{
        return (root && root[0]) ? root : KATA_STATE_DEFAULT_ROOT;
}

static int path_fmt(char *buf, size_t size, kata_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int path_fmt(char *buf, size_t size, kata_error *err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= size)
                return kata_error_set(err, ENAMETOOLONG, "state path too long");
        return 0;
}

static int check_id(const char *what, const char *id, kata_error *err)
{
        if (kata_id_is_valid(id))
                return 0;
        if (!id || !id[0])
                return kata_error_set(err, EINVAL, "invalid %s id: empty", what);
        if (strlen(id) > KATA_STATE_ID_MAX)
                return kata_error_set(err, EINVAL, "invalid %s id: longer than %d bytes", what,
                                      KATA_STATE_ID_MAX);
        return kata_error_set(err, EINVAL,
                              "invalid %s id '%s': use 1-%d of [A-Za-z0-9_.-], not starting with "
                              "'.' or '-'",
                              what, id, KATA_STATE_ID_MAX);
}

int kata_state_sandbox_path(const char *root, const char *sid, const char *name, char *buf,
                            size_t size, kata_error *err)
{
        int r = check_id("sandbox", sid, err);
        if (r < 0)
                return r;
        root = root_or_default(root);
        if (name)
                return path_fmt(buf, size, err, "%s/%s/%s", root, sid, name);
        return path_fmt(buf, size, err, "%s/%s", root, sid);
}

/* ---- Locks ------------------------------------------------------------------------- */

/* flock has no timeout: poll it, backing off up to 10 ms. */
static int flock_wait(int fd, int timeout_ms)
{
        uint64_t deadline =
            timeout_ms < 0 ? 0 : kata_now_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
        long sleep_ns = 100000;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (deadline && kata_now_monotonic_ns() >= deadline)
                        return -ETIMEDOUT;
                struct timespec ts = {0, sleep_ns};
                nanosleep(&ts, NULL);
                if (sleep_ns < 10000000)
                        sleep_ns *= 2;
        }
}

/* Locks the directory at path; -ENOENT when it is missing or was removed meanwhile. */
static int lock_dir(const char *path, int timeout_ms, const char *what, kata_error *err)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return kata_error_set(err, ENOENT, "%s does not exist", what);
                return kata_error_errno(err, errno, "cannot open %s", path);
        }
        int r = flock_wait(fd, timeout_ms);
        if (r < 0) {
                close(fd);
                if (r == -ETIMEDOUT)
                        return kata_error_set(err, ETIMEDOUT,
                                              "%s is locked by another process (waited %d ms)",
                                              what, timeout_ms);
                return kata_error_errno(err, -r, "cannot lock %s", path);
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
                close(fd);
                return kata_error_set(err, ENOENT, "%s was removed", what);
        }
        return fd;
}

int kata_state_lock_acquire(const char *root, const char *sid, int timeout_ms,
                            kata_state_lock *lock, kata_error *err)
{
        lock->fd = -1;
        char path[PATH_MAX], what[KATA_STATE_ID_MAX + 16];
        int r = kata_state_sandbox_path(root, sid, NULL, path, sizeof(path), err);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "sandbox %s", sid);
        int fd = lock_dir(path, timeout_ms, what, err);
        if (fd < 0)
                return fd;
        lock->fd = fd;
        return 0;
}

void kata_state_lock_release(kata_state_lock *lock)
{
        if (lock && lock->fd >= 0) {
                close(lock->fd); /* drops the flock */
                lock->fd = -1;
        }
}

static int ensure_index_dir(const char *root, kata_error *err)
{
        char path[PATH_MAX];
        int r = path_fmt(path, sizeof(path), err, "%s/%s", root, KATA_STATE_INDEX_DIR);
        if (r < 0)
                return r;
        return kata_mkdir_p(path, 0711, err);
}

static int lock_index(const char *root, kata_error *err)
{
        char path[PATH_MAX];
        int r = path_fmt(path, sizeof(path), err, "%s/%s", root, KATA_STATE_INDEX_DIR);
        if (r < 0)
                return r;
        if ((r = kata_mkdir_p(path, 0711, err)) < 0)
                return r;
        return lock_dir(path, LOCK_TIMEOUT_MS, "the container index", err);
}

/* ---- Index ------------------------------------------------------------------------- */

/* Index entries are symlinks <root>/containers/<cid> -> ../<sid>: creating one is atomic
 * and fails when the id is taken, and reading one is a single readlink. */

static int index_read(const char *root, const char *cid, char *sid, kata_error *err)
{
        char path[PATH_MAX], target[KATA_STATE_ID_MAX + 8];
        int r = path_fmt(path, sizeof(path), err, "%s/%s/%s", root, KATA_STATE_INDEX_DIR, cid);
        if (r < 0)
                return r;
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0) {
                if (errno == ENOENT)
                        return kata_error_set(err, ENOENT, "no container %s", cid);
                return kata_error_errno(err, errno, "cannot read index entry %s", path);
        }
        target[n] = '\0';
        if (strncmp(target, "../", 3) != 0 || !kata_id_is_valid(target + 3))
                return kata_error_set(err, EINVAL, "index entry %s is corrupt (points to '%s')",
                                      path, target);
        memcpy(sid, target + 3, (size_t)n - 3 + 1);
        return 0;
}

int kata_state_find_sandbox(const char *root, const char *cid, char *sid, kata_error *err)
{
        int r = check_id("container", cid, err);
        if (r < 0)
                return r;
        return index_read(root_or_default(root), cid, sid, err);
}

static int index_add(const char *root, const char *cid, const char *sid, kata_error *err)
{
        char path[PATH_MAX], target[KATA_STATE_ID_MAX + 8];
        int r = path_fmt(path, sizeof(path), err, "%s/%s/%s", root, KATA_STATE_INDEX_DIR, cid);
        if (r < 0)
                return r;
        snprintf(target, sizeof(target), "../%s", sid);
        if (symlink(target, path) == 0)
                return 0;
        if (errno == EEXIST) {
                char other[KATA_STATE_ID_MAX + 1];
                kata_error ignored = KATA_ERROR_INIT;
                if (index_read(root, cid, other, &ignored) == 0)
                        return kata_error_set(err, EEXIST,
                                              "container id %s is already used in sandbox %s", cid,
                                              other);
                return kata_error_set(err, EEXIST, "container id %s is already used", cid);
        }
        return kata_error_errno(err, errno, "cannot create index entry %s", path);
}

/* Removes cid's entry when it still points to sid. */
static int index_remove(const char *root, const char *cid, const char *sid, kata_error *err)
{
        char cur[KATA_STATE_ID_MAX + 1];
        kata_error ignored = KATA_ERROR_INIT;
        if (index_read(root, cid, cur, &ignored) < 0 || strcmp(cur, sid) != 0)
                return 0;
        char path[PATH_MAX];
        int r = path_fmt(path, sizeof(path), err, "%s/%s/%s", root, KATA_STATE_INDEX_DIR, cid);
        if (r < 0)
                return r;
        if (unlink(path) < 0 && errno != ENOENT)
                return kata_error_errno(err, errno, "cannot remove index entry %s", path);
        return 0;
}

/* Removes every index entry that points to sid (also those a failed write left behind). */
static int index_remove_sandbox(const char *root, const char *sid, kata_error *err)
{
        char path[PATH_MAX];
        int r = path_fmt(path, sizeof(path), err, "%s/%s", root, KATA_STATE_INDEX_DIR);
        if (r < 0)
                return r;
        DIR *d = opendir(path);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return kata_error_errno(err, errno, "cannot read %s", path);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || !kata_id_is_valid(de->d_name))
                        continue;
                if ((r = index_remove(root, de->d_name, sid, err)) < 0)
                        break;
        }
        closedir(d);
        return r < 0 ? r : 0;
}

/* ---- Load and save ----------------------------------------------------------------- */

static int load_file(const char *root, const char *sid, kata_sandbox_state *st, kata_error *err)
{
        char path[PATH_MAX];
        int r = kata_state_sandbox_path(root, sid, KATA_STATE_FILENAME, path, sizeof(path), err);
        if (r < 0)
                return r;
        char *buf;
        size_t len;
        kata_sandbox_state_init(st);
        r = kata_read_file(path, KATA_STATE_MAX_SIZE, &buf, &len, err);
        if (r == -ENOENT) {
                char dir[PATH_MAX];
                kata_state_sandbox_path(root, sid, NULL, dir, sizeof(dir), NULL);
                if (access(dir, F_OK) < 0)
                        return kata_error_set(err, ENOENT, "sandbox %s does not exist", sid);
                return kata_error_set(err, ENOENT, "sandbox %s: %s is missing", sid, path);
        }
        if (r < 0)
                return kata_error_prefix(err, "sandbox %s", sid);
        r = kata_sandbox_state_from_json(buf, len, st, err);
        free(buf);
        if (r < 0)
                return kata_error_prefix(err, "sandbox %s: %s", sid, path);
        if (strcmp(st->id, sid) != 0) {
                kata_error_set(err, EINVAL, "sandbox %s: %s: id: '%s' does not match its directory",
                               sid, path, st->id);
                kata_sandbox_state_free(st);
                return -EINVAL;
        }
        return 0;
}

int kata_state_load(const char *root, const char *sid, kata_sandbox_state *st, kata_error *err)
{
        int r = check_id("sandbox", sid, err);
        if (r < 0) {
                kata_sandbox_state_init(st);
                return r;
        }
        return load_file(root_or_default(root), sid, st, err);
}

static int save_in(const char *dir, const kata_sandbox_state *st, kata_error *err)
{
        char *json;
        int r = kata_sandbox_state_to_json(st, &json, err);
        if (r < 0)
                return r;
        char path[PATH_MAX];
        r = path_fmt(path, sizeof(path), err, "%s/%s", dir, KATA_STATE_FILENAME);
        if (r == 0)
                r = kata_write_file_replace(path, json, strlen(json), 0644, err);
        free(json);
        return r;
}

int kata_state_save(const char *root, const kata_sandbox_state *st, kata_error *err)
{
        char dir[PATH_MAX];
        int r = kata_state_sandbox_path(root, st->id, NULL, dir, sizeof(dir), err);
        if (r < 0)
                return r;
        return save_in(dir, st, err);
}

/* ---- Removing a directory tree ----------------------------------------------------- */

/* Removes the contents of dirfd without following symlinks or crossing into other
 * filesystems (a mount point left inside a sandbox directory must stop removal). */
static int remove_contents(int dirfd, dev_t dev, int depth, const char *where, kata_error *err)
{
        if (depth > 16)
                return kata_error_set(err, ELOOP, "%s: directories nested too deep", where);
        int dupfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
        DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
        if (!d) {
                if (dupfd >= 0)
                        close(dupfd);
                return kata_error_errno(err, errno, "cannot read %s", where);
        }
        int r = 0;
        struct dirent *de;
        while (r == 0 && (de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                struct stat st;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = kata_error_errno(err, errno, "cannot inspect %s/%s", where, de->d_name);
                        break;
                }
                int flags = 0;
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev != dev) {
                                r = kata_error_set(err, EBUSY, "%s/%s is a mount point", where,
                                                   de->d_name);
                                break;
                        }
                        int sub = openat(dirfd, de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                r = kata_error_errno(err, errno, "cannot open %s/%s", where,
                                                     de->d_name);
                                break;
                        }
                        r = remove_contents(sub, dev, depth + 1, where, err);
                        close(sub);
                        flags = AT_REMOVEDIR;
                }
                if (r == 0 && unlinkat(dirfd, de->d_name, flags) < 0 && errno != ENOENT)
                        r = kata_error_errno(err, errno, "cannot remove %s/%s", where, de->d_name);
        }
        closedir(d);
        return r;
}

static int remove_tree(const char *path, kata_error *err)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return kata_error_errno(err, errno, "cannot open %s", path);
        struct stat st;
        int r = fstat(fd, &st) < 0 ? kata_error_errno(err, errno, "cannot inspect %s", path)
                                   : remove_contents(fd, st.st_dev, 0, path, err);
        close(fd);
        if (r == 0 && rmdir(path) < 0)
                r = kata_error_errno(err, errno, "cannot remove %s", path);
        return r;
}

/* ---- Create, update, remove -------------------------------------------------------- */

int kata_state_create(const char *root, const kata_sandbox_state *st, kata_error *err)
{
        int r = check_id("sandbox", st->id, err);
        if (r < 0)
                return r;
        root = root_or_default(root);
        if ((r = kata_mkdir_p(root, 0711, err)) < 0 || (r = ensure_index_dir(root, err)) < 0)
                return kata_error_prefix(err, "state root %s", root);
        char final[PATH_MAX], tmp[PATH_MAX];
        if ((r = kata_state_sandbox_path(root, st->id, NULL, final, sizeof(final), err)) < 0 ||
            (r = path_fmt(tmp, sizeof(tmp), err, "%s/.new-%s-XXXXXX", root, st->id)) < 0)
                return r;
        if (access(final, F_OK) == 0)
                return kata_error_set(err, EEXIST, "sandbox %s already exists", st->id);
        /* Build the directory under a hidden name and rename it into place, so that
         * readers see either no sandbox or a complete one. */
        if (!mkdtemp(tmp))
                return kata_error_errno(err, errno, "cannot create a directory in %s", root);
        chmod(tmp, 0711);
        int lockfd = lock_dir(tmp, LOCK_TIMEOUT_MS, "new sandbox directory", err);
        if (lockfd < 0) {
                rmdir(tmp);
                return lockfd;
        }
        if ((r = save_in(tmp, st, err)) < 0)
                goto fail_tmp;
        int index_fd = lock_index(root, err);
        if (index_fd < 0) {
                r = index_fd;
                goto fail_tmp;
        }
        size_t added = 0;
        for (; added < st->ncontainers; added++) {
                if ((r = index_add(root, st->containers[added].id, st->id, err)) < 0)
                        break;
        }
        if (r == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) < 0) {
                if (errno == EEXIST)
                        r = kata_error_set(err, EEXIST, "sandbox %s already exists", st->id);
                else
                        r = kata_error_errno(err, errno, "cannot create %s", final);
        }
        if (r < 0) {
                for (size_t i = 0; i < added; i++)
                        index_remove(root, st->containers[i].id, st->id, NULL);
        }
        close(index_fd);
        if (r == 0) {
                close(lockfd);
                return 0;
        }
fail_tmp:
        remove_tree(tmp, NULL);
        close(lockfd);
        return r;
}

int kata_state_update(const char *root, const char *sid, kata_state_update_fn fn, void *ctx,
                      kata_error *err)
{
        kata_state_lock lock;
        int r = kata_state_lock_acquire(root, sid, LOCK_TIMEOUT_MS, &lock, err);
        if (r < 0)
                return r;
        kata_sandbox_state st;
        r = kata_state_load(root, sid, &st, err);
        if (r == 0) {
                r = fn(&st, ctx, err);
                if (r == 0 && strcmp(st.id, sid) != 0)
                        r = kata_error_set(err, EINVAL,
                                           "sandbox %s: an update may not change its id", sid);
                if (r == 0)
                        r = kata_state_save(root, &st, err);
                kata_sandbox_state_free(&st);
        }
        kata_state_lock_release(&lock);
        return r;
}

int kata_state_add_container(const char *root, const char *sid, const kata_container_state *c,
                             kata_error *err)
{
        int r = check_id("container", c->id, err);
        if (r < 0)
                return r;
        root = root_or_default(root);
        kata_state_lock lock;
        if ((r = kata_state_lock_acquire(root, sid, LOCK_TIMEOUT_MS, &lock, err)) < 0)
                return r;
        kata_sandbox_state st;
        if ((r = kata_state_load(root, sid, &st, err)) < 0)
                goto out_unlock;
        if ((r = kata_sandbox_state_add_container(&st, c, err)) < 0)
                goto out_free;
        int index_fd = lock_index(root, err);
        if (index_fd < 0) {
                r = index_fd;
                goto out_free;
        }
        r = index_add(root, c->id, sid, err);
        if (r == 0) {
                r = kata_state_save(root, &st, err);
                if (r < 0)
                        index_remove(root, c->id, sid, NULL);
        }
        close(index_fd);
out_free:
        kata_sandbox_state_free(&st);
out_unlock:
        kata_state_lock_release(&lock);
        return r;
}

int kata_state_remove_container(const char *root, const char *cid, kata_error *err)
{
        root = root_or_default(root);
        char sid[KATA_STATE_ID_MAX + 1];
        int r = kata_state_find_sandbox(root, cid, sid, err);
        if (r < 0)
                return r;
        kata_state_lock lock;
        r = kata_state_lock_acquire(root, sid, LOCK_TIMEOUT_MS, &lock, err);
        if (r == -ENOENT) {
                /* The sandbox is gone: the entry is stale. */
                int index_fd = lock_index(root, NULL);
                index_remove(root, cid, sid, NULL);
                if (index_fd >= 0)
                        close(index_fd);
                return kata_error_set(err, ENOENT, "no container %s (its sandbox %s is gone)", cid,
                                      sid);
        }
        if (r < 0)
                return r;
        kata_sandbox_state st;
        if ((r = kata_state_load(root, sid, &st, err)) < 0)
                goto out_unlock;
        kata_error missing = KATA_ERROR_INIT;
        bool listed = kata_sandbox_state_remove_container(&st, cid, &missing) == 0;
        if (listed && (r = kata_state_save(root, &st, err)) < 0)
                goto out_free;
        int index_fd = lock_index(root, err);
        if (index_fd < 0) {
                r = index_fd;
                goto out_free;
        }
        r = index_remove(root, cid, sid, err);
        close(index_fd);
        if (r == 0 && !listed)
                r = kata_error_set(err, ENOENT, "no container %s in sandbox %s", cid, sid);
out_free:
        kata_sandbox_state_free(&st);
out_unlock:
        kata_state_lock_release(&lock);
        return r;
}

int kata_state_remove(const char *root, const char *sid, kata_error *err)
{
        root = root_or_default(root);
        kata_state_lock lock;
        int r = kata_state_lock_acquire(root, sid, LOCK_TIMEOUT_MS, &lock, err);
        if (r < 0)
                return r;
        char dir[PATH_MAX], gone[PATH_MAX];
        if ((r = kata_state_sandbox_path(root, sid, NULL, dir, sizeof(dir), err)) < 0 ||
            (r = path_fmt(gone, sizeof(gone), err, "%s/.removing-%s-%ld", root, sid,
                          (long)getpid())) < 0)
                goto out;
        int index_fd = lock_index(root, err);
        if (index_fd < 0) {
                r = index_fd;
                goto out;
        }
        r = index_remove_sandbox(root, sid, err);
        close(index_fd);
        if (r < 0)
                goto out;
        /* Renaming first makes the sandbox vanish for readers in one step. */
        if (rename(dir, gone) < 0) {
                r = kata_error_errno(err, errno, "cannot remove %s", dir);
                goto out;
        }
        r = remove_tree(gone, err);
        if (r < 0)
                kata_error_prefix(err, "sandbox %s", sid);
out:
        kata_state_lock_release(&lock);
        return r;
}

/* ---- Listing ----------------------------------------------------------------------- */

static int cmp_sandbox(const void *a, const void *b)
{
        return strcmp(((const kata_sandbox_state *)a)->id, ((const kata_sandbox_state *)b)->id);
}

static int add_problem(kata_state_listing *l, const char *name, const kata_error *e)
{
        kata_state_problem *n = realloc(l->problems, (l->nproblems + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        l->problems = n;
        kata_state_problem *p = &l->problems[l->nproblems++];
        snprintf(p->id, sizeof(p->id), "%s", name);
        p->error = *e;
        return 0;
}

int kata_state_list(const char *root, kata_state_listing *out, kata_error *err)
{
        memset(out, 0, sizeof(*out));
        root = root_or_default(root);
        DIR *d = opendir(root);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return kata_error_errno(err, errno, "cannot read state root %s", root);
        }
        size_t cap = 0;
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                /* Hidden names are directories being created or removed. */
                if (name[0] == '.' || strcmp(name, KATA_STATE_INDEX_DIR) == 0)
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue; /* sockets and other files (trace-forwarder.sock) */
                kata_error e = KATA_ERROR_INIT;
                if (!kata_id_is_valid(name)) {
                        kata_error_set(&e, EINVAL, "'%s' is not a valid sandbox id", name);
                        if ((r = add_problem(out, name, &e)) < 0)
                                break;
                        continue;
                }
                if (out->nsandboxes == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        kata_sandbox_state *n =
                            realloc(out->sandboxes, ncap * sizeof(*out->sandboxes));
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        out->sandboxes = n;
                        cap = ncap;
                }
                int lr = load_file(root, name, &out->sandboxes[out->nsandboxes], &e);
                if (lr == 0)
                        out->nsandboxes++;
                else if (lr == -ENOENT && fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* removed while we listed: not a problem */
                else if ((r = add_problem(out, name, &e)) < 0)
                        break;
        }
        closedir(d);
        if (r < 0) {
                kata_state_listing_free(out);
                return kata_error_set(err, ENOMEM, "out of memory listing %s", root);
        }
        if (out->nsandboxes > 1)
                qsort(out->sandboxes, out->nsandboxes, sizeof(*out->sandboxes), cmp_sandbox);
        return 0;
}

void kata_state_listing_free(kata_state_listing *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->nsandboxes; i++)
                kata_sandbox_state_free(&l->sandboxes[i]);
        free(l->sandboxes);
        free(l->problems);
        memset(l, 0, sizeof(*l));
}
