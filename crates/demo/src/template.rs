//! What the local stand-ins take from `template.yaml`, so that they behave as
//! the deployed system is configured, from one source: the HTTP API's routes,
//! CORS and authorizers (for the local gateway), and the vote consumer's
//! event-source mapping (for the local mapping).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_norway::Value;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    #[error("template.yaml: {0}")]
    Missing(String),
}

/// The HTTP API (`AWS::Serverless::HttpApi`) and the routes of its functions.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpApi {
    pub routes: Vec<Route>,
    pub cors: Cors,
    /// Authorizer name → the request header that carries its token.
    pub authorizers: BTreeMap<String, String>,
    /// `DefaultRouteSettings`' throttling, applied to each route; `None`
    /// when the template sets none (then only the account's limit applies).
    pub throttle: Option<Throttle>,
}

/// A route's throttling: a token bucket of `burst` tokens, refilled at
/// `rate_per_second` (`ThrottlingBurstLimit`, `ThrottlingRateLimit`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throttle {
    pub rate_per_second: f64,
    pub burst: u32,
}

/// Lambda's default function timeout, when neither the function nor the
/// template's `Globals` set one.
pub const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(3);

/// One route: `POST /vote` → a function, behind an authorizer or none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// The function's logical id in the template (`VoteApiFunction`).
    pub function: String,
    pub authorizer: Option<String>,
    /// The function's `Timeout` (or the template's `Globals`, or Lambda's
    /// default of 3 s).
    pub timeout: Duration,
}

/// `CorsConfiguration`, but its origins: those are a parameter of the
/// deployment, and the local gateway's own origin locally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cors {
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub max_age: Option<u64>,
}

/// The settings of an `AWS::Lambda::EventSourceMapping` that the local
/// mapping has (the others, such as `ParallelizationFactor`, it does not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingSettings {
    pub batch_size: usize,
    pub maximum_batching_window: Duration,
    pub report_batch_item_failures: bool,
    pub bisect_batch_on_function_error: bool,
    /// `None` for -1 (or absent): retry until the record expires.
    pub maximum_retry_attempts: Option<u32>,
    /// `None` for -1 (or absent): no age limit but the stream's retention.
    pub maximum_record_age: Option<Duration>,
    /// Batches of one shard in flight at once (1 when absent); the mapping
    /// refuses a value outside 1 to 10 when it starts, as AWS does.
    pub parallelization_factor: usize,
}

impl MappingSettings {
    /// `config` (the stream, the on-failure destination, the pauses) with
    /// these settings.
    pub fn applied_to(&self, config: pitlane_esm::EsmConfig) -> pitlane_esm::EsmConfig {
        pitlane_esm::EsmConfig {
            batch_size: self.batch_size,
            maximum_batching_window: self.maximum_batching_window,
            report_batch_item_failures: self.report_batch_item_failures,
            bisect_batch_on_function_error: self.bisect_batch_on_function_error,
            maximum_retry_attempts: self.maximum_retry_attempts,
            maximum_record_age: self.maximum_record_age,
            parallelization_factor: self.parallelization_factor,
            ..config
        }
    }
}

fn resources(template: &Value) -> Result<&serde_norway::Mapping, TemplateError> {
    template
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or_else(|| TemplateError::Missing("no Resources".to_owned()))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_sequence)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

impl HttpApi {
    pub fn from_template(text: &str) -> Result<Self, TemplateError> {
        let template: Value = serde_norway::from_str(text)?;
        let resources = resources(&template)?;
        let of_type = |kind: &'static str| {
            resources.iter().filter(move |(_, resource)| {
                resource.get("Type").and_then(Value::as_str) == Some(kind)
            })
        };
        let (_, api) = of_type("AWS::Serverless::HttpApi")
            .next()
            .ok_or_else(|| TemplateError::Missing("no AWS::Serverless::HttpApi".to_owned()))?;
        let properties = &api["Properties"];
        let cors = &properties["CorsConfiguration"];
        let cors = Cors {
            allow_methods: strings(cors.get("AllowMethods")),
            allow_headers: strings(cors.get("AllowHeaders")),
            max_age: cors.get("MaxAge").and_then(Value::as_u64),
        };
        let mut authorizers = BTreeMap::new();
        if let Some(found) = properties["Auth"]["Authorizers"].as_mapping() {
            for (name, authorizer) in found {
                let source = authorizer["IdentitySource"].as_str().unwrap_or_default();
                let header = source.strip_prefix("$request.header.").ok_or_else(|| {
                    TemplateError::Missing(format!(
                        "authorizer {name:?}: IdentitySource {source:?} is not a header"
                    ))
                })?;
                authorizers.insert(name.as_str().unwrap_or_default().to_owned(), header.to_owned());
            }
        }
        let default_authorizer = properties["Auth"]["DefaultAuthorizer"].as_str();
        let settings = &properties["DefaultRouteSettings"];
        let throttle = match (
            settings.get("ThrottlingRateLimit").and_then(Value::as_f64),
            settings.get("ThrottlingBurstLimit").and_then(Value::as_u64),
        ) {
            (Some(rate_per_second), Some(burst)) => {
                Some(Throttle { rate_per_second, burst: burst as u32 })
            }
            _ => None,
        };
        let global_timeout = template["Globals"]["Function"]["Timeout"].as_u64();
        let mut routes = Vec::new();
        for (function, resource) in of_type("AWS::Serverless::Function") {
            let Some(events) = resource["Properties"]["Events"].as_mapping() else { continue };
            let timeout = resource["Properties"]["Timeout"]
                .as_u64()
                .or(global_timeout)
                .map_or(DEFAULT_FUNCTION_TIMEOUT, Duration::from_secs);
            for event in events.values().filter(|e| e["Type"].as_str() == Some("HttpApi")) {
                let route = &event["Properties"];
                // As SAM reads it: a route's own `Authorizer` wins ("NONE"
                // opens the route), otherwise the API's `DefaultAuthorizer`.
                let authorizer = route["Auth"]["Authorizer"]
                    .as_str()
                    .or(default_authorizer)
                    .filter(|a| *a != "NONE");
                routes.push(Route {
                    method: route["Method"].as_str().unwrap_or_default().to_uppercase(),
                    path: route["Path"].as_str().unwrap_or_default().to_owned(),
                    function: function.as_str().unwrap_or_default().to_owned(),
                    authorizer: authorizer.map(str::to_owned),
                    timeout,
                });
            }
        }
        Ok(Self { routes, cors, authorizers, throttle })
    }

    /// The route for `method` and `path`, if the API has one.
    pub fn route(&self, method: &str, path: &str) -> Option<&Route> {
        self.routes.iter().find(|route| route.method == method && route.path == path)
    }

    /// Whether any route serves `path` (whatever the method).
    pub fn serves(&self, path: &str) -> bool {
        self.routes.iter().any(|route| route.path == path)
    }
}

impl MappingSettings {
    /// The settings of the mapping whose logical id is `name`.
    pub fn from_template(text: &str, name: &str) -> Result<Self, TemplateError> {
        let template: Value = serde_norway::from_str(text)?;
        let mapping = resources(&template)?
            .get(name)
            .ok_or_else(|| TemplateError::Missing(format!("no resource {name}")))?;
        let properties = &mapping["Properties"];
        let number = |key: &str| properties.get(key).and_then(Value::as_i64);
        Ok(Self {
            batch_size: number("BatchSize").unwrap_or(100) as usize,
            maximum_batching_window: Duration::from_secs(
                number("MaximumBatchingWindowInSeconds").unwrap_or(0).max(0) as u64,
            ),
            report_batch_item_failures: strings(properties.get("FunctionResponseTypes"))
                .iter()
                .any(|t| t == "ReportBatchItemFailures"),
            bisect_batch_on_function_error: properties
                .get("BisectBatchOnFunctionError")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            maximum_retry_attempts: number("MaximumRetryAttempts")
                .filter(|n| *n >= 0)
                .map(|n| n as u32),
            maximum_record_age: number("MaximumRecordAgeInSeconds")
                .filter(|n| *n >= 0)
                .map(|n| Duration::from_secs(n as u64)),
            parallelization_factor: number("ParallelizationFactor").unwrap_or(1).max(0) as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> String {
        std::fs::read_to_string(pitlane_layout::workspace_root().unwrap().join("template.yaml"))
            .unwrap()
    }

    #[test]
    fn the_http_api_is_read_from_the_template() {
        let api = HttpApi::from_template(&template()).unwrap();
        let vote = api.route("POST", "/vote").expect("POST /vote");
        assert_eq!(vote.authorizer.as_deref(), Some("FanToken"));
        assert_eq!(api.route("GET", "/results").unwrap().authorizer, None);
        assert!(api.route("GET", "/vote").is_none() && api.serves("/vote"));
        assert_eq!(api.authorizers["FanToken"], "Authorization");
        assert!(api.cors.allow_methods.contains(&"POST".to_owned()));
        assert!(api.cors.allow_headers.contains(&"authorization".to_owned()));
        assert_eq!(api.throttle, Some(Throttle { rate_per_second: 100.0, burst: 200 }));
        assert_eq!(vote.timeout, Duration::from_secs(5), "the function's Timeout");
    }

    #[test]
    fn a_function_without_a_timeout_takes_the_globals_or_lambdas_default() {
        let template = |globals: &str| {
            format!(
                "{globals}\nResources:\n  Api: {{Type: AWS::Serverless::HttpApi, Properties: {{}}}}\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Get: {{Type: HttpApi, Properties: {{Method: get, Path: /a}}}}\n"
            )
        };
        let api = HttpApi::from_template(&template("Globals: {Function: {Timeout: 9}}")).unwrap();
        assert_eq!(api.route("GET", "/a").unwrap().timeout, Duration::from_secs(9));
        let api = HttpApi::from_template(&template("")).unwrap();
        assert_eq!(api.route("GET", "/a").unwrap().timeout, DEFAULT_FUNCTION_TIMEOUT);
        assert_eq!(api.throttle, None, "no DefaultRouteSettings, no route throttling");
    }

    #[test]
    fn a_route_without_an_authorizer_of_its_own_takes_the_default_and_none_opens_it() {
        let template = r#"
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Token
        Authorizers:
          Token: {IdentitySource: $request.header.Authorization}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Closed: {Type: HttpApi, Properties: {Method: post, Path: /a}}
        Open: {Type: HttpApi, Properties: {Method: get, Path: /b, Auth: {Authorizer: NONE}}}
"#;
        let api = HttpApi::from_template(template).unwrap();
        assert_eq!(api.route("POST", "/a").unwrap().authorizer.as_deref(), Some("Token"));
        assert_eq!(api.route("GET", "/b").unwrap().authorizer, None);
    }

    #[test]
    fn the_vote_consumers_mapping_is_read_from_the_template() {
        let settings = MappingSettings::from_template(&template(), "RecordVotesMapping").unwrap();
        assert!(settings.report_batch_item_failures && settings.bisect_batch_on_function_error);
        assert!(settings.batch_size >= 1);
        assert_eq!(settings.maximum_record_age, Some(Duration::from_secs(86_400)));
        assert_eq!(settings.parallelization_factor, 1);
        let four = template().replace("ParallelizationFactor: 1", "ParallelizationFactor: 4");
        let settings = MappingSettings::from_template(&four, "RecordVotesMapping").unwrap();
        assert_eq!(settings.parallelization_factor, 4, "read, not dropped");
        assert!(MappingSettings::from_template(&template(), "NoSuchMapping").is_err());
    }
}
