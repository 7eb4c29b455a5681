//! The workspace's shape that keeps a cold `just test` fast.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every package of the workspace: `bench`, `crates/*`, `days/*`, `solutions/*`.
fn member_manifests() -> Vec<PathBuf> {
    let mut manifests = vec![root().join("bench/Cargo.toml")];
    for folder in ["crates", "days", "solutions"] {
        for entry in std::fs::read_dir(root().join(folder)).unwrap().flatten() {
            let manifest = entry.path().join("Cargo.toml");
            if manifest.is_file() {
                manifests.push(manifest);
            }
        }
    }
    manifests
}

/// A crate without the `workspace-hack` dependency would ask cargo for its
/// own set of dependency features, and `cargo test -p` that crate would
/// rebuild the AWS SDK for it (see crates/workspace-hack/Cargo.toml).
#[test]
fn every_crate_depends_on_the_workspace_hack_so_dependencies_are_built_once() {
    let manifests = member_manifests();
    assert!(manifests.len() > 20, "found only {} crates", manifests.len());
    let missing: Vec<String> = manifests
        .iter()
        .filter(|manifest| !manifest.ends_with("workspace-hack/Cargo.toml"))
        .filter(|manifest| {
            let text = std::fs::read_to_string(manifest).unwrap();
            !text.lines().any(|line| line.trim() == "workspace-hack.workspace = true")
        })
        .map(|manifest| manifest.strip_prefix(root()).unwrap_or(manifest).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "these crates do not depend on workspace-hack; run `cargo hakari generate && cargo hakari \
         manage-deps` (cargo install cargo-hakari --locked): {missing:#?}"
    );
}
