/*
 * rusage-run OUT COMMAND [ARG...]: runs COMMAND and writes the CPU time (user and system, µs) of
 * it and of every process it started to OUT as "<user_us> <system_us>\n", then exits as COMMAND
 * did. The benchmarks' CPU columns (test/bench/_app.ts): /proc's clock ticks are 10 ms, and a
 * process whose parent exits first (npm start's node once npm is stopped) is reaped by init, so
 * its time never reaches the benchmark's children total. This process is a child subreaper: every
 * descendant that outlives its parent is reparented here and waited for, so RUSAGE_CHILDREN holds
 * them all. It ignores SIGTERM and SIGINT: a signal to the process group reaches every process of
 * it anyway, and this one stays to reap them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rusage-run OUT COMMAND [ARG...]\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) perror("rusage-run: PR_SET_CHILD_SUBREAPER");
  pid_t pid = fork();
  if (pid < 0) {
    perror("rusage-run: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror("rusage-run: exec");
    _exit(127);
  }
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  int status = 0, code = 1;
  for (;;) {
    pid_t done = waitpid(-1, &status, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: every descendant is reaped */
    }
    if (done == pid) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  FILE *out = fopen(argv[1], "w");
  if (!out) {
    perror("rusage-run: open OUT");
    return 2;
  }
  fprintf(out, "%lld %lld\n", (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
          (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
  fclose(out);
  return code;
}
