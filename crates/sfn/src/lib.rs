//! A local runner for the replay's state machine.
//!
//! On AWS, Step Functions runs the state machine `template.yaml` defines
//! (`ReplayStateMachine`). Offline there is no Step Functions, so this crate
//! runs the same definition, read from the template, with the same Lambda
//! handlers called in process. It runs only what that definition uses, and
//! refuses anything else by name, so that the template can never lean on a
//! feature this runner silently skips:
//!
//! - `Task` states whose `Resource` is a `${Name}` of the template's
//!   `DefinitionSubstitutions` (a function's ARN: the task's output is the
//!   function's answer), with `Retry` (`ErrorEquals`, `IntervalSeconds`,
//!   `MaxAttempts`, `BackoffRate`, `MaxDelaySeconds`);
//! - `Map` states over `ItemsPath` (`$` or `$.field`), at most
//!   `MaxConcurrency` items at once, each item run through the
//!   `ItemProcessor`'s states, failing the map when more than
//!   `ToleratedFailurePercentage` of the items failed;
//! - `Next` and `End`.
//!
//! What it leaves out, among others: `Catch`, `InputPath`, `ResultPath` and
//! `OutputPath` and every JSONPath but `$.field`, JSONata, `Choice`, `Wait`,
//! `Parallel`, timeouts and heartbeats, a Distributed Map's child executions
//! (`ItemReader`, `ResultWriter`, batching), and the execution history.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::{Map, Value, json};

/// How a task failed: the error's name (a Lambda function's `errorType`)
/// and its cause (its `errorMessage`), as Step Functions reports them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct Failure {
    pub error: String,
    pub cause: String,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self { error: error.into(), cause: cause.into() }
    }
}

/// A task's work: the function a `Resource` names, called with the state's
/// input.
pub type Task = Arc<
    dyn Fn(Value) -> Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send>> + Send + Sync,
>;

/// Makes a [`Task`] of an async function.
pub fn task<F, Fut>(function: F) -> Task
where
    F: Fn(Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, Failure>> + Send + 'static,
{
    Arc::new(move |input| Box::pin(function(input)))
}

/// Why a definition cannot be run here.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("reading {path}: {message}")]
    Template { path: String, message: String },
    #[error("{0}")]
    Unsupported(String),
}

/// A state machine's definition, and the tasks its resources name.
pub struct StateMachine {
    definition: Value,
    tasks: HashMap<String, Task>,
    /// Multiplies every retry interval: tests run the retries without
    /// their real waits (0.0), a demo with them (1.0).
    wait_scale: f64,
}

impl StateMachine {
    /// The definition of the `AWS::Serverless::StateMachine` named
    /// `logical_id` in the template at `path`. Every feature it uses is
    /// checked now, before anything runs.
    pub fn from_template(path: &Path, logical_id: &str) -> Result<Self, DefinitionError> {
        let template_error = |message: String| DefinitionError::Template {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| template_error(e.to_string()))?;
        let template: serde_norway::Value =
            serde_norway::from_str(&text).map_err(|e| template_error(e.to_string()))?;
        let definition = template
            .get("Resources")
            .and_then(|resources| resources.get(logical_id))
            .and_then(|resource| resource.get("Properties"))
            .and_then(|properties| properties.get("Definition"))
            .ok_or_else(|| {
                template_error(format!("no Resources.{logical_id}.Properties.Definition"))
            })?;
        let definition =
            serde_json::to_value(definition).map_err(|e| template_error(e.to_string()))?;
        Self::new(definition)
    }

    /// A state machine of `definition` (Amazon States Language, as JSON).
    pub fn new(definition: Value) -> Result<Self, DefinitionError> {
        check_states(&definition, "the state machine")?;
        Ok(Self { definition, tasks: HashMap::new(), wait_scale: 1.0 })
    }

    /// Runs `task` where a `Resource` is `${name}`.
    pub fn with_task(mut self, name: &str, task: Task) -> Self {
        self.tasks.insert(format!("${{{name}}}"), task);
        self
    }

    /// Scales every retry's wait (0.0: retry at once).
    pub fn with_wait_scale(mut self, scale: f64) -> Self {
        self.wait_scale = scale;
        self
    }

    /// Runs the state machine on `input`: its output, or the failure that
    /// ended it.
    pub async fn run(&self, input: Value) -> Result<Value, Failure> {
        self.run_states(&self.definition, input).await
    }

    fn run_states<'a>(
        &'a self,
        machine: &'a Value,
        input: Value,
    ) -> Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send + 'a>> {
        Box::pin(async move {
            let mut name = machine["StartAt"].as_str().unwrap_or_default().to_owned();
            let mut data = input;
            loop {
                let state = &machine["States"][&name];
                data = match state["Type"].as_str() {
                    Some("Task") => self.run_task(&name, state, data).await?,
                    Some("Map") => self.run_map(&name, state, data).await?,
                    other => unreachable!("checked when loaded: {other:?}"),
                };
                match state["Next"].as_str() {
                    Some(next) => name = next.to_owned(),
                    None => return Ok(data),
                }
            }
        })
    }

    async fn run_task(&self, name: &str, state: &Value, input: Value) -> Result<Value, Failure> {
        let resource = state["Resource"].as_str().unwrap_or_default();
        let task = self.tasks.get(resource).ok_or_else(|| {
            Failure::new("States.Runtime", format!("state {name}: no task for {resource}"))
        })?;
        let retriers = state["Retry"].as_array().cloned().unwrap_or_default();
        let mut attempts = vec![0_u32; retriers.len()];
        loop {
            let failure = match task(input.clone()).await {
                Ok(output) => return Ok(output),
                Err(failure) => failure,
            };
            // The first retrier that names the error decides, as on AWS.
            let Some(at) = retriers.iter().position(|r| names(r, &failure.error)) else {
                return Err(failure);
            };
            let retrier = &retriers[at];
            let max_attempts = retrier["MaxAttempts"].as_u64().unwrap_or(3) as u32;
            if attempts[at] >= max_attempts {
                return Err(failure);
            }
            let interval = retrier["IntervalSeconds"].as_f64().unwrap_or(1.0);
            let rate = retrier["BackoffRate"].as_f64().unwrap_or(2.0);
            let mut wait = interval * rate.powi(attempts[at] as i32);
            if let Some(max) = retrier["MaxDelaySeconds"].as_f64() {
                wait = wait.min(max);
            }
            attempts[at] += 1;
            tracing::warn!(state = name, error = %failure, attempt = attempts[at], wait, "task failed; retrying");
            tokio::time::sleep(Duration::from_secs_f64(wait * self.wait_scale)).await;
        }
    }

    async fn run_map(&self, name: &str, state: &Value, input: Value) -> Result<Value, Failure> {
        let path = state["ItemsPath"].as_str().unwrap_or("$");
        let items = match path {
            "$" => input.clone(),
            _ => input[&path["$.".len()..]].clone(),
        };
        let Value::Array(items) = items else {
            return Err(Failure::new(
                "States.Runtime",
                format!("state {name}: ItemsPath {path} is not an array in {input}"),
            ));
        };
        let concurrency = match state["MaxConcurrency"].as_u64() {
            Some(0) | None => items.len().max(1),
            Some(n) => n as usize,
        };
        let processor = &state["ItemProcessor"];
        let total = items.len();
        let results: Vec<Result<Value, Failure>> =
            futures::stream::iter(items.into_iter().map(|item| self.run_states(processor, item)))
                .buffered(concurrency)
                .collect()
                .await;
        let failed = results.iter().filter(|result| result.is_err()).count();
        let tolerated = state["ToleratedFailurePercentage"].as_f64().unwrap_or(0.0);
        if failed > 0 && (failed as f64) * 100.0 > tolerated * total as f64 {
            let first = results.iter().find_map(|r| r.as_ref().err()).expect("one failed");
            return Err(Failure::new(
                "States.ExceedToleratedFailureThreshold",
                format!(
                    "state {name}: {failed} of {total} items failed (tolerated: {tolerated} %); the first: {first}"
                ),
            ));
        }
        Ok(Value::Array(
            results
                .into_iter()
                .map(|result| {
                    result.unwrap_or_else(|f| json!({"Error": f.error, "Cause": f.cause}))
                })
                .collect(),
        ))
    }
}

/// Whether `retrier`'s `ErrorEquals` names `error`.
fn names(retrier: &Value, error: &str) -> bool {
    retrier["ErrorEquals"].as_array().into_iter().flatten().filter_map(Value::as_str).any(|named| {
        named == error
            || named == "States.ALL"
            || (named == "States.TaskFailed" && error != "States.Timeout")
    })
}

/// Checks that `machine` (a state machine, or a map's item processor) uses
/// only what this runner runs.
fn check_states(machine: &Value, what: &str) -> Result<(), DefinitionError> {
    let unsupported = |message: String| Err(DefinitionError::Unsupported(message));
    let Some(states) = machine["States"].as_object() else {
        return unsupported(format!("{what} has no States"));
    };
    let Some(start) = machine["StartAt"].as_str() else {
        return unsupported(format!("{what} has no StartAt"));
    };
    if !states.contains_key(start) {
        return unsupported(format!("{what} starts at {start}, which is not one of its States"));
    }
    allow_only(
        machine,
        &["Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"],
        what,
    )?;
    if machine.get("QueryLanguage").is_some_and(|q| q != "JSONPath") {
        return unsupported(format!("{what}: only the JSONPath query language runs locally"));
    }
    for (name, state) in states {
        let here = format!("state {name}");
        let ending = state.get("End") == Some(&Value::Bool(true));
        match state.get("Next").and_then(Value::as_str) {
            Some(next) if !ending && states.contains_key(next) => {}
            None if ending => {}
            _ => return unsupported(format!("{here}: exactly one of Next (a state) or End: true")),
        }
        let common = ["Type", "Comment", "Next", "End"];
        match state["Type"].as_str() {
            Some("Task") => {
                allow_only(state, &[&common[..], &["Resource", "Retry"]].concat(), &here)?;
                let resource = state["Resource"].as_str().unwrap_or_default();
                if !(resource.starts_with("${") && resource.ends_with('}')) {
                    return unsupported(format!(
                        "{here}: the Resource must be a ${{Name}} of DefinitionSubstitutions (a function's ARN), not {resource:?}"
                    ));
                }
                for retrier in state["Retry"].as_array().into_iter().flatten() {
                    let fields = [
                        "ErrorEquals",
                        "IntervalSeconds",
                        "MaxAttempts",
                        "BackoffRate",
                        "MaxDelaySeconds",
                    ];
                    allow_only(retrier, &fields, &format!("{here}'s Retry"))?;
                }
            }
            Some("Map") => {
                let fields = [
                    "ItemsPath",
                    "MaxConcurrency",
                    "ItemProcessor",
                    "ToleratedFailurePercentage",
                    "Label",
                ];
                allow_only(state, &[&common[..], &fields].concat(), &here)?;
                let path = state["ItemsPath"].as_str().unwrap_or("$");
                let field = path.strip_prefix("$.");
                if path != "$" && !field.is_some_and(|f| !f.is_empty() && !f.contains(['.', '['])) {
                    return unsupported(format!(
                        "{here}: ItemsPath {path}: only $ or $.field runs locally"
                    ));
                }
                check_states(&state["ItemProcessor"], &format!("{here}'s ItemProcessor"))?;
            }
            other => {
                return unsupported(format!(
                    "{here}: Type {other:?}: only Task and Map run locally"
                ));
            }
        }
    }
    Ok(())
}

fn allow_only(object: &Value, allowed: &[&str], what: &str) -> Result<(), DefinitionError> {
    let empty = Map::new();
    let fields = object.as_object().unwrap_or(&empty);
    match fields.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(DefinitionError::Unsupported(format!(
            "{what}: {key} does not run locally (pitlane-sfn runs {})",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn machine() -> Value {
        json!({
            "StartAt": "Plan",
            "States": {
                "Plan": {"Type": "Task", "Resource": "${Plan}", "Next": "Each"},
                "Each": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 2,
                    "ToleratedFailurePercentage": 25,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "Work",
                        "States": {"Work": {
                            "Type": "Task", "Resource": "${Work}", "End": true,
                            "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}]
                        }}
                    },
                    "End": true
                }
            }
        })
    }

    fn plan(items: Value) -> Task {
        task(move |_| {
            let items = items.clone();
            async move { Ok(json!({"items": items})) }
        })
    }

    #[tokio::test]
    async fn a_map_runs_each_item_in_order_and_a_task_is_retried_as_its_retrier_says() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let work = task(move |item: Value| {
            let calls = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                match item.as_i64() {
                    // Fails twice, then works: within MaxAttempts 2.
                    Some(1) if calls < 3 => Err(Failure::new("Flaky", "once more")),
                    Some(n) => Ok(json!(n * 10)),
                    None => Err(Failure::new("Bad", "not a number")),
                }
            }
        });
        let sfn = StateMachine::new(machine())
            .unwrap()
            .with_task("Plan", plan(json!([0, 1, 2, 3])))
            .with_task("Work", work)
            .with_wait_scale(0.0);
        assert_eq!(sfn.run(json!({})).await.unwrap(), json!([0, 10, 20, 30]));
    }

    #[tokio::test]
    async fn failures_beyond_the_tolerated_share_fail_the_map_and_within_it_are_reported() {
        let work = task(|item: Value| async move {
            if item == json!("bad") { Err(Failure::new("Bad", "no")) } else { Ok(item) }
        });
        let run = |items: Value| {
            StateMachine::new(machine())
                .unwrap()
                .with_task("Plan", plan(items))
                .with_task("Work", work.clone())
                .with_wait_scale(0.0)
        };
        // 1 of 4 is 25 %: tolerated.
        let output = run(json!(["a", "bad", "c", "d"])).run(json!({})).await.unwrap();
        assert_eq!(output[1], json!({"Error": "Bad", "Cause": "no"}));
        // 2 of 4 is 50 %: not.
        let failure = run(json!(["a", "bad", "bad", "d"])).run(json!({})).await.unwrap_err();
        assert_eq!(failure.error, "States.ExceedToleratedFailureThreshold");
        // An error no retrier names fails at once; one retried too often fails.
        let flaky = task(|_| async { Err(Failure::new("Flaky", "always")) });
        let sfn = StateMachine::new(machine())
            .unwrap()
            .with_task("Plan", plan(json!([1, 2, 3, 4])))
            .with_task("Work", flaky)
            .with_wait_scale(0.0);
        assert!(sfn.run(json!({})).await.unwrap_err().cause.contains("4 of 4 items failed"));
    }

    #[test]
    fn what_the_runner_does_not_run_is_refused_by_name() {
        let mut catch = machine();
        catch["States"]["Plan"]["Catch"] = json!([]);
        let error = StateMachine::new(catch).err().unwrap().to_string();
        assert!(error.contains("state Plan: Catch does not run locally"), "{error}");
        let mut choice = machine();
        choice["States"]["Plan"] = json!({"Type": "Choice", "Next": "Each"});
        assert!(StateMachine::new(choice).is_err());
        let mut path = machine();
        path["States"]["Each"]["ItemsPath"] = json!("$.a.b");
        assert!(StateMachine::new(path).is_err());
        let mut dangling = machine();
        dangling["States"]["Plan"]["Next"] = json!("Nowhere");
        assert!(StateMachine::new(dangling).is_err());
        let mut arn = machine();
        arn["States"]["Plan"]["Resource"] = json!("arn:aws:states:::lambda:invoke");
        assert!(StateMachine::new(arn).is_err());
    }
}
