#!/usr/bin/env bash
# scripts/with-clippy.sh COMMAND...: runs COMMAND with clippy as the compiler
# of the workspace's own crates, warnings as errors.
#
# Why: `just test` must both build every crate and lint it. `cargo clippy`
# after `cargo test` would type-check every crate a second time. With
# clippy-driver as RUSTC_WORKSPACE_WRAPPER, the one build lints as it
# compiles (cargo builds the dependencies with plain rustc, as usual). Every
# cargo command of `just test` runs through this script: cargo keys its
# build cache on the wrapper, so commands with and without it would each
# build the workspace once.
#
# How: CLIPPY_ARGS is clippy-driver's own channel for lint flags, the one
# `cargo clippy` itself sets. Its separator, `__CLIPPY_HACKERY__`, is
# clippy's private protocol, not a documented interface: it is safe only
# because rust-toolchain.toml pins the toolchain, so clippy-driver and this
# line always come from the same release. When the toolchain moves, check
# that `just clippy` and `just test` still refuse a warning (add an unused
# variable to a support crate: both must fail), and read clippy's
# src/driver.rs for the separator if they do not.
set -euo pipefail
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
exec "$@"
