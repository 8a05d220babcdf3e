/* The previous sample: a small chained hash table of obs_entry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "observe/internal.h"

static size_t bucket_of(const char *key)
{
        /* FNV-1a */
        uint64_t h = 1469598103934665603ull;
        for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
                h ^= *p;
                h *= 1099511628211ull;
        }
        return (size_t)(h % OBS_BUCKETS);
}

obs_entry *obs_history_get(obs_history *h, const char *key)
{
        size_t b = bucket_of(key);
        for (obs_entry *e = h->buckets[b]; e; e = e->next) {
                if (strcmp(e->key, key) == 0) {
                        e->generation = h->generation;
                        return e;
                }
        }
        obs_entry *e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        e->key = strdup(key);
        if (!e->key) {
                free(e);
                return NULL;
        }
        e->generation = h->generation;
        e->next = h->buckets[b];
        h->buckets[b] = e;
        return e;
}

static void entry_free(obs_entry *e)
{
        obs_cgfiles_close(e->files);
        if (e->cgroup)
                kata_cgroup_free(e->cgroup);
        if (e->connected)
                kata_agent_close(&e->conn);
        free(e->key);
        free(e);
}

void obs_history_sweep(obs_history *h)
{
        for (size_t b = 0; b < OBS_BUCKETS; b++) {
                obs_entry **pp = &h->buckets[b];
                while (*pp) {
                        obs_entry *e = *pp;
                        if (e->generation != h->generation) {
                                *pp = e->next;
                                entry_free(e);
                        } else {
                                pp = &e->next;
                        }
                }
        }
}

void obs_history_clear(obs_history *h)
{
        for (size_t b = 0; b < OBS_BUCKETS; b++) {
                while (h->buckets[b]) {
                        obs_entry *e = h->buckets[b];
                        h->buckets[b] = e->next;
                        entry_free(e);
                }
        }
}

void obs_cpu_delta(obs_entry *e, uint64_t cpu_ns, uint64_t now_ns, bool *valid, double *percent)
{
        *valid = false;
        *percent = 0;
        /* A counter that went backwards is a new cgroup or process under an old name:
         * start again rather than report a negative figure. */
        if (e->have_cpu && now_ns > e->cpu_at_ns && cpu_ns >= e->cpu_ns) {
                *percent = 100.0 * (double)(cpu_ns - e->cpu_ns) / (double)(now_ns - e->cpu_at_ns);
                *valid = true;
        }
        e->have_cpu = true;
        e->cpu_ns = cpu_ns;
        e->cpu_at_ns = now_ns;
}
