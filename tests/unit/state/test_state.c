/* State library: JSON round trip, schema validation errors, the store under a root
 * (create, load, index, remove, list), concurrent writers, invalid ids. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util.h"
#include "state/state.h"

static char root[64];

static int setup(void **state)
{
        snprintf(root, sizeof(root), "/tmp/kata-state-XXXXXX");
        return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void make_container(kata_container_state *c, const char *id, int64_t pid)
{
        memset(c, 0, sizeof(*c));
        snprintf(c->id, sizeof(c->id), "%s", id);
        snprintf(c->bundle, sizeof(c->bundle), "/tmp/bundles/%s", id);
        c->status = KATA_CONTAINER_RUNNING;
        c->pid = pid;
        c->ns_pid = 1;
        c->created_ns = 1764350000123456789;
        snprintf(c->cgroup_path, sizeof(c->cgroup_path), "system.slice:kata:%s", id);
}

static void make_sandbox(kata_sandbox_state *st, const char *id)
{
        kata_sandbox_state_init(st);
        snprintf(st->id, sizeof(st->id), "%s", id);
        snprintf(st->hypervisor, sizeof(st->hypervisor), "local");
        st->status = KATA_SANDBOX_RUNNING;
        st->created_ns = 1764350000000000000;
        snprintf(st->agent_address, sizeof(st->agent_address),
                 "hvsock:///run/kata/%s/kata.hvsock:1024", id);
        st->agent_pid = 4242;
        st->cgroup_version = 1;
        kata_error err = KATA_ERROR_INIT;
        char p[128];
        snprintf(p, sizeof(p), "/sys/fs/cgroup/cpu,cpuacct/kata_%s", id);
        assert_int_equal(kata_sandbox_state_set_cgroup(st, "cpu", p, &err), 0);
        snprintf(p, sizeof(p), "/sys/fs/cgroup/memory/kata_%s", id);
        assert_int_equal(kata_sandbox_state_set_cgroup(st, "memory", p, &err), 0);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void test_json_round_trip(void **state)
{
        kata_sandbox_state st, back;
        kata_error err = KATA_ERROR_INIT;
        make_sandbox(&st, "sb1");
        st.vmm_pid = 777;
        kata_container_state c;
        make_container(&c, "c1", 1000);
        assert_int_equal(kata_sandbox_state_add_container(&st, &c, &err), 0);
        make_container(&c, "c2", 1001);
        c.status = KATA_CONTAINER_STOPPED;
        c.has_exit_status = true;
        c.exit_status = 137;
        assert_int_equal(kata_sandbox_state_add_container(&st, &c, &err), 0);
        assert_int_equal(kata_sandbox_state_add_container(&st, &c, &err), -EEXIST);

        char *json;
        assert_int_equal(kata_sandbox_state_to_json(&st, &json, &err), 0);
        assert_non_null(strstr(json, "\"version\":1"));
        assert_non_null(strstr(json, "\"state\":\"running\""));
        int r = kata_sandbox_state_from_json(json, strlen(json), &back, &err);
        if (r)
                fail_msg("%s\n%s", err.msg, json);
        free(json);

        assert_int_equal(back.version, KATA_STATE_VERSION);
        assert_string_equal(back.id, "sb1");
        assert_string_equal(back.hypervisor, "local");
        assert_int_equal(back.status, KATA_SANDBOX_RUNNING);
        assert_int_equal(back.created_ns, st.created_ns);
        assert_string_equal(back.agent_address, st.agent_address);
        assert_int_equal(back.agent_pid, 4242);
        assert_int_equal(back.vmm_pid, 777);
        assert_int_equal(back.cgroup_version, 1);
        assert_int_equal(back.ncgroups, 2);
        assert_string_equal(kata_sandbox_state_cgroup(&back, "memory"),
                            "/sys/fs/cgroup/memory/kata_sb1");
        assert_null(kata_sandbox_state_cgroup(&back, "pids"));
        assert_int_equal(back.ncontainers, 2);
        kata_container_state *b = kata_sandbox_state_find_container(&back, "c2");
        assert_non_null(b);
        assert_string_equal(b->bundle, "/tmp/bundles/c2");
        assert_int_equal(b->status, KATA_CONTAINER_STOPPED);
        assert_int_equal(b->pid, 1001);
        assert_int_equal(b->ns_pid, 1);
        assert_int_equal(b->created_ns, 1764350000123456789);
        assert_string_equal(b->cgroup_path, "system.slice:kata:c2");
        assert_true(b->has_exit_status);
        assert_int_equal(b->exit_status, 137);
        assert_false(kata_sandbox_state_find_container(&back, "c1")->has_exit_status);

        assert_int_equal(kata_sandbox_state_remove_container(&back, "c1", &err), 0);
        assert_int_equal(kata_sandbox_state_remove_container(&back, "c1", &err), -ENOENT);
        assert_int_equal(back.ncontainers, 1);
        assert_string_equal(back.containers[0].id, "c2");
        kata_sandbox_state_free(&back);
        kata_sandbox_state_free(&st);
        kata_sandbox_state_free(&st); /* idempotent */
}

static const char base_head[] = "{\"version\":1,\"id\":\"sb\",\"hypervisor\":\"local\",\"state\":"
                                "\"running\",\"created_ns\":1,";

static void expect_bad(const char *doc, int code, const char *needle)
{
        kata_sandbox_state st;
        kata_error err = KATA_ERROR_INIT;
        int r = kata_sandbox_state_from_json(doc, strlen(doc), &st, &err);
        if (r != -code || !strstr(err.msg, needle))
                fail_msg("document %s\n  expected %d '%s', got %d '%s'", doc, -code, needle, r,
                         err.msg);
        assert_null(st.containers);
        assert_null(st.cgroups);
}

static void expect_bad_tail(const char *tail, const char *needle)
{
        char doc[8192];
        snprintf(doc, sizeof(doc), "%s%s", base_head, tail);
        expect_bad(doc, EINVAL, needle);
}

static void test_json_validation_errors(void **state)
{
        /* Minimal valid document first, so that the failures below are each one fault. */
        kata_sandbox_state st;
        kata_error err = KATA_ERROR_INIT;
        char ok[512];
        snprintf(ok, sizeof(ok), "%s\"containers\":[]}", base_head);
        assert_int_equal(kata_sandbox_state_from_json(ok, strlen(ok), &st, &err), 0);
        assert_int_equal(st.cgroup_version, 0);
        kata_sandbox_state_free(&st);

        expect_bad("", EINVAL, "truncated");
        expect_bad("{\"version\":1,", EINVAL, "truncated");
        expect_bad("not json", EINVAL, "invalid JSON");
        expect_bad("[1,2]", EINVAL, "expected a JSON object");
        expect_bad("{} junk", EINVAL, "junk after the document");
        expect_bad("{\"id\":\"sb\"}", EINVAL, "version: missing");
        expect_bad("{\"version\":\"1\"}", EINVAL, "version: expected an integer");
        expect_bad("{\"version\":1.5}", EINVAL, "version: expected an integer");
        expect_bad("{\"version\":2}", EPROTONOSUPPORT, "version: 2 is newer than this build");
        expect_bad("{\"version\":0}", EINVAL, "version: 0 is not a valid version");
        expect_bad("{\"version\":1,\"id\":\"../x\"}", EINVAL, "id: invalid sandbox id '../x'");
        expect_bad("{\"version\":1,\"id\":7}", EINVAL, "id: expected a string");
        expect_bad("{\"version\":1,\"id\":\"a\\u0000b\"}", EINVAL, "id: contains a NUL byte");

        expect_bad_tail("\"containers\":{}}", "containers: expected an array");
        expect_bad_tail("\"x\":1}", "containers: missing");
        expect_bad_tail("\"pids\":[],\"containers\":[]}", "pids: expected an object");
        expect_bad_tail("\"pids\":{\"agent\":-1},\"containers\":[]}",
                        "pids.agent: -1 out of range");
        expect_bad_tail("\"pids\":{\"vmm\":\"12\"},\"containers\":[]}",
                        "pids.vmm: expected an integer");
        expect_bad_tail("\"agent_address\":null,\"containers\":[1]}",
                        "containers[0]: expected an object");
        expect_bad_tail("\"containers\":[{\"status\":\"running\"}]}", "containers[0].id: missing");
        expect_bad_tail("\"containers\":[{\"id\":\"c\",\"status\":\"zombie\"}]}",
                        "containers[0].status: 'zombie' is not");
        expect_bad_tail("\"containers\":[{\"id\":\"c\",\"status\":\"running\",\"pid\":\"1\"}]}",
                        "containers[0].pid: expected an integer");
        expect_bad_tail("\"containers\":[{\"id\":\"c\",\"status\":\"running\",\"pid\":"
                        "99999999999999999999999}]}",
                        "containers[0].pid:");
        expect_bad_tail("\"containers\":[{\"id\":\"c\",\"status\":\"stopped\",\"exit_status\":"
                        "300}]}",
                        "containers[0].exit_status: 300 out of range");
        expect_bad_tail("\"containers\":[{\"id\":\"c\",\"status\":\"running\"},{\"id\":\"ok\","
                        "\"status\":\"running\"},{\"id\":\"c\",\"status\":\"running\"}]}",
                        "containers[2].id");
        expect_bad_tail("\"containers\":[{\"id\":\"a/b\",\"status\":\"running\"}]}",
                        "containers[0].id: invalid id 'a/b'");
        expect_bad_tail("\"cgroups\":{\"version\":3},\"containers\":[]}",
                        "cgroups.version: 3 out of range");
        expect_bad_tail("\"cgroups\":{\"version\":2,\"paths\":{\"cpu\":\"/x\"}},\"containers\":[]}",
                        "cgroups.paths.cpu: cgroup v2 has one path");
        expect_bad_tail("\"cgroups\":{\"version\":1,\"paths\":{\"cpu\":1}},\"containers\":[]}",
                        "cgroups.paths.cpu: expected a string");
        expect_bad_tail("\"cgroups\":{\"paths\":{}},\"containers\":[]}",
                        "cgroups.version: missing");

        /* Strings longer than their field. */
        char tail[6000], big[4200];
        memset(big, 'b', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        snprintf(tail, sizeof(tail),
                 "\"containers\":[{\"id\":\"c\",\"status\":\"running\",\"bundle\":\"%s\"}]}", big);
        expect_bad_tail(tail, "containers[0].bundle: 4199 bytes, at most 4095");

        /* Serializing refuses what loading would refuse. */
        make_sandbox(&st, "sb");
        st.agent_pid = -5;
        char *json = NULL;
        assert_int_equal(kata_sandbox_state_to_json(&st, &json, &err), -EINVAL);
        assert_null(json);
        st.agent_pid = 0;
        snprintf(st.id, sizeof(st.id), "../evil");
        assert_int_equal(kata_sandbox_state_to_json(&st, &json, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "invalid sandbox id"));
        kata_sandbox_state_free(&st);
}

/* ---- Store ----------------------------------------------------------------------------- */

static void test_store_lifecycle(void **state)
{
        kata_sandbox_state st, back;
        kata_error err = KATA_ERROR_INIT;
        kata_container_state c;
        char sid[KATA_STATE_ID_MAX + 1];

        make_sandbox(&st, "pod1");
        make_container(&c, "pod1", 100);
        assert_int_equal(kata_sandbox_state_add_container(&st, &c, &err), 0);
        int r = kata_state_create(root, &st, &err);
        if (r)
                fail_msg("%s", err.msg);
        assert_int_equal(kata_state_create(root, &st, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "already exists"));

        assert_int_equal(kata_state_load(root, "pod1", &back, &err), 0);
        assert_int_equal(back.ncontainers, 1);
        assert_string_equal(back.agent_address, st.agent_address);
        kata_sandbox_state_free(&back);

        /* The index knows the first container; a second joins the pod. */
        assert_int_equal(kata_state_find_sandbox(root, "pod1", sid, &err), 0);
        assert_string_equal(sid, "pod1");
        make_container(&c, "side", 101);
        assert_int_equal(kata_state_add_container(root, "pod1", &c, &err), 0);
        assert_int_equal(kata_state_find_sandbox(root, "side", sid, &err), 0);
        assert_string_equal(sid, "pod1");

        /* Container ids are unique under the root, across sandboxes. */
        kata_sandbox_state other;
        make_sandbox(&other, "pod2");
        assert_int_equal(kata_state_create(root, &other, &err), 0);
        assert_int_equal(kata_state_add_container(root, "pod2", &c, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "already used in sandbox pod1"));
        kata_sandbox_state_free(&other);
        /* ...also when creating a sandbox that lists it: nothing is left behind. */
        make_sandbox(&other, "pod3");
        assert_int_equal(kata_sandbox_state_add_container(&other, &c, &err), 0);
        assert_int_equal(kata_state_create(root, &other, &err), -EEXIST);
        kata_sandbox_state_free(&other);
        assert_int_equal(kata_state_load(root, "pod3", &back, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "sandbox pod3 does not exist"));
        assert_int_equal(kata_state_find_sandbox(root, "side", sid, &err), 0);
        assert_string_equal(sid, "pod1");

        /* Unknown containers and sandboxes. */
        assert_int_equal(kata_state_find_sandbox(root, "nope", sid, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no container nope"));
        assert_int_equal(kata_state_add_container(root, "nope", &c, &err), -ENOENT);

        /* Removing a container updates both the sandbox and the index. */
        assert_int_equal(kata_state_remove_container(root, "side", &err), 0);
        assert_int_equal(kata_state_find_sandbox(root, "side", sid, &err), -ENOENT);
        assert_int_equal(kata_state_remove_container(root, "side", &err), -ENOENT);
        assert_int_equal(kata_state_load(root, "pod1", &back, &err), 0);
        assert_int_equal(back.ncontainers, 1);
        kata_sandbox_state_free(&back);

        /* Removing the sandbox takes its files (a socket, a subdirectory) and index. */
        char p[256];
        assert_int_equal(kata_state_sandbox_path(root, "pod1", "kata.hvsock", p, sizeof(p), &err),
                         0);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(kata_state_sandbox_path(root, "pod1", "logs", p, sizeof(p), &err), 0);
        assert_int_equal(mkdir(p, 0700), 0);
        strcat(p, "/agent.log");
        fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        close(fd);
        assert_int_equal(kata_state_remove(root, "pod1", &err), 0);
        assert_int_equal(kata_state_remove(root, "pod1", &err), -ENOENT);
        assert_int_equal(kata_state_find_sandbox(root, "pod1", sid, &err), -ENOENT);
        assert_int_equal(kata_state_sandbox_path(root, "pod1", NULL, p, sizeof(p), &err), 0);
        assert_int_equal(access(p, F_OK), -1);

        kata_state_listing l;
        assert_int_equal(kata_state_list(root, &l, &err), 0);
        assert_int_equal(l.nsandboxes, 1);
        assert_string_equal(l.sandboxes[0].id, "pod2");
        assert_int_equal(l.nproblems, 0);
        kata_state_listing_free(&l);
        assert_int_equal(kata_state_remove(root, "pod2", &err), 0);
        kata_sandbox_state_free(&st);
}

static int mark_stopped(kata_sandbox_state *st, void *ctx, kata_error *err)
{
        st->status = KATA_SANDBOX_STOPPED;
        st->agent_pid = *(int *)ctx;
        return 0;
}

static int refuse(kata_sandbox_state *st, void *ctx, kata_error *err)
{
        st->status = KATA_SANDBOX_CREATED;
        return kata_error_set(err, EPERM, "not today");
}

static void test_update(void **state)
{
        kata_sandbox_state st;
        kata_error err = KATA_ERROR_INIT;
        make_sandbox(&st, "upd");
        assert_int_equal(kata_state_create(root, &st, &err), 0);
        kata_sandbox_state_free(&st);
        int pid = 99;
        assert_int_equal(kata_state_update(root, "upd", mark_stopped, &pid, &err), 0);
        assert_int_equal(kata_state_update(root, "upd", refuse, NULL, &err), -EPERM);
        assert_int_equal(kata_state_load(root, "upd", &st, &err), 0);
        assert_int_equal(st.status, KATA_SANDBOX_STOPPED);
        assert_int_equal(st.agent_pid, 99);
        kata_sandbox_state_free(&st);

        /* A held lock makes a second writer wait, and time out. */
        kata_state_lock lock;
        assert_int_equal(kata_state_lock_acquire(root, "upd", 1000, &lock, &err), 0);
        pid_t child = fork();
        if (child == 0) {
                kata_state_lock l2;
                kata_error e = KATA_ERROR_INIT;
                _exit(kata_state_lock_acquire(root, "upd", 100, &l2, &e) == -ETIMEDOUT ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        kata_state_lock_release(&lock);
        assert_int_equal(kata_state_lock_acquire(root, "missing", 100, &lock, &err), -ENOENT);
}

#define WRITERS 10

static void test_concurrent_writers(void **state)
{
        kata_sandbox_state st;
        kata_error err = KATA_ERROR_INIT;
        make_sandbox(&st, "busy");
        assert_int_equal(kata_state_create(root, &st, &err), 0);
        kata_sandbox_state_free(&st);

        pid_t pids[WRITERS];
        for (int i = 0; i < WRITERS; i++) {
                pids[i] = fork();
                assert_true(pids[i] >= 0);
                if (pids[i] == 0) {
                        kata_error e = KATA_ERROR_INIT;
                        kata_container_state c;
                        char id[16];
                        snprintf(id, sizeof(id), "w%d", i);
                        make_container(&c, id, 2000 + i);
                        int pid = 10 + i;
                        /* Each writer does several read-modify-writes. */
                        int r = kata_state_add_container(root, "busy", &c, &e);
                        for (int k = 0; r == 0 && k < 5; k++)
                                r = kata_state_update(root, "busy", mark_stopped, &pid, &e);
                        if (r)
                                fprintf(stderr, "writer %d: %s\n", i, e.msg);
                        _exit(r == 0 ? 0 : 1);
                }
        }
        /* Meanwhile readers never see a broken file. */
        int reads = 0;
        for (;;) {
                kata_state_listing l;
                assert_int_equal(kata_state_list(root, &l, &err), 0);
                if (l.nproblems)
                        fail_msg("reader saw: %s", l.problems[0].error.msg);
                assert_int_equal(l.nsandboxes, 1);
                kata_state_listing_free(&l);
                reads++;
                int done = 0;
                for (int i = 0; i < WRITERS; i++) {
                        int status;
                        if (pids[i] == 0) {
                                done++;
                                continue;
                        }
                        pid_t w = waitpid(pids[i], &status, WNOHANG);
                        if (w == pids[i]) {
                                assert_true(WIFEXITED(status));
                                assert_int_equal(WEXITSTATUS(status), 0);
                                pids[i] = 0;
                                done++;
                        }
                }
                if (done == WRITERS)
                        break;
        }
        assert_true(reads > 0);

        assert_int_equal(kata_state_load(root, "busy", &st, &err), 0);
        assert_int_equal(st.ncontainers, WRITERS);
        assert_int_equal(st.status, KATA_SANDBOX_STOPPED);
        for (int i = 0; i < WRITERS; i++) {
                char id[16], sid[KATA_STATE_ID_MAX + 1];
                snprintf(id, sizeof(id), "w%d", i);
                kata_container_state *c = kata_sandbox_state_find_container(&st, id);
                assert_non_null(c);
                assert_int_equal(c->pid, 2000 + i);
                assert_int_equal(kata_state_find_sandbox(root, id, sid, &err), 0);
                assert_string_equal(sid, "busy");
        }
        kata_sandbox_state_free(&st);
        /* No temporary files left next to state.json. */
        char p[256], cmd[300];
        kata_state_sandbox_path(root, "busy", NULL, p, sizeof(p), &err);
        snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) = 1", p);
        assert_int_equal(system(cmd), 0);
}

static void write_raw(const char *dirname, const char *content)
{
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", root, dirname);
        assert_int_equal(mkdir(p, 0700), 0);
        strcat(p, "/state.json");
        kata_error err = KATA_ERROR_INIT;
        if (content)
                assert_int_equal(kata_write_file_atomic(p, content, strlen(content), 0644, &err),
                                 0);
}

static void test_list_skips_and_reports(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        kata_state_listing l;

        /* No root yet: empty. */
        char missing[128];
        snprintf(missing, sizeof(missing), "%s/not-there", root);
        assert_int_equal(kata_state_list(missing, &l, &err), 0);
        assert_int_equal(l.nsandboxes + l.nproblems, 0);

        kata_sandbox_state st;
        const char *ids[] = {"zeta", "alpha", "mid"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(ids); i++) {
                make_sandbox(&st, ids[i]);
                assert_int_equal(kata_state_create(root, &st, &err), 0);
                kata_sandbox_state_free(&st);
        }
        write_raw("corrupt", "{\"version\":1,");
        write_raw("future", "{\"version\":9}");
        write_raw("empty", NULL);
        write_raw("wrongid", "{\"version\":1,\"id\":\"other\",\"hypervisor\":\"local\",\"state\":"
                             "\"running\",\"created_ns\":1,\"containers\":[]}");
        write_raw("bad name", NULL);
        write_raw(".new-hidden-123", "garbage");
        char p[256];
        snprintf(p, sizeof(p), "%s/trace-forwarder.sock", root);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        close(fd);

        assert_int_equal(kata_state_list(root, &l, &err), 0);
        assert_int_equal(l.nsandboxes, 3);
        assert_string_equal(l.sandboxes[0].id, "alpha");
        assert_string_equal(l.sandboxes[1].id, "mid");
        assert_string_equal(l.sandboxes[2].id, "zeta");
        assert_int_equal(l.nproblems, 5);
        const char *want[][2] = {
            {"corrupt", "truncated"},
            {"future", "newer than this build"},
            {"empty", "state.json is missing"},
            {"wrongid", "does not match its directory"},
            {"bad name", "not a valid sandbox id"},
        };
        for (size_t i = 0; i < KATA_ARRAY_SIZE(want); i++) {
                bool found = false;
                for (size_t j = 0; j < l.nproblems; j++) {
                        if (strcmp(l.problems[j].id, want[i][0]) == 0) {
                                found = true;
                                if (!strstr(l.problems[j].error.msg, want[i][1]))
                                        fail_msg("%s: '%s'", want[i][0], l.problems[j].error.msg);
                        }
                }
                if (!found)
                        fail_msg("no problem reported for %s", want[i][0]);
        }
        kata_state_listing_free(&l);

        /* A broken sandbox can still be removed. */
        assert_int_equal(kata_state_remove(root, "corrupt", &err), 0);
        assert_int_equal(kata_state_load(root, "future", &st, &err), -EPROTONOSUPPORT);
        assert_non_null(strstr(err.msg, "sandbox future"));
}

static void test_invalid_ids(void **state)
{
        kata_error err = KATA_ERROR_INIT;
        kata_sandbox_state st;
        kata_container_state c;
        char sid[KATA_STATE_ID_MAX + 1], longid[200];
        memset(longid, 'a', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        const char *bad[] = {"../x", "", longid, "a/b", "/abs", ".", "..", "-x", "a b"};
        for (size_t i = 0; i < KATA_ARRAY_SIZE(bad); i++) {
                assert_int_equal(kata_state_load(root, bad[i], &st, &err), -EINVAL);
                assert_non_null(strstr(err.msg, "invalid sandbox id"));
                assert_int_equal(kata_state_remove(root, bad[i], &err), -EINVAL);
                assert_int_equal(kata_state_find_sandbox(root, bad[i], sid, &err), -EINVAL);
                assert_non_null(strstr(err.msg, "invalid container id"));
                assert_int_equal(kata_state_remove_container(root, bad[i], &err), -EINVAL);
        }
        assert_int_equal(kata_state_load(root, "", &st, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "empty"));
        assert_int_equal(kata_state_load(root, longid, &st, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "longer than 128"));

        make_sandbox(&st, "fine");
        assert_int_equal(kata_state_create(root, &st, &err), 0);
        make_container(&c, "ok", 1);
        snprintf(c.id, sizeof(c.id), "../x");
        assert_int_equal(kata_state_add_container(root, "fine", &c, &err), -EINVAL);
        kata_sandbox_state_free(&st);

        snprintf(st.id, sizeof(st.id), "../escape");
        assert_int_equal(kata_state_create(root, &st, &err), -EINVAL);
        char p[256];
        snprintf(p, sizeof(p), "%s/../escape", root);
        assert_int_equal(access(p, F_OK), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_round_trip),
            cmocka_unit_test(test_json_validation_errors),
            cmocka_unit_test_setup_teardown(test_store_lifecycle, setup, teardown),
            cmocka_unit_test_setup_teardown(test_update, setup, teardown),
            cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
            cmocka_unit_test_setup_teardown(test_list_skips_and_reports, setup, teardown),
            cmocka_unit_test_setup_teardown(test_invalid_ids, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
