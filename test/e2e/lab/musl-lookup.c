/* Prints the addresses getaddrinfo(3) returns for argv[1], one a line; built static with musl-gcc
 * by the end-to-end tests, so the lookup is musl's (resolv.conf, every nameserver at once). */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const void *address_of(const struct addrinfo *ai) {
    if (ai->ai_family == AF_INET) return &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
    return &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
}

int main(int argc, char **argv) {
    struct addrinfo hints, *res, *ai;
    char text[INET6_ADDRSTRLEN];
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s NAME\n", argv[0]);
        return 2;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(argv[1], NULL, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], gai_strerror(rc));
        return 1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if (inet_ntop(ai->ai_family, address_of(ai), text, sizeof text)) printf("%s\n", text);
    }
    freeaddrinfo(res);
    return 0;
}
