//! The workspace's shape that keeps a cold `just test` fast.

use pitlane_testkit::workspace_packages;

/// The crates that stay out of it, on purpose: the hack itself, the
/// student's runner with the course's model and the checkout's layout, and
/// the authors' xtask on the same model. Their dependencies are few and small
/// (clap, thiserror, toml_edit, md5, humantime; xtask adds anyhow and
/// pulldown-cmark), and `just hint 01` or `just test`'s first step must not
/// wait for tokio, hyper and the AWS SDK to compile first.
const BUILD_IN_SECONDS: &[&str] =
    &["workspace-hack", "pitlane-runner", "pitlane-course", "pitlane-layout", "pitlane-xtask"];

/// A crate without the `workspace-hack` dependency would ask cargo for its
/// own set of dependency features, and `cargo test -p` that crate would
/// rebuild the AWS SDK for it (see crates/workspace-hack/Cargo.toml).
#[test]
fn every_crate_depends_on_the_workspace_hack_so_dependencies_are_built_once() {
    let packages = workspace_packages();
    assert!(packages.len() > 20, "found only {} crates", packages.len());
    let missing: Vec<&str> = packages
        .iter()
        .filter(|package| !BUILD_IN_SECONDS.contains(&package.name.as_str()))
        .filter(|package| !package.dependencies.iter().any(|name| name == "workspace-hack"))
        .map(|package| package.manifest.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "these crates do not depend on workspace-hack; run `cargo hakari generate && cargo hakari \
         manage-deps` (cargo install cargo-hakari --locked): {missing:#?}"
    );
}
