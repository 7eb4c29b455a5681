//! What the GitHub workflows and the deploy bootstrap template must say,
//! read from the files themselves: no stored AWS keys anywhere, a deploy
//! that authenticates with OpenID Connect, and a trust policy that lets in
//! this repository's deploy job only. `just lint` runs actionlint on the
//! workflows; the last test proves it refuses what GitHub has retired.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_norway::Value;

fn root() -> PathBuf {
    pitlane_testkit::workspace_root()
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn workflows() -> Vec<PathBuf> {
    let folder = root().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect(".github/workflows")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml" || ext == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every step of every job of a workflow.
fn steps(workflow: &Value) -> Vec<&Value> {
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    jobs.values().flat_map(|job| job["steps"].as_sequence().into_iter().flatten()).collect()
}

#[test]
fn the_workflows_are_ci_deploy_and_book() {
    let names: Vec<String> = workflows()
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["book.yml", "ci.yml", "deploy.yml"]);
}

#[test]
fn no_workflow_uses_stored_aws_keys() {
    for path in workflows() {
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        for key in [
            "aws-access-key-id",
            "aws-secret-access-key",
            "aws_access_key_id",
            "aws_secret_access_key",
        ] {
            assert!(
                !text.contains(key),
                "{} names {key}: deploy with OIDC, never keys",
                path.display()
            );
        }
    }
}

#[test]
fn ci_runs_the_same_front_door_as_everyone() {
    let ci = yaml(&root().join(".github/workflows/ci.yml"));
    let runs: Vec<&str> = steps(&ci).iter().filter_map(|step| step["run"].as_str()).collect();
    assert_eq!(runs, [".ci/run"]);
    assert!(ci["on"]["pull_request"].is_null() && ci["on"].get("pull_request").is_some());
    assert_eq!(ci["permissions"]["contents"], "read");
}

#[test]
fn deploy_is_by_hand_and_authenticates_with_oidc_as_a_role() {
    let deploy = yaml(&root().join(".github/workflows/deploy.yml"));
    let triggers: Vec<&str> =
        deploy["on"].as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
    assert_eq!(triggers, ["workflow_dispatch"], "a deployment spends money: only by hand");
    assert_eq!(deploy["permissions"]["id-token"], "write", "no OIDC token without it");
    let job = &deploy["jobs"]["deploy"];
    assert_eq!(job["environment"], "aws", "the role trusts the `aws` environment's jobs only");
    let credentials: Vec<&Value> = steps(&deploy)
        .into_iter()
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("aws-actions/configure-aws-credentials@"))
        })
        .collect();
    assert_eq!(credentials.len(), 1);
    let with = &credentials[0]["with"];
    assert_eq!(with["role-to-assume"], "${{ vars.PITLANE_DEPLOY_ROLE_ARN }}");
    let inputs: Vec<&str> = with.as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
    assert!(
        inputs
            .iter()
            .all(|input| ["role-to-assume", "aws-region", "role-session-name"].contains(input)),
        "credentials from the role alone: {inputs:?}"
    );
    let runs: Vec<&str> = steps(&deploy).iter().filter_map(|step| step["run"].as_str()).collect();
    assert!(runs.contains(&"./just deploy"), "the same deploy as on a laptop: {runs:?}");
}

#[test]
fn the_bootstrap_trusts_one_repository_environment_and_passes_one_role() {
    let template = yaml(&root().join("deploy/github-oidc.yaml"));
    let resources = &template["Resources"];
    let trust =
        &resources["GitHubDeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Action"], "sts:AssumeRoleWithWebIdentity");
    let equals = &trust["Condition"]["StringEquals"];
    assert_eq!(equals["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com");
    // The subject is matched exactly (StringEquals, no wildcard): a fork, a
    // pull request or another job of the repository gets nothing.
    let Value::Tagged(subject) = &equals["token.actions.githubusercontent.com:sub"] else {
        panic!("the subject is a !Sub of the repository and environment");
    };
    assert_eq!(subject.value, "repo:${GitHubRepository}:environment:${GitHubEnvironment}");
    assert!(trust["Condition"].get("StringLike").is_none(), "no wildcard subjects");

    // The deploy role may hand work to the CloudFormation role and to
    // nothing else; only CloudFormation may assume that one.
    let statements =
        resources["GitHubDeployRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
    let pass: Vec<&Value> = statements.iter().filter(|s| s["Action"] == "iam:PassRole").collect();
    assert_eq!(pass.len(), 1);
    assert!(
        matches!(&pass[0]["Resource"], Value::Tagged(t) if t.value == "CloudFormationRole.Arn")
    );
    let cfn_trust =
        &resources["CloudFormationRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(cfn_trust["Principal"]["Service"], "cloudformation.amazonaws.com");
    for statement in statements {
        let actions = match &statement["Action"] {
            Value::Sequence(actions) => actions.iter().filter_map(Value::as_str).collect(),
            action => vec![action.as_str().unwrap()],
        };
        assert!(actions.iter().all(|a| !a.ends_with(":*") && *a != "*"), "{actions:?}");
    }
}

/// `just lint`'s actionlint refuses an action that runs on a retired
/// runtime (node20, removed from GitHub's runners in September 2026), the
/// finding that `book.yml` had.
#[test]
fn actionlint_catches_an_action_on_a_retired_runtime() {
    let actionlint = root().join(".tools/venv/bin/actionlint");
    assert!(actionlint.exists(), "{} is missing: run `just setup` first", actionlint.display());
    let dir = std::env::temp_dir().join(format!("pitlane-actionlint-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(".github/workflows")).unwrap();
    let workflow = "name: t\non: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n";
    std::fs::write(dir.join(".github/workflows/t.yml"), workflow).unwrap();
    let lint = |file: &str| {
        Command::new(&actionlint)
            .args(["-shellcheck=", "-pyflakes=", file])
            .current_dir(&dir)
            .output()
            .expect("actionlint runs")
    };
    let refused = lint(".github/workflows/t.yml");
    let said = String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.status.success() && said.contains("node20"), "{said}");
    std::fs::write(dir.join(".github/workflows/t.yml"), workflow.replace("@v4", "@v5")).unwrap();
    let accepted = lint(".github/workflows/t.yml");
    assert!(accepted.status.success(), "{}", String::from_utf8_lossy(&accepted.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}
