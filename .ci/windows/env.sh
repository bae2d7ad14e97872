# The environment of memlab's Windows build on Linux: source it, do not run it.
#
#   . .ci/windows/env.sh        # then: cargo build / cargo test / cargo clippy
#
# Cross-builds for x86_64-pc-windows-gnu with Debian's Rust (rustc-web 1.96),
# which builds std from its source (-Zbuild-std) because there is no prebuilt
# Windows std for it, links with mingw-w64, and runs .exe files (tests too)
# under wine in a prefix of memlab's own. .ci/windows/setup installs all of
# that; this file only sets variables, so sourcing it is instant and safe.
#
# Everything the Windows build writes is under target/windows/, apart from
# the Linux build's target/ and ~/.cargo, so the two toolchains' caches never
# mix:
#   target/windows/cargo-home   its own CARGO_HOME (registry, downloaded crates)
#   target/windows/build        its own CARGO_TARGET_DIR (std, deps, memlab)
#   target/windows/prefix       its own WINEPREFIX (with the stub DLL in it)
#   target/windows/dll          the stub bcryptprimitives.dll built from here
#
# In a shell that sourced this, `cargo` and `rustc` are Debian's (/usr/bin
# comes first on PATH) and build for Windows by default: open another shell
# for the Linux build.

# MEMLAB_WINDOWS_DIR, if set before, puts all of it elsewhere (an absolute
# path): a cache kept outside the clone, or a clean one for a measurement.
memlab_windows_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MEMLAB_WINDOWS_DIR="${MEMLAB_WINDOWS_DIR:-$memlab_windows_repo/target/windows}"
unset memlab_windows_repo

# Debian's toolchain, picked explicitly: rustup's (the Linux build's) has no
# rust-src and no Windows std, and stays first on PATH otherwise.
export PATH="/usr/bin:$PATH"
export CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTUP_TOOLCHAIN
# -Zbuild-std is unstable; Debian's stable compiler accepts it with this.
export RUSTC_BOOTSTRAP=1

# The target, std built from source, and the mingw linker.
export MEMLAB_WINDOWS_TARGET=x86_64-pc-windows-gnu
export CARGO_BUILD_TARGET="$MEMLAB_WINDOWS_TARGET"
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
# C code in dependencies (libmimalloc-sys) is compiled by the cc crate.
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar

# Line tables only (file:line in backtraces, no variables): a debug eframe
# exe with full DWARF is 266 MB, 228 MB of it debug info, and memlab's
# test suite has some 25 such exes, each linked by mingw's ld.
export CARGO_PROFILE_DEV_DEBUG=line-tables-only

# Separate caches.
# MEMLAB_WINDOWS_CARGO_HOME, if set, shares one downloaded registry between
# several such dirs (cargo records a crate's source path: it must be the same
# path for a cache's dependencies to stay fresh).
export CARGO_HOME="${MEMLAB_WINDOWS_CARGO_HOME:-$MEMLAB_WINDOWS_DIR/cargo-home}"
export CARGO_TARGET_DIR="$MEMLAB_WINDOWS_DIR/build"

# wine runs what cargo builds (cargo test, cargo run). Debian puts the 64-bit
# loader in /usr/lib/wine; there is no wine64 on PATH.
export MEMLAB_WINE=/usr/lib/wine/wine64
export MEMLAB_WINESERVER=/usr/lib/wine/wineserver
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$MEMLAB_WINE"
export WINEPREFIX="$MEMLAB_WINDOWS_DIR/prefix"
export WINEARCH=win64
# wine's own debug channels off: its "fixme:" lines would drown test output.
export WINEDEBUG=-all
# No Mono or Gecko install dialogs: memlab needs neither .NET nor a browser.
export WINEDLLOVERRIDES="mscoree=;mshtml="
