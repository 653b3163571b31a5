#!/usr/bin/env bash
# Build the desktop bundle: dist/deemo-gui/ with the executable dist/deemo-gui/deemo-gui.
#
#   packaging/build.sh            build (reuses build/ for speed; dist/deemo-gui is replaced)
#   packaging/build.sh --clean    build from scratch (empties PyInstaller's cache and build/)
#   packaging/build.sh --test     build, then run the bundle's self-test
#
# Idempotent: sets up .venv with ./dev.sh if needed and installs PyInstaller into it
# (pip install -e ".[bundle]") when missing. Takes a few minutes; the bundle is ~1 GB unpacked.
set -euo pipefail
cd "$(dirname "$0")/.."

clean="" test=""
for arg in "$@"; do
    case "$arg" in
        --clean) clean="--clean" ;;
        --test) test=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "usage: packaging/build.sh [--clean] [--test]" >&2; exit 2 ;;
    esac
done

PY=.venv/bin/python
[ -x "$PY" ] || ./dev.sh setup
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: installing PyInstaller into .venv (pip install -e .[bundle])"
    .venv/bin/pip install -q -e ".[bundle]"
fi
[ -f resources/icons/deemo-gui.png ] || "$PY" packaging/make_icon.py
ls models/*.safetensors >/dev/null 2>&1 || echo "build.sh: WARNING: models/ has no model files; the bundle ships none" >&2

if [ -n "$clean" ]; then rm -rf build/deemo-gui; fi
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm $clean --log-level WARN \
    --distpath dist --workpath build packaging/deemo-gui.spec
exe=dist/deemo-gui/deemo-gui
[ -x "$exe" ] || { echo "build.sh: $exe was not built" >&2; exit 1; }
# Next to the executable: the user's installer, the desktop entry and a short read-me.
cp packaging/install.sh packaging/deemo-gui.desktop dist/deemo-gui/
cp packaging/bundle-README.txt dist/deemo-gui/README.txt
echo "build.sh: built $exe in $(( $(date +%s) - start )) s; unpacked size $(du -sh dist/deemo-gui | cut -f1)"

if [ -n "$test" ]; then
    QT_QPA_PLATFORM=offscreen "$exe" --self-test
fi
