#include "metrics/collect.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "metrics/exposition.h"
#include "metrics/sources.h"

/* Scrape durations, seconds: an answering local agent takes about a millisecond, a
 * dead one fails fast, a wedged one costs the agent timeout (default 2 s). */
static const double duration_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                          0.25,  0.5,    1,     2.5,  5,     10};

/* What the collector keeps per sandbox between scrapes. */
struct failure_count {
        char id[KATA_STATE_ID_MAX + 1];
        unsigned long long failures;
        /* The agent connection, kept so that a scrape costs one round trip, not a connect
         * and a reader thread per agent. A scrape checks it out (client NULL meanwhile). */
        kata_agent_conn conn;
};

struct kata_metrics_collector {
        char *state_root;
        int agent_timeout_ms;
        kata_observe *observe; /* cgroup figures; sampled by one scrape at a time */
        pthread_mutex_t sample_lock;

        pthread_mutex_t lock; /* guards everything below */
        unsigned long long scrapes;
        kata_metric_histogram durations;
        struct failure_count *failures;
        size_t nfailures, cap;
};

/* One sandbox's part of a scrape, filled by its own thread. */
struct sandbox_job {
        kata_metrics_collector *c;
        const kata_sandbox_state *st;
        const kata_observe_sandbox *ob; /* NULL when observe did not see it */
        uint64_t deadline_ns;
        kata_metric_set *set;
        kata_agent_conn conn; /* checked out of the sandbox's entry, or fresh */
        int host_result, agent_result;
        kata_error host_err, agent_err;
        bool started;
        pthread_t thread;
};

int kata_metrics_collector_new(const kata_metrics_collector_opts *opts,
                               kata_metrics_collector **out, kata_error *err)
{
        kata_metrics_collector *c = calloc(1, sizeof(*c));
        if (!c)
                return kata_error_set(err, ENOMEM, "out of memory");
        c->state_root =
            strdup(opts && opts->state_root && opts->state_root[0] ? opts->state_root
                                                                   : KATA_STATE_DEFAULT_ROOT);
        if (!c->state_root) {
                free(c);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        c->agent_timeout_ms = opts && opts->agent_timeout_ms > 0
                                  ? opts->agent_timeout_ms
                                  : KATA_METRICS_DEFAULT_AGENT_TIMEOUT_MS;
        kata_cgroup_layout_opts lo = {
            .root = opts ? opts->cgroup_root : NULL,
            .mountinfo = opts ? opts->mountinfo : NULL,
        };
        /* Agents are scraped here, in parallel: observe reads only the host. */
        kata_observe_opts oo = {.state_root = c->state_root, .cgroups = &lo, .query_agents = false};
        int r = kata_observe_new(&oo, &c->observe, err);
        if (r < 0) {
                free(c->state_root);
                free(c);
                return r;
        }
        pthread_mutex_init(&c->lock, NULL);
        pthread_mutex_init(&c->sample_lock, NULL);
        kata_metric_histogram_init(&c->durations, duration_buckets,
                                   KATA_ARRAY_SIZE(duration_buckets));
        *out = c;
        return 0;
}

void kata_metrics_collector_free(kata_metrics_collector *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->nfailures; i++)
                kata_agent_close(&c->failures[i].conn);
        kata_observe_free(c->observe);
        pthread_mutex_destroy(&c->lock);
        pthread_mutex_destroy(&c->sample_lock);
        free(c->failures);
        free(c->state_root);
        free(c);
}

/* With the lock held. */
static struct failure_count *failure_entry(kata_metrics_collector *c, const char *id)
{
        for (size_t i = 0; i < c->nfailures; i++) {
                if (strcmp(c->failures[i].id, id) == 0)
                        return &c->failures[i];
        }
        if (c->nfailures == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                struct failure_count *n = realloc(c->failures, cap * sizeof(*n));
                if (!n)
                        return NULL;
                c->failures = n;
                c->cap = cap;
        }
        struct failure_count *f = &c->failures[c->nfailures++];
        memset(f, 0, sizeof(*f));
        snprintf(f->id, sizeof(f->id), "%s", id);
        return f;
}

/* With the lock held: drops the failure counts of sandboxes that no longer exist, so a
 * long-running monitor does not grow with sandbox churn. */
static void forget_removed(kata_metrics_collector *c, const kata_state_listing *l)
{
        size_t kept = 0;
        for (size_t i = 0; i < c->nfailures; i++) {
                bool exists = false;
                for (size_t j = 0; j < l->nsandboxes && !exists; j++)
                        exists = strcmp(l->sandboxes[j].id, c->failures[i].id) == 0;
                if (exists)
                        c->failures[kept++] = c->failures[i];
                else
                        kata_agent_close(&c->failures[i].conn);
        }
        c->nfailures = kept;
}

static void *sandbox_job_main(void *arg)
{
        struct sandbox_job *job = arg;
        job->host_result = kata_metrics_host_sandbox(job->ob, job->st, job->set, &job->host_err);
        job->agent_result = kata_metrics_agent_sandbox(job->ob, job->st, job->deadline_ns,
                                                       &job->conn, job->set, &job->agent_err);
        return NULL;
}

static bool scraped(const kata_sandbox_state *st)
{
        return st->status != KATA_SANDBOX_STOPPED;
}

static int monitor_series(kata_metrics_collector *c, kata_metric_set *set,
                          const kata_state_listing *l, struct sandbox_job *jobs, size_t njobs,
                          kata_error *err)
{
        size_t running = 0;
        for (size_t i = 0; i < l->nsandboxes; i++)
                running += l->sandboxes[i].status == KATA_SANDBOX_RUNNING;
        int r = kata_metric_addv(set, "kata_monitor_running_sandboxes", KATA_METRIC_GAUGE,
                                 "Sandboxes in the running state.", (double)running, err, NULL);
        if (r == 0)
                r = kata_metric_addv(set, "kata_monitor_scrapes_total", KATA_METRIC_COUNTER,
                                     "Scrapes the monitor has served.", (double)c->scrapes, err,
                                     NULL);
        for (size_t i = 0; r == 0 && i < njobs; i++) {
                struct failure_count *f = failure_entry(c, jobs[i].st->id);
                r = kata_metric_addv(set, "kata_monitor_agent_up", KATA_METRIC_GAUGE,
                                     "1 when the sandbox's agent answered the last scrape.",
                                     jobs[i].agent_result == 0 ? 1 : 0, err, "sandbox_id",
                                     jobs[i].st->id, NULL);
                if (r == 0)
                        r = kata_metric_addv(
                            set, "kata_monitor_scrape_failures_total", KATA_METRIC_COUNTER,
                            "Scrapes of the sandbox's agent that failed (unreachable, timed "
                            "out or invalid answer).",
                            f ? (double)f->failures : 0, err, "sandbox_id", jobs[i].st->id, NULL);
        }
        if (r == 0 && l->nproblems)
                r = kata_metric_addv(set, "kata_monitor_unreadable_sandboxes", KATA_METRIC_GAUGE,
                                     "Sandbox state entries the monitor could not read.",
                                     (double)l->nproblems, err, NULL);
        if (r == 0)
                r = kata_metric_histogram_export(set, "kata_monitor_scrape_duration_seconds",
                                                 "Time to collect one scrape.", &c->durations, err);
        return r;
}

int kata_metrics_collector_scrape(kata_metrics_collector *c, const char *sandbox_id, char **text,
                                  size_t *len, kata_error *err)
{
        uint64_t start = kata_now_monotonic_ns();
        if (sandbox_id && !kata_id_is_valid(sandbox_id))
                return kata_error_set(err, EINVAL, "invalid sandbox id");
        kata_state_listing l = {0};
        int r = kata_state_list(c->state_root, &l, err);
        if (r < 0)
                return r;
        struct sandbox_job *jobs = calloc(l.nsandboxes ? l.nsandboxes : 1, sizeof(*jobs));
        kata_metric_set *set = NULL;
        if (!jobs || kata_metric_set_new(&set, err) < 0) {
                free(jobs);
                kata_state_listing_free(&l);
                return kata_error_set(err, ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < l.nproblems; i++)
                kata_log_warn("sandbox %s skipped: %s", l.problems[i].id, l.problems[i].error.msg);
        kata_observe_snapshot snap = {0};
        pthread_mutex_lock(&c->sample_lock);
        kata_error oerr = KATA_ERROR_INIT;
        if (kata_observe_sample(c->observe, NULL, &snap, &oerr) < 0)
                kata_log_warn("no cgroup figures this scrape: %s", oerr.msg);
        pthread_mutex_unlock(&c->sample_lock);
        /* A scrape thread needs little stack; 100 default 8 MiB stacks cost page faults. */
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 512 * 1024);
        size_t njobs = 0;
        bool found = false;
        uint64_t deadline = start + (uint64_t)c->agent_timeout_ms * 1000000ull;
        for (size_t i = 0; i < l.nsandboxes; i++) {
                const kata_sandbox_state *st = &l.sandboxes[i];
                if (sandbox_id && strcmp(st->id, sandbox_id) != 0)
                        continue;
                found = true;
                if (!scraped(st))
                        continue;
                struct sandbox_job *job = &jobs[njobs++];
                job->c = c;
                job->st = st;
                job->ob = kata_observe_find_sandbox(&snap, st->id);
                job->deadline_ns = deadline;
                if (kata_metric_set_new(&job->set, &job->host_err) < 0) {
                        job->host_result = job->agent_result = -ENOMEM;
                        continue;
                }
                pthread_mutex_lock(&c->lock);
                struct failure_count *e = failure_entry(c, st->id);
                if (e) { /* a concurrent scrape may hold it: then this one connects anew */
                        job->conn = e->conn;
                        e->conn.client = NULL;
                }
                pthread_mutex_unlock(&c->lock);
                job->started = pthread_create(&job->thread, &attr, sandbox_job_main, job) == 0;
                if (!job->started) /* out of threads: do it here, still bounded */
                        sandbox_job_main(job);
        }
        for (size_t i = 0; i < njobs; i++) {
                if (jobs[i].started)
                        pthread_join(jobs[i].thread, NULL);
        }
        pthread_attr_destroy(&attr);
        if (sandbox_id && !found) {
                r = kata_error_set(err, ENOENT, "no sandbox %s", sandbox_id);
                goto out;
        }

        pthread_mutex_lock(&c->lock);
        c->scrapes++;
        for (size_t i = 0; i < njobs; i++) {
                struct failure_count *f = failure_entry(c, jobs[i].st->id);
                if (f && !f->conn.client) {
                        f->conn = jobs[i].conn;
                        jobs[i].conn.client = NULL;
                }
                kata_agent_close(&jobs[i].conn); /* another scrape put one back first */
                if (jobs[i].agent_result < 0) {
                        if (f)
                                f->failures++;
                        kata_log_info("sandbox %s: %s", jobs[i].st->id, jobs[i].agent_err.msg);
                }
        }
        r = monitor_series(c, set, &l, jobs, njobs, err);
        if (!sandbox_id)
                forget_removed(c, &l);
        pthread_mutex_unlock(&c->lock);

        for (size_t i = 0; r == 0 && i < njobs; i++) {
                if (!jobs[i].set)
                        continue;
                kata_error merr = KATA_ERROR_INIT;
                if (kata_metric_set_merge(set, jobs[i].set, &merr) < 0)
                        kata_log_warn("sandbox %s: %s", jobs[i].st->id, merr.msg);
        }
        if (r == 0)
                r = kata_metric_set_render(set, text, len, err);
        pthread_mutex_lock(&c->lock);
        kata_metric_histogram_observe(&c->durations,
                                      (double)(kata_now_monotonic_ns() - start) / 1e9);
        pthread_mutex_unlock(&c->lock);
out:
        for (size_t i = 0; i < njobs; i++) {
                kata_agent_close(&jobs[i].conn);
                kata_metric_set_free(jobs[i].set);
        }
        free(jobs);
        kata_metric_set_free(set);
        kata_observe_snapshot_free(&snap);
        kata_state_listing_free(&l);
        return r;
}

int kata_metrics_collector_sandboxes_json(kata_metrics_collector *c, char **json, kata_error *err)
{
        kata_state_listing l = {0};
        int r = kata_state_list(c->state_root, &l, err);
        if (r < 0)
                return r;
        json_object *arr = json_object_new_array();
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; arr && i < l.nsandboxes; i++) {
                const kata_sandbox_state *st = &l.sandboxes[i];
                json_object *o = json_object_new_object();
                json_object *ids = json_object_new_array();
                for (size_t j = 0; ids && j < st->ncontainers; j++)
                        json_object_array_add(ids, json_object_new_string(st->containers[j].id));
                unsigned long long failures = 0;
                for (size_t j = 0; j < c->nfailures; j++) {
                        if (strcmp(c->failures[j].id, st->id) == 0)
                                failures = c->failures[j].failures;
                }
                json_object_object_add(o, "id", json_object_new_string(st->id));
                json_object_object_add(
                    o, "state", json_object_new_string(kata_sandbox_status_name(st->status)));
                json_object_object_add(o, "hypervisor", json_object_new_string(st->hypervisor));
                json_object_object_add(o, "agent_address",
                                       json_object_new_string(st->agent_address));
                json_object_object_add(o, "agent_pid", json_object_new_int64(st->agent_pid));
                json_object_object_add(o, "vmm_pid", json_object_new_int64(st->vmm_pid));
                json_object_object_add(o, "containers", ids);
                json_object_object_add(o, "failed_scrapes",
                                       json_object_new_int64((int64_t)failures));
                json_object_array_add(arr, o);
        }
        pthread_mutex_unlock(&c->lock);
        kata_state_listing_free(&l);
        const char *s = arr ? json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN) : NULL;
        *json = s ? strdup(s) : NULL;
        json_object_put(arr);
        if (!*json)
                return kata_error_set(err, ENOMEM, "out of memory");
        return 0;
}
