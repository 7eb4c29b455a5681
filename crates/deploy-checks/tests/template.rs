//! What `template.yaml` must say, read from the file itself.
//!
//! The least-privilege test lists, per function, exactly which actions it
//! may take on which of the stack's own resources — what its code calls, no
//! more. A new permission fails it until it is written here too, where a
//! reviewer sees it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pitlane_testkit::workspace_packages;
use serde_norway::{Mapping, Value};

fn root() -> PathBuf {
    pitlane_testkit::workspace_root()
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml is valid YAML")
}

fn resources(template: &Value) -> &Mapping {
    template["Resources"].as_mapping().expect("a Resources section")
}

/// The resources of one type, by logical id.
fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    resources(template)
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(id, resource)| (id.as_str().unwrap().to_owned(), resource))
        .collect()
}

/// The logical id that `!Ref X`, `!GetAtt X.Arn` or `!Sub ${X.Arn}` names
/// (with what follows it, for `!Sub ${X.Arn}/raw/*`).
fn target(value: &Value) -> Option<String> {
    let Value::Tagged(tagged) = value else { return None };
    let text = tagged.value.as_str()?;
    match tagged.tag.to_string().trim_start_matches('!') {
        "Ref" => Some(text.to_owned()),
        "GetAtt" => text.split('.').next().map(str::to_owned),
        // `${X.Arn}`, or `${X.Arn}/raw/*` (objects under a prefix of
        // bucket X): "X", or "X/raw/*".
        "Sub" => {
            let (inner, rest) = text.strip_prefix("${")?.split_once('}')?;
            let id = inner.split('.').next()?;
            (!rest.contains("${")).then(|| format!("{id}{rest}"))
        }
        _ => None,
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// What each function may do: (action, the stack resource it applies to).
fn expected_permissions(function: &str) -> BTreeSet<(String, String)> {
    const READ_STREAM: [&str; 5] = [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ];
    let logs = |group: &str| {
        [("logs:CreateLogStream", group.to_owned()), ("logs:PutLogEvents", group.to_owned())]
    };
    let read_stream = READ_STREAM.map(|action| (action, "VotesStream".to_owned()));
    let list: Vec<(&str, String)> = match function {
        "VoteApiFunction" => {
            let mut list = vec![("kinesis:PutRecord", "VotesStream".to_owned())];
            list.extend(logs("VoteApiLogs"));
            list
        }
        "RecordVotesFunction" => {
            let mut list = read_stream.to_vec();
            list.extend([
                // Day 11: accept a vote (a conditional put), then mark it
                // counted and add to its driver (updates in a transaction).
                ("dynamodb:PutItem", "VotesTable".to_owned()),
                ("dynamodb:UpdateItem", "VotesTable".to_owned()),
                ("dynamodb:UpdateItem", "ResultsTable".to_owned()),
                ("dynamodb:PutItem", "DeadLettersTable".to_owned()),
                ("sqs:SendMessage", "FailedBatchesQueue".to_owned()),
            ]);
            list.extend(logs("RecordVotesLogs"));
            list
        }
        "ResultsApiFunction" => {
            let mut list = vec![("dynamodb:Scan", "ResultsTable".to_owned())];
            list.extend(logs("ResultsApiLogs"));
            list
        }
        "EventLogsFunction" => {
            let mut list = read_stream.to_vec();
            list.extend([
                ("dynamodb:BatchWriteItem", "EventLogsTable".to_owned()),
                ("sqs:SendMessage", "FailedBatchesQueue".to_owned()),
            ]);
            list.extend(logs("EventLogsLogs"));
            list
        }
        "ArchiveVotesFunction" => {
            let mut list = read_stream.to_vec();
            list.extend([
                // Day 12: objects under raw/ only.
                ("s3:PutObject", "ArchiveBucket/raw/*".to_owned()),
                ("sqs:SendMessage", "FailedBatchesQueue".to_owned()),
            ]);
            list.extend(logs("ArchiveVotesLogs"));
            list
        }
        "ReplayVotesFunction" => {
            let mut list = vec![
                // Day 12: list and read raw/, then day 11's writes; and the
                // on-failure queue, through its (disabled) mapping.
                ("s3:ListBucket", "ArchiveBucket".to_owned()),
                ("s3:GetObject", "ArchiveBucket/raw/*".to_owned()),
                ("dynamodb:PutItem", "VotesTable".to_owned()),
                ("dynamodb:UpdateItem", "VotesTable".to_owned()),
                ("dynamodb:UpdateItem", "ResultsTable".to_owned()),
                ("dynamodb:PutItem", "DeadLettersTable".to_owned()),
                ("sqs:ReceiveMessage", "FailedBatchesQueue".to_owned()),
                ("sqs:DeleteMessage", "FailedBatchesQueue".to_owned()),
                ("sqs:GetQueueAttributes", "FailedBatchesQueue".to_owned()),
                ("sqs:ChangeMessageVisibility", "FailedBatchesQueue".to_owned()),
            ];
            list.extend(logs("ReplayVotesLogs"));
            list
        }
        other => panic!("a function this test does not know: {other}; list its permissions here"),
    };
    list.into_iter().map(|(action, resource)| (action.to_owned(), resource)).collect()
}

#[test]
fn every_function_may_do_exactly_what_its_code_needs_on_its_own_resources_and_nothing_else() {
    let template = template();
    let functions = of_type(&template, "AWS::Serverless::Function");
    assert_eq!(functions.len(), 6);
    let mut roles_used = BTreeSet::new();
    for (name, function) in &functions {
        let properties = &function["Properties"];
        assert!(properties.get("Policies").is_none(), "{name}: no SAM policies, only its own role");
        let role = target(&properties["Role"]).unwrap_or_else(|| panic!("{name}: no own role"));
        assert!(roles_used.insert(role.clone()), "{name}: its role {role} is shared");
        let role_properties = &resources(&template)[role.as_str()]["Properties"];
        for forbidden in ["ManagedPolicyArns", "PermissionsBoundary"] {
            assert!(
                role_properties.get(forbidden).is_none(),
                "{role}: {forbidden} grants unseen rights"
            );
        }
        let trust = &role_properties["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(trust.as_sequence().unwrap().len(), 1);
        assert_eq!(
            trust[0]["Principal"]["Service"], "lambda.amazonaws.com",
            "{role}: who assumes it"
        );

        let mut granted = BTreeSet::new();
        for policy in role_properties["Policies"].as_sequence().expect("inline policies") {
            for statement in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
                assert_eq!(statement["Effect"], "Allow");
                assert!(
                    statement.get("NotAction").is_none() && statement.get("NotResource").is_none()
                );
                let resource = target(&statement["Resource"]).unwrap_or_else(|| {
                    panic!(
                        "{role}: {:?} is not one of the stack's resources",
                        statement["Resource"]
                    )
                });
                for action in strings(&statement["Action"]) {
                    assert!(!action.contains('*'), "{role}: wildcard action {action}");
                    granted.insert((action, resource.clone()));
                }
            }
        }
        assert_eq!(granted, expected_permissions(name), "{name}'s permissions");
    }
}

#[test]
fn no_statement_anywhere_allows_a_wildcard() {
    fn walk(value: &Value, path: &str) {
        match value {
            Value::Mapping(map) => {
                for (key, inner) in map {
                    let key = key.as_str().unwrap_or_default();
                    if matches!(key, "Action" | "Resource") {
                        for text in strings(inner) {
                            assert!(!text.contains('*'), "{path}.{key}: {text}");
                        }
                    }
                    walk(inner, &format!("{path}.{key}"));
                }
            }
            Value::Sequence(items) => items.iter().for_each(|item| walk(item, path)),
            Value::Tagged(tagged) => walk(&tagged.value, path),
            _ => {}
        }
    }
    walk(&template(), "");
}

#[test]
fn the_stream_is_on_demand_by_default_provisioned_on_request_and_encrypted() {
    let template = template();
    assert_eq!(template["Parameters"]["StreamMode"]["Default"], "ON_DEMAND");
    let streams = of_type(&template, "AWS::Kinesis::Stream");
    assert_eq!(streams.len(), 1);
    let stream = &streams[0].1["Properties"];
    assert_eq!(target(&stream["StreamModeDetails"]["StreamMode"]).as_deref(), Some("StreamMode"));
    // The shard count applies only when provisioned.
    let Value::Tagged(shards) = &stream["ShardCount"] else { panic!("ShardCount: !If") };
    assert_eq!(shards.tag.to_string().trim_start_matches('!'), "If");
    assert_eq!(shards.value[0], "IsProvisioned");
    assert_eq!(stream["StreamEncryption"]["EncryptionType"], "KMS");
}

#[test]
fn tables_bill_per_request_and_go_with_the_stack() {
    let template = template();
    let tables = of_type(&template, "AWS::DynamoDB::Table");
    let names: BTreeSet<_> = tables.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["DeadLettersTable", "EventLogsTable", "ResultsTable", "VotesTable"])
    );
    for (id, table) in &tables {
        assert_eq!(table["Properties"]["BillingMode"], "PAY_PER_REQUEST", "{id}");
        assert_eq!(table["DeletionPolicy"], "Delete", "{id}: `just destroy` must delete it");
        assert_eq!(table["Properties"]["SSESpecification"]["SSEEnabled"], true, "{id}");
    }
}

/// Every binary name of the workspace's crates.
fn workspace_binaries() -> BTreeSet<String> {
    workspace_packages().into_iter().flat_map(|package| package.binaries).collect()
}

#[test]
fn each_function_is_a_workspace_binary_built_by_cargo_lambda_for_provided_al2023() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Handler"], "bootstrap");
    let binaries = workspace_binaries();
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        let binary = function["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
        assert!(binaries.contains(binary), "{name}: no binary {binary} in the workspace");
        assert!(function["Properties"].get("Runtime").is_none_or(|r| r == "provided.al2023"));
    }
}

#[test]
fn each_function_gets_exactly_the_environment_its_code_reads() {
    let template = template();
    let expected: [(&str, Vec<&str>); 6] = [
        (
            "VoteApiFunction",
            vec![
                day05_vote_api_solution::STREAM_ENV,
                day05_vote_api_solution::ALLOWED_ORIGINS_ENV,
                day05_vote_api_solution::TRUST_USER_HEADER_ENV,
            ],
        ),
        (
            "RecordVotesFunction",
            vec![
                day11_keep_up_solution::VOTES_TABLE_ENV,
                day11_keep_up_solution::RESULTS_TABLE_ENV,
                day11_keep_up_solution::DEAD_LETTERS_TABLE_ENV,
            ],
        ),
        (
            "ResultsApiFunction",
            vec![
                day08_results_api_solution::TABLE_ENV,
                day08_results_api_solution::ALLOWED_ORIGINS_ENV,
            ],
        ),
        ("EventLogsFunction", vec![day04_event_logs_solution::TABLE_ENV]),
        ("ArchiveVotesFunction", vec![day12_archive_replay_solution::ARCHIVE_BUCKET_ENV]),
        (
            "ReplayVotesFunction",
            vec![
                day12_archive_replay_solution::ARCHIVE_BUCKET_ENV,
                day12_archive_replay_solution::VOTES_TABLE_ENV,
                day12_archive_replay_solution::RESULTS_TABLE_ENV,
                day12_archive_replay_solution::DEAD_LETTERS_TABLE_ENV,
            ],
        ),
    ];
    for (name, variables) in expected {
        let environment = resources(&template)[name]["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .unwrap();
        let names: BTreeSet<&str> = environment.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(names, variables.into_iter().collect(), "{name}");
    }
    // And each table variable names the right table.
    let record_votes = &resources(&template)["RecordVotesFunction"]["Properties"]["Environment"];
    assert_eq!(
        target(&record_votes["Variables"]["DEAD_LETTERS_TABLE"]).unwrap(),
        "DeadLettersTable"
    );
}

#[test]
fn stream_consumers_report_item_failures_bisect_retry_boundedly_and_keep_what_they_give_up() {
    let template = template();
    let mappings = of_type(&template, "AWS::Lambda::EventSourceMapping");
    let consumers: BTreeSet<_> =
        mappings.iter().map(|(_, m)| target(&m["Properties"]["FunctionName"]).unwrap()).collect();
    assert_eq!(
        consumers,
        BTreeSet::from([
            "ArchiveVotesFunction".into(),
            "EventLogsFunction".into(),
            "RecordVotesFunction".into()
        ])
    );
    for (id, mapping) in &mappings {
        let p = &mapping["Properties"];
        assert_eq!(target(&p["EventSourceArn"]).as_deref(), Some("VotesStream"), "{id}");
        assert_eq!(
            p["StartingPosition"], "TRIM_HORIZON",
            "{id}: no vote sent before it started is lost"
        );
        assert!(p["BatchSize"].as_u64().is_some_and(|n| (1..=10_000).contains(&n)), "{id}");
        if target(&p["FunctionName"]).as_deref() == Some("ArchiveVotesFunction") {
            // The archiver writes a batch whole or not at all: a failure is
            // S3's, never a record's, so nothing to report or bisect (a
            // bisected batch would be archived again under other keys).
            assert!(p.get("FunctionResponseTypes").is_none(), "{id}");
            assert!(p.get("BisectBatchOnFunctionError").is_none(), "{id}");
        } else {
            assert_eq!(strings(&p["FunctionResponseTypes"]), ["ReportBatchItemFailures"], "{id}");
            assert_eq!(p["BisectBatchOnFunctionError"], true, "{id}");
        }
        let retries = p["MaximumRetryAttempts"].as_i64().expect("a retry limit");
        assert!((0..=10_000).contains(&retries), "{id}: -1 would retry a poison batch forever");
        let destination = &p["DestinationConfig"]["OnFailure"]["Destination"];
        let queue = target(destination).expect("an on-failure destination");
        assert_eq!(resources(&template)[queue.as_str()]["Type"], "AWS::SQS::Queue", "{id}");
    }
}

#[test]
fn the_archive_is_private_encrypted_kept_and_moves_to_cheaper_storage() {
    let template = template();
    let bucket = &resources(&template)["ArchiveBucket"];
    assert_eq!(bucket["DeletionPolicy"], "Retain", "the archive outlives the stack");
    let p = &bucket["Properties"];
    for setting in
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]
    {
        assert_eq!(p["PublicAccessBlockConfiguration"][setting], true, "{setting}");
    }
    let encryption = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert!(encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"].as_str().is_some());
    let rules = p["LifecycleConfiguration"]["Rules"].as_sequence().unwrap();
    let raw = rules.iter().find(|r| r["Prefix"] == "raw/").expect("a rule for raw/");
    assert_eq!(raw["Status"], "Enabled");
    let classes: Vec<&str> = raw["Transitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["StorageClass"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["STANDARD_IA", "GLACIER_IR"]);
    // The replay reads the on-failure queue only once an operator enables it.
    let queue =
        &resources(&template)["ReplayVotesFunction"]["Properties"]["Events"]["FailedBatches"];
    assert_eq!(target(&queue["Properties"]["Queue"]).as_deref(), Some("FailedBatchesQueue"));
    assert_eq!(queue["Properties"]["Enabled"], false);
}

#[test]
fn the_replay_state_machine_may_only_invoke_the_replay_and_run_its_children() {
    let template = template();
    let machine = &resources(&template)["ReplayStateMachine"]["Properties"];
    assert_eq!(machine["Type"], "STANDARD", "a replay may run longer than 5 minutes");
    assert_eq!(
        target(&machine["DefinitionSubstitutions"]["ReplayFunctionArn"]).as_deref(),
        Some("ReplayVotesFunction")
    );
    let role = target(&machine["Role"]).unwrap();
    let role = &resources(&template)[role.as_str()]["Properties"];
    let trust = &role["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_sequence().unwrap().len(), 1);
    assert_eq!(trust[0]["Principal"]["Service"], "states.amazonaws.com");
    let mut granted = BTreeSet::new();
    for policy in role["Policies"].as_sequence().unwrap() {
        for statement in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
            let Value::Tagged(resource) = &statement["Resource"] else { panic!("{statement:?}") };
            let resource = target(&statement["Resource"])
                .or_else(|| resource.value.as_str().map(str::to_owned))
                .unwrap();
            for action in strings(&statement["Action"]) {
                granted.insert((action, resource.clone()));
            }
        }
    }
    let own = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}";
    let want = BTreeSet::from([
        ("lambda:InvokeFunction".to_owned(), "ReplayVotesFunction".to_owned()),
        (
            "states:StartExecution".to_owned(),
            format!("{own}:stateMachine:${{AWS::StackName}}-replay"),
        ),
        (
            "states:DescribeExecution".to_owned(),
            format!("{own}:execution:${{AWS::StackName}}-replay:*"),
        ),
        (
            "states:StopExecution".to_owned(),
            format!("{own}:execution:${{AWS::StackName}}-replay:*"),
        ),
    ]);
    assert_eq!(granted, want);
}

#[test]
fn the_api_routes_a_vote_with_a_token_and_results_without_for_one_origin() {
    let template = template();
    let api = &resources(&template)["HttpApi"]["Properties"];
    let cors = &api["CorsConfiguration"];
    assert_eq!(target(&cors["AllowOrigins"][0]).as_deref(), Some("AllowedOrigin"));
    assert!(!strings(&cors["AllowOrigins"]).contains(&"*".to_owned()));
    let jwt = &api["Auth"]["Authorizers"]["FanToken"]["JwtConfiguration"];
    let Value::Tagged(issuer) = &jwt["issuer"] else {
        panic!("the issuer is the stack's user pool")
    };
    assert!(issuer.value.as_str().unwrap().ends_with("/${UserPool}"));
    assert_eq!(target(&jwt["audience"][0]).as_deref(), Some("UserPoolClient"));
    let route = |function: &str, event: &str| {
        resources(&template)[function]["Properties"]["Events"][event]["Properties"].clone()
    };
    let vote = route("VoteApiFunction", "Vote");
    assert_eq!((vote["Method"].as_str(), vote["Path"].as_str()), (Some("POST"), Some("/vote")));
    assert_eq!(vote["Auth"]["Authorizer"], "FanToken", "a vote needs a signed-in fan");
    let results = route("ResultsApiFunction", "Results");
    assert_eq!(
        (results["Method"].as_str(), results["Path"].as_str()),
        (Some("GET"), Some("/results"))
    );
    assert_eq!(results["Auth"]["Authorizer"], "NONE", "results are public");
    // SAM refuses `Authorizer: NONE` on a route unless the API names a
    // DefaultAuthorizer (the transform's error at deploy time).
    assert_eq!(api["Auth"]["DefaultAuthorizer"], "FanToken", "routes are closed by default");
    let vote_api = &resources(&template)["VoteApiFunction"]["Properties"]["Environment"];
    assert_eq!(vote_api["Variables"]["TRUST_USER_HEADER"], "false", "only a token names a voter");
}

#[test]
fn every_function_logs_to_its_own_group_kept_for_a_limited_time() {
    let template = template();
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        let group = target(&function["Properties"]["LoggingConfig"]["LogGroup"]).unwrap();
        let group = &resources(&template)[group.as_str()];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{name}");
        assert!(group["Properties"].get("RetentionInDays").is_some(), "{name}: logs kept forever");
    }
}

/// `scripts/aws.sh` with no AWS settings at all: an empty environment but
/// `PATH`, a `HOME` without `~/.aws`, no instance metadata, plus `extra`.
/// If the script's refusal ever broke, the call would still reach no
/// account: there are no credentials to find.
fn aws_sh_without_an_account(home: &Path, command: &str, extra: &[(&str, &str)]) -> Command {
    let mut aws_sh = Command::new("bash");
    aws_sh
        .arg(root().join("scripts/aws.sh"))
        .arg(command)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(extra.iter().copied());
    aws_sh
}

#[test]
fn deploy_and_destroy_refuse_politely_without_aws_credentials() {
    let home = std::env::temp_dir().join(format!("pitlane-no-aws-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();

    // The environment the script gets holds no AWS setting but the ones
    // given here, and its HOME no AWS configuration.
    let mut env = aws_sh_without_an_account(&home, "deploy", &[("AWS_ENDPOINT_URL_KINESIS", "x")]);
    let seen =
        env.get_envs().map(|(name, _)| name.to_string_lossy().into_owned()).collect::<Vec<_>>();
    let aws: Vec<&String> = seen.iter().filter(|name| name.starts_with("AWS_")).collect();
    assert_eq!(aws, ["AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL_KINESIS"]);
    assert!(env.get_envs().all(|(name, value)| name != "HOME" || value == Some(home.as_os_str())));
    assert!(!home.join(".aws").exists(), "no ~/.aws for the script to read");

    for command in ["deploy", "destroy"] {
        let output = aws_sh_without_an_account(&home, command, &[]).output().expect("bash runs");
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {message}");
        assert!(message.contains("No AWS credentials are configured"), "{command}: {message}");
        assert!(message.contains(&format!("just {command}")), "{command}: says what to do");
    }
    // Pointed at the local emulators, it refuses too (and would find no
    // credentials even if it did not).
    let output = env.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("local emulators"));
    let _ = std::fs::remove_dir_all(&home);
}

/// `just deploy` builds for arm64 unless told otherwise, and says what to
/// do, before installing anything, when it cannot build for the processor
/// asked (an `AWS_PROFILE` lets it past the credentials check; it refuses
/// before any AWS call).
#[test]
fn deploy_refuses_a_processor_it_cannot_build_for_and_says_what_to_do() {
    let home = std::env::temp_dir().join(format!("pitlane-arch-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let deploy = |arch: Option<&str>| {
        let mut extra = vec![("AWS_PROFILE", "pitlane-test")];
        extra.extend(arch.map(|arch| ("PITLANE_ARCH", arch)));
        let output =
            aws_sh_without_an_account(&home, "deploy", &extra).output().expect("bash runs");
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (code, said) = deploy(Some("sparc"));
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("PITLANE_ARCH is 'sparc'") && said.contains("arm64"), "{said}");

    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().unwrap();
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if !sysroot.join("lib/rustlib/aarch64-unknown-linux-gnu").exists() {
        // This machine has no arm64 standard library: the default refuses.
        let (code, said) = deploy(None);
        assert_eq!(code, Some(1), "{said}");
        assert!(said.contains("rustup target add aarch64-unknown-linux-gnu"), "{said}");
        assert!(said.contains("PITLANE_ARCH=x86_64 just deploy"), "{said}");
    }
    let _ = std::fs::remove_dir_all(&home);
}

/// `scripts/sam_transform.py` (in `just lint`) over `template`: its exit code
/// and what it printed.
fn sam_transform(template: &str) -> (Option<i32>, String) {
    let python = root().join(".tools/venv/bin/python");
    assert!(python.exists(), "{} is missing: run `just setup` first", python.display());
    let dir =
        std::env::temp_dir().join(format!("pitlane-sam-{}-{}", std::process::id(), template.len()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("template.yaml"), template).unwrap();
    let output = Command::new(python)
        .arg(root().join("scripts/sam_transform.py"))
        .arg(dir.join("template.yaml"))
        .arg(dir.join("out.json"))
        .output()
        .expect("python runs");
    let _ = std::fs::remove_dir_all(&dir);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), said)
}

#[test]
fn the_sam_transform_accepts_the_template_and_the_lint_catches_what_it_refuses() {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let (code, said) = sam_transform(&text);
    assert_eq!(code, Some(0), "{said}");
    // Without a DefaultAuthorizer, `Authorizer: NONE` on GET /results is the
    // refusal that CloudFormation gave at deploy while cfn-lint was clean.
    let without_default = text.replace("        DefaultAuthorizer: FanToken\n", "");
    assert_ne!(without_default, text, "the template names a DefaultAuthorizer");
    let (code, said) = sam_transform(&without_default);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("'NONE' is only a valid value when a DefaultAuthorizer"), "{said}");
}

/// The pages live in a private bucket that only this distribution reads
/// (origin access control); the distribution serves them and forwards the
/// API's two routes, caching `/results` for exactly one second and never a
/// vote.
#[test]
fn the_pages_are_private_behind_cloudfront_which_caches_results_for_one_second() {
    let template = template();
    let resources = resources(&template);
    let bucket = &resources["PagesBucket"]["Properties"];
    let block = &bucket["PublicAccessBlockConfiguration"];
    for setting in
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]
    {
        assert_eq!(block[setting], true, "{setting}");
    }
    let statements = resources["PagesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap();
    assert_eq!(statements.len(), 1);
    let read = &statements[0];
    assert_eq!(read["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert_eq!(read["Action"], "s3:GetObject");
    let source = &read["Condition"]["StringEquals"]["AWS:SourceArn"];
    let Value::Tagged(source) = source else { panic!("the source is a !Sub: {source:?}") };
    assert!(
        source.value.as_str().is_some_and(|arn| arn.ends_with(":distribution/${Distribution}")),
        "only this distribution may read the pages: {source:?}"
    );

    let config = &resources["Distribution"]["Properties"]["DistributionConfig"];
    let origins = config["Origins"].as_sequence().unwrap();
    let pages = origins.iter().find(|o| o["Id"] == "pages").expect("a pages origin");
    assert_eq!(target(&pages["OriginAccessControlId"]).as_deref(), Some("PagesOriginAccess"));
    let api = origins.iter().find(|o| o["Id"] == "api").expect("an api origin");
    assert_eq!(api["CustomOriginConfig"]["OriginProtocolPolicy"], "https-only");
    assert_eq!(config["DefaultCacheBehavior"]["TargetOriginId"], "pages");

    let behaviours = config["CacheBehaviors"].as_sequence().unwrap();
    let behaviour = |path: &str| {
        behaviours.iter().find(|b| b["PathPattern"] == path).unwrap_or_else(|| panic!("{path}"))
    };
    let vote = behaviour("/vote");
    assert_eq!(vote["TargetOriginId"], "api");
    assert!(vote["AllowedMethods"].as_sequence().unwrap().iter().any(|m| m == "POST"));
    // AWS's managed CachingDisabled policy.
    assert_eq!(vote["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
    let results = behaviour("/results");
    assert_eq!(results["TargetOriginId"], "api");
    assert_eq!(target(&results["CachePolicyId"]).as_deref(), Some("ResultsCachePolicy"));
    let ttl = &resources["ResultsCachePolicy"]["Properties"]["CachePolicyConfig"];
    assert_eq!(
        (&ttl["MinTTL"], &ttl["DefaultTTL"], &ttl["MaxTTL"]),
        (&1.into(), &1.into(), &1.into())
    );
}
