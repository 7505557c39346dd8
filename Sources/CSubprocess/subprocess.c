/* See wsk-subprocess.h. */
#define _GNU_SOURCE
#include "wsk-subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* MARK: The groups running now */

/* At most one build per core runs at once (ModuleCompiler), so 256 is
 * plenty; a group that finds no free slot still runs, bounded by its limits
 * and timeout, but stop_all cannot reach it. */
#define MAX_GROUPS 256
static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t groups[MAX_GROUPS];
static bool stopping;

static void remove_group(pid_t group) {
  pthread_mutex_lock(&groups_lock);
  for (int i = 0; i < MAX_GROUPS; i++) {
    if (groups[i] == group) groups[i] = 0;
  }
  pthread_mutex_unlock(&groups_lock);
}

void wsk_subprocess_stop_all(void) {
  pthread_mutex_lock(&groups_lock);
  stopping = true;
  for (int i = 0; i < MAX_GROUPS; i++) {
    /* The leader is reaped only after it is removed here: the group id is still its own. */
    if (groups[i] != 0) kill(-groups[i], SIGKILL);
  }
  pthread_mutex_unlock(&groups_lock);
}

/* MARK: The child, between fork and exec: async-signal-safe calls only */

static void set_limit(int resource, uint64_t soft, uint64_t hard) {
  struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
  setrlimit(resource, &limit);
}

/* Tells the parent why exec failed (errno) through the status pipe, then ends. */
__attribute__((noreturn)) static void child_fail(int status_fd) {
  int error = errno;
  ssize_t ignored = write(status_fd, &error, sizeof error);
  (void)ignored;
  _exit(127);
}

__attribute__((noreturn)) static void child(const char* path, char* const argv[], char* const envp[],
                                            const wsk_subprocess_limits* limits, pid_t parent, int output_fd,
                                            int status_fd) {
  /* Its own group, so the whole build (cc1, as, ld, ...) can be killed at once. */
  if (setpgid(0, 0) != 0) child_fail(status_fd);
  /* Killed when the thread that started it ends; and if the parent is already gone, stop here. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(status_fd);
  if (getppid() != parent) _exit(127);
  /* Default signal actions (SIGXCPU and SIGXFSZ must end the tool) and none blocked. */
  struct sigaction fallback = {.sa_handler = SIG_DFL};
  sigemptyset(&fallback.sa_mask);
  for (int signal = 1; signal < NSIG; signal++) sigaction(signal, &fallback, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* The soft CPU limit sends SIGXCPU; one second later the hard one SIGKILL. */
  if (limits->cpu_seconds) set_limit(RLIMIT_CPU, limits->cpu_seconds, limits->cpu_seconds + 1);
  if (limits->address_space) set_limit(RLIMIT_AS, limits->address_space, limits->address_space);
  if (limits->file_size) set_limit(RLIMIT_FSIZE, limits->file_size, limits->file_size);
  set_limit(RLIMIT_CORE, 0, 0);
  /* stdin from /dev/null, stdout and stderr into the pipe, nothing else open. */
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) child_fail(status_fd);
  /* The status pipe is close-on-exec: it closes itself when exec succeeds. */
  if (status_fd <= 2) child_fail(status_fd);
  if (syscall(SYS_close_range, 3u, (unsigned)status_fd - 1, 0u) != 0 ||
      syscall(SYS_close_range, (unsigned)status_fd + 1, ~0u, 0u) != 0) {
    struct rlimit files;
    int last = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536 ? (int)files.rlim_cur : 65536;
    for (int fd = 3; fd < last; fd++) {
      if (fd != status_fd) close(fd);
    }
  }
  execve(path, argv, envp);
  child_fail(status_fd);
}

/* MARK: The parent */

static uint64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

void wsk_subprocess_run(const char* path, char* const argv[], char* const envp[], const wsk_subprocess_limits* limits,
                        uint8_t* output, uint64_t capacity, wsk_subprocess_result* result) {
  memset(result, 0, sizeof *result);
  int output_pipe[2], status_pipe[2];
  if (pipe2(output_pipe, O_CLOEXEC) != 0) {
    result->start_error = errno;
    return;
  }
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    result->start_error = errno;
    close(output_pipe[0]);
    close(output_pipe[1]);
    return;
  }
  /* Registered before it can run, under the lock stop_all takes: a shutdown
   * either sees the group or stops it from starting. */
  pid_t parent = getpid();
  pthread_mutex_lock(&groups_lock);
  pid_t pid = stopping ? -1 : fork();
  int fork_error = stopping ? ECANCELED : errno;
  if (pid == 0) child(path, argv, envp, limits, parent, output_pipe[1], status_pipe[1]);
  if (pid > 0) {
    /* Also set here, so that the group exists before anyone kills it. */
    setpgid(pid, pid);
    for (int i = 0; i < MAX_GROUPS; i++) {
      if (groups[i] == 0) {
        groups[i] = pid;
        break;
      }
    }
  }
  pthread_mutex_unlock(&groups_lock);
  close(output_pipe[1]);
  close(status_pipe[1]);
  if (pid < 0) {
    result->start_error = fork_error;
    close(output_pipe[0]);
    close(status_pipe[0]);
    return;
  }
  result->group = pid;

  int exec_error = 0;
  ssize_t got;
  while ((got = read(status_pipe[0], &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {}
  close(status_pipe[0]);
  if (got != (ssize_t)sizeof exec_error) exec_error = 0;

  /* Reads until every process of the group has closed the pipe, or the time is up. */
  uint64_t deadline = limits->timeout_ms ? now_ms() + limits->timeout_ms : 0;
  uint8_t chunk[4096];
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      uint64_t now = now_ms();
      if (now >= deadline) {
        result->timed_out = 1;
        kill(-pid, SIGKILL);
        break;
      }
      wait_ms = (int)(deadline - now);
    }
    struct pollfd readable = {.fd = output_pipe[0], .events = POLLIN};
    int ready = poll(&readable, 1, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = read(output_pipe[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    uint64_t keep = (uint64_t)n;
    if (keep > capacity - result->output_length) keep = capacity - result->output_length;
    memcpy(output + result->output_length, chunk, keep);
    result->output_length += keep;
  }
  close(output_pipe[0]);

  /* The leader's exit, without reaping it: until it is reaped the group id
   * cannot be reused, so killing what is left of the group hits only it. */
  siginfo_t info;
  while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {}
  kill(-pid, SIGKILL);
  pthread_mutex_lock(&groups_lock);
  result->stopped = stopping && !result->timed_out;
  pthread_mutex_unlock(&groups_lock);
  remove_group(pid);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  result->wait_status = status;
  if (exec_error != 0) result->start_error = exec_error;
}

int wsk_subprocess_exited(int status) { return WIFEXITED(status); }
int wsk_subprocess_exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
int wsk_subprocess_signal(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }
