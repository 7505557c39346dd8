/*
 * Runs one tool of the compiled tier's build (wasm2c, the C compiler) bounded:
 * a child in a process group of its own, with CPU time, address space and
 * output file size limits, no file descriptors but 0/1/2, killed with its
 * whole group after a wall-clock timeout, when the thread that started it
 * ends (PR_SET_PDEATHSIG), or when wsk_subprocess_stop_all is called.
 * fork and exec happen here because between the two only async-signal-safe
 * calls are allowed, which Swift cannot promise.
 */
#ifndef WSK_SUBPROCESS_H_
#define WSK_SUBPROCESS_H_

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsk_subprocess_limits {
  uint64_t cpu_seconds;   /* RLIMIT_CPU of the tool and of every process it starts; 0: none */
  uint64_t address_space; /* RLIMIT_AS, bytes; 0: none */
  uint64_t file_size;     /* RLIMIT_FSIZE, the largest file it may write, bytes; 0: none */
  uint64_t timeout_ms;    /* wall clock, after which the group is killed; 0: none */
} wsk_subprocess_limits;

typedef struct wsk_subprocess_result {
  int start_error;  /* errno when the tool could not be started (fork, exec, ...); 0 when it ran */
  int wait_status;  /* as waitpid gives it */
  int timed_out;    /* 1 when the group was killed at the timeout */
  int stopped;      /* 1 when wsk_subprocess_stop_all killed the group */
  pid_t group;      /* the process group it ran in (its pid) */
  uint64_t output_length; /* bytes of stdout + stderr kept in `output` */
} wsk_subprocess_result;

/* Runs `path` with `argv` (NULL-terminated, argv[0] included) and `envp`,
 * stdin from /dev/null, stdout and stderr into `output` (the first
 * `capacity` bytes kept, the rest read and dropped), and blocks until the
 * tool and its group are done. */
void wsk_subprocess_run(const char* path, char* const argv[], char* const envp[], const wsk_subprocess_limits* limits,
                        uint8_t* output, uint64_t capacity, wsk_subprocess_result* result);

/* Kills every group running now with SIGKILL and refuses new ones
 * (start_error ECANCELED): for the process's shutdown. */
void wsk_subprocess_stop_all(void);

/* The signals wait_status can carry, as C cannot name them to Swift otherwise. */
int wsk_subprocess_exited(int status);      /* WIFEXITED */
int wsk_subprocess_exit_code(int status);   /* WEXITSTATUS */
int wsk_subprocess_signal(int status);      /* WTERMSIG when WIFSIGNALED, else 0 */

#ifdef __cplusplus
}
#endif

#endif /* WSK_SUBPROCESS_H_ */
