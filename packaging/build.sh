#!/usr/bin/env bash
# Build the desktop bundle: dist/deemo-gui/ with the executable dist/deemo-gui/deemo-gui, its
# numba kernels compiled in (no compile on the user's machine), and optionally the Debian package.
#
#   packaging/build.sh            build (reuses build/ for speed; dist/deemo-gui is replaced)
#   packaging/build.sh --clean    build from scratch (empties PyInstaller's cache and build/)
#   packaging/build.sh --deb      ... then package it: dist/deemo-gui_<version>_amd64.deb
#   packaging/build.sh --test     ... then check it: with --deb, install the .deb, self-test it as
#                                 a non-root user (empty HOME, no network) and remove it
#                                 (packaging/test_deb.sh, as root); else run the bundle's self-test
#   packaging/build.sh --test --no-build   test what dist/ holds (no PyInstaller run)
#
# Python: $DEEMO_PYTHON, else .venv/bin/python (set up with ./dev.sh if missing). PyInstaller is
# installed into it (pip install "pyinstaller>=6") when missing. Takes a few minutes; ~0.9 GB.
set -euo pipefail
cd "$(dirname "$0")/.."

clean="" test="" deb="" build=1
for arg in "$@"; do
    case "$arg" in
        --clean) clean="--clean" ;;
        --test) test=1 ;;
        --deb) deb=1 ;;
        --no-build) build="" ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "usage: packaging/build.sh [--clean] [--deb] [--test] [--no-build]" >&2; exit 2 ;;
    esac
done

PY="${DEEMO_PYTHON:-.venv/bin/python}"
if [ -z "${DEEMO_PYTHON:-}" ] && [ ! -x "$PY" ]; then ./dev.sh setup; fi
[ -x "$PY" ] || { echo "build.sh: no Python at $PY (set DEEMO_PYTHON)" >&2; exit 1; }
exe=dist/deemo-gui/deemo-gui

if [ -n "$build" ]; then
    if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
        echo "build.sh: installing PyInstaller into $("$PY" -c 'import sys; print(sys.prefix)')"
        "$PY" -m pip install -q "pyinstaller>=6"
    fi
    [ -f resources/icons/deemo-gui.png ] || "$PY" packaging/make_icon.py
    ls models/*.safetensors >/dev/null 2>&1 || echo "build.sh: WARNING: models/ has no model files; the bundle ships none" >&2

    if [ -n "$clean" ]; then rm -rf build/deemo-gui; fi
    start=$(date +%s)
    "$PY" -m PyInstaller --noconfirm $clean --log-level WARN \
        --distpath dist --workpath build packaging/deemo-gui.spec
    [ -x "$exe" ] || { echo "build.sh: $exe was not built" >&2; exit 1; }
    frozen_s=$(( $(date +%s) - start ))

    # Compile memelite's numba kernels (Tomtom, FIMO) inside the frozen app, once, and ship them:
    # the self-test runs both with an empty cache; numba_seed.py makes the result relocatable.
    raw=build/numba-raw
    rm -rf "$raw" build/selftest-home && mkdir -p "$raw" build/selftest-home
    t0=$(date +%s)
    if ! line=$(env -u NUMBA_CPU_NAME -u NUMBA_CPU_FEATURES QT_QPA_PLATFORM=offscreen NUMBA_CACHE_DIR="$PWD/$raw" \
            HOME="$PWD/build/selftest-home" XDG_CACHE_HOME="$PWD/build/selftest-home/.cache" \
            XDG_CONFIG_HOME="$PWD/build/selftest-home/.config" "$exe" --self-test); then
        echo "build.sh: the frozen self-test failed while compiling the numba kernels: $line" >&2
        exit 1
    fi
    echo "build.sh: compiled the numba kernels in the frozen app ($(( $(date +%s) - t0 )) s): ${line##*| tomtom }" | cut -c1-200
    "$PY" packaging/numba_seed.py dist/deemo-gui "$raw"

    # Next to the executable: the user's installer, the desktop entry and a short read-me.
    cp packaging/install.sh packaging/deemo-gui.desktop dist/deemo-gui/
    cp packaging/bundle-README.txt dist/deemo-gui/README.txt
    size_mb=$(du -sm dist/deemo-gui | cut -f1)
    echo "build.sh: built $exe in $(( $(date +%s) - start )) s (PyInstaller ${frozen_s} s); unpacked size ${size_mb} MB"
    if [ "$size_mb" -gt 900 ]; then  # issue 18's budget; tests/test_bundle.py fails above it
        echo "build.sh: WARNING: the bundle is over 900 MB: the build environment has new packages? (du -sm dist/deemo-gui/_internal/*)" >&2
    fi
fi
[ -x "$exe" ] || { echo "build.sh: $exe is missing; build it first (without --no-build)" >&2; exit 1; }

if [ -n "$deb" ]; then
    PYTHON="$PY" bash packaging/make_deb.sh
fi

if [ -n "$test" ]; then
    if [ -n "$deb" ]; then
        bash packaging/test_deb.sh "$(ls -t dist/deemo-gui_*_amd64.deb | head -1)"
    else
        QT_QPA_PLATFORM=offscreen "$exe" --self-test
    fi
fi
