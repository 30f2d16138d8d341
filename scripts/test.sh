#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, then runs every test.
# This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

need=(sip-tester baresip ffmpeg espeak-ng sox iproute2 chromium chromium-driver)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
cargo test --doc

# The fuzz crate (fuzz/, its own workspace; stable Rust, no cargo-fuzz): its targets must keep
# compiling and linking, and the kept corpus replays through every target's checks. It shares
# the main target directory, so only what differs from the main build is built again.
fuzz=(--manifest-path fuzz/Cargo.toml --target-dir "${CARGO_TARGET_DIR:-target}")
cargo fmt --manifest-path fuzz/Cargo.toml --all -- --check
cargo clippy "${fuzz[@]}" --all-targets -- -D warnings
cargo build "${fuzz[@]}" --bins
cargo test "${fuzz[@]}"
