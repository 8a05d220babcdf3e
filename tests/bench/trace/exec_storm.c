/* Exec storm for bench_trace_exec.sh: WORKERS processes each fork+exec PROGRAM (default
 * /bin/true) with the argument "storm" in a loop for SECONDS; prints
 * "execs=N seconds=S rate=R" (successful execs per second). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        if (argc != 3 && argc != 4) {
                fprintf(stderr, "usage: exec-storm SECONDS WORKERS [PROGRAM]\n");
                return 2;
        }
        double seconds = atof(argv[1]);
        int workers = atoi(argv[2]);
        const char *program = argc == 4 ? argv[3] : "/bin/true";
        if (seconds <= 0 || workers < 1 || workers > 64) {
                fprintf(stderr, "exec-storm: bad arguments\n");
                return 2;
        }
        unsigned long *counts = mmap(NULL, 64 * sizeof(*counts), PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (counts == MAP_FAILED) {
                perror("mmap");
                return 1;
        }
        double start = now(), end = start + seconds;
        for (int w = 0; w < workers; w++) {
                if (fork() != 0)
                        continue;
                unsigned long n = 0;
                while (now() < end) {
                        pid_t pid = fork();
                        if (pid == 0) {
                                execl(program, program, "storm", (char *)NULL);
                                _exit(127);
                        }
                        int status;
                        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                            WEXITSTATUS(status) == 0)
                                n++;
                }
                counts[w] = n;
                _exit(0);
        }
        while (wait(NULL) > 0)
                ;
        double elapsed = now() - start;
        unsigned long total = 0;
        for (int w = 0; w < workers; w++)
                total += counts[w];
        printf("execs=%lu seconds=%.3f rate=%.0f\n", total, elapsed, total / elapsed);
        return 0;
}
