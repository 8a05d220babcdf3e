#include "agent/process.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

struct agent_process *agent_process_new(const char *exec_id)
{
        struct agent_process *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->refs = 1;
        snprintf(p->exec_id, sizeof(p->exec_id), "%s", exec_id ? exec_id : "");
        p->pid = -1;
        p->stdin_fd = p->stdout_fd = p->stderr_fd = -1;
        pthread_cond_init(&p->exited_cond, NULL);
        return p;
}

static void process_free(struct agent_process *p)
{
        if (p->stdin_fd >= 0)
                close(p->stdin_fd);
        if (p->stdout_fd >= 0)
                close(p->stdout_fd);
        if (p->stderr_fd >= 0)
                close(p->stderr_fd);
        kata_oci_process_clear(&p->exec_spec);
        pthread_cond_destroy(&p->exited_cond);
        free(p);
}

int agent_exit_code_from_wait_status(int wait_status)
{
        if (WIFEXITED(wait_status))
                return WEXITSTATUS(wait_status);
        if (WIFSIGNALED(wait_status))
                return 128 + WTERMSIG(wait_status);
        return 255;
}

static struct agent_process *find_by_pid_locked(struct agent *a, pid_t pid)
{
        for (struct agent_container *c = a->containers; c; c = c->next)
                for (struct agent_process *p = c->processes; p; p = p->next)
                        if (p->pid == pid && !p->exited)
                                return p;
        return NULL;
}

void agent_process_attach(struct agent *a, struct agent_container *c, struct agent_process *p,
                          pid_t pid)
{
        pthread_mutex_lock(&a->lock);
        p->pid = pid;
        p->container = c;
        /* Append, so that the init stays first. */
        struct agent_process **tail = &c->processes;
        while (*tail)
                tail = &(*tail)->next;
        *tail = p;
        for (size_t i = 0; i < a->n_unclaimed; i++) {
                if (a->unclaimed[i].pid == pid) {
                        p->exited = true;
                        p->exit_code = a->unclaimed[i].exit_code;
                        a->unclaimed[i] = a->unclaimed[--a->n_unclaimed];
                        break;
                }
        }
        pthread_mutex_unlock(&a->lock);
}

void agent_process_reaped(struct agent *a, pid_t pid, int wait_status)
{
        int code = agent_exit_code_from_wait_status(wait_status);
        pthread_mutex_lock(&a->lock);
        struct agent_process *p = find_by_pid_locked(a, pid);
        if (p) {
                p->exited = true;
                p->exit_code = code;
                if (p->container && p == p->container->processes)
                        p->container->status = CONTAINER_STOPPED;
                pthread_cond_broadcast(&p->exited_cond);
                kata_log_debug("process %d (container %s, exec '%s') exited with %d", pid,
                               p->container ? p->container->id : "?", p->exec_id, code);
        } else {
                /* A bounded ring: orphans reparented to init would otherwise pile up. */
                size_t cap = KATA_ARRAY_SIZE(a->unclaimed);
                size_t slot = a->n_unclaimed < cap ? a->n_unclaimed++ : a->unclaimed_next++ % cap;
                a->unclaimed[slot].pid = pid;
                a->unclaimed[slot].exit_code = code;
        }
        pthread_mutex_unlock(&a->lock);
}

int agent_process_wait(struct agent *a, struct agent_process *p, int *exit_code)
{
        pthread_mutex_lock(&a->lock);
        while (!p->exited && !a->stopping) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1; /* wake up now and then to notice a stop */
                pthread_cond_timedwait(&p->exited_cond, &a->lock, &ts);
        }
        bool exited = p->exited;
        *exit_code = p->exit_code;
        pthread_mutex_unlock(&a->lock);
        return exited ? 0 : -ECANCELED;
}

void *agent_reaper_thread(void *arg)
{
        struct agent *a = arg;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        for (;;) {
                int status;
                pid_t pid;
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                        agent_process_reaped(a, pid, status);
                struct timespec timeout = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
                siginfo_t info;
                int sig = sigtimedwait(&set, &info, &timeout);
                if (sig == SIGTERM || sig == SIGINT) {
                        kata_log_info("signal %d: stopping", sig);
                        agent_request_stop(a, 0);
                }
                if (a->stopping == 2)
                        break; /* shutdown finished: whatever is left is not ours to wait */
        }
        return NULL;
}

/* ---- references ---- */

struct agent_container *agent_container_get(struct agent *a, const char *id)
{
        pthread_mutex_lock(&a->lock);
        struct agent_container *c = a->containers;
        while (c && strcmp(c->id, id) != 0)
                c = c->next;
        if (c)
                c->refs++;
        pthread_mutex_unlock(&a->lock);
        return c;
}

void container_destroy(struct agent_container *c); /* container.c */

void agent_container_put(struct agent *a, struct agent_container *c)
{
        if (!c)
                return;
        pthread_mutex_lock(&a->lock);
        bool last = --c->refs == 0;
        pthread_mutex_unlock(&a->lock);
        if (last)
                container_destroy(c);
}

struct agent_process *agent_process_get(struct agent *a, const char *container_id,
                                        const char *exec_id, struct agent_container **container)
{
        struct agent_process *found = NULL;
        pthread_mutex_lock(&a->lock);
        struct agent_container *c = a->containers;
        while (c && strcmp(c->id, container_id) != 0)
                c = c->next;
        if (c) {
                for (struct agent_process *p = c->processes; p; p = p->next) {
                        if (strcmp(p->exec_id, exec_id ? exec_id : "") == 0) {
                                found = p;
                                break;
                        }
                }
        }
        if (found) {
                agent_process_ref(found);
                if (container) {
                        c->refs++;
                        *container = c;
                }
        }
        pthread_mutex_unlock(&a->lock);
        return found;
}

void agent_process_ref(struct agent_process *p)
{
        __atomic_add_fetch(&p->refs, 1, __ATOMIC_SEQ_CST);
}

void agent_process_unref(struct agent_process *p)
{
        if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_SEQ_CST) == 0)
                process_free(p);
}

void agent_process_put(struct agent *a, struct agent_process *p)
{
        (void)a;
        agent_process_unref(p);
}

int agent_check_id(const char *what, const char *id, bool allow_empty, kata_error *err)
{
        if (allow_empty && (!id || !id[0]))
                return 0;
        if (!id || !id[0])
                return kata_error_set(err, EINVAL, "%s is empty", what);
        if (strlen(id) > AGENT_ID_MAX)
                return kata_error_set(err, EINVAL, "%s is longer than %d bytes", what,
                                      AGENT_ID_MAX);
        if (!kata_id_is_valid(id))
                return kata_error_set(err, EINVAL,
                                      "%s '%s' is invalid: use [A-Za-z0-9_.-], not starting "
                                      "with '.' or '-'",
                                      what, id);
        return 0;
}
