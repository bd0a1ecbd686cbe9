#!/usr/bin/env bash
# Build a local stand-in for `python:3.11-slim-bookworm` when no registry is reachable.
#
#   scripts/python-base-image.sh            # build if missing or outdated, else do nothing
#   CAPSTAN_BASE_FORCE=1 scripts/python-base-image.sh   # rebuild the image (caches kept)
#
# The image is Debian bookworm (debootstrap --variant=minbase) with Debian's python3.11, pip
# and venv, made to behave like the official image for `pip install` (python/pip on PATH, no
# PEP 668 EXTERNALLY-MANAGED marker, packages go to /usr/local/lib/python3.11/dist-packages)
# and with the Python packages Capstan's examples and tests use preinstalled from wheels that
# `pip download` fetched on the host. Inside the image pip needs no network for those:
# `RUN pip install mcp` prints "Requirement already satisfied". See DESIGN.md, "Test environment".
#
# Network: only the host's apt/debootstrap (Debian mirror) and pip (PyPI) reach out, and only
# when the cache below is cold. Nothing runs networked inside a chroot or container.
#
# Environment (all optional):
#   DOCKER_HOST                 engine to use; if nothing answers, scripts/docker-engine.sh is run
#   CAPSTAN_CACHE               cache dir for the debootstrap tarball, wheels and rootfs
#                               (default /var/cache/capstan)
#   CAPSTAN_DEBIAN_MIRROR       Debian mirror (default: the host apt's bookworm mirror)
#   CAPSTAN_BASE_PY_PACKAGES    pip requirements to preinstall (default below)
#   CAPSTAN_BASE_FORCE=1        rebuild even if the image is up to date
set -euo pipefail

# Bump when the recipe changes; the image carries it as label capstan.base-version.
BASE_VERSION=1
IMAGE=python:3.11-slim-bookworm
SUITE=bookworm
# Debian bookworm's python3.11 is 3.11.2; pip download checks Requires-Python against it.
PY_VERSION=3.11.2
# Python packages to preinstall. Containers and builds here have no network, so whatever an
# example's Dockerfile installs must already be in this image at the very version it pins: the
# examples' requirements.txt files, plus the reference server the tests run from an image.
REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
EXAMPLE_REQUIREMENTS=$(cat "$REPO_DIR"/examples/*/projects/*/requirements.txt 2>/dev/null |
    sed -e 's/#.*//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u | tr '\n' ' ')
PY_PACKAGES=${CAPSTAN_BASE_PY_PACKAGES:-${EXAMPLE_REQUIREMENTS}mcp-server-time==2026.10.10}
# Debian packages on top of minbase. python-is-python3 gives `python`; netbase
# (/etc/services, /etc/protocols) is in the official image too.
APT_INCLUDES=python3.11,python3-pip,python3-venv,python-is-python3,ca-certificates,netbase
# mcp-server-git needs the git binary (GitPython refuses to import without it), and a build
# without network cannot apt-get it later. It costs ~80 MB (git + perl), so only when asked for.
[[ " $PY_PACKAGES " == *" mcp-server-git"* ]] && APT_INCLUDES+=,git
CACHE=${CAPSTAN_CACHE:-/var/cache/capstan}
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'python-base-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
key() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# --- engine -----------------------------------------------------------------------------
if ! timeout 10 docker version >/dev/null 2>&1; then
    log "no engine answers at DOCKER_HOST=${DOCKER_HOST:-<unset>}; running docker-engine.sh"
    eval "$("$SCRIPTS/docker-engine.sh")"
fi

# --- up to date? ------------------------------------------------------------------------
label() { docker image inspect --format "{{ index .Config.Labels \"$1\" }}" "$IMAGE" 2>/dev/null; }
if [[ ${CAPSTAN_BASE_FORCE:-0} != 1 ]] &&
    [[ $(label capstan.base-version) == "$BASE_VERSION" ]] &&
    [[ $(label capstan.python-packages) == "$PY_PACKAGES" ]]; then
    log "$IMAGE is up to date (capstan.base-version=$BASE_VERSION)"
    exit 0
fi
[[ $(id -u) == 0 ]] || die "building the image needs root (debootstrap, chroot)"
started=$SECONDS

# --- Debian mirror: the one the host's apt uses for bookworm main ----------------------
mirror_from_host() {
    local f
    # deb822 sources: the URIs line of the stanza whose Suites include plain "bookworm".
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -e $f ]] || continue
        awk -v s="$SUITE" 'BEGIN{RS=""} {
            uri=""; ok=0
            n=split($0, L, "\n")
            for (i=1;i<=n;i++) {
                if (L[i] ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", L[i]); split(L[i], U, " "); uri=U[1] }
                if (L[i] ~ /^Suites:/) { m=split(L[i], S, /[ \t]+/); for (j=2;j<=m;j++) if (S[j]==s) ok=1 }
            }
            if (ok && uri != "") { print uri; exit }
        }' "$f"
    done
    # one-line sources: "deb [opts] URI bookworm main ..."
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -e $f ]] || continue
        sed -E 's/\[[^]]*\]//' "$f" | awk -v s="$SUITE" '$1=="deb" && $3==s {print $2}'
    done
}
MIRROR=${CAPSTAN_DEBIAN_MIRROR:-$(mirror_from_host | awk 'NR==1')}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

# --- scratch dir, with a cleanup that never follows a mount ------------------------------
WORK=$(mktemp -d /var/tmp/capstan-base.XXXXXX)
ROOTFS=$WORK/rootfs
unmount_under() {
    # Deepest first; lazily, so a busy mount cannot keep us from continuing.
    awk -v p="$1" '$2 == p || index($2, p "/") == 1 {print $2}' /proc/self/mounts | sort -r |
        while read -r m; do umount -l "$m" || true; done
}
cleanup() {
    local rc=$?
    ((rc == 0)) || log "failed (exit $rc)"
    unmount_under "$WORK"
    if awk -v p="$WORK" 'index($2, p) == 1 {found=1} END {exit !found}' /proc/self/mounts; then
        log "warning: mounts remain under $WORK; not deleting it"
    else
        rm -rf --one-file-system "$WORK"
    fi
}
trap cleanup EXIT
mkdir -p "$CACHE"/{debootstrap,wheels,rootfs}

# --- 1. wheels, downloaded on the host ---------------------------------------------------
# Any manylinux tag that bookworm's glibc (2.36) can run, so pip does not miss wheels tagged
# only with a newer manylinux_2_X than 2014/2_17.
platforms=(--platform manylinux1_x86_64 --platform manylinux2010_x86_64 --platform manylinux2014_x86_64)
for ((g = 5; g <= 36; g++)); do platforms+=(--platform "manylinux_2_${g}_x86_64"); done
# shellcheck disable=SC2086  # PY_PACKAGES is a word list on purpose
WHEELS=$CACHE/wheels/$(key "$PY_VERSION" $PY_PACKAGES)
if [[ ! -e $WHEELS/.complete ]]; then
    log "downloading wheels for: $PY_PACKAGES"
    rm -rf "$WHEELS.tmp"
    # shellcheck disable=SC2086
    python3 -m pip download --quiet --disable-pip-version-check \
        --dest "$WHEELS.tmp" --only-binary=:all: \
        --implementation cp --python-version "$PY_VERSION" --abi cp311 "${platforms[@]}" \
        $PY_PACKAGES >&2 || die "pip download failed"
    printf '%s\n' "$PY_PACKAGES" >"$WHEELS.tmp/.complete"
    rm -rf "$WHEELS" && mv "$WHEELS.tmp" "$WHEELS"
fi
log "wheels: $WHEELS ($(find "$WHEELS" -name '*.whl' | wc -l) files)"

# --- 2. root filesystem ------------------------------------------------------------------
ROOT_KEY=$(key "$BASE_VERSION" "$SUITE" "$MIRROR" "$APT_INCLUDES" "$PY_VERSION" "$PY_PACKAGES")
ROOTFS_TAR=$CACHE/rootfs/$ROOT_KEY.tar
if [[ ! -s $ROOTFS_TAR ]]; then
    command -v debootstrap >/dev/null || {
        log "installing debootstrap via apt"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; } >&2
    }
    # The .debs, fetched once from the mirror into a tarball; later runs unpack it offline.
    DEBS=$CACHE/debootstrap/$SUITE-minbase-$(key "$MIRROR" "$APT_INCLUDES").tgz
    if [[ ! -s $DEBS ]]; then
        log "downloading $SUITE minbase + $APT_INCLUDES from $MIRROR"
        debootstrap --variant=minbase --include="$APT_INCLUDES" --make-tarball="$DEBS.tmp" \
            "$SUITE" "$WORK/debs" "$MIRROR" >&2 || die "debootstrap --make-tarball failed"
        mv "$DEBS.tmp" "$DEBS"
    fi
    log "debootstrap $SUITE into $ROOTFS"
    debootstrap --variant=minbase --include="$APT_INCLUDES" --unpack-tarball="$DEBS" \
        "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
        tail -n 30 "$WORK/debootstrap.log" >&2
        die "debootstrap failed"
    }
    unmount_under "$ROOTFS"

    # apt sources as in the official image (only used if a build later runs apt with network).
    cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    : >"$ROOTFS/etc/apt/sources.list"
    # Like debian:*-slim: later apt installs skip docs, man pages and translations.
    cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    # Behave like the official image: pip may install into the system Python (PEP 668 marker
    # removed); pip and pip3 both on PATH.
    rm -f "$ROOTFS"/usr/lib/python3*/EXTERNALLY-MANAGED
    [[ -e $ROOTFS/usr/bin/pip ]] || ln -s pip3 "$ROOTFS/usr/bin/pip"

    # Preinstall the wheels with the image's own pip, offline (--no-index): if this resolves,
    # a later `pip install <same>` in a build is satisfied without network.
    log "installing wheels into the image"
    mkdir -p "$ROOTFS/tmp/wheels"
    cp "$WHEELS"/*.whl "$ROOTFS/tmp/wheels/"
    mount -t proc proc "$ROOTFS/proc"
    # shellcheck disable=SC2086
    chroot "$ROOTFS" env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/root \
        python3 -m pip install --quiet --no-index --find-links /tmp/wheels --no-cache-dir \
        --disable-pip-version-check --root-user-action=ignore $PY_PACKAGES >&2 ||
        die "pip install in the image failed"
    chroot "$ROOTFS" python3 -m pip check >&2 || die "pip check failed in the image"
    umount "$ROOTFS/proc"

    # Slim down. Bytecode of the preinstalled packages is kept on purpose: every container
    # starts from a fresh filesystem, so without it each `import mcp` recompiles (slow start).
    rm -rf "$ROOTFS/tmp/wheels" "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
        "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/debconf/*-old \
        "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* "$ROOTFS"/root/.cache \
        "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/lintian
    find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
    find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    # Debian's test suites and idle, as the official image drops them too.
    find "$ROOTFS/usr/lib/python3.11" -depth -type d \( -name test -o -name tests -o -name idle_test \) \
        -exec rm -rf {} +
    : >"$ROOTFS/etc/resolv.conf"
    : >"$ROOTFS/etc/hostname"
    rm -f "$ROOTFS/etc/machine-id"

    log "packing the root filesystem"
    rm -f "$CACHE"/rootfs/*.tar
    tar --numeric-owner --xattrs --one-file-system -C "$ROOTFS" -cf "$ROOTFS_TAR.tmp" .
    mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
else
    log "using cached root filesystem $ROOTFS_TAR"
fi

# --- 3. import -----------------------------------------------------------------------------
old_id=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
log "importing $IMAGE"
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PYTHON_VERSION=$PY_VERSION" \
    --change 'WORKDIR /' \
    --change 'CMD ["python3"]' \
    --change "LABEL capstan.base-version=$BASE_VERSION" \
    --change "LABEL capstan.python-packages=\"$PY_PACKAGES\"" \
    --change "LABEL org.opencontainers.image.description=\"Local stand-in for python:3.11-slim-bookworm built by Capstan's scripts/python-base-image.sh\"" \
    --message "capstan python base v$BASE_VERSION" \
    "$ROOTFS_TAR" "$IMAGE" >/dev/null
# Drop the image this one replaces, unless something (a container, a child image) still uses it.
if [[ -n $old_id && $old_id != $(docker image inspect --format '{{.Id}}' "$IMAGE") ]]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
fi
log "built $IMAGE ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')) in $((SECONDS - started))s"
