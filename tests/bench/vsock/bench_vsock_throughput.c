/* Throughput through kata-vsock-backend (the real binary, its own process) against a plain
 * unix socket pair, measured in the same run. The guest is the tests' fake frontend
 * (tests/unit/vsock/fake_frontend.c): its copies stand in for the guest kernel's.
 * Usage: kata-bench-vsock BACKEND_BINARY MIB [ROUNDS] */
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_frontend.h"
#include "transport/transport.h"

#define CHUNK (64u * 1024u)

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct io {
        int fd;
        size_t total, done;
};

static void *reader(void *arg)
{
        struct io *io = arg;
        static uint8_t buf[CHUNK];
        ssize_t r;
        while (io->done < io->total && (r = read(io->fd, buf, sizeof(buf))) > 0)
                io->done += (size_t)r;
        return NULL;
}

static void *writer(void *arg)
{
        struct io *io = arg;
        static uint8_t buf[CHUNK];
        memset(buf, 0x5a, sizeof(buf));
        while (io->done < io->total) {
                size_t n = io->total - io->done < CHUNK ? io->total - io->done : CHUNK;
                ssize_t w = write(io->fd, buf, n);
                if (w <= 0)
                        break;
                io->done += (size_t)w;
        }
        return NULL;
}

static long rss_kib(pid_t pid)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        long kib = -1;
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

static double unix_pair(size_t total)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
                return -1;
        struct io w = {sv[0], total, 0}, r = {sv[1], total, 0};
        pthread_t tw, tr;
        double t0 = now_s();
        pthread_create(&tw, NULL, writer, &w);
        pthread_create(&tr, NULL, reader, &r);
        pthread_join(tw, NULL);
        pthread_join(tr, NULL);
        double t = now_s() - t0;
        close(sv[0]);
        close(sv[1]);
        return r.done == total ? (double)total / t / (1 << 20) : -1;
}

int main(int argc, char **argv)
{
        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: %s BACKEND_BINARY MIB [ROUNDS]\n", argv[0]);
                return 2;
        }
        size_t total = (size_t)strtoul(argv[2], NULL, 10) << 20;
        int rounds = argc == 4 ? atoi(argv[3]) : 1;
        if (total == 0 || rounds < 1) {
                fprintf(stderr, "MIB and ROUNDS must be positive\n");
                return 2;
        }
        char dir[] = "/tmp/kata-bench-vsock-XXXXXX", vu[128], uds[128];
        if (!mkdtemp(dir))
                return 1;
        snprintf(vu, sizeof(vu), "%s/vu.sock", dir);
        snprintf(uds, sizeof(uds), "%s/kata.hvsock", dir);
        pid_t pid = fork();
        if (pid == 0) {
                execl(argv[1], argv[1], "--socket", vu, "--uds-path", uds, "--guest-cid", "3",
                      "--log-level", "warn", (char *)NULL);
                _exit(127);
        }
        struct ff_options fo = {.guest_cid = 3, .event_idx = true, .rx_buf_size = 16384};
        struct fake_frontend *ff = ff_start(vu, &fo);
        if (!ff) {
                kill(pid, SIGTERM);
                return 1;
        }
        kata_error err = KATA_ERROR_INIT;
        int lfd = kata_hvsock_host_listen(uds, 9000, 4, &err);
        struct ff_conn *c = ff_connect(ff, 9000);
        int hfd = lfd >= 0 ? kata_transport_accept(lfd, 5000, &err) : -1;
        int status = 1;
        if (!c || hfd < 0) {
                fprintf(stderr, "bench: could not connect through the backend\n");
                goto out;
        }
        long rss_idle = rss_kib(pid);
        uint8_t *buf = malloc(CHUNK);
        memset(buf, 0xa5, CHUNK);
        double g2h = 0, h2g = 0, base = 0;
        bool complete = true;
        /* Best of `rounds` for each figure: the machine is shared and noisy. */
        for (int round = 0; round < rounds && complete; round++) {
                /* Guest -> host. */
                struct io r = {hfd, total, 0};
                pthread_t t;
                double t0 = now_s();
                pthread_create(&t, NULL, reader, &r);
                for (size_t sent = 0; sent < total; sent += CHUNK)
                        if (ff_write(ff, c, buf, CHUNK) < 0)
                                break;
                while (r.done < total && now_s() - t0 < 60)
                        ff_pump(ff, 1);
                pthread_join(t, NULL);
                double v = (double)r.done / (now_s() - t0) / (1 << 20);
                g2h = v > g2h ? v : g2h;
                /* Host -> guest. */
                struct io w = {hfd, total, 0};
                size_t got = 0;
                t0 = now_s();
                pthread_create(&t, NULL, writer, &w);
                while (got < total) {
                        long n = ff_read(ff, c, buf, CHUNK, 10000);
                        if (n <= 0)
                                break;
                        got += (size_t)n;
                }
                pthread_join(t, NULL);
                v = (double)got / (now_s() - t0) / (1 << 20);
                h2g = v > h2g ? v : h2g;
                v = unix_pair(total);
                base = v > base ? v : base;
                complete = r.done == total && got == total && v > 0;
        }
        free(buf);
        if (!complete) {
                fprintf(stderr, "bench: transfer incomplete\n");
                goto out;
        }
        printf("%zu MiB per direction, best of %d, 16 KiB guest rx buffers, 256 KiB credit\n",
               total >> 20, rounds);
        printf("unix socket pair:             %8.1f MiB/s\n", base);
        printf("backend guest->host:          %8.1f MiB/s\n", g2h);
        printf("backend host->guest:          %8.1f MiB/s\n", h2g);
        printf("ratio backend/unix guest->host: %.2f\n", g2h / base);
        printf("ratio backend/unix host->guest: %.2f\n", h2g / base);
        /* Includes the guest memory pages the backend touched (shared with the frontend). */
        printf("backend RSS: %ld KiB with one idle connection, %ld KiB after the transfers\n",
               rss_idle, rss_kib(pid));
        status = 0;
out:
        ff_stop(ff);
        int ws;
        waitpid(pid, &ws, 0);
        if (hfd >= 0)
                close(hfd);
        if (lfd >= 0)
                close(lfd);
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                status = 1;
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
                fprintf(stderr, "bench: the backend did not exit cleanly\n");
                status = 1;
        }
        return status;
}
