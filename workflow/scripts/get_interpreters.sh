#!/usr/bin/env bash
# make interpreters (docs/interpreters.md): CPython 3.14 from Debian's unstable (sid) binary
# packages, unpacked into a git-ignored project folder, with a virtual environment holding the
# numpy and psutil that requirements.txt pins. Idempotent: a complete install is only checked
# and reported. Prints, for each interpreter it provides, its executable, sys.version and
# sys._is_gil_enabled().
#
# Route: a private apt configuration (its own sources.list naming sid, its own state and cache
# under $INTERPRETERS_DIR/apt) resolves and downloads python3.14 with all its dependencies,
# sid's libc6 among them (sid's python3.14 needs a newer glibc than Debian 12's), plus sid's
# patchelf; dpkg-deb -x unpacks them into $INTERPRETERS_DIR/3.14/root. patchelf then points the
# interpreter binary at that root's own loader and libraries (absolute paths), so it runs
# directly: its children (multiprocessing's spawn and forkserver start sys.executable) too.
# Debian serves no free-threaded build (no python3.14-nogil, python3.13-nogil or 3.14t), so
# none is provided; the check below prints so.
#
# Environment: INTERPRETERS_DIR (default .interpreters), DEBIAN_MIRROR (default: the first
# Debian archive named in this machine's apt sources). apt-get and dpkg-deb run with private
# directories: nothing outside INTERPRETERS_DIR is written or installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=3.14
SUITE=sid
PACKAGES=("python$VERSION" "python$VERSION-venv" patchelf)
DEST=$(realpath -m "${INTERPRETERS_DIR:-.interpreters}")
APT_DIR=$DEST/apt
ROOT=$DEST/$VERSION/root
VENV=$DEST/$VERSION/venv
PYTHON=$ROOT/usr/bin/python$VERSION
LIBDIR=$ROOT/usr/lib/x86_64-linux-gnu
LOADER=$LIBDIR/ld-linux-x86-64.so.2
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

die() { echo "get_interpreters: $*" >&2; exit 1; }

# The pins, declared once in requirements.txt.
pin() {
    grep -m1 -E "^$1==" requirements.txt || die "requirements.txt pins no $1 (wanted $1==VERSION)"
}
PINS=("$(pin numpy)" "$(pin psutil)")

mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    # deb822 (.sources: "URIs: URL") and one-line (sources.list: "deb URL suite ...") forms;
    # the archive, not the security one (its path ends in /debian).
    local sources=(/etc/apt/sources.list.d/*.sources /etc/apt/sources.list)
    { cat "${sources[@]}" 2>/dev/null || true; } \
        | grep -oE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[^[:space:]]+/debian/?([[:space:]]|$)' \
        | head -1 | awk '{print $NF}' | grep . \
        || die "no Debian archive in /etc/apt sources: set DEBIAN_MIRROR=URL (the .../debian one)"
}

APT_OPTS=(
    -o "Dir::Etc::sourcelist=$APT_DIR/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State=$APT_DIR/state" -o "Dir::State::status=$APT_DIR/state/status"
    -o "Dir::Cache=$APT_DIR/cache" -o "APT::Install-Recommends=false"
)

download() {
    mkdir -p "$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial"
    echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APT_DIR/sources.list"
    # An empty dpkg status: apt resolves the whole closure from sid, glibc included.
    : >"$APT_DIR/state/status"
    apt-get "${APT_OPTS[@]}" -qq update
    apt-get "${APT_OPTS[@]}" -qq -y --download-only install "${PACKAGES[@]}" >/dev/null
}

unpack() {
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    local deb
    for deb in "$APT_DIR"/cache/archives/*.deb; do
        dpkg-deb -x "$deb" "$ROOT"
    done
    [ -x "$PYTHON" ] && [ -x "$LOADER" ] || die "the unpacked packages lack $PYTHON or $LOADER"
    # patchelf from the same root, run through that root's loader (sid's glibc). The binary is
    # a non-PIE executable: without --no-sort, patchelf 0.18 leaves one that segfaults at once.
    "$LOADER" --library-path "$LIBDIR" "$ROOT/usr/bin/patchelf" --no-sort \
        --set-interpreter "$LOADER" --force-rpath --set-rpath "$LIBDIR" "$PYTHON"
}

make_venv() {
    rm -rf "$VENV"
    "$PYTHON" -m venv --without-pip "$VENV"
    # pip from sid's python3-pip-whl (a dependency of python3.14-venv), run from its wheel.
    local wheel
    wheel=$(ls "$ROOT"/usr/share/python-wheels/pip-*.whl | head -1)
    [ -n "$wheel" ] || die "no pip wheel under $ROOT/usr/share/python-wheels"
    "$VENV/bin/python" "$wheel/pip" install -q --disable-pip-version-check --only-binary=:all: \
        "$wheel" "${PINS[@]}"
}

# Complete: the interpreter runs (patched for this folder) and the venv has the pinned versions.
complete() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" - "${PINS[@]}" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version

sys.exit(any(version(p.split("==")[0]) != p.split("==")[1] for p in sys.argv[1:]))
EOF
}

report() {
    "$VENV/bin/python" - <<'EOF'
import sys

import numpy
import psutil

gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else "n/a"
print(f"executable: {sys.executable}")
print(f"version: {sys.version}")
print(f"gil_enabled: {gil}")
print(f"numpy: {numpy.__version__} psutil: {psutil.__version__}")
EOF
}

if ! complete; then
    echo "get_interpreters: installing CPython $VERSION from Debian $SUITE into $DEST" >&2
    MIRROR=$(mirror)
    download
    unpack
    make_venv
    complete || die "the venv at $VENV lacks ${PINS[*]} after installing them"
fi
report
echo "free-threaded: none (Debian $SUITE serves no python${VERSION}t or -nogil package)"
