/* Rows, sort and filter of kata-ctl top, from observe snapshots. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "top/model.h"

enum {
        SB_ID,
        SB_DRIVER,
        SB_STATE,
        SB_CTRS,
        SB_CPU,
        SB_MEM,
        SB_LIMIT,
        SB_PIDS,
        SB_OOM,
        SB_LAT,
        SB_EXEC
};
static const top_column sandbox_cols[] = {
    {"ID", 24, false, 'n'}, {"DRIVER", 6, false, 0},  {"STATE", 7, false, 0},
    {"CTRS", 4, true, 0},   {"CPU%", 6, true, 'c'},   {"MEM", 7, true, 'm'},
    {"LIMIT", 7, true, 0},  {"PIDS", 5, true, 't'},   {"OOM", 4, true, 'o'},
    {"LAT", 7, true, 'l'},  {"EXEC/s", 6, true, 'e'},
};

enum {
        CT_ID,
        CT_STATUS,
        CT_PID,
        CT_CPU,
        CT_MEM,
        CT_WSET,
        CT_LIMIT,
        CT_PIDS,
        CT_OOM,
        CT_THR,
        CT_SRC
};
static const top_column container_cols[] = {
    {"ID", 24, false, 'n'},    {"STATUS", 7, false, 0}, {"PID", 7, true, 0},
    {"CPU%", 6, true, 'c'},    {"MEM", 7, true, 'm'},   {"WSET", 7, true, 'w'},
    {"LIMIT", 7, true, 0},     {"PIDS", 5, true, 't'},  {"OOM", 4, true, 'o'},
    {"THROTTLED", 9, true, 0}, {"SRC", 5, false, 0},
};

enum { PR_PID, PR_SPID, PR_PPID, PR_UID, PR_S, PR_CPU, PR_RSS, PR_COMM, PR_ARGS };
static const top_column process_cols[] = {
    {"PID", 7, true, 'n'}, {"SPID", 6, true, 0},   {"PPID", 6, true, 0},
    {"UID", 5, true, 0},   {"S", 1, false, 0},     {"CPU%", 6, true, 'c'},
    {"RSS", 7, true, 'm'}, {"COMM", 15, false, 0}, {"ARGS", 0, false, 0},
};

const top_column *top_columns(enum top_level level, size_t *n)
{
        switch (level) {
        case TOP_LEVEL_CONTAINERS:
                *n = sizeof(container_cols) / sizeof(container_cols[0]);
                return container_cols;
        case TOP_LEVEL_PROCESSES:
                *n = sizeof(process_cols) / sizeof(process_cols[0]);
                return process_cols;
        default:
                *n = sizeof(sandbox_cols) / sizeof(sandbox_cols[0]);
                return sandbox_cols;
        }
}

int top_column_by_key(enum top_level level, char key)
{
        size_t n;
        const top_column *c = top_columns(level, &n);
        for (size_t i = 0; i < n; i++) {
                if (c[i].key && c[i].key == key)
                        return (int)i;
        }
        return -1;
}

int top_column_by_name(enum top_level level, const char *name)
{
        size_t n;
        const top_column *c = top_columns(level, &n);
        for (size_t i = 0; i < n; i++) {
                if (strcasecmp(c[i].name, name) == 0)
                        return (int)i;
        }
        /* "cpu" and "mem" without the decoration. */
        if (strcasecmp(name, "cpu") == 0)
                return top_column_by_key(level, 'c');
        if (strcasecmp(name, "memory") == 0)
                return top_column_by_key(level, 'm');
        return -1;
}

void top_view_init(top_view *v)
{
        memset(v, 0, sizeof(*v));
        v->sort_col[TOP_LEVEL_SANDBOXES] = SB_CPU;
        v->sort_col[TOP_LEVEL_CONTAINERS] = CT_CPU;
        v->sort_col[TOP_LEVEL_PROCESSES] = PR_CPU;
        v->interval_s = 2.0;
}

void top_format_bytes(char *buf, size_t size, bool valid, uint64_t v)
{
        static const char units[] = "BKMGTPE";
        if (!valid) {
                snprintf(buf, size, "-");
                return;
        }
        double d = (double)v;
        int u = 0;
        while (d >= 1024 && u < 6) {
                d /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%lluB", (unsigned long long)v);
        else
                snprintf(buf, size, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

static void cell_u64(top_row *r, int col, bool valid, uint64_t v)
{
        if (valid) {
                snprintf(r->cells[col], TOP_CELL_MAX, "%llu", (unsigned long long)v);
                r->num[col] = (double)v;
        } else {
                snprintf(r->cells[col], TOP_CELL_MAX, "-");
                r->num[col] = -1;
        }
}

static void cell_bytes(top_row *r, int col, bool valid, uint64_t v)
{
        top_format_bytes(r->cells[col], TOP_CELL_MAX, valid, v);
        r->num[col] = valid ? (double)v : -1;
}

static void cell_limit(top_row *r, int col, bool valid, uint64_t v, bool bytes)
{
        if (valid && v == KATA_OBSERVE_UNLIMITED) {
                snprintf(r->cells[col], TOP_CELL_MAX, "max");
                r->num[col] = 1e30;
        } else if (bytes) {
                cell_bytes(r, col, valid, v);
        } else {
                cell_u64(r, col, valid, v);
        }
}

static void cell_percent(top_row *r, int col, bool valid, double v)
{
        if (valid) {
                snprintf(r->cells[col], TOP_CELL_MAX, "%.1f", v);
                r->num[col] = v;
        } else {
                snprintf(r->cells[col], TOP_CELL_MAX, "-");
                r->num[col] = -1;
        }
}

/* Process names and arguments come from containers (and, inside a VM, from its agent):
 * control characters would reach the terminal in text frames, so they show as '?'. */
static void sanitize(char *s)
{
        for (unsigned char *p = (unsigned char *)s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        *p = '?';
        }
}

static void cell_text(top_row *r, int col, const char *s)
{
        snprintf(r->cells[col], TOP_CELL_MAX, "%s", s);
        sanitize(r->cells[col]);
}

static void sandbox_row(const kata_observe_sandbox *sb, top_row *r)
{
        const kata_observe_usage *u = &sb->usage;
        snprintf(r->id, sizeof(r->id), "%s", sb->id);
        cell_text(r, SB_ID, sb->id);
        cell_text(r, SB_DRIVER, sb->hypervisor);
        cell_text(r, SB_STATE, kata_sandbox_status_name(sb->status));
        cell_u64(r, SB_CTRS, true, sb->ncontainers);
        cell_percent(r, SB_CPU, u->cpu_valid && u->cpu_percent_valid, u->cpu_percent);
        cell_bytes(r, SB_MEM, u->memory_valid, u->memory_usage_bytes);
        cell_limit(r, SB_LIMIT, u->memory_valid, u->memory_limit_bytes, true);
        cell_u64(r, SB_PIDS, u->pids_valid, u->pids_current);
        cell_u64(r, SB_OOM, u->memory_valid, u->oom_kills);
        if (sb->agent.ok) {
                double ms = (double)sb->agent.latency_ns / 1e6;
                snprintf(r->cells[SB_LAT], TOP_CELL_MAX, ms < 10 ? "%.2fms" : "%.0fms", ms);
                r->num[SB_LAT] = ms;
        } else {
                cell_text(r, SB_LAT, sb->agent.queried ? "down" : "-");
                r->num[SB_LAT] = sb->agent.queried ? 1e30 : -1;
        }
        cell_percent(r, SB_EXEC, sb->exec_rate_valid, sb->exec_per_sec);
}

static void container_row(const kata_observe_container *c, top_row *r)
{
        const kata_observe_usage *u = &c->usage;
        snprintf(r->id, sizeof(r->id), "%s", c->id);
        cell_text(r, CT_ID, c->id);
        cell_text(r, CT_STATUS, kata_container_status_name(c->status));
        cell_u64(r, CT_PID, c->pid > 0, (uint64_t)c->pid);
        cell_percent(r, CT_CPU, u->cpu_valid && u->cpu_percent_valid, u->cpu_percent);
        cell_bytes(r, CT_MEM, u->memory_valid, u->memory_usage_bytes);
        cell_bytes(r, CT_WSET, u->memory_valid, u->memory_working_set_bytes);
        cell_limit(r, CT_LIMIT, u->memory_valid, u->memory_limit_bytes, true);
        cell_u64(r, CT_PIDS, u->pids_valid, u->pids_current);
        cell_u64(r, CT_OOM, u->memory_valid, u->oom_kills);
        cell_u64(r, CT_THR, u->cpu_valid, u->cpu_throttled_periods);
        cell_text(r, CT_SRC, kata_observe_source_name(u->source));
}

static int process_row(const kata_observe_process *p, top_row *r)
{
        int64_t pid = p->host_pid ? p->host_pid : p->sandbox_pid;
        snprintf(r->id, sizeof(r->id), "%lld", (long long)pid);
        cell_u64(r, PR_PID, p->host_pid > 0, (uint64_t)p->host_pid);
        cell_u64(r, PR_SPID, p->sandbox_pid > 0, (uint64_t)p->sandbox_pid);
        cell_u64(r, PR_PPID, true, (uint64_t)(p->ppid > 0 ? p->ppid : 0));
        cell_u64(r, PR_UID, true, p->uid);
        snprintf(r->cells[PR_S], TOP_CELL_MAX, "%c", p->state ? p->state : '?');
        cell_percent(r, PR_CPU, p->cpu_percent_valid, p->cpu_percent);
        cell_bytes(r, PR_RSS, true, p->rss_bytes);
        cell_text(r, PR_COMM, p->comm);
        r->wide = strdup(p->args[0] ? p->args : p->comm);
        if (!r->wide)
                return -ENOMEM;
        sanitize(r->wide);
        return 0;
}

static bool row_matches(const top_row *r, size_t ncols, const char *filter)
{
        if (!filter[0])
                return true;
        for (size_t i = 0; i < ncols; i++) {
                if (strcasestr(r->cells[i], filter))
                        return true;
        }
        return r->wide && strcasestr(r->wide, filter);
}

/* qsort has no context argument; the sort runs on one thread. */
static int sort_col;
static bool sort_numeric, sort_ascending;

static int row_cmp(const void *a, const void *b)
{
        const top_row *x = a, *y = b;
        int c;
        if (sort_numeric)
                c = x->num[sort_col] < y->num[sort_col] ? -1 : x->num[sort_col] > y->num[sort_col];
        else
                c = strcmp(x->cells[sort_col], y->cells[sort_col]);
        if (!sort_ascending)
                c = -c;
        return c ? c : strcmp(x->id, y->id);
}

void top_table_free(top_table *t)
{
        for (size_t i = 0; i < t->nrows; i++)
                free(t->rows[i].wide);
        free(t->rows);
        memset(t, 0, sizeof(*t));
}

int top_table_build(const kata_observe_snapshot *s, top_view *v, top_table *out)
{
        memset(out, 0, sizeof(*out));
        out->level = v->level;
        out->cols = top_columns(v->level, &out->ncols);
        const kata_observe_sandbox *sb = NULL;
        const kata_observe_container *ct = NULL;
        size_t n = 0;
        if (v->level == TOP_LEVEL_SANDBOXES) {
                n = s->nsandboxes;
        } else if ((sb = kata_observe_find_sandbox(s, v->sandbox))) {
                if (v->level == TOP_LEVEL_CONTAINERS)
                        n = sb->ncontainers;
                else if ((ct = kata_observe_find_container(sb, v->container)))
                        n = ct->nprocesses;
        }
        out->rows = calloc(n ? n : 1, sizeof(*out->rows));
        if (!out->rows)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                top_row *r = &out->rows[out->nrows];
                if (v->level == TOP_LEVEL_SANDBOXES) {
                        sandbox_row(&s->sandboxes[i], r);
                } else if (v->level == TOP_LEVEL_CONTAINERS) {
                        container_row(&sb->containers[i], r);
                } else if (process_row(&ct->processes[i], r) < 0) {
                        top_table_free(out);
                        return -ENOMEM;
                }
                out->ntotal++;
                if (row_matches(r, out->ncols, v->filter)) {
                        out->nrows++;
                } else {
                        free(r->wide);
                        memset(r, 0, sizeof(*r));
                }
        }
        int col = v->sort_col[v->level];
        if (col < 0 || (size_t)col >= out->ncols)
                col = 0;
        sort_col = col;
        sort_numeric = out->cols[col].numeric;
        /* Names read best A-Z, figures largest first; the user may flip either. */
        sort_ascending = sort_numeric ? v->sort_ascending[v->level] : !v->sort_ascending[v->level];
        qsort(out->rows, out->nrows, sizeof(*out->rows), row_cmp);

        size_t cur = v->cursor;
        for (size_t i = 0; i < out->nrows; i++) {
                if (v->selected[0] && strcmp(out->rows[i].id, v->selected) == 0) {
                        cur = i;
                        break;
                }
        }
        if (out->nrows == 0)
                cur = 0;
        else if (cur >= out->nrows)
                cur = out->nrows - 1;
        v->cursor = cur;
        if (out->nrows)
                snprintf(v->selected, sizeof(v->selected), "%s", out->rows[cur].id);
        return 0;
}
