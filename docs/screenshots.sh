#!/usr/bin/env bash
# Rewrites screenshots/ from the real app (docs/screenshots.md says what each
# picture shows): every lab in English and Korean with its demo, one lab in
# the smallest kind of window, and four windows arranged on a 1920x1080 screen.
#
#   bash docs/screenshots.sh
#
# Needs Xvfb, openbox and xdotool (`bash .ci/test` installs them). It starts
# its own X server on a free display, runs memlab with a home of its own (so
# no saved state of yours shows) and, as root, in a mount namespace of its own
# with an empty /dev/shm (so no other memlab's objects show or are touched).
# It ends every process it started, and fails if memlab left an object behind.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# As root, run again in a private mount namespace with a /dev/shm of our own:
# the demos' objects (SampleMMF, LockMap, ...) then meet no other instance's,
# and "nothing left behind" can be checked on the whole folder. The outer
# namespace's id goes along, so that the mounts below are made only inside.
ns=$(readlink /proc/self/ns/mnt)
if [ "$(id -u)" = 0 ] && [ -z "${MEMLAB_SHOTS_OUTER_NS:-}" ] && unshare --mount true 2>/dev/null; then
    exec unshare --mount --propagation private \
        env MEMLAB_SHOTS_OUTER_NS="$ns" bash "${BASH_SOURCE[0]}" "$@"
fi
private=
if [ -n "${MEMLAB_SHOTS_OUTER_NS:-}" ] && [ "$ns" != "$MEMLAB_SHOTS_OUTER_NS" ]; then
    mount -t tmpfs -o mode=1777,size=64m memlab-shots /dev/shm
    if [ -d "/run/user/$(id -u)" ]; then
        mount -t tmpfs -o mode=0700 memlab-shots "/run/user/$(id -u)"
    fi
    private=1
else
    echo "docs/screenshots.sh: sharing /dev/shm with this machine's other memlab instances" >&2
fi

for tool in Xvfb openbox xdotool; do
    command -v "$tool" >/dev/null || {
        echo "docs/screenshots.sh: $tool is missing (bash .ci/test installs it)" >&2
        exit 1
    }
done

cargo build --release
m=$repo/target/release/memlab

# memlab's objects of this account before we start (outside a private
# namespace, other memlab instances may have some); only ours must go.
objects() {
    ls -A /dev/shm "/run/user/$(id -u)" 2>/dev/null | grep '^memlab' | sort || true
}
before=$(objects)

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

export HOME=$work/home
mkdir -p "$HOME"
unset XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME WAYLAND_DISPLAY

# Our own X server, on a display number it picks and writes when ready.
Xvfb -displayfd 3 -screen 0 1920x1080x24 -noreset -nolisten tcp \
    3>"$work/display" 2>"$work/xvfb.log" &
pids+=($!)
for _ in $(seq 300); do
    [ -s "$work/display" ] && break
    sleep 0.1
done
[ -s "$work/display" ] || { echo "Xvfb did not start:" >&2; cat "$work/xvfb.log" >&2; exit 1; }
export DISPLAY=:$(head -n1 "$work/display")
echo "screenshots on DISPLAY=$DISPLAY"

# The pointer in a corner, so that no tooltip covers a form.
xdotool mousemove 1919 1079

for lab in shared-text:shared alloc-bench:alloc-bench memory-managers:memory-managers \
    sysinfo:sysinfo global-lab:global page-lab:page-lab address-map:address-map heap-lab:heap \
    file-mapping:filemap book-mutex:mutex sharemem-lab:sharemem; do
    file=${lab%%:*} id=${lab#*:}
    "$m" screenshot --out "screenshots/$file.png" --lab "$id" --lang en --demo
    "$m" screenshot --out "screenshots/$file-ko.png" --lab "$id" --lang ko --demo
done
"$m" screenshot --out screenshots/alloc-bench-small-ko.png \
    --lab alloc-bench --lang ko --size 480x360 --zoom 1.5 --demo

# Four windows under a window manager, arranged side by side.
openbox >"$work/openbox.log" 2>&1 &
pids+=($!)
windows=()
for lab in shared shared page-lab mutex; do
    "$m" --lab "$lab" &
    windows+=($!)
    pids+=($!)
    # Its window is mapped (the title ends with its PID) before the next starts,
    # so the instance numbers follow this order.
    timeout 60 xdotool search --sync --onlyvisible --name "PID $!\$" >/dev/null
done
"$m" arrange
sleep 2 # the moved windows draw their next frame
"$m" screenshot --screen --out screenshots/four-windows.png

# SIGTERM detaches each window cleanly; wait until every one has gone.
for pid in "${windows[@]}"; do kill -TERM "$pid"; done
for pid in "${windows[@]}"; do wait "$pid" || true; done
# The book mutex's lock outlives its windows on purpose (the lesson needs it).
"$m" mutex remove

left=$(comm -13 <(echo "$before") <(objects))
if [ -n "$left" ]; then
    echo "docs/screenshots.sh: memlab left these objects behind:" >&2
    echo "$left" >&2
    exit 1
fi
if [ -n "$private" ] && [ -n "$(ls -A /dev/shm)" ]; then
    echo "docs/screenshots.sh: /dev/shm is not empty:" >&2
    ls -la /dev/shm >&2
    exit 1
fi
echo "screenshots/ rewritten; memlab left no object behind"
