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

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

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

    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(signed.as_bytes());
        mac
    }

    /// An ID token for `fan`, valid for [`TOKEN_LIFETIME`].
    pub fn token_for(&self, fan: &str) -> String {
        self.token_at(fan, SystemTime::now())
    }

    fn token_at(&self, fan: &str, now: SystemTime) -> String {
        let issued = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let header = json!({ "alg": "HS256", "typ": "JWT" });
        let claims = json!({
            "sub": fan,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + TOKEN_LIFETIME.as_secs(),
            "token_use": "id",
        });
        let signed =
            format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()));
        let signature = B64URL.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{signature}")
    }

    /// The token's claims, as API Gateway hands them to the function (every
    /// value as a string), once its signature, issuer, audience and expiry
    /// are checked.
    pub fn verify(&self, token: &str) -> Result<BTreeMap<String, String>, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, claims, signature] = parts[..] else { return Err(TokenError::Malformed) };
        let signature = B64URL.decode(signature).map_err(|_| TokenError::Malformed)?;
        self.mac(&format!("{header}.{claims}"))
            .verify_slice(&signature)
            .map_err(|_| TokenError::Signature)?;
        let claims: Value = B64URL
            .decode(claims)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)?;
        let text = |name: &str| claims[name].as_str().unwrap_or_default().to_owned();
        if text("iss") != self.issuer {
            return Err(TokenError::Issuer(text("iss")));
        }
        if text("aud") != self.audience {
            return Err(TokenError::Audience(text("aud")));
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        if claims["exp"].as_u64().is_none_or(|exp| exp <= now) {
            return Err(TokenError::Expired);
        }
        let claims = claims.as_object().ok_or(TokenError::Malformed)?;
        Ok(claims
            .iter()
            .map(|(name, value)| {
                let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                (name.clone(), value)
            })
            .collect())
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
    }
}
