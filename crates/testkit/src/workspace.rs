//! The workspace's packages as cargo itself lists them (`cargo metadata`),
//! for tests that check the workspace's shape.

use std::process::Command;

use serde_json::Value;

/// One package of the workspace.
#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    /// Its `Cargo.toml`, relative to the workspace root.
    pub manifest: String,
    /// The names of its dependencies, of every kind.
    pub dependencies: Vec<String>,
    /// The names of its binaries.
    pub binaries: Vec<String>,
}

/// Every package of the workspace.
pub fn workspace_packages() -> Vec<Package> {
    let root = crate::workspace_root();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(&root)
        .output()
        .expect("running cargo metadata");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let root = text(&metadata["workspace_root"]);
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    list(&metadata["packages"])
        .iter()
        .map(|package| {
            let manifest = text(&package["manifest_path"]);
            Package {
                name: text(&package["name"]),
                manifest: manifest
                    .strip_prefix(&root)
                    .unwrap_or(&manifest)
                    .trim_start_matches('/')
                    .to_owned(),
                dependencies: list(&package["dependencies"])
                    .iter()
                    .map(|dependency| text(&dependency["name"]))
                    .collect(),
                binaries: list(&package["targets"])
                    .iter()
                    .filter(|target| list(&target["kind"]).iter().any(|kind| kind == "bin"))
                    .map(|target| text(&target["name"]))
                    .collect(),
            }
        })
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}
