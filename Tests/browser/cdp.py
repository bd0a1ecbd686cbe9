"""A small driver for headless Chromium over the Chrome DevTools Protocol (CDP).

For the dashboard's browser tests and screenshot script. Only Debian's chromium package is
needed: no Selenium, Playwright or pyppeteer (they download browsers of their own, and nothing
but Debian and PyPI is reachable here).

    with Browser.launch(tmp_dir, ports=(8080,)) as browser:
        page = browser.new_page()
        page.goto("http://127.0.0.1:8080/")
        assert "Servers" in page.text()
        assert page.problems() == []
        page.screenshot(tmp_dir / "dashboard.png", width=1280)

The transport is `--remote-debugging-pipe` (newline-free JSON messages ending in NUL on file
descriptors 3 and 4) rather than a debugging port: no websocket client to carry, no port that any
other local process could connect to, no port file to poll, and Chromium exits by itself if this
process dies and the pipe closes. Playwright drives Chromium the same way.

Network isolation: the browser may reach the few ports of the host's loopback that the test
names, and nothing else. Chromium runs in a network namespace of its own whose only interface
is lo (`unshare --net`; then Tests/browser/netns_launcher.py brings lo up and execs Chromium).
There is no route off the machine at all, so none of Chromium's probes can send a packet out:
no flag stops its IPv6 reachability check, a UDP connect() to 2001:4860:4860::8888 that made
the kernel send a neighbour solicitation on eth0 whenever it had no fresh entry for the gateway.
Each port in `launch(ports=...)` is relayed: inside the namespace, 127.0.0.1:PORT and
[::1]:PORT reach the host's loopback on the same port, so URLs are the same inside and out.
The launcher makes those listening sockets in the namespace and hands them to this process over
a Unix socket; _Relay accepts on them here and connects on from the test's own namespace.
Every other port is refused.

Belt and braces, inside the namespace: every URL whose host is not loopback is sent to an HTTP
proxy on a dead loopback port (loopback bypasses the proxy by default), every host but
localhost, 127.0.0.1 and ::1 fails to resolve inside Chromium (so no DNS query is even tried),
and WebRTC may use no UDP of its own. See FLAGS; Tests/browser/test_cdp_harness.py pins all of
it, and that a launch leaves eth0's packet counters as they were.

Needs root (for the namespace), util-linux's unshare and Python's standard library.
"""
from __future__ import annotations

import base64
import collections
import fcntl
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
from typing import Any, Callable, NamedTuple

# Debian's real binary first: /usr/bin/chromium is a shell wrapper that sources /etc/chromium.d
# (Google API keys, extension loading, flags we do not want) and prints noise of its own.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")

# Makes the network namespace; util-linux is essential in Debian, so it is always there.
UNSHARE = "/usr/bin/unshare"
# Runs in the namespace: brings lo up, listens on the relayed ports, execs Chromium.
LAUNCHER = pathlib.Path(__file__).with_name("netns_launcher.py")
CONTROL_FD = 5  # the launcher's end of the Unix socket that carries the listening sockets back

# Where everything that is not loopback goes: the discard port, on which nothing listens.
DEAD_PROXY = "http://127.0.0.1:9"

FLAGS = (
    "--headless=new",
    "--remote-debugging-pipe",
    "--no-sandbox",  # we run as root, and Chromium's sandbox refuses root
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a container's /dev/shm may be 64 MiB; /tmp is safe
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-quic",
    "--no-pings",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
    # WebRtcHideLocalIpsWithMdns: WebRTC's mDNS responder joins the 224.0.0.251 multicast
    # group on every interface as soon as a page makes an RTCPeerConnection.
    # NetworkTimeServiceQuerying: a clock check against clients2.google.com at every start.
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"
    "AutofillServerCommunication,WebRtcHideLocalIpsWithMdns,NetworkTimeServiceQuerying",
    # WebRTC would otherwise send STUN and mDNS (UDP) straight out of the machine, proxy or
    # not: with this it may only use the proxy, which is dead. (Chromium 156 knows the switch
    # by this name; the older --force-webrtc-ip-handling-policy is silently ignored.)
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    # Every host fails to resolve inside Chromium but these three, so nothing asks the system's
    # DNS server (which is not on loopback), not even <link rel=dns-prefetch>, which resolves
    # whatever the proxy. The rules apply to IP literals too: 127.0.0.2 fails. (Not "127.*": it
    # would let the name 127.example.com through to DNS.)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE ::1",
    "--hide-scrollbars",  # screenshots of the same page are the same whatever the content height
    "--mute-audio",
)

LOOPBACK_PROXY = re.compile(r"^http://127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+$")

# Switches that extra_args may not give: Chromium takes the last of a repeated switch, so any of
# these would undo the isolation above (or the pipe, or the fresh profile).
PROTECTED = {"--proxy-server", "--no-proxy-server", "--proxy-pac-url", "--proxy-auto-detect",
             "--proxy-bypass-list", "--host-resolver-rules", "--webrtc-ip-handling-policy",
             "--disable-features", "--user-data-dir", "--remote-debugging-pipe",
             "--remote-debugging-port", "--remote-debugging-address"}

# Names of the environment variables that could point Chromium at a real proxy.
PROXY_ENV = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}


class CDPError(RuntimeError):
    """A command answered with an error, the browser or the page went away, or JavaScript threw."""


class CDPTimeout(CDPError):
    """A wait ran out of time. The message names what was waited for."""


class Problem(NamedTuple):
    """Something a person would see in the DevTools console, or a request that failed.

    kind: "console" (console.error/warn/assert), "exception" (uncaught), "log" (the browser's own
    messages: CSP violations, failed resource loads, ...), "network" (a request that failed or
    answered with HTTP status >= 400), "dialog" (alert/confirm/prompt, dismissed at once),
    "crash" (the renderer died).
    """

    kind: str
    level: str
    text: str
    url: str

    def __str__(self) -> str:
        return f"[{self.kind} {self.level}] {self.text}" + (f" ({self.url})" if self.url else "")


def find_chromium() -> str:
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    raise CDPError(
        f"chromium is not installed (looked for {', '.join(CHROMIUM_CANDIDATES)}): run `make deps`")


def _receive_listeners(control: socket.socket, ports: int, timeout: float) -> list[socket.socket]:
    """The listening sockets netns_launcher.py made in the namespace: two a port (v4 and v6),
    or one where the kernel has no IPv6."""
    control.settimeout(timeout)
    try:
        message, fds, _, _ = socket.recv_fds(control, 4096, 2 * ports + 1,
                                             socket.MSG_CMSG_CLOEXEC)
    except TimeoutError as e:
        raise CDPTimeout(f"the namespace launcher sent nothing within {timeout}s") from e
    listeners = [socket.socket(fileno=fd) for fd in fds]
    if message != b"ok" or not ports <= len(listeners) <= 2 * ports:
        for listener in listeners:
            listener.close()
        raise CDPError(message.decode(errors="replace")
                       or "the namespace launcher exited before it had made the namespace")
    return listeners


class _Pipe:
    """The CDP connection: one writer lock, one reader thread, answers matched to commands by id.

    Events go to the callback for their session (one per Page); the reader thread calls it, so
    no event is lost between two calls of the test.
    """

    def __init__(self, write_fd: int, read_fd: int, on_closed: Callable[[], str]):
        self._write_fd = write_fd
        self._read_fd = read_fd
        self._on_closed = on_closed  # returns why the browser went away, for error messages
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, list] = {}  # id -> [threading.Event, message or None]
        self._sessions: dict[str, Callable[[str, dict], None]] = {}
        self.closed_reason: str | None = None
        self._reader = threading.Thread(target=self._read_loop, name="cdp-reader", daemon=True)
        self._reader.start()

    def subscribe(self, session_id: str, callback: Callable[[str, dict], None]) -> None:
        with self._lock:
            self._sessions[session_id] = callback

    def unsubscribe(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def post(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        """Sends a command without waiting for its answer (safe from the reader thread)."""
        with self._lock:
            if self.closed_reason:
                raise CDPError(f"{method}: {self.closed_reason}")
            self._next_id += 1
            msg_id = self._next_id
            self._pending[msg_id] = [threading.Event(), None]
        message = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        with self._write_lock:
            try:
                while data:
                    data = data[os.write(self._write_fd, data):]
            except OSError as e:
                raise CDPError(f"{method}: cannot write to chromium: {e}") from e
        return msg_id

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 15) -> dict:
        """Sends a command and returns its result; raises CDPError if it answered an error."""
        msg_id = self.post(method, params, session)
        slot = self._pending[msg_id]
        if not slot[0].wait(timeout):
            with self._lock:
                self._pending.pop(msg_id, None)
            raise CDPTimeout(f"{method} got no answer from chromium within {timeout}s")
        with self._lock:
            self._pending.pop(msg_id, None)
        message = slot[1]
        if message is None:
            raise CDPError(f"{method}: {self.closed_reason}")
        if "error" in message:
            raise CDPError(f"{method} failed: {message['error'].get('message')} "
                           f"{message['error'].get('data', '')}".rstrip())
        return message.get("result", {})

    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._read_fd, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        slot = self._pending.get(message["id"])
                    if slot:  # else its sender timed out and left
                        slot[1] = message
                        slot[0].set()
                else:
                    with self._lock:
                        callback = self._sessions.get(message.get("sessionId", ""))
                    if callback:
                        try:
                            callback(message["method"], message.get("params", {}))
                        except Exception:  # a bug in a handler must not stop every later wait
                            traceback.print_exc()
        # EOF: chromium exited (or close() ended it). Wake every waiter with the reason.
        reason = self._on_closed()
        with self._lock:
            self.closed_reason = reason
            pending = list(self._pending.values())
            callbacks = list(self._sessions.values())
        for slot in pending:
            slot[0].set()
        for callback in callbacks:
            callback("cdp.closed", {"reason": reason})

    def join(self, timeout: float) -> None:
        self._reader.join(timeout)


class _Relay:
    """Carries each connection made to a relayed port inside the namespace to the host's loopback.

    The listening sockets belong to the browser's namespace (netns_launcher.py made them there);
    every socket this process makes belongs to the test's. So: one thread accepting on each
    listener, and for each connection one thread per direction copying bytes as they come (an
    EventSource stream is never held back), passing a half-close on as one.
    """

    def __init__(self, listeners: list[socket.socket]):
        self._listeners = listeners
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()  # both ends of every open connection
        self._threads: list[threading.Thread] = []
        self._closed = False
        for listener in listeners:
            self._start(self._accept_loop, listener)

    def _start(self, target: Callable, *args) -> None:
        thread = threading.Thread(target=target, args=args, name="cdp-relay", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        family, port = listener.family, listener.getsockname()[1]
        while True:
            try:
                inside, _ = listener.accept()
            except OSError:
                return  # close() shut the listener down
            self._start(self._connect, inside, family, port)

    def _connect(self, inside: socket.socket, family: int, port: int) -> None:
        # The same address on the host first; then the other loopback address, so that a page
        # asking for localhost:PORT reaches a server that listens on only one of them (Chromium
        # tries its next address only when a connect fails, and this one has succeeded).
        targets = [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
        if family == socket.AF_INET6:
            targets.reverse()
        outside = None
        for target_family, host in targets:
            sock = socket.socket(target_family, socket.SOCK_STREAM)
            try:
                sock.settimeout(10)
                sock.connect((host, port))
                sock.settimeout(None)
                outside = sock
                break
            except OSError:
                sock.close()
        if outside is None:
            # Nothing listens on the host: a reset, as near to "refused" as an accepted
            # connection can come, rather than a connection that waits for nothing.
            inside.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            inside.close()
            return
        with self._lock:
            if self._closed:
                inside.close()
                outside.close()
                return
            self._sockets.update((inside, outside))
        remaining = [2]  # directions still open; the last one to end closes both sockets
        self._start(self._pump, inside, outside, remaining)
        self._pump(outside, inside, remaining)

    def _pump(self, src: socket.socket, dst: socket.socket, remaining: list[int]) -> None:
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)  # pass the end of this direction on; the other goes on
        except OSError:
            # A reset, or close(): end both directions now, or the other one could wait forever.
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        finally:
            with self._lock:
                remaining[0] -= 1
                last = remaining[0] == 0
                if last:
                    self._sockets.difference_update((src, dst))
            if last:
                src.close()
                dst.close()

    def close(self) -> None:
        """Stops accepting, ends every relayed connection, and waits for its threads."""
        with self._lock:
            self._closed = True
            sockets = list(self._sockets)
        # shutdown() wakes a thread blocked in accept() or recv() on Linux; close() would not.
        for sock in [*self._listeners, *sockets]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive or time.monotonic() >= deadline:
                break
            alive[0].join(max(0.0, deadline - time.monotonic()))
        # Only now, with no thread left to call accept() on a descriptor number that a close()
        # would free for reuse.
        for listener in self._listeners:
            listener.close()

    @property
    def threads(self) -> int:
        with self._lock:
            return sum(t.is_alive() for t in self._threads)


class Browser:
    """One headless Chromium process, with a profile directory of its own."""

    def __init__(self, pid: int, pipe_write: int, pipe_read: int, profile_dir: pathlib.Path,
                 log_path: pathlib.Path):
        self.pid = pid
        self.profile_dir = profile_dir
        self.log_path = log_path  # chromium's stdout and stderr: noisy (dbus), kept for failures
        self._pipe_write = pipe_write
        self._pipe_read = pipe_read
        self._closed = False
        self._pipe = _Pipe(pipe_write, pipe_read, self._why_closed)
        self._relay: _Relay | None = None
        self.netns = ""  # chromium's network namespace, as /proc/PID/ns/net names it
        self.version = ""

    @classmethod
    def launch(cls, tmpdir: str | os.PathLike, *, ports: tuple[int, ...] = (),
               proxy: str = DEAD_PROXY, extra_args: tuple[str, ...] = (),
               timeout: float = 30) -> "Browser":
        """Starts chromium, in a network namespace of its own, with a fresh profile in a new
        directory under `tmpdir`.

        `ports`: the TCP ports of the host's loopback the pages may reach (the servers under
        test), at the same URLs as outside. Nothing else is reachable.
        `proxy` exists for the harness's own test of the isolation; it must stay on loopback,
        and is reachable only if its port is one of `ports`.
        """
        if not LOOPBACK_PROXY.match(proxy):
            raise ValueError(f"proxy must be http://127.x.x.x:PORT, not {proxy!r}")
        refused = [arg for arg in extra_args if arg.split("=", 1)[0] in PROTECTED]
        if refused:
            raise ValueError(f"extra_args may not override {refused}: see cdp.PROTECTED")
        ports = tuple(dict.fromkeys(ports))  # a port twice would fail to bind twice
        if not all(type(port) is int and 0 < port < 65536 for port in ports):
            raise ValueError(f"ports must be TCP port numbers, not {ports!r}")
        binary = find_chromium()
        if not os.access(UNSHARE, os.X_OK):
            raise CDPError(f"{UNSHARE} (util-linux) is missing: it makes chromium's network "
                           "namespace")
        tmpdir = pathlib.Path(tmpdir)
        profile_dir = pathlib.Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=tmpdir))
        log_path = profile_dir.with_name(profile_dir.name.replace("profile", "log") + ".txt")
        chromium_argv = [binary, *FLAGS, f"--proxy-server={proxy}",
                         f"--user-data-dir={profile_dir}", *extra_args, "about:blank"]
        # unshare makes the namespace and execs the launcher, which execs chromium: one pid
        # throughout, so self.pid is chromium's and its process group (setsid) is chromium's.
        argv = [UNSHARE, "--net", "--", sys.executable, "-I", "-S", str(LAUNCHER),
                str(CONTROL_FD), *map(str, ports), "--", *chromium_argv]
        env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_ENV}

        # Chromium reads commands on fd 3 and writes answers on fd 4; the launcher sends the
        # listening sockets on fd 5 (CONTROL_FD). Copies of these ends at fd >= 10 first, so that
        # no dup2 below can overwrite another that happens to be fd 3, 4 or 5 here. posix_spawn
        # rather than subprocess: Popen closes fds 3 and up after a preexec_fn has set them up,
        # and preexec_fn is unsafe with threads (the tests have some). dup2 clears close-on-exec
        # on the copy, so fds 3 and 4 survive the two execs; the launcher closes fd 5.
        cmd_read, cmd_write = os.pipe()
        answer_read, answer_write = os.pipe()
        control, control_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        child_in = fcntl.fcntl(cmd_read, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(answer_write, fcntl.F_DUPFD_CLOEXEC, 10)
        child_control = fcntl.fcntl(control_child.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(cmd_read)
        os.close(answer_write)
        control_child.close()
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            pid = os.posix_spawn(UNSHARE, argv, env, setsid=True, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
                (os.POSIX_SPAWN_DUP2, child_in, 3),
                (os.POSIX_SPAWN_DUP2, child_out, 4),
                (os.POSIX_SPAWN_DUP2, child_control, CONTROL_FD),
            ])
        except OSError:
            for fd in (cmd_write, answer_read):
                os.close(fd)
            control.close()
            shutil.rmtree(profile_dir, ignore_errors=True)
            raise
        finally:
            for fd in (child_in, child_out, child_control, log_fd):
                os.close(fd)

        browser = cls(pid, cmd_write, answer_read, profile_dir, log_path)
        try:
            browser._relay = _Relay(_receive_listeners(control, len(ports), timeout))
            browser.netns = os.readlink(f"/proc/{pid}/ns/net")
            # The first answer is the sign that chromium is up: the pipe needs no polling.
            browser.version = browser._pipe.send("Browser.getVersion", timeout=timeout)["product"]
        except (CDPError, OSError) as e:
            browser.close()
            reason = str(e)
            if "its log ends" not in reason:  # the launcher's or unshare's complaint is there
                reason += "; its log ends:\n" + browser.log_tail()
            raise CDPError(f"chromium did not start: {reason}") from e
        finally:
            control.close()
        return browser

    def new_page(self, width: int = 1280, height: int = 800) -> "Page":
        """A new tab in a browser context of its own: no cookies or storage from other pages."""
        context = self._pipe.send("Target.createBrowserContext", {"disposeOnDetach": True})
        target = self._pipe.send("Target.createTarget", {
            "url": "about:blank", "browserContextId": context["browserContextId"]})
        return Page(self, target["targetId"], context["browserContextId"], width, height)

    def close(self) -> None:
        """Ends chromium and all its processes, and removes the profile directory it made.

        Idempotent. Leaves `tmpdir` and the log file alone.
        """
        if self._closed:
            return
        self._closed = True
        try:
            self._pipe.send("Browser.close", timeout=5)
        except CDPError:
            pass  # already gone, or hung: the kill below settles it
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not self._exited():
            time.sleep(0.05)
        # The group is chromium's alone (setsid): its renderers and zygotes. The leader is not
        # reaped yet (WNOWAIT), so its pid, and so the group id, cannot have been reused.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._kill_rest_of_namespace()
        os.waitpid(self.pid, 0)
        # After the kill: no process is left to make a new connection through the relay.
        if self._relay:
            self._relay.close()
        self._pipe.join(5)
        for fd in (self._pipe_write, self._pipe_read):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile_dir, ignore_errors=True)

    def _kill_rest_of_namespace(self) -> None:
        """Kills any process left in chromium's namespace that is not in its process group.

        None is expected (chromium's helpers stay in its group), but the namespace is ours and
        must end with the test. It cannot be another's: our listening sockets keep it alive, so
        its id cannot have been reused.
        """
        if not self.netns:
            return
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.readlink(f"/proc/{entry}/ns/net") == self.netns:
                        os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass  # gone already, or a zombie (its namespace links cannot be read)

    def _exited(self) -> bool:
        info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return info is not None

    def _why_closed(self) -> str:
        if self._closed:
            return "the browser was closed"
        return "chromium exited unexpectedly; its log ends:\n" + self.log_tail()

    def log_tail(self, lines: int = 15) -> str:
        """The end of chromium's log, without the dbus complaints every start makes here."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        useful = [line for line in text.splitlines() if "dbus/" not in line]
        return "\n".join(useful[-lines:]) or "(empty log)"

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    """One tab, attached in flat mode: its commands and events carry its sessionId."""

    def __init__(self, browser: Browser, target_id: str, context_id: str, width: int,
                 height: int):
        self.browser = browser
        self.target_id = target_id
        self.width = width
        self.height = height
        self._context_id = context_id
        self._pipe = browser._pipe
        self._cond = threading.Condition()
        self._events: collections.deque = collections.deque(maxlen=5000)  # (seq, method, params)
        self._seq = 0
        # (loaderId of the document a network problem belongs to, or None; the problem)
        self._problems: list[tuple[str | None, Problem]] = []
        self._requests: dict[str, tuple[str, str | None]] = {}  # requestId -> (url, loaderId)
        self._loader: str | None = None  # the document of the last goto, once it is known
        self._gone: str | None = None  # why the page cannot be used any more
        self.session = self._pipe.send("Target.attachToTarget",
                                       {"targetId": target_id, "flatten": True})["sessionId"]
        self._pipe.subscribe(self.session, self._on_event)
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method)
        self.send("Page.setLifecycleEventsEnabled", {"enabled": True})
        # Every tab behaves as the focused window's (document.hasFocus(), focus rings), as it
        # happens to in headless Chromium 156 anyway, without counting on that.
        self.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        self._set_viewport(width, height)

    # -- commands ---------------------------------------------------------------------------

    def send(self, method: str, params: dict | None = None, timeout: float = 15) -> dict:
        """Any CDP command, on this page's session."""
        if self._gone:
            raise CDPError(f"{method}: {self._gone}")
        return self._pipe.send(method, params, self.session, timeout)

    def goto(self, url: str, timeout: float = 15) -> None:
        """Navigates and waits for the load event of that navigation.

        Forgets the problems of the page before. Raises CDPError if the navigation itself fails
        (refused connection, the dead proxy, an unknown host); an HTTP error status does not
        raise but is one of problems(), except that Chromium fails the navigation when the error
        response has an empty body (net::ERR_HTTP_RESPONSE_CODE_FAILURE).
        """
        with self._cond:
            self._problems.clear()
            self._requests.clear()
            self._loader = None
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise CDPError(f"navigating to {url} failed: {result['errorText']}")
        loader = result.get("loaderId")
        if not loader:
            return  # same-document navigation (#fragment): there is no load to wait for
        with self._cond:
            self._loader = loader
        frame = result["frameId"]
        self.wait_for_event(
            "Page.lifecycleEvent",
            lambda p: p.get("name") == "load" and p.get("loaderId") == loader
            and p.get("frameId") == frame,
            timeout=timeout, what=f"the load event of {url}", since=0)

    def evaluate(self, expression: str, timeout: float = 15) -> Any:
        """The value of a JavaScript expression (promises awaited), as JSON-able Python."""
        result = self.send("Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": True,
            "userGesture": True}, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"JavaScript threw in {expression!r}: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10, interval: float = 0.05) -> Any:
        """Polls a JavaScript expression until it is truthy, and returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression, timeout=max(1.0, deadline - time.monotonic()))
            if value:
                return value
            if time.monotonic() >= deadline:
                raise CDPTimeout(f"timed out after {timeout}s waiting for {expression!r} "
                                 f"to be truthy (last value: {value!r})")
            time.sleep(interval)

    def text(self) -> str:
        """What a person reads: document.body.innerText."""
        return self.evaluate("document.body ? document.body.innerText : ''")

    def screenshot(self, path: str | os.PathLike, width: int | None = None,
                   height: int | None = None, full_page: bool = True) -> pathlib.Path:
        """Writes a PNG, `width` CSS pixels wide (1 device pixel each).

        Sets the viewport to width x height first (and keeps it). With full_page the picture is
        as tall as the content when that is taller than the viewport.
        """
        self._set_viewport(width or self.width, height or self.height)
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            content_height = self.evaluate(
                "Math.max(document.documentElement.scrollHeight,"
                " document.body ? document.body.scrollHeight : 0)")
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": self.width,
                              "height": max(self.height, int(content_height)), "scale": 1}
        data = self.send("Page.captureScreenshot", params, timeout=30)["data"]
        path = pathlib.Path(path)
        path.write_bytes(base64.b64decode(data))
        return path

    def set_color_scheme(self, scheme: str) -> None:
        """Emulates prefers-color-scheme: "dark" or "light"."""
        if scheme not in ("dark", "light"):
            raise ValueError(f"scheme must be 'dark' or 'light', not {scheme!r}")
        self.send("Emulation.setEmulatedMedia",
                  {"features": [{"name": "prefers-color-scheme", "value": scheme}]})

    def press_tab(self, shift: bool = False) -> None:
        """Presses Tab (Shift+Tab with shift) as a keyboard would."""
        key = {"key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9,
               "nativeVirtualKeyCode": 9, "modifiers": 8 if shift else 0}
        self.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", **key})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    def focused(self) -> dict | None:
        """The focused element as {"tag", "text", "href"} (href as written), or None for none."""
        return self.evaluate("""(() => {
            const e = document.activeElement;
            if (!e || e === document.body || e === document.documentElement) return null;
            return {tag: e.tagName.toLowerCase(),
                    text: (e.innerText || e.value || '').trim(),
                    href: e.getAttribute('href')};
        })()""")

    def set_extra_headers(self, headers: dict[str, str]) -> None:
        """Headers sent with every later request of this page, e.g. Authorization."""
        self.send("Network.setExtraHTTPHeaders", {"headers": headers})

    def set_cookie(self, name: str, value: str, url: str, http_only: bool = True) -> None:
        """A cookie for the host of `url`, e.g. a login session, set before goto."""
        result = self.send("Network.setCookie", {"name": name, "value": value, "url": url,
                                                 "httpOnly": http_only})
        if result.get("success") is False:
            raise CDPError(f"chromium refused the cookie {name} for {url}")

    def _set_viewport(self, width: int, height: int) -> None:
        # deviceScaleFactor 1: a screenshot is `width` pixels wide, whatever the machine.
        self.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.width, self.height = width, height

    def close(self) -> None:
        if self._gone:
            return
        self._pipe.unsubscribe(self.session)
        try:
            self._pipe.send("Target.closeTarget", {"targetId": self.target_id}, timeout=5)
            self._pipe.send("Target.disposeBrowserContext",
                            {"browserContextId": self._context_id}, timeout=5)
        except CDPError:
            pass  # the browser is gone already: nothing left to close
        self._gone = "the page was closed"

    # -- events -----------------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Every error and warning since the last goto, in order of arrival.

        A no-op command first, so that events chromium sent before it have been read.
        """
        if not self._gone:
            self.send("Runtime.evaluate", {"expression": "0"})
        with self._cond:
            return self._current_problems()

    def _current_problems(self) -> list[Problem]:
        # A request of the page before the last goto can still fail or answer after it: it is
        # not this page's problem.
        return [problem for loader, problem in self._problems
                if loader is None or self._loader is None or loader == self._loader]

    def wait_for_problem(self, predicate: Callable[[Problem], bool] = lambda p: True,
                         timeout: float = 5, what: str = "a problem") -> Problem:
        """Waits until a problem that matches has been seen (since the last goto)."""
        def found():
            return next((p for p in self._current_problems() if predicate(p)), None)
        with self._cond:
            if not self._cond.wait_for(lambda: found() or self._gone, timeout):
                raise CDPTimeout(f"timed out after {timeout}s waiting for {what}; problems so "
                                 f"far: {[str(p) for p in self._current_problems()]}")
            if found():
                return found()
            raise CDPError(f"while waiting for {what}: {self._gone}")

    def wait_for_event(self, method: str, predicate: Callable[[dict], bool] = lambda p: True,
                       timeout: float = 15, what: str | None = None,
                       since: int | None = None) -> dict:
        """Waits for an event of this page and returns its params.

        Events seen before the call count only when `since` names a sequence number (0: all kept).
        """
        what = what or method
        with self._cond:
            start = self._seq if since is None else since

            def match():
                for seq, m, params in self._events:
                    if seq > start and m == method and predicate(params):
                        return params
                return None
            if not self._cond.wait_for(lambda: match() is not None or self._gone, timeout):
                raise CDPTimeout(f"timed out after {timeout}s waiting for {what}")
            params = match()
            if params is None:
                raise CDPError(f"while waiting for {what}: {self._gone}")
            return params

    def _on_event(self, method: str, params: dict) -> None:
        """Runs on the reader thread: keeps the event and turns failures into problems."""
        if method == "Page.javascriptDialogOpening":
            # An open dialog blocks the page's script and so every later evaluate: dismiss it.
            self._pipe.post("Page.handleJavaScriptDialog", {"accept": False}, self.session)
        with self._cond:
            self._seq += 1
            self._events.append((self._seq, method, params))
            loader, problem = self._problem_in(method, params)
            if problem:
                self._problems.append((loader, problem))
                if problem.kind == "crash":
                    self._gone = problem.text
            self._cond.notify_all()

    def _problem_in(self, method: str, params: dict) -> tuple[str | None, Problem | None]:
        """The problem an event reports, if any, with the loaderId of a network one."""
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning",
                                                                            "assert"):
            text = " ".join(_describe(arg) for arg in params.get("args", []))
            frames = params.get("stackTrace", {}).get("callFrames", [])
            level = "warning" if params["type"] == "warning" else "error"
            return None, Problem("console", level, text, frames[0]["url"] if frames else "")
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            return None, Problem("exception", "error", text, details.get("url", ""))
        if method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") in ("error", "warning") and not _is_favicon(entry.get("url")):
                return None, Problem("log", entry["level"], entry.get("text", ""),
                                     entry.get("url", ""))
        if method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if not _is_favicon(url):
                self._requests[params["requestId"]] = (url, params.get("loaderId"))
        if method == "Network.responseReceived" and params["requestId"] in self._requests:
            response = params.get("response", {})
            if response.get("status", 0) >= 400:
                status = f"HTTP {response['status']} {response.get('statusText', '')}".rstrip()
                url, loader = self._requests[params["requestId"]]
                return loader, Problem("network", "error", status, url)
        if method == "Network.loadingFailed" and params["requestId"] in self._requests:
            # A request the page itself cancelled (navigating away, an aborted fetch, closing an
            # EventSource) is no failure; one blocked (CSP, mixed content) or failed is.
            if not params.get("canceled") or params.get("blockedReason"):
                reason = params.get("errorText", "")
                if params.get("blockedReason"):
                    reason += f" (blocked: {params['blockedReason']})"
                url, loader = self._requests[params["requestId"]]
                return loader, Problem("network", "error", reason, url)
        if method == "Page.javascriptDialogOpening":
            return None, Problem("dialog", "warning",
                                 f"{params.get('type')}: {params.get('message', '')}",
                                 params.get("url", ""))
        if method == "Inspector.targetCrashed":
            return None, Problem("crash", "error", "the page crashed", "")
        if method in ("Inspector.detached", "cdp.closed"):
            return None, Problem("crash", "error",
                                 params.get("reason", "the page was detached"), "")
        return None, None


def _is_favicon(url: str | None) -> bool:
    # Chromium fetches /favicon.ico by itself after the load event, at a moment of its own
    # choosing, and logs its 404: reported, it would make problems() flaky. A page that wants
    # the check declares its icon under another name.
    return bool(url) and url.split("?", 1)[0].endswith("/favicon.ico")


def _describe(arg: dict) -> str:
    """A console.log argument as DevTools prints it, roughly."""
    if "value" in arg:
        return str(arg["value"])
    return arg.get("description") or arg.get("unserializableValue") or arg.get("type", "")
