#ifndef CAPSTAN_CGIT2_SHIM_H
#define CAPSTAN_CGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/stream.h>

/* CapstanGit's replacement for libgit2's socket stream (see SocketStream.swift). Laid out as
 * libgit2 1.5.1's private git_socket_stream (src/libgit2/streams/socket.h), because its SSH
 * transport casts whatever stream it gets to that type to reach the descriptor `s`; the fields
 * after `s` are CapstanGit's own. */
typedef struct {
    git_stream parent;
    char *host;
    char *port;
    int s;
    int timeout_ms;
} capstan_socket_stream;

#endif
