#!/usr/bin/env bash
# Package the built bundle (dist/deemo-gui/, packaging/build.sh) as a Debian package:
#   dist/deemo-gui_<version>_amd64.deb
#
#   /opt/deemo-gui/                      the bundle (read-only; its numba kernels precompiled)
#   /usr/bin/deemo-gui, /usr/bin/deemo   links to the one executable (the desktop app / the CLI)
#   /usr/share/applications/deemo-gui.desktop, icons (hicolor 256x256 + scalable), the MIME types
#   of FASTA (.fa .fasta .fna .fas, .fa.gz .fasta.gz) and of sessions (.deemo.json), an AppStream
#   entry (software centres), the copyright file.
#
# Depends: computed by dpkg-shlibdeps from every ELF file of the bundle (the system libraries it
# links to and does not carry: glibc, libGL/libEGL, fontconfig, the xcb libraries, ...).
# No maintainer scripts: dpkg's triggers of desktop-file-utils, shared-mime-info and the icon
# theme refresh the menus, MIME database and icon cache, on install and on removal.
#
#   packaging/make_deb.sh            (run by packaging/build.sh --deb)
#   DEEMO_DEB_COMPRESSION=xz packaging/make_deb.sh   (default: xz -6; gzip / zstd / none)
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
bundle=dist/deemo-gui
[ -x "$bundle/deemo-gui" ] || { echo "make_deb.sh: $bundle/deemo-gui is missing; run packaging/build.sh" >&2; exit 1; }
[ -d "$bundle/_internal/numba_cache" ] || { echo "make_deb.sh: $bundle has no precompiled numba kernels; run packaging/build.sh" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { echo "make_deb.sh: $tool is missing (apt install dpkg-dev)" >&2; exit 1; }
done

version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' deemo_gui/__init__.py)
[ -n "$version" ] || { echo "make_deb.sh: no __version__ in deemo_gui/__init__.py" >&2; exit 1; }
arch=$(dpkg --print-architecture)
name=deemo-gui
out="dist/${name}_${version}_${arch}.deb"
stage=build/deb/root
rm -rf build/deb && mkdir -p "$stage/DEBIAN"
start=$(date +%s)

# --- the files -------------------------------------------------------------------------------
mkdir -p "$stage/opt" "$stage/usr/bin"
cp -a "$bundle" "$stage/opt/$name"
rm -f "$stage/opt/$name/install.sh" "$stage/opt/$name/deemo-gui.desktop"  # the package installs those itself
cp packaging/deb/README.txt "$stage/opt/$name/README.txt"
ln -s "/opt/$name/deemo-gui" "$stage/usr/bin/deemo-gui"
ln -s "/opt/$name/deemo-gui" "$stage/usr/bin/deemo"  # started as `deemo`: the command-line tool

share="$stage/usr/share"
install -D -m 644 packaging/deemo-gui.desktop "$share/applications/$name.desktop"
install -D -m 644 resources/icons/deemo-gui.png "$share/icons/hicolor/256x256/apps/$name.png"
install -D -m 644 resources/icons/deemo-gui.svg "$share/icons/hicolor/scalable/apps/$name.svg"
install -D -m 644 packaging/deb/deemo-gui-mime.xml "$share/mime/packages/$name.xml"
install -D -m 644 packaging/deb/deemo-gui.metainfo.xml "$share/metainfo/$name.metainfo.xml"
install -D -m 644 packaging/deb/copyright "$share/doc/$name/copyright"
printf '%s (%s) stable; urgency=low\n\n  * Desktop bundle %s (packaging/build.sh --deb).\n\n -- deemo-gui maintainers <deemo-gui@localhost>  %s\n' \
    "$name" "$version" "$version" "$(date -R)" | gzip -9n > "$share/doc/$name/changelog.gz"
chmod 644 "$share/doc/$name/changelog.gz"
# Everything readable by all, nothing writable but by root (dpkg-deb makes root the owner).
chmod -R u+rwX,go+rX,go-w "$stage/opt" "$stage/usr"

# --- Depends: the system libraries the bundle's ELF files link to and do not carry ------------
mkdir -p build/deb/shlibs/debian
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" > build/deb/shlibs/debian/control
mapfile -t elves < <(find "$stage/opt/$name" -type f \( -name '*.so' -o -name '*.so.*' -o -name "$name" \) \
    -exec sh -c 'head -c 4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
# the bundle's own library folders, so that dpkg-shlibdeps resolves what it carries
dirs=$(printf '%s\n' "${elves[@]}" | xargs -n1 dirname | sort -u)
libdirs=$(sed "s|^|-l$PWD/|" <<<"$dirs" | tr '\n' ' ')
# Optional plugins whose libraries this machine lacks (Qt's GTK theme needs GTK 3, numba's TBB
# threading layer libtbb): they load only where those are installed, so they are Suggests, not
# Depends; dpkg-shlibdeps would stop at them.
ld_path=$(tr '\n' ':' <<<"$dirs")
optional=()
resolvable=()
for f in "${elves[@]}"; do
    resolved=$(LD_LIBRARY_PATH="$ld_path" ldd "$f" 2>&1 || true)  # (no grep -q: pipefail)
    if [[ "$resolved" == *"not a dynamic executable"* ]]; then
        echo "make_deb.sh: ${f#"$stage"} is a broken library (the dynamic loader refuses it); rebuild" >&2
        exit 1
    fi
    if [[ "$resolved" == *"not found"* ]]; then optional+=("$f"); else resolvable+=("$f"); fi
done
elves=("${resolvable[@]}")
suggests=""
for f in "${optional[@]}"; do
    missing=$(LD_LIBRARY_PATH="$ld_path" ldd "$f" | awk '/not found/ {print $1}' | sort -u)
    for soname in $missing; do
        case "$soname" in  # the Debian package of each library an optional plugin needs
            libgtk-3.so.0|libgdk-3.so.0) pkg=libgtk-3-0 ;;   # Qt's GTK theme: native dialogs on GNOME
            libwayland-cursor.so.0) pkg=libwayland-cursor0 ;;  # Qt's Wayland platform (else XWayland)
            libwayland-egl.so.1) pkg=libwayland-egl1 ;;
            libtbb.so.12) pkg=libtbb12 ;;                      # numba's TBB threading layer
            *) echo "make_deb.sh: WARNING: ${f#"$stage"} needs $soname, which no known package provides" >&2; continue ;;
        esac
        case ", $suggests, " in *", $pkg, "*) ;; *) suggests="${suggests:+$suggests, }$pkg" ;; esac
    done
done
echo "make_deb.sh: ${#optional[@]} optional plugins need libraries this machine lacks: Suggests: ${suggests:-none}"
# dpkg-shlibdeps finds a library the bundle carries, sees no package owning it and falls back to
# the system's copy of the same soname (a needless Depends on libcairo2, libssl3, ...): an empty
# entry in debian/shlibs.local for every carried library says "no dependency".
for f in "${elves[@]}" "${optional[@]}"; do
    soname=$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    soname=${soname:-$(basename "$f")}
    if [[ "$soname" =~ ^(.+)\.so\.([0-9][0-9.]*)$ ]] || [[ "$soname" =~ ^(.+)-([0-9][0-9.]*)\.so$ ]]; then
        echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
    fi
done | sort -u > build/deb/shlibs/debian/shlibs.local
log="$PWD/build/deb/shlibdeps.log"
absolute=("${elves[@]/#/$PWD/}")
(cd build/deb/shlibs && dpkg-shlibdeps -O --ignore-missing-info --warnings=0 $libdirs \
    "${absolute[@]}" 2>"$log") > build/deb/substvars \
    || { echo "make_deb.sh: dpkg-shlibdeps failed:" >&2; tail -5 "$log" >&2; exit 1; }
depends=$(sed -n 's/^shlibs:Depends=//p' build/deb/substvars)
[ -n "$depends" ] || { echo "make_deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# Not linked but read: the bundled libfontconfig reads the system's /etc/fonts, and Qt draws the
# interface with a system font. The menu, MIME and icon refresh (dpkg triggers) come with
# the three recommended packages every desktop has.
depends="$depends, fontconfig-config, fonts-dejavu-core | fonts-liberation2 | fonts-noto-core"
recommends="shared-mime-info, desktop-file-utils, hicolor-icon-theme"

installed_kb=$(du -sk --apparent-size "$stage/opt" "$stage/usr" | awk '{s += $1} END {print s}')
cat > "$stage/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: deemo-gui maintainers <deemo-gui@localhost>
Installed-Size: $installed_kb
Depends: $depends
Recommends: $recommends
${suggests:+Suggests: $suggests
}Section: science
Priority: optional
Description: train deep networks on DNA sequences and see why they predict
 deemo-gui (Deep Motif Dashboard, desktop) trains convolutional and recurrent
 networks on DNA sequences (ChIP-seq peaks, SELEX reads, FASTA files) and
 explains their predictions: saliency maps, in-silico mutagenesis, integrated
 gradients, temporal output scores, class optimization, and the motifs the
 network learned compared with the JASPAR database (Tomtom) or scanned (FIMO).
 .
 Everything works offline: Python, torch (CPU), Qt, a model zoo of trained
 networks, example data and the JASPAR 2026 CORE vertebrates collection are in
 /opt/deemo-gui. Commands: deemo-gui (the desktop app), deemo (the command-line
 tool), deemo-gui --self-test (checks the installation in a few seconds).
CONTROL

# --- build it --------------------------------------------------------------------------------
compression="${DEEMO_DEB_COMPRESSION:-xz}"
case "$compression" in
    xz) zargs=(-Zxz -z6) ;;
    gzip) zargs=(-Zgzip -z9) ;;
    zstd) zargs=(-Zzstd -z19) ;;
    none) zargs=(-Znone) ;;
    *) echo "make_deb.sh: DEEMO_DEB_COMPRESSION must be xz, gzip, zstd or none" >&2; exit 2 ;;
esac
tmp="$out.tmp"
rm -f "$tmp"
dpkg-deb --root-owner-group "${zargs[@]}" --build "$stage" "$tmp" >/dev/null
mv -f "$tmp" "$out"
echo "make_deb.sh: built $out in $(( $(date +%s) - start )) s: $(du -m "$out" | cut -f1) MB ($compression), installs $(( installed_kb / 1024 )) MB"
echo "make_deb.sh: Depends: $depends"
