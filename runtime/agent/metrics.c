#include "agent/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static char *read_proc(const char *proc, const char *file)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", proc, file);
        char *text = NULL;
        kata_error err = KATA_ERROR_INIT;
        if (kata_read_file(path, 1 << 20, &text, NULL, &err) < 0)
                return NULL;
        return text;
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* "Key:   123 kB" lines of /proc/.../status and /proc/meminfo, values in bytes. */
static void key_value_lines(FILE *f, const char *metric, const char *text, bool only_vm)
{
        if (!text)
                return;
        const char *line = text;
        while (*line) {
                const char *end = strchrnul(line, '\n');
                char key[64];
                unsigned long long value;
                char unit[8] = "";
                int n = sscanf(line, "%63[^:]: %llu %7s", key, &value, unit);
                if (n >= 2 &&
                    (!only_vm || strncmp(key, "Vm", 2) == 0 || strcmp(key, "Threads") == 0)) {
                        if (strcmp(unit, "kB") == 0)
                                value *= 1024;
                        fprintf(f, "%s{item=\"%s\"} %llu\n", metric, key, value);
                }
                line = *end ? end + 1 : end;
        }
}

static unsigned long long status_value(const char *text, const char *key)
{
        size_t klen = strlen(key);
        for (const char *line = text; line && *line;) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
                        unsigned long long v = 0;
                        char unit[8] = "";
                        if (sscanf(line + klen + 1, "%llu %7s", &v, unit) < 1)
                                return 0;
                        return strcmp(unit, "kB") == 0 ? v * 1024 : v;
                }
                const char *nl = strchr(line, '\n');
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

int agent_metrics_render(const char *proc, uint64_t scrape_count, size_t n_containers, char **out,
                         kata_error *err)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return kata_error_errno(err, errno, "open_memstream");
        long ticks = sysconf(_SC_CLK_TCK);
        if (ticks <= 0)
                ticks = 100;

        char *status = read_proc(proc, "self/status");
        char *stat = read_proc(proc, "self/stat");
        header(f, "kata_agent_scrape_count", "counter", "Metrics scrapes served by the agent.");
        fprintf(f, "kata_agent_scrape_count %llu\n", (unsigned long long)scrape_count);
        header(f, "kata_agent_threads", "gauge", "Threads of the agent.");
        fprintf(f, "kata_agent_threads %llu\n", status_value(status, "Threads"));
        header(f, "kata_agent_total_vm", "gauge", "Agent virtual memory size in bytes.");
        fprintf(f, "kata_agent_total_vm %llu\n", status_value(status, "VmSize"));
        header(f, "kata_agent_total_rss", "gauge", "Agent resident set size in bytes.");
        fprintf(f, "kata_agent_total_rss %llu\n", status_value(status, "VmRSS"));
        unsigned long long utime = 0, stime = 0;
        const char *after_comm = stat ? strrchr(stat, ')') : NULL;
        if (after_comm)
                sscanf(after_comm + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                       &utime, &stime);
        header(f, "kata_agent_total_time", "gauge", "Agent CPU time (user + system) in seconds.");
        fprintf(f, "kata_agent_total_time %.3f\n", (double)(utime + stime) / (double)ticks);
        header(f, "kata_agent_proc_status", "gauge", "Agent /proc/self/status memory figures.");
        key_value_lines(f, "kata_agent_proc_status", status, true);
        free(status);
        free(stat);

        header(f, "kata_guest_containers", "gauge", "Containers the agent manages.");
        fprintf(f, "kata_guest_containers %zu\n", n_containers);
        char *loadavg = read_proc(proc, "loadavg");
        double l1, l5, l15;
        unsigned running, total;
        if (loadavg &&
            sscanf(loadavg, "%lf %lf %lf %u/%u", &l1, &l5, &l15, &running, &total) == 5) {
                header(f, "kata_guest_load", "gauge", "Guest load averages.");
                fprintf(f, "kata_guest_load{item=\"load1\"} %.2f\n", l1);
                fprintf(f, "kata_guest_load{item=\"load5\"} %.2f\n", l5);
                fprintf(f, "kata_guest_load{item=\"load15\"} %.2f\n", l15);
                header(f, "kata_guest_tasks", "gauge", "Guest tasks.");
                fprintf(f, "kata_guest_tasks{item=\"running\"} %u\n", running);
                fprintf(f, "kata_guest_tasks{item=\"total\"} %u\n", total);
        }
        free(loadavg);
        char *pstat = read_proc(proc, "stat");
        if (pstat) {
                static const char *const items[] = {"user",   "nice", "system",  "idle",
                                                    "iowait", "irq",  "softirq", "steal"};
                header(f, "kata_guest_cpu_time", "counter", "Guest CPU time in seconds.");
                const char *line = pstat;
                while (strncmp(line, "cpu", 3) == 0) {
                        char cpu[32];
                        unsigned long long v[8] = {0};
                        if (sscanf(line, "%31s %llu %llu %llu %llu %llu %llu %llu %llu", cpu, &v[0],
                                   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) >= 5)
                                for (size_t i = 0; i < KATA_ARRAY_SIZE(items); i++)
                                        fprintf(f,
                                                "kata_guest_cpu_time{cpu=\"%s\",item=\"%s\"} "
                                                "%.2f\n",
                                                cpu, items[i], (double)v[i] / (double)ticks);
                        const char *nl = strchr(line, '\n');
                        if (!nl)
                                break;
                        line = nl + 1;
                }
        }
        free(pstat);
        char *meminfo = read_proc(proc, "meminfo");
        header(f, "kata_guest_meminfo", "gauge", "Guest /proc/meminfo in bytes.");
        key_value_lines(f, "kata_guest_meminfo", meminfo, false);
        free(meminfo);
        if (fclose(f) != 0) {
                free(buf);
                return kata_error_set(err, ENOMEM, "out of memory rendering metrics");
        }
        *out = buf;
        return 0;
}
