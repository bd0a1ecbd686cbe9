"""Starts Chromium inside the network namespace that `unshare --net` has just made for it.

cdp.Browser.launch runs

    unshare --net -- python -I -S netns_launcher.py CONTROL_FD PORT... -- CHROMIUM ARGV...

Here, in the new namespace (whose only interface is lo, still down), this script:
1. brings lo up (an ioctl: no `ip` process to spawn);
2. listens on 127.0.0.1:PORT and [::1]:PORT for each PORT (on [::1] only if IPv6 is on);
3. sends those listening sockets to the test process over the Unix socket CONTROL_FD (SCM_RIGHTS).
   A socket belongs to the namespace it was made in, wherever its descriptor goes: the test
   process accepts on them and connects each connection on to the same port on the host's
   loopback (cdp._Relay), from its own namespace;
4. execs Chromium in its place: the same pid, fds 3 and 4 (the CDP pipe) untouched.

Nothing else is reachable from the namespace: no other interface, no route off the machine, so
none of Chromium's own probes (the IPv6 reachability check, DNS, STUN) can send a packet out.
Standard library only; -I -S keeps the start quick and free of the caller's site-packages.
"""
import errno
import fcntl
import os
import socket
import struct
import sys

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def bring_up_lo() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        # struct ifreq: 16 bytes of name, then a union of which we use the short flags; 40 bytes.
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack_from("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def listen(family: int, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def main() -> None:
    control_fd = int(sys.argv[1])
    split = sys.argv.index("--")
    ports = [int(p) for p in sys.argv[2:split]]
    argv = sys.argv[split + 1:]
    control = socket.socket(fileno=control_fd)
    try:
        # A guard: listening here in the test's own namespace would shadow the very ports we
        # relay to (and Chromium would run unisolated).
        if os.readlink("/proc/self/ns/net") == os.readlink(f"/proc/{os.getppid()}/ns/net"):
            raise RuntimeError("not in a network namespace of its own: run under unshare --net")
        bring_up_lo()
        listeners = []
        for port in ports:
            listeners.append(listen(socket.AF_INET, "127.0.0.1", port))
            try:
                listeners.append(listen(socket.AF_INET6, "::1", port))
            except OSError as e:
                # A kernel without IPv6, or with it disabled for new namespaces: no ::1 to
                # listen on, and no [::1] for Chromium to ask for either.
                if e.errno not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):
                    raise
        socket.send_fds(control, [b"ok"], [s.fileno() for s in listeners])
    except Exception as e:  # the test process reads the reason from the control socket
        print(f"netns_launcher: {e!r}", file=sys.stderr)
        control.sendall(f"error: {e!r}".encode())
        sys.exit(1)
    # The test process has its own copies now. Ours are close-on-exec (Python makes every
    # descriptor so); the control socket, inherited, is not: Chromium must not keep it.
    for s in listeners:
        s.close()
    control.close()
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
