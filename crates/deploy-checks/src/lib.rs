//! The deployment lives in `template.yaml` (AWS SAM) and `scripts/aws.sh`;
//! `tests/template.rs` checks the template, `just lint` runs cfn-lint on it.
