#!/usr/bin/env bash
# Clean-machine check of the Debian package, on this machine (as root; it installs and removes):
#
#   packaging/test_deb.sh dist/deemo-gui_0.1.0_amd64.deb
#
# 1. `apt-get install ./deemo-gui_*.deb` (the package must not be installed before);
# 2. checks the installed files: launchers, desktop entry (desktop-file-validate), icon, MIME types
#    registered by the shared-mime-info trigger, AppStream entry, nothing writable but by root;
# 3. runs the installed app's self-test twice as a non-root user (deemo-selftest, created if
#    missing) with an empty HOME, a clean environment and no network (its own network namespace:
#    unshare -n): the first start in a fresh home, then warm; the first Tomtom must take at most
#    2x the warm one (the numba kernels are precompiled) and nothing may be written to /opt;
#    also `deemo zoo list` and `deemo --version` (the CLI of the same install);
# 4. `apt-get remove deemo-gui` and checks that every file of the package is gone.
# Prints one line per step and the figures; exit status 0 when all passed.
set -euo pipefail

deb="${1:?usage: packaging/test_deb.sh DEB}"
deb="$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
[ -f "$deb" ] || { echo "test_deb.sh: $deb not found" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "test_deb.sh: run it as root (it installs the package)" >&2; exit 1; }
user=deemo-selftest
fail() { echo "test_deb.sh: FAILED: $*" >&2; exit 1; }
step() { echo "test_deb.sh: $*"; }

if dpkg-query -W -f='${Status}' deemo-gui 2>/dev/null | grep -q "install ok installed"; then
    fail "deemo-gui is installed already; remove it first (apt-get remove deemo-gui)"
fi
created_user=""
if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    created_user=1
fi
work=$(mktemp -d /tmp/deemo-deb-test.XXXXXX)
chmod 755 "$work"
cleanup() {
    rm -rf "$work"
    [ -n "$created_user" ] && userdel "$user" 2>/dev/null || true
}
trap cleanup EXIT

# --- 1. install -------------------------------------------------------------------------------
t0=$(date +%s)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" >"$work/install.log" 2>&1 \
    || { tail -20 "$work/install.log" >&2; fail "apt-get install $deb"; }
step "installed $(basename "$deb") in $(( $(date +%s) - t0 )) s ($(du -sm /opt/deemo-gui | cut -f1) MB in /opt/deemo-gui)"

# --- 2. the installed files --------------------------------------------------------------------
for f in /usr/bin/deemo-gui /usr/bin/deemo /opt/deemo-gui/deemo-gui /usr/share/applications/deemo-gui.desktop \
         /usr/share/icons/hicolor/256x256/apps/deemo-gui.png /usr/share/icons/hicolor/scalable/apps/deemo-gui.svg \
         /usr/share/mime/packages/deemo-gui.xml /usr/share/metainfo/deemo-gui.metainfo.xml \
         /usr/share/doc/deemo-gui/copyright /opt/deemo-gui/_internal/numba_cache/SEED; do
    [ -e "$f" ] || fail "$f is missing"
done
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate /usr/share/applications/deemo-gui.desktop || fail "desktop-file-validate"
fi
if [ -f /usr/share/mime/globs2 ]; then  # the shared-mime-info trigger ran
    for glob in '*.fa' '*.fasta' '*.fa.gz' '*.deemo.json'; do
        grep -q ":${glob}\$" /usr/share/mime/globs2 || fail "MIME glob $glob is not registered"
    done
fi
grep -q "^MimeType=.*text/x-fasta.*application/x-deemo-session" /usr/share/applications/deemo-gui.desktop \
    || fail "the desktop entry does not open FASTA and session files"
[ -z "$(find /opt/deemo-gui -perm /022 ! -type l -print -quit)" ] || fail "files in /opt/deemo-gui are writable by others"
step "files, desktop entry, icon, MIME types (*.fa *.fasta *.fa.gz *.deemo.json) in place"

# --- 3. the self-test as a non-root user, empty HOME, no network --------------------------------
netns=(unshare --net --)
unshare --net true 2>/dev/null || { netns=(); step "WARNING: unshare --net is not available; running with the network"; }
stamp="$work/stamp"
touch "$stamp"
as_user() {  # as_user HOME COMMAND... : clean environment, cwd = HOME, no network
    local home="$1"; shift
    (cd "$home" && "${netns[@]}" runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 \
        QT_QPA_PLATFORM=offscreen "$@")
}
home="$work/home"
mkdir -m 700 "$home" && chown "$user" "$home"
tomtom_s() { sed -n 's/.*| tomtom [^(]*(\([0-9.]*\) s;.*/\1/p' <<<"$1"; }
scan_s() { sed -n 's/.*| scan FIMO [^(]*(\([0-9.]*\) s) |.*/\1/p' <<<"$1"; }
total_s() { sed -n 's/.* | total \([0-9.]*\) s$/\1/p' <<<"$1"; }
first=$(as_user "$home" deemo-gui --self-test 2>"$work/first.err") || { cat "$work/first.err" >&2; fail "first self-test: $first"; }
warm=$(as_user "$home" deemo-gui --self-test 2>"$work/warm.err") || { cat "$work/warm.err" >&2; fail "warm self-test: $warm"; }
for line in "$first" "$warm"; do
    [[ "$line" == "deemo-gui self-test OK: frozen "* ]] || fail "self-test: $line"
done
f_tt=$(tomtom_s "$first"); w_tt=$(tomtom_s "$warm")
[ -n "$f_tt" ] && [ -n "$w_tt" ] || fail "no Tomtom time in: $first"
step "first self-test (fresh home): tomtom ${f_tt} s, scan $(scan_s "$first") s, total $(total_s "$first") s"
step "warm self-test:               tomtom ${w_tt} s, scan $(scan_s "$warm") s, total $(total_s "$warm") s"
awk -v f="$f_tt" -v w="$w_tt" 'BEGIN { exit !(f <= 2 * w || f <= 0.5) }' \
    || fail "first Tomtom ${f_tt} s > 2 x warm ${w_tt} s: the numba kernels were compiled on this machine"
ls "$home/.cache/deemo-gui/numba/.deemo-gui-seed" >/dev/null 2>&1 || fail "the precompiled kernels were not copied into ~/.cache/deemo-gui/numba"
[ -z "$(find /opt/deemo-gui -newer "$stamp" -print -quit)" ] || fail "the app wrote into /opt/deemo-gui: $(find /opt/deemo-gui -newer "$stamp" | head -3)"
zoo=$(as_user "$home" deemo zoo list 2>&1) || fail "deemo zoo list: $zoo"
grep -q "CTCF_cnn" <<<"$zoo" || fail "deemo zoo list shows no CTCF_cnn: $(head -3 <<<"$zoo")"
version=$(as_user "$home" deemo --version 2>&1) || fail "deemo --version: $version"
step "deemo zoo list: $(( $(wc -l <<<"$zoo") - 1 )) models listed; deemo --version: $version"
# the features the self-test does not cover, with the installed CLI: training (optimizer, autograd
# of the pruned torch), integrated gradients, class optimization compared with JASPAR (Tomtom)
data=/opt/deemo-gui/_internal/resources/data/deepbind_encode
t0=$(date +%s)
as_user "$home" deemo train "$data/REST_GM12878_AC.seq.gz" --negatives shuffle --arch deepbind --epochs 1 \
    --max-train 300 --out "$home/rest.safetensors" --device cpu >"$work/train.log" 2>&1 \
    || { tail -5 "$work/train.log" >&2; fail "deemo train"; }
{ zcat "$data/REST_GM12878_B.seq.gz" || true; } | head -21 > "$work/few.seq"  # 20 test peaks
chmod 644 "$work/few.seq"
as_user "$home" deemo explain "$home/rest.safetensors" "$work/few.seq" --method ig --out "$home/ig.npz" \
    >"$work/ig.log" 2>&1 || { tail -5 "$work/ig.log" >&2; fail "deemo explain --method ig"; }
as_user "$home" deemo motifs /opt/deemo-gui/_internal/models/REST_GM12878_cnn.safetensors --method classopt \
    --steps 20 --out "$home/classopt.meme" --compare JASPAR2026 >"$work/classopt.log" 2>&1 \
    || { tail -5 "$work/classopt.log" >&2; fail "deemo motifs --method classopt --compare JASPAR2026"; }
step "deemo train, explain --method ig, motifs --method classopt --compare JASPAR2026: OK ($(( $(date +%s) - t0 )) s)"
echo "test_deb.sh: first self-test line: $first"

# --- 4. remove ---------------------------------------------------------------------------------
mapfile -t files < <(dpkg -L deemo-gui | grep -v '^/\.$')
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q deemo-gui >"$work/remove.log" 2>&1 \
    || { tail -20 "$work/remove.log" >&2; fail "apt-get remove deemo-gui"; }
left=()
for f in "${files[@]}"; do  # folders shared with other packages stay; every file must go
    if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then left+=("$f"); fi
done
[ ${#left[@]} = 0 ] || fail "left after apt-get remove: ${left[*]:0:5}"
for d in /opt/deemo-gui /usr/share/doc/deemo-gui; do
    [ ! -e "$d" ] || fail "$d is left after apt-get remove"
done
if [ -f /usr/share/mime/globs2 ] && grep -q ':\*\.deemo\.json$' /usr/share/mime/globs2; then
    fail "the session MIME type is still registered after apt-get remove"
fi
step "removed cleanly (${#files[@]} paths of the package gone; the MIME types unregistered)"
step "PASSED"
