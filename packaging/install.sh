#!/usr/bin/env bash
# Install the deemo-gui desktop bundle for the current user (no administrator rights needed):
#   the app        -> ~/.local/share/deemo-gui/
#   a launcher     -> ~/.local/bin/deemo-gui
#   a menu entry   -> ~/.local/share/applications/deemo-gui.desktop
#   the icon       -> ~/.local/share/icons/hicolor/{256x256,scalable}/apps/deemo-gui.{png,svg}
#
#   ./install.sh               run it from the unpacked bundle folder (or from the repository
#                              after packaging/build.sh: it installs dist/deemo-gui)
#   ./install.sh --uninstall   remove all of the above (your settings and caches stay)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
app_dir="$data_home/deemo-gui"
bin_dir="$HOME/.local/bin"
launcher="$bin_dir/deemo-gui"
desktop_file="$data_home/applications/deemo-gui.desktop"
icon_png="$data_home/icons/hicolor/256x256/apps/deemo-gui.png"
icon_svg="$data_home/icons/hicolor/scalable/apps/deemo-gui.svg"

refresh_menus() {
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$data_home/applications" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data_home/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$app_dir"
    rm -f "$desktop_file" "$icon_png" "$icon_svg"
    # only remove a launcher we wrote
    if [ -f "$launcher" ] && grep -q "deemo-gui launcher (install.sh)" "$launcher" 2>/dev/null; then
        rm -f "$launcher"
    fi
    refresh_menus
    echo "deemo-gui removed (settings in ~/.config/deemo-gui and caches in ~/.cache/deemo-gui were kept)"
    exit 0
fi
if [ $# -gt 0 ]; then
    echo "usage: install.sh [--uninstall]" >&2
    exit 2
fi

# Where is the bundle? Next to this script (unpacked bundle) or dist/deemo-gui (repository).
if [ -x "$here/deemo-gui" ] && [ -d "$here/_internal" ]; then
    src="$here"
elif [ -x "$here/../dist/deemo-gui/deemo-gui" ]; then
    src="$(cd "$here/../dist/deemo-gui" && pwd)"
else
    echo "install.sh: no bundle found next to this script or in dist/deemo-gui; build it with packaging/build.sh" >&2
    exit 1
fi
icons="$src/_internal/resources/icons"
desktop_src="$src/deemo-gui.desktop"
[ -f "$desktop_src" ] || desktop_src="$here/deemo-gui.desktop"
[ -f "$desktop_src" ] || { echo "install.sh: deemo-gui.desktop not found" >&2; exit 1; }

# Copy the app next to the old one, then swap, so a failed copy leaves the old install intact.
mkdir -p "$data_home" "$bin_dir" "$(dirname "$desktop_file")" "$(dirname "$icon_png")" "$(dirname "$icon_svg")"
if [ "$src" != "$app_dir" ]; then
    rm -rf "$app_dir.new"
    cp -a "$src" "$app_dir.new"
    rm -rf "$app_dir"
    mv "$app_dir.new" "$app_dir"
fi

cat > "$launcher" <<LAUNCHER
#!/bin/sh
# deemo-gui launcher (install.sh)
exec "$app_dir/deemo-gui" "\$@"
LAUNCHER
chmod +x "$launcher"

sed -e "s|^Exec=.*|Exec=\"$launcher\" %F|" -e "s|^TryExec=.*|TryExec=$launcher|" "$desktop_src" > "$desktop_file"
chmod 644 "$desktop_file"
[ -f "$icons/deemo-gui.png" ] && cp "$icons/deemo-gui.png" "$icon_png"
[ -f "$icons/deemo-gui.svg" ] && cp "$icons/deemo-gui.svg" "$icon_svg"
refresh_menus

echo "deemo-gui installed in $app_dir"
echo "  start it from your applications menu (Science / Education), or run: $launcher"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "  ($bin_dir is not on your PATH; log out and in again, or use the full path)" ;;
esac
echo "  check it:  $launcher --self-test"
echo "  remove it: $app_dir/install.sh --uninstall"
