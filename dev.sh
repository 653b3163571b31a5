#!/usr/bin/env bash
# Set up (idempotent: system libraries, .venv, the package and its test extras) and then:
#   ./dev.sh run    open the app on the bundled example (headless machines: renders a screenshot)
#   ./dev.sh test   run the test suite (the command CI runs)
#   ./dev.sh lint   ruff (lint and format check), mypy and the import contract (CI runs it first)
#   ./dev.sh setup  only set up
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES="libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-cursor0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1"

setup_system() {
    command -v dpkg >/dev/null || return 0
    local missing=""
    for pkg in $APT_PACKAGES; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
        echo "dev.sh: please install the system packages:$missing (sudo apt-get install ...)" >&2
    fi
}

setup_python() {
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "dev.sh: Python >= 3.11 is needed; python3 is $(python3 -V 2>&1)" >&2
        exit 1
    }
    [ -x .venv/bin/python ] || python3 -m venv .venv || {
        rm -rf .venv
        echo "dev.sh: python3 -m venv failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 1
    }
    local stamp=.venv/.deemo-installed
    local want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        # torch==2.13.0 is pinned in pyproject.toml. PyPI's build of it pulls several GB of CUDA libraries:
        # PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu ./dev.sh setup  installs the CPU build.
        .venv/bin/pip install -q --upgrade pip >/dev/null
        .venv/bin/pip install -q -e ".[test]"
        echo "$want" > "$stamp"
    fi
}

cmd="${1:-run}"
shift || true
setup_system
setup_python
case "$cmd" in
    setup) ;;
    test) exec .venv/bin/python -m pytest "$@" ;;
    lint)  # every check runs; the status is non-zero when any fails
        rc=0
        .venv/bin/ruff check . || rc=1
        .venv/bin/ruff format --check . || rc=1
        .venv/bin/mypy || rc=1
        .venv/bin/lint-imports || rc=1
        exit $rc ;;
    run)
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            exec .venv/bin/deemo-gui "$@"
        else
            exec .venv/bin/python -m deemo_gui.demo "$@"
        fi ;;
    *) echo "usage: ./dev.sh [run|test|lint|setup] [args...]" >&2; exit 2 ;;
esac
