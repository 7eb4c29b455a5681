//! `just deploy --local`'s rehearsal, on the local backend's moto: the SAM
//! transform's CloudFormation creates a stack whose resources have the
//! template's settings, the pages land in its bucket, and `destroy` deletes
//! it all. The functions' code is a stand-in zip here (moto stores code, it
//! never runs it); `just deploy --local` uploads the real build.

use std::path::Path;
use std::process::{Command, Output};

fn rehearse(args: &[&str]) -> (Output, String) {
    let root = pitlane_testkit::workspace_root();
    let python = root.join(".tools/venv/bin/python");
    assert!(python.exists(), "{} is missing: run `just setup` first", python.display());
    let output = Command::new(python)
        .arg(root.join("scripts/deploy_local.py"))
        .args(args)
        .output()
        .expect("python runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, said)
}

/// A zip that stands for each function's build: one per `Binary` the
/// template's functions name.
fn stand_in_zips(folder: &Path) {
    let template = pitlane_testkit::workspace_root().join("template.yaml");
    let template: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(template).unwrap()).unwrap();
    let binaries = template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter_map(|resource| resource.get("Metadata")?.get("BuildProperties")?.get("Binary"))
        .filter_map(|binary| binary.as_str());
    for binary in binaries {
        std::fs::create_dir_all(folder.join(binary)).unwrap();
        // An empty zip archive: its end-of-central-directory record alone.
        let mut empty = b"PK\x05\x06".to_vec();
        empty.extend([0; 18]);
        std::fs::write(folder.join(binary).join("bootstrap.zip"), empty).unwrap();
    }
}

#[test]
fn the_rehearsal_creates_the_stack_as_the_template_says_and_deletes_it_all() {
    let stack = pitlane_testkit::unique_name("rehearsal").to_lowercase().replace('_', "-");
    let zips = std::env::temp_dir().join(format!("{stack}-zips"));
    stand_in_zips(&zips);

    let (deployed, said) = rehearse(&["deploy", &stack, zips.to_str().unwrap()]);
    assert!(deployed.status.success(), "{said}");
    // The table names every resource: created, or skipped with the reason.
    for created in ["VotesStream", "VotesTable", "RecordVotesMapping", "VoteApiRole", "PagesBucket"]
    {
        let line =
            said.lines().find(|l| l.starts_with(created)).unwrap_or_else(|| panic!("{said}"));
        assert!(line.ends_with("CREATE_COMPLETE"), "{line}");
    }
    let skipped = said.lines().find(|l| l.starts_with("Distribution ")).expect("the distribution");
    assert!(skipped.ends_with("SKIPPED: moto does not model it"), "{skipped}");

    let (checked, said) = rehearse(&["check", &stack]);
    assert!(checked.status.success(), "{said}");
    assert!(said.contains("the stack has the template's settings"), "{said}");

    let (destroyed, said) = rehearse(&["destroy", &stack]);
    assert!(destroyed.status.success(), "{said}");
    // Gone with the stack: a check now finds nothing.
    let (checked, said) = rehearse(&["check", &stack]);
    assert!(!checked.status.success(), "{said}");
    let _ = std::fs::remove_dir_all(&zips);
}
