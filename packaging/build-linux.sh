#!/bin/sh
# Build the one-folder bundle dist/BarberBI/ (its BarberBI executable is the app and the CLI).
# Needs the project and its `packaging` extra installed: pip install -e '.[packaging]'.
# Extra PyInstaller options (e.g. --log-level WARN) pass through.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
start=$(date +%s)
python -m PyInstaller --noconfirm --clean --distpath "$root/dist" --workpath "$root/build" \
    "$@" "$here/barberbi-linux.spec"
end=$(date +%s)
echo "Built $root/dist/BarberBI in $((end - start)) s, $(du -sh "$root/dist/BarberBI" | cut -f1)"
