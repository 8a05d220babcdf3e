/* execveat(dirfd of DIR, NAME, [NAME, ARGS...]): the call libbpf-tools' execsnoop misses. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: execveat-helper DIR NAME [ARGS...]\n");
                return 2;
        }
        int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                perror(argv[1]);
                return 1;
        }
        char *envp[] = {NULL};
        syscall(SYS_execveat, dirfd, argv[2], &argv[2], envp, 0);
        perror("execveat");
        return 1;
}
