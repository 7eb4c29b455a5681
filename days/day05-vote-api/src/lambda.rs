//! The Lambda function: a thin `main` around [`handle`](crate::handle).
//!
//! You do not need to change this file. API Gateway (HTTP API, payload 2.0)
//! or the local gateway of `just demo` calls it once per request.

use std::convert::Infallible;

use lambda_http::{Error, Request, run, service_fn};

use crate::{ApiConfig, handle};

#[tokio::main]
pub async fn main() -> Result<(), Error> {
    pitlane::telemetry::init();
    let config = ApiConfig::from_env()?;
    let client = aws_sdk_kinesis::Client::new(&pitlane::aws::load_config().await);
    let (client, config) = (&client, &config);
    run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(handle(client, config, request).await)
    }))
    .await
}
