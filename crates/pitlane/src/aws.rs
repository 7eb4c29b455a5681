//! AWS configuration and errors shared by every tool of the workbook.
//!
//! Nothing here names an endpoint. Locally the `just` recipes export
//! `AWS_ENDPOINT_URL_KINESIS` and `AWS_ENDPOINT_URL_DYNAMODB`, which
//! `aws-config` reads like any other setting; on AWS those variables are
//! absent and the very same binary talks to the real services.

use std::fmt;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_kinesis::error::{DisplayErrorContext, SdkError};

/// Loads the AWS configuration from the environment (region, credentials,
/// endpoint overrides), exactly as a Lambda function or a CLI on AWS would.
pub async fn load_config() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// Declares an error type for failed calls of one AWS service, whatever the
/// operation. The SDK gives every operation its own error type; code that
/// only needs to report the failure converts them into this one. Its message
/// includes the whole chain of causes ("dispatch failure: ... Connection
/// refused"), which is what a person needs to fix the problem.
macro_rules! service_error {
    ($(#[$doc:meta])* $name:ident, $sdk:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(Box<$sdk::Error>);

        impl $name {
            /// The error as the SDK's service-wide enum, to match on a
            /// specific exception.
            pub fn inner(&self) -> &$sdk::Error {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", DisplayErrorContext(&*self.0))
            }
        }

        impl std::error::Error for $name {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&*self.0)
            }
        }

        impl From<$sdk::Error> for $name {
            fn from(err: $sdk::Error) -> Self {
                Self(Box::new(err))
            }
        }

        impl<E, R> From<SdkError<E, R>> for $name
        where
            $sdk::Error: From<SdkError<E, R>>,
        {
            fn from(err: SdkError<E, R>) -> Self {
                Self(Box::new(err.into()))
            }
        }
    };
}

service_error!(
    /// A failed Kinesis call, whatever the operation.
    KinesisError,
    aws_sdk_kinesis
);

service_error!(
    /// A failed DynamoDB call, whatever the operation.
    DynamoDbError,
    aws_sdk_dynamodb
);
