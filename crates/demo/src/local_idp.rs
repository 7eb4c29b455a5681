//! A local identity provider: the demo's stand-in for Cognito.
//!
//! On AWS a fan signs in with the user pool and the page sends the ID token
//! it got; API Gateway's JWT authorizer checks the token's signature, issuer,
//! audience and expiry before the function runs, and hands the function the
//! token's claims. Locally, `POST /local-sign-in` with `{"fan": "fan-0042"}`
//! issues such a token (signed with a key made for this run, HS256 rather
//! than Cognito's RS256), and the local gateway checks it the same way.
//! There is no password: it is a demo, and says so.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

/// How long a token is valid (Cognito's ID tokens: one hour by default).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Why a token was refused (the caller only ever learns "Unauthorized").
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a JWT (three base64url parts)")]
    Malformed,
    #[error("the signature does not match")]
    Signature,
    #[error("issued by {0:?}, not by this provider")]
    Issuer(String),
    #[error("issued for {0:?}, not for this API")]
    Audience(String),
    #[error("expired")]
    Expired,
    #[error("not valid yet (nbf)")]
    NotYetValid,
}

pub struct LocalIdp {
    key: Vec<u8>,
    pub issuer: String,
    pub audience: String,
}

impl LocalIdp {
    /// A provider with a fresh random key: tokens from an earlier run are
    /// refused.
    pub fn new(issuer: impl Into<String>) -> Self {
        let key = (0..32).map(|_| fastrand::u8(..)).collect();
        Self { key, issuer: issuer.into(), audience: "pitlane-local".to_owned() }
    }

    /// An ID token for `fan`, valid for [`TOKEN_LIFETIME`].
    pub fn token_for(&self, fan: &str) -> String {
        self.token_at(fan, SystemTime::now())
    }

    fn token_at(&self, fan: &str, now: SystemTime) -> String {
        let issued = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        self.sign(&json!({
            "sub": fan,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + TOKEN_LIFETIME.as_secs(),
            "token_use": "id",
        }))
    }

    fn sign(&self, claims: &Value) -> String {
        let key = EncodingKey::from_secret(&self.key).expect("HMAC takes any key");
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
            .expect("JSON claims encode")
    }

    /// The token's claims, as API Gateway hands them to the function (every
    /// value as a string), once its signature (HS256 only), issuer, audience
    /// (one of the token's, when it names several), expiry and not-before
    /// are checked, as API Gateway's JWT authorizer checks them, with no
    /// leeway.
    pub fn verify(&self, token: &str) -> Result<BTreeMap<String, String>, TokenError> {
        let mut rules = Validation::new(Algorithm::HS256);
        rules.set_issuer(&[&self.issuer]);
        rules.set_audience(&[&self.audience]);
        rules.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        rules.validate_nbf = true;
        rules.leeway = 0;
        let key = DecodingKey::from_secret(&self.key).expect("HMAC takes any key");
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &rules)
            .map_err(|error| refusal(error.kind(), token))?
            .claims;
        Ok(claims
            .into_iter()
            .map(|(name, value)| {
                let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                (name, value)
            })
            .collect())
    }
}

/// Why the library refused `token`, in the provider's words (the issuer or
/// audience it named, read from the unchecked claims).
fn refusal(kind: &ErrorKind, token: &str) -> TokenError {
    let claim = |name: &str| {
        jsonwebtoken::dangerous::insecure_decode_claims::<Map<String, Value>>(token)
            .ok()
            .and_then(|claims| claims.get(name).cloned())
            .map(|value| value.as_str().map_or_else(|| value.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    match kind {
        ErrorKind::InvalidSignature => TokenError::Signature,
        ErrorKind::InvalidIssuer => TokenError::Issuer(claim("iss")),
        ErrorKind::InvalidAudience => TokenError::Audience(claim("aud")),
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        _ => TokenError::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_it_issued_is_accepted_with_its_claims() {
        let idp = LocalIdp::new("http://127.0.0.1:8000/local-sign-in");
        let claims = idp.verify(&idp.token_for("fan-0042")).unwrap();
        assert_eq!(claims["sub"], "fan-0042");
        assert_eq!(claims["aud"], "pitlane-local");
    }

    #[test]
    fn a_forged_expired_or_foreign_token_is_refused() {
        let idp = LocalIdp::new("local");
        let token = idp.token_for("fan-0042");
        let (signed, _) = token.rsplit_once('.').unwrap();
        assert_eq!(idp.verify(&format!("{signed}.AAAA")), Err(TokenError::Signature));
        let other = LocalIdp::new("local");
        assert_eq!(other.verify(&token), Err(TokenError::Signature), "another run's key");
        let old = idp.token_at("fan-0042", SystemTime::now() - TOKEN_LIFETIME * 2);
        assert_eq!(idp.verify(&old), Err(TokenError::Expired));
        assert_eq!(idp.verify("not-a-token"), Err(TokenError::Malformed));
        let elsewhere = LocalIdp {
            issuer: "elsewhere".into(),
            key: idp.key.clone(),
            audience: idp.audience.clone(),
        };
        assert_eq!(
            idp.verify(&elsewhere.token_for("x")),
            Err(TokenError::Issuer("elsewhere".into()))
        );
        let foreign = LocalIdp {
            audience: "another-api".into(),
            key: idp.key.clone(),
            issuer: idp.issuer.clone(),
        };
        assert_eq!(
            idp.verify(&foreign.token_for("x")),
            Err(TokenError::Audience("another-api".into()))
        );
    }

    fn claims(idp: &LocalIdp, extra: Value) -> Value {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let mut claims = json!({
            "sub": "fan-0042", "iss": idp.issuer, "aud": idp.audience, "exp": now + 600,
        });
        claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        claims
    }

    /// A token whose not-before is still to come is refused, as API
    /// Gateway's JWT authorizer refuses it; one whose moment has come is
    /// taken.
    #[test]
    fn a_token_not_valid_yet_is_refused() {
        let idp = LocalIdp::new("local");
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let early = idp.sign(&claims(&idp, json!({ "nbf": now + 600 })));
        assert_eq!(idp.verify(&early), Err(TokenError::NotYetValid));
        let due = idp.sign(&claims(&idp, json!({ "nbf": now - 1 })));
        assert!(idp.verify(&due).is_ok());
    }

    /// A token may name several audiences: it is for this API when one of
    /// them is this API's.
    #[test]
    fn a_token_for_several_audiences_is_taken_when_one_is_this_apis() {
        let idp = LocalIdp::new("local");
        let several = idp.sign(&claims(&idp, json!({ "aud": ["another-api", "pitlane-local"] })));
        let taken = idp.verify(&several).unwrap();
        assert_eq!(taken["aud"], r#"["another-api","pitlane-local"]"#);
        let none = idp.sign(&claims(&idp, json!({ "aud": ["another-api", "a-third"] })));
        assert!(matches!(idp.verify(&none), Err(TokenError::Audience(_))));
    }

    /// Only HS256: a token that says `"alg": "none"` is refused.
    #[test]
    fn an_unsigned_token_is_refused() {
        let idp = LocalIdp::new("local");
        let token = idp.token_for("fan-0042");
        let (_, rest) = token.split_once('.').unwrap();
        let (body, _) = rest.split_once('.').unwrap();
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{body}.");
        assert!(idp.verify(&unsigned).is_err());
    }
}
