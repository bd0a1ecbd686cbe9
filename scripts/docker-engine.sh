#!/usr/bin/env bash
# Make a Docker engine available for Capstan's tests, benchmarks and demos.
#
#   eval "$(scripts/docker-engine.sh)"        # start (or reuse) the engine, export DOCKER_HOST
#   scripts/docker-engine.sh status           # exit 0 if our engine answers
#   scripts/docker-engine.sh stop             # stop the engine this script started
#
# The engine is Debian's docker.io dockerd, started with no bridge, no iptables, no IP
# forwarding and no masquerading, so a container can only use network `none` or `host`
# (see DESIGN.md, "Test environment"). It has a data root, exec root, pidfile, config file
# and socket of its own and never touches /var/run/docker.sock or /var/lib/docker.
#
# Only the LAST line of stdout matters: `export DOCKER_HOST=unix://...`. Everything else
# goes to stderr so that `eval "$(...)"` works.
#
# Environment (all optional):
#   CAPSTAN_DOCKER_ROOT     data root                  (default /var/lib/capstan-docker)
#   CAPSTAN_DOCKER_SOCK     API socket path            (default /run/capstan-docker/docker.sock)
#                           The socket's directory also holds dockerd.pid, the exec root
#                           (exec/), daemon.json and a lock file, so one directory = one engine.
#   CAPSTAN_DOCKER_LOG      dockerd log file           (default /var/log/capstan-dockerd.log)
#   CAPSTAN_DOCKER_STORAGE  force a storage driver     (default: overlay2, else fuse-overlayfs, else vfs)
#   CAPSTAN_DOCKER_TIMEOUT  seconds to wait for start  (default 60)
#   DOCKER_HOST             if set and an engine answers there, it is reused as is.
set -euo pipefail

ROOT=${CAPSTAN_DOCKER_ROOT:-/var/lib/capstan-docker}
SOCK=${CAPSTAN_DOCKER_SOCK:-/run/capstan-docker/docker.sock}
LOG=${CAPSTAN_DOCKER_LOG:-/var/log/capstan-dockerd.log}
TIMEOUT=${CAPSTAN_DOCKER_TIMEOUT:-60}
RUN_DIR=$(dirname "$SOCK")
PIDFILE=$RUN_DIR/dockerd.pid
EXEC_ROOT=$RUN_DIR/exec
CONFIG=$RUN_DIR/daemon.json
LOCK=$RUN_DIR/lock
OUR_HOST=unix://$SOCK

log() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# `docker version` fails unless both client and server answer. A short timeout keeps a hung
# socket from hanging the caller.
answers() { timeout 10 docker -H "$1" version >/dev/null 2>&1; }

# PID from our pidfile if that process is still a dockerd, else nothing.
running_pid() {
    local pid
    [[ -s $PIDFILE ]] || return 1
    pid=$(<"$PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/comm ]] && [[ $(<"/proc/$pid/comm") == dockerd ]] || return 1
    echo "$pid"
}

print_export() { echo "export DOCKER_HOST=$1"; }

install_engine() {
    [[ $(id -u) == 0 ]] || die "dockerd is not installed and installing it needs root"
    log "installing Debian's docker.io (dockerd, containerd, runc, tini, iptables) via apt"
    # Keep the package's init/systemd hooks from starting a default engine (with its bridge
    # and iptables rules): invoke-rc.d and deb-systemd-invoke honour policy-rc.d exit 101.
    local own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    local rc=0
    {
        apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io
    } >&2 || rc=$?
    ((own_policy)) && rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || die "apt-get install docker.io failed (exit $rc)"
    # Belt and braces: on a systemd host also make sure the default units stay off, and
    # stop a default dockerd if one got started anyway.
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now docker.socket docker.service >&2 || true
    fi
    local pid
    if [[ -s /var/run/docker.pid ]] && pid=$(</var/run/docker.pid) && kill -0 "$pid" 2>/dev/null; then
        log "stopping the default dockerd ($pid) that the package started"
        kill "$pid" || true
    fi
    command -v dockerd >/dev/null || die "dockerd still missing after installing docker.io"
}

# Pick a storage driver. A data root keeps its images per driver, so once chosen the choice
# is remembered in $ROOT/.capstan-storage-driver and reused.
choose_storage() {
    local marker=$ROOT/.capstan-storage-driver
    if [[ -n ${CAPSTAN_DOCKER_STORAGE:-} ]]; then
        echo "$CAPSTAN_DOCKER_STORAGE"; return
    fi
    if [[ -s $marker ]]; then
        cat "$marker"; return
    fi
    local driver=vfs probe
    # Probe overlayfs on the data root's own filesystem (it fails on e.g. an overlay root or
    # some network filesystems).
    probe=$(mktemp -d "$ROOT/.overlay-probe.XXXXXX")
    mkdir -p "$probe"/{lower,upper,work,merged}
    if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
        "$probe/merged" 2>/dev/null; then
        umount "$probe/merged"
        driver=overlay2
    elif command -v fuse-overlayfs >/dev/null && [[ -e /dev/fuse ]]; then
        driver=fuse-overlayfs
    fi
    rm -rf "$probe"
    [[ $driver == overlay2 ]] || log "overlay2 is not usable on $ROOT; falling back to $driver (slower, bigger)"
    echo "$driver" >"$marker"
    echo "$driver"
}

start_engine() {
    command -v dockerd >/dev/null || install_engine
    [[ $(id -u) == 0 ]] || die "starting dockerd needs root"

    mkdir -p "$ROOT" "$EXEC_ROOT" "$(dirname "$LOG")"
    chmod 700 "$ROOT"
    # Our own (empty) config file, so a host /etc/docker/daemon.json cannot add a bridge,
    # registry mirrors or conflicting flags.
    [[ -e $CONFIG ]] || echo '{}' >"$CONFIG"
    local driver
    driver=$(choose_storage)
    log "starting dockerd: socket $SOCK, data root $ROOT, storage driver $driver, log $LOG"

    # --bridge=none: no docker0 and no default `bridge` network, so a container without
    #   --network fails instead of getting a private-range address.
    # --iptables/--ip-forward/--ip-masq=false: no NAT or forwarding rules on the host, so iptables
    #   is never called (ip6tables is not used by 20.10 unless --ip6tables is set).
    # dockerd starts and supervises its own containerd under $EXEC_ROOT unless a system one
    #   answers on /run/containerd/containerd.sock.
    # setsid+nohup: the engine outlives this script and the caller's process group.
    # 9>&-: do not hand the lock's descriptor to dockerd, or the lock would live as long as it.
    # The redirections also keep dockerd off the caller's stdout pipe, so $(...) returns.
    setsid nohup dockerd \
        --host "$OUR_HOST" \
        --data-root "$ROOT" \
        --exec-root "$EXEC_ROOT" \
        --pidfile "$PIDFILE" \
        --config-file "$CONFIG" \
        --storage-driver "$driver" \
        --bridge=none \
        --iptables=false \
        --ip-forward=false \
        --ip-masq=false \
        </dev/null >>"$LOG" 2>&1 9>&- &
    local pid=$! waited=0
    while ! answers "$OUR_HOST"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "dockerd exited during start-up; last lines of $LOG:"
            tail -n 20 "$LOG" >&2 || true
            die "dockerd did not start (see $LOG)"
        fi
        if ((waited >= TIMEOUT)); then
            die "dockerd (pid $pid) did not answer on $SOCK within ${TIMEOUT}s (see $LOG)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "engine up after ~${waited}s (pid $pid, $(docker -H "$OUR_HOST" version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'))"
}

stop_engine() {
    local pid waited=0
    if ! pid=$(running_pid); then
        log "no engine of ours is running (pidfile $PIDFILE)"
        return 0
    fi
    log "stopping dockerd (pid $pid); it stops its containers first"
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= 60)); then
            log "dockerd $pid still running after 60s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "stopped"
}

cmd=${1:-start}
case $cmd in
start)
    # Reuse an engine the caller already points at. Only unix sockets and loopback TCP are
    # probed: anything else would be traffic off this machine.
    if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != "$OUR_HOST" ]]; then
        if [[ $DOCKER_HOST =~ ^unix:// || $DOCKER_HOST =~ ^tcp://(127\.[0-9.]+|localhost|\[::1\])(:|/|$) ]]; then
            if answers "$DOCKER_HOST"; then
                log "reusing the engine at DOCKER_HOST=$DOCKER_HOST"
                print_export "$DOCKER_HOST"
                exit 0
            fi
            log "nothing answers at DOCKER_HOST=$DOCKER_HOST; using our own engine"
        else
            log "ignoring non-local DOCKER_HOST=$DOCKER_HOST; using our own engine"
        fi
    fi
    mkdir -p "$RUN_DIR"
    # Serialise concurrent callers (parallel test jobs) so only one dockerd is ever started.
    exec 9>"$LOCK"
    flock -w $((TIMEOUT + 30)) 9 || die "timed out waiting for the lock $LOCK"
    if answers "$OUR_HOST"; then
        log "engine already answers on $SOCK"
        print_export "$OUR_HOST"
        exit 0
    fi
    if pid=$(running_pid); then
        # Ours, alive, but not answering yet (or hung): wait instead of starting a second one.
        log "dockerd $pid is running but not answering yet; waiting"
        for ((i = 0; i < TIMEOUT; i++)); do
            answers "$OUR_HOST" && { print_export "$OUR_HOST"; exit 0; }
            sleep 1
        done
        die "dockerd $pid does not answer on $SOCK (see $LOG); try: $0 stop"
    fi
    rm -f "$PIDFILE"
    start_engine
    print_export "$OUR_HOST"
    ;;
status)
    if answers "$OUR_HOST"; then
        log "engine answers on $SOCK (pid $(running_pid || echo '?'))"
        print_export "$OUR_HOST"
    else
        log "no engine answers on $SOCK"
        exit 1
    fi
    ;;
stop)
    mkdir -p "$RUN_DIR"
    exec 9>"$LOCK"
    flock -w 90 9 || die "timed out waiting for the lock $LOCK"
    stop_engine
    ;;
*)
    echo "usage: $0 [start|status|stop]" >&2
    exit 2
    ;;
esac
