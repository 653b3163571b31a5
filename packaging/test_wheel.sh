#!/usr/bin/env bash
# Clean-machine check of the wheel: build it, install it into a fresh virtual environment, and
# run the installed app as a non-root user (deemo-selftest, created if missing) with an empty
# HOME, a clean environment and no network, from a folder that is not the repository:
# `deemo-gui --help`, `deemo-gui --self-test` (the zoo model, its test data, JASPAR, the icon:
# all read from the installed package) and `deemo zoo list`.
#
#   packaging/test_wheel.sh            (as root; the install itself uses pip's configured indexes)
#
# $DEEMO_PYTHON (else .venv/bin/python) builds the wheel (setuptools >= 77); the fresh venv uses
# the system's python3 (>= 3.11) or $DEEMO_WHEEL_BASE_PYTHON. Extra pip arguments for the install: $DEEMO_WHEEL_PIP_ARGS, e.g.
# "--extra-index-url https://download.pytorch.org/whl/cpu" (the CPU torch; without it PyPI's
# torch==2.13.0 pulls several GB of CUDA libraries). The venv is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${DEEMO_PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || { echo "test_wheel.sh: no Python at $PY (set DEEMO_PYTHON)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "test_wheel.sh: run it as root (it runs the app as another user)" >&2; exit 1; }
user=deemo-selftest
fail() { echo "test_wheel.sh: FAILED: $*" >&2; exit 1; }
step() { echo "test_wheel.sh: $*"; }

created_user=""
if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    created_user=1
fi
work=$(mktemp -d /tmp/deemo-wheel-test.XXXXXX)
chmod 755 "$work"
cleanup() {
    rm -rf "$work"
    [ -n "$created_user" ] && userdel "$user" 2>/dev/null || true
}
trap cleanup EXIT

# --- 1. the wheel ------------------------------------------------------------------------------
t0=$(date +%s)
rm -rf build/lib build/bdist.* ./*.egg-info
"$PY" -m pip wheel . --no-deps --no-build-isolation -q -w "$work/wheelhouse" >"$work/wheel.log" 2>&1 \
    || { tail -20 "$work/wheel.log" >&2; fail "pip wheel ."; }
wheel=$(ls "$work"/wheelhouse/deemo_gui-*.whl)
mkdir -p dist && cp "$wheel" dist/
n_data=$("$PY" -m zipfile -l "$wheel" | grep -c 'deemo_gui/_data/' || true)
[ "$n_data" -gt 0 ] || fail "the wheel carries no deemo_gui/_data"
step "built $(basename "$wheel") in $(( $(date +%s) - t0 )) s: $(du -m "$wheel" | cut -f1) MB, $n_data data files"

# --- 2. a fresh venv -----------------------------------------------------------------------------
# The venv's interpreter: $DEEMO_WHEEL_BASE_PYTHON, else the system's python3 when it is >= 3.11
# (what a user has), else the build Python's own base interpreter. The test user must be able to run it.
base="${DEEMO_WHEEL_BASE_PYTHON:-}"
if [ -z "$base" ] && /usr/bin/python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    base=/usr/bin/python3
fi
[ -n "$base" ] || base=$("$PY" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')
runuser -u "$user" -- test -x "$(readlink -f "$base")" \
    || fail "$base is not executable by $user (set DEEMO_WHEEL_BASE_PYTHON to a Python >= 3.11 all users can run)"
t0=$(date +%s)
"$base" -m venv "$work/venv"
# shellcheck disable=SC2086
"$work/venv/bin/pip" install -q ${DEEMO_WHEEL_PIP_ARGS:-} "$wheel" >"$work/pip.log" 2>&1 \
    || { grep -v "^WARNING: Location" "$work/pip.log" | tail -20 >&2; fail "pip install $(basename "$wheel")"; }
torch_version=$("$work/venv/bin/python" -c 'import torch; print(torch.__version__)')
chmod -R go+rX "$work/venv"
step "installed into a fresh venv ($("$work/venv/bin/python" -V)) in $(( $(date +%s) - t0 )) s (torch $torch_version, $(du -sm "$work/venv" | cut -f1) MB)"

# --- 3. run it as a non-root user, empty HOME, no network, outside the repository --------------
netns=(unshare --net --)
unshare --net true 2>/dev/null || { netns=(); step "WARNING: unshare --net is not available; running with the network"; }
home="$work/home"
mkdir -m 700 "$home" && chown "$user" "$home"
as_user() {
    (cd "$home" && "${netns[@]}" runuser -u "$user" -- env -i PATH="$work/venv/bin:/usr/bin:/bin" HOME="$home" \
        LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@")
}
help=$(as_user deemo-gui --help 2>&1) || fail "deemo-gui --help: $help"
grep -q -- "--self-test" <<<"$help" || fail "deemo-gui --help does not offer --self-test"
line=$(as_user deemo-gui --self-test 2>"$work/selftest.err") || { tail -5 "$work/selftest.err" >&2; fail "self-test: $line"; }
[[ "$line" == "deemo-gui self-test OK: source "* ]] || fail "self-test: $line"
step "self-test (first run: numba compiles memelite's kernels into ~/.cache): ${line#deemo-gui self-test OK: }" | cut -c1-400
zoo=$(as_user deemo zoo list 2>&1) || fail "deemo zoo list: $zoo"
grep -q "CTCF_cnn" <<<"$zoo" || fail "deemo zoo list shows no CTCF_cnn: $(head -3 <<<"$zoo")"
where=$(as_user python -c 'from deemo_gui.data_paths import models_dir; print(models_dir())')
[[ "$where" == "$work/venv/"*"/site-packages/deemo_gui/_data/models" ]] || fail "models read from $where, not the installed package"
step "deemo zoo list: $(grep -c "_cnn\|_demo\|_rnn\|deepbind" <<<"$zoo") lines; models read from the installed package ($where)"
step "PASSED"
