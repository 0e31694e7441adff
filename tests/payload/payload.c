/* A static payload for integration tests, run inside containers that have
 * no compiler or libc of their own (crun's tests/init.c is the model).
 *   payload syscall NR   calls syscall NR with zero arguments and prints
 *                        "ok" or the errno's number, e.g. "errno 38"
 *   payload key add NAME adds a "user" key NAME to the session keyring
 *   payload key find NAME
 *                        looks NAME up as a program would (request_key:
 *                        thread, process and session keyrings); both
 *                        print "key SERIAL" or the errno's number
 *   payload udp PORT     binds a UDP socket to PORT on every address and
 *                        waits to be killed (busybox's nc has no UDP) */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEY_SPEC_SESSION_KEYRING (-3) /* <linux/keyctl.h> */

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "syscall") == 0) {
    long r = syscall(strtol(argv[2], NULL, 10), 0, 0, 0, 0, 0, 0);
    if (r < 0)
      printf("errno %d\n", errno);
    else
      printf("ok\n");
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "key") == 0) {
    long r = -1;
    if (strcmp(argv[2], "add") == 0)
      r = syscall(SYS_add_key, "user", argv[3], "left", 4, KEY_SPEC_SESSION_KEYRING);
    else if (strcmp(argv[2], "find") == 0)
      r = syscall(SYS_request_key, "user", argv[3], NULL, 0);
    else
      errno = EINVAL;
    if (r < 0)
      printf("errno %d\n", errno);
    else
      printf("key %ld\n", r);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "udp") == 0) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) < 0) {
      printf("errno %d\n", errno);
      return 1;
    }
    for (;;) pause();
  }
  fprintf(stderr, "usage: payload syscall NR | payload key add|find NAME | payload udp PORT\n");
  return 2;
}
