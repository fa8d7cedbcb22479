/* drivers/nspawn/nspawn-init.c - engine-nspawn-init, PID 1 of an nspawn
 * container (what docker-init/tini is to Docker). Built static, because the
 * image may have no libc; the nspawn driver binds it read-only into the
 * container's /run and runs `engine-nspawn-init CMD ARGS...`.
 *
 * Why: nspawn's own stub init (--as-pid2) reports a command killed by a
 * signal as 255 and nspawn reports an exec failure as 1. This init runs the
 * command as pid 2 and exits the way a shell reports it: the command's code,
 * 128+N for signal N (137 after an OOM kill), 127 when it is not found, 126
 * when it cannot be executed. It forwards signals to the command (nspawn's
 * halt signal as SIGTERM) and reaps orphans. */
#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void exec_command(char **argv)
{
    int e;

    execvp(argv[0], argv);
    e = errno;
    fprintf(stderr, "%s: %s\n", argv[0], e == ENOENT ? "not found" : strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
    sigset_t all, none;
    pid_t child;

    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
        return 127;
    }
    sigfillset(&all);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &all, NULL);
    child = fork();
    if (child < 0) {
        perror("fork");
        return 126;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &none, NULL);
        exec_command(argv + 1);
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);

        if (sig < 0)
            continue;
        if (sig == SIGCHLD) {
            int status;
            pid_t p;

            while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
                if (p != child)
                    continue;
                /* The command is the container: when it ends, so does the
                 * pid namespace, taking any orphan with it. */
                if (WIFEXITED(status))
                    return WEXITSTATUS(status);
                return 128 + WTERMSIG(status);
            }
            continue;
        }
        /* nspawn halts a non-booted container with --kill-signal; anything
         * meant for "the container" goes to its command. */
        if (sig == SIGRTMIN + 3)
            sig = SIGTERM;
        (void)kill(child, sig);
    }
}
