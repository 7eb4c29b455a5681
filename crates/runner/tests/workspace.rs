//! The workspace's shape that keeps a cold `just test` fast.

use pitlane_testkit::workspace_packages;

/// A crate without the `workspace-hack` dependency would ask cargo for its
/// own set of dependency features, and `cargo test -p` that crate would
/// rebuild the AWS SDK for it (see crates/workspace-hack/Cargo.toml).
#[test]
fn every_crate_depends_on_the_workspace_hack_so_dependencies_are_built_once() {
    let packages = workspace_packages();
    assert!(packages.len() > 20, "found only {} crates", packages.len());
    let missing: Vec<&str> = packages
        .iter()
        .filter(|package| package.name != "workspace-hack")
        .filter(|package| !package.dependencies.iter().any(|name| name == "workspace-hack"))
        .map(|package| package.manifest.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "these crates do not depend on workspace-hack; run `cargo hakari generate && cargo hakari \
         manage-deps` (cargo install cargo-hakari --locked): {missing:#?}"
    );
}
