#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
static void quit(int sig) { (void) sig; _exit(0); }
static void reap(int sig) { (void) sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
    struct sigaction q = {0}, r = {0};
    q.sa_handler = quit;
    sigaction(SIGINT, &q, NULL);
    sigaction(SIGTERM, &q, NULL);
    r.sa_handler = reap;
    r.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &r, NULL);
    for (;;) pause();
    return 1;
}
