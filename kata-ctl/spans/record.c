/* `spans record`: an LTTng user-space session (liblttng-ctl) around one command, with a
 * kata-trace-forwarder relaying agent spans into it when none runs yet. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <lttng/lttng.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "spans.h"

#define DEFAULT_FORWARDER_SOCKET "/run/kata/trace-forwarder.sock"
/* A traced process waits this long for the session daemon before its first event (LTTng's
 * default, 3 s, can run out on a loaded machine and lose the first spans). */
#define REGISTER_TIMEOUT_MS "30000"
#define CHANNEL_NAME        "kata"

static void sleep_ms(unsigned ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* Runs argv to completion; returns its exit status or a negative errno. */
static int run_wait(char *const argv[], kata_error *err)
{
        pid_t pid = fork();
        if (pid < 0)
                return kata_error_errno(err, errno, "fork");
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDOUT_FILENO);
                }
                execvp(argv[0], argv);
                _exit(127);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return kata_error_errno(err, errno, "waitpid");
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int ensure_sessiond(kata_error *err)
{
        if (lttng_session_daemon_alive() == 1)
                return 0;
        fprintf(stderr, "kata-ctl spans: no LTTng session daemon runs; starting "
                        "lttng-sessiond --daemonize\n");
        char *argv[] = {"lttng-sessiond", "--daemonize", NULL};
        int st = run_wait(argv, err);
        if (st < 0)
                return st;
        if (st != 0)
                return kata_error_set(err, EIO, "lttng-sessiond --daemonize exited %d%s", st,
                                      st == 127 ? " (not installed? apt-get install lttng-tools)"
                                                : "");
        for (int i = 0; i < 100 && lttng_session_daemon_alive() != 1; i++)
                sleep_ms(50);
        if (lttng_session_daemon_alive() != 1)
                return kata_error_set(err, EIO, "lttng-sessiond started but does not answer");
        return 0;
}

static bool socket_listens(const char *path)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(a.sun_path))
                return false;
        strcpy(a.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(fd);
        return ok;
}

/* kata-trace-forwarder next to our own binary (build/bin, or the install's bin). */
static void forwarder_program(const kata_spans_record_opts *o, char *buf, size_t len)
{
        if (o->forwarder_path) {
                snprintf(buf, len, "%s", o->forwarder_path);
                return;
        }
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = 0;
                char *slash = strrchr(self, '/');
                if (slash) {
                        *slash = 0;
                        snprintf(buf, len, "%s/kata-trace-forwarder", self);
                        if (access(buf, X_OK) == 0)
                                return;
                }
        }
        snprintf(buf, len, "kata-trace-forwarder");
}

static int start_forwarder(const kata_spans_record_opts *o, const char *sock, pid_t *out,
                           kata_error *err)
{
        char prog[PATH_MAX];
        forwarder_program(o, prog, sizeof(prog));
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", sock);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                int r = kata_mkdir_p(dir, 0750, err);
                if (r < 0)
                        return kata_error_prefix(err, "forwarder socket directory");
        }
        pid_t pid = fork();
        if (pid < 0)
                return kata_error_errno(err, errno, "fork");
        if (pid == 0) {
                char *argv[] = {prog, "--sink", "lttng", "--listen", (char *)sock, NULL};
                setenv("LTTNG_UST_REGISTER_TIMEOUT", REGISTER_TIMEOUT_MS, 0);
                setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 0);
                execvp(prog, argv);
                fprintf(stderr, "kata-ctl spans: cannot run %s: %s\n", prog, strerror(errno));
                _exit(127);
        }
        for (int i = 0; i < 250; i++) {
                if (socket_listens(sock)) {
                        *out = pid;
                        return 0;
                }
                int st;
                if (waitpid(pid, &st, WNOHANG) == pid)
                        return kata_error_set(err, EIO,
                                              "%s exited (status %d) before listening "
                                              "on %s",
                                              prog, WIFEXITED(st) ? WEXITSTATUS(st) : -1, sock);
                sleep_ms(20);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return kata_error_set(err, ETIMEDOUT, "%s did not listen on %s within 5 s", prog, sock);
}

/* SIGTERM makes the forwarder flush what it received; give it 10 s. */
/* How long a forwarder that record did not start gets to relay the last spans. */
#define EXTERNAL_FORWARDER_SETTLE_US (500 * 1000)

static void stop_forwarder(pid_t pid)
{
        kill(pid, SIGTERM);
        for (int i = 0; i < 500; i++) {
                int st;
                pid_t r = waitpid(pid, &st, WNOHANG);
                if (r == pid || (r < 0 && errno != EINTR))
                        return;
                sleep_ms(20);
        }
        fprintf(stderr, "kata-ctl spans: forwarder %d did not stop at SIGTERM; killing it\n",
                (int)pid);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static int run_traced(char *const argv[], kata_error *err)
{
        struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_term;
        pid_t pid = fork();
        if (pid < 0)
                return kata_error_errno(err, errno, "fork");
        if (pid == 0) {
                setenv("KATA_TRACE", "1", 1);
                setenv("LTTNG_UST_REGISTER_TIMEOUT", REGISTER_TIMEOUT_MS, 0);
                setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 0);
                execvp(argv[0], argv);
                fprintf(stderr, "kata-ctl spans: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        /* Ctrl-C reaches the command; we stay to tear the session down. */
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGTERM, &ign, &old_term);
        int st, r;
        while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
                ;
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        if (r < 0)
                return kata_error_errno(err, errno, "waitpid");
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int prepare_output(const char *dir, char *abs, size_t len, kata_error *err)
{
        int r = kata_mkdir_p(dir, 0755, err);
        if (r < 0)
                return kata_error_prefix(err, "output directory");
        DIR *d = opendir(dir);
        if (!d)
                return kata_error_errno(err, errno, "%s", dir);
        struct dirent *e;
        bool empty = true;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        empty = false;
        closedir(d);
        if (!empty)
                return kata_error_set(err, EEXIST,
                                      "%s is not empty: a trace would mix with what is there", dir);
        char real[PATH_MAX];
        if (!realpath(dir, real))
                return kata_error_errno(err, errno, "%s", dir);
        snprintf(abs, len, "%s", real);
        return 0;
}

static void print_summary_json(const char *dir, const kata_span_set *set, int status)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "trace", json_object_new_string(dir));
        json_object_object_add(o, "spans", json_object_new_int64((int64_t)set->n_spans));
        json_object_object_add(o, "traces", json_object_new_int64((int64_t)set->n_traces));
        json_object_object_add(o, "orphans", json_object_new_int64((int64_t)set->n_orphans));
        json_object_object_add(o, "duplicates", json_object_new_int64((int64_t)set->duplicates));
        json_object_object_add(o, "lost", json_object_new_int64((int64_t)set->lost));
        json_object_object_add(o, "lost_unknown", json_object_new_boolean(set->lost_unknown));
        json_object_object_add(o, "status", json_object_new_int(status));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
}

static int lttng_fail(kata_error *err, int ret, const char *what)
{
        return kata_error_set(err, EIO, "lttng: %s: %s", what, lttng_strerror(ret));
}

int kata_spans_record(const kata_spans_record_opts *o, kata_error *err)
{
        char out_dir[PATH_MAX];
        char session[64];
        struct lttng_handle *handle = NULL;
        struct lttng_event *ev = NULL;
        struct lttng_channel *chan = NULL;
        pid_t forwarder = -1;
        bool session_made = false;
        int status = -1;
        const char *sock = o->forwarder_socket ? o->forwarder_socket : DEFAULT_FORWARDER_SOCKET;

        if (!o->argv || !o->argv[0])
                return kata_error_set(err, EINVAL, "no command to record");
        int r = prepare_output(o->output_dir, out_dir, sizeof(out_dir), err);
        if (r == 0)
                r = ensure_sessiond(err);
        if (r < 0)
                return r;
        snprintf(session, sizeof(session), "kata-spans-%d", (int)getpid());
        int ret = lttng_create_session(session, out_dir);
        if (ret < 0)
                return lttng_fail(err, ret, "creating the session");
        session_made = true;
        struct lttng_domain dom = {.type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID};
        handle = lttng_create_handle(session, &dom);
        ev = lttng_event_create();
        if (!handle || !ev) {
                r = kata_error_errno(err, ENOMEM, "lttng handle");
                goto out;
        }
        chan = lttng_channel_create(&dom);
        if (!chan) {
                r = kata_error_errno(err, ENOMEM, "lttng channel");
                goto out;
        }
        /* Spans come in bursts (the forwarder relays an agent's batch at once): bigger
         * buffers than LTTng's default, and a traced process waits up to 1 s for room
         * rather than dropping a span (needs LTTNG_UST_ALLOW_BLOCKING in its env). */
        snprintf(chan->name, sizeof(chan->name), "%s", CHANNEL_NAME);
        chan->attr.subbuf_size = 1 << 20;
        chan->attr.num_subbuf = 4;
        ret = lttng_channel_set_blocking_timeout(chan, 1000000);
        if (ret == 0)
                ret = lttng_enable_channel(handle, chan);
        if (ret < 0) {
                r = lttng_fail(err, ret, "creating the channel");
                goto out;
        }
        snprintf(ev->name, sizeof(ev->name), "kata_trace:*");
        ev->type = LTTNG_EVENT_TRACEPOINT;
        ev->loglevel_type = LTTNG_EVENT_LOGLEVEL_ALL;
        ret = lttng_enable_event(handle, ev, CHANNEL_NAME);
        if (ret < 0) {
                r = lttng_fail(err, ret, "enabling kata_trace:*");
                goto out;
        }
        ret = lttng_start_tracing(session);
        if (ret < 0) {
                r = lttng_fail(err, ret, "starting the session");
                goto out;
        }
        bool external_forwarder = false;
        if (!o->no_forwarder) {
                if (socket_listens(sock)) {
                        external_forwarder = true;
                        fprintf(stderr, "kata-ctl spans: a forwarder already listens on %s\n",
                                sock);
                } else {
                        r = start_forwarder(o, sock, &forwarder, err);
                        if (r < 0) {
                                kata_error_prefix(err, "starting kata-trace-forwarder (or use "
                                                       "--no-forwarder)");
                                goto out;
                        }
                        fprintf(stderr,
                                "kata-ctl spans: started kata-trace-forwarder (pid %d, --sink "
                                "lttng) on %s; it stops with the command\n",
                                (int)forwarder, sock);
                }
        }
        status = run_traced(o->argv, err);
        if (status < 0) {
                r = status;
                goto out;
        }
        /* A forwarder we started is stopped below, which drains what agents sent; one
         * already running relays on its own schedule and cannot be asked when it is done:
         * give it a moment to emit the spans of the command's last frames. */
        if (external_forwarder)
                usleep(EXTERNAL_FORWARDER_SETTLE_US);
out:
        if (forwarder > 0)
                stop_forwarder(forwarder);
        if (session_made) {
                /* lttng_stop_tracing waits until the consumer has written everything. */
                int s1 = lttng_stop_tracing(session);
                int s2 = lttng_destroy_session(session);
                if (r == 0 && s1 < 0)
                        r = lttng_fail(err, s1, "stopping the session");
                else if (r == 0 && s2 < 0)
                        r = lttng_fail(err, s2, "destroying the session");
        }
        lttng_event_destroy(ev);
        lttng_channel_destroy(chan);
        lttng_destroy_handle(handle);
        if (r < 0)
                return r;

        kata_span_set set;
        kata_span_set_init(&set);
        kata_error rerr = KATA_ERROR_INIT;
        r = kata_spans_read_ctf(out_dir, &set, &rerr);
        if (r == -ENOENT || (r == 0 && set.n_spans == 0 && !set.lost)) {
                /* No process registered with the session, or those that did (any traced
                 * program of this uid makes the buffers) fired nothing: nothing traced. */
                fprintf(o->json ? stderr : stdout,
                        "kata-ctl spans: trace in %s holds no span (did the command trace?)\n",
                        out_dir);
                if (o->json)
                        print_summary_json(out_dir, &set, status);
                kata_span_set_free(&set);
                return status;
        }
        if (r < 0) {
                kata_span_set_free(&set);
                *err = rerr;
                return kata_error_prefix(err, "reading the recorded trace");
        }
        if (o->json)
                print_summary_json(out_dir, &set, status);
        else
                printf("trace in %s: %zu spans in %zu traces, %zu orphans%s (command exited %d)\n",
                       out_dir, set.n_spans, set.n_traces, set.n_orphans,
                       set.lost || set.lost_unknown ? ", events LOST (buffers full)" : "", status);
        kata_span_set_free(&set);
        return status;
}
