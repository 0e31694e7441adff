/* A static payload for integration tests, run inside containers that have
 * no compiler or libc of their own (crun's tests/init.c is the model).
 *   payload syscall NR   calls syscall NR with zero arguments and prints
 *                        "ok" or the errno's number, e.g. "errno 38" */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "syscall") == 0) {
    long r = syscall(strtol(argv[2], NULL, 10), 0, 0, 0, 0, 0, 0);
    if (r < 0)
      printf("errno %d\n", errno);
    else
      printf("ok\n");
    return 0;
  }
  fprintf(stderr, "usage: payload syscall NR\n");
  return 2;
}
