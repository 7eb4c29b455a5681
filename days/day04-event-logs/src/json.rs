//! JSON read exactly: every number keeps the text it was written with.
//!
//! You do not need to change this file; `to_attribute` (TODO 2) walks what it
//! returns.
//!
//! Why not `serde_json::Value`? It reads a number into an `i64`, a `u64` or an
//! `f64`. A 20-digit counter fits a `u64`, but a 42-digit one becomes the
//! float `1.2345678901234567e+41`: stored like that, the value is changed and
//! nothing says so. DynamoDB numbers travel as text, so the text is what must
//! be kept. serde_json can keep it (its `arbitrary_precision` feature), but a
//! Cargo feature is switched on for every crate of a build at once, and that
//! one breaks the parsing of Lambda's own events elsewhere in this workspace.
//!
//! So this module reads each value as the raw slice of text it is
//! (`serde_json::value::RawValue`) and looks at its first character: `{`, `[`,
//! `"`, `t`/`f`, `n`, or else a number, whose raw text is then exactly what the
//! producer wrote. serde_json still does all the checking (escapes, surrogates,
//! UTF-8, nesting), so this reads the same documents it accepts.
//!
//! One more difference: an object that names a field twice is an error here.
//! JSON says names *should* be unique; `Value` quietly keeps the last one,
//! which would drop the first value without a trace.

use std::collections::HashSet;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON document, numbers as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number's text exactly as in the document: `21.50`, `-0`, `1E+2`.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// The fields in the order they were written, each name once.
    Object(Vec<(String, Json)>),
}

/// Why some bytes are not a JSON document this module reads.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("not UTF-8 text: {0}")]
    NotText(#[from] std::str::Utf8Error),
    #[error("not JSON: {0}")]
    Syntax(#[from] serde_json::Error),
    /// The name is left out: it could be any length.
    #[error("an object names the same field twice (a name of {name_bytes} bytes)")]
    DuplicateName { name_bytes: usize },
}

/// Reads `data` as one JSON document.
pub fn parse(data: &[u8]) -> Result<Json, JsonError> {
    let text = std::str::from_utf8(data)?;
    let raw: &RawValue = serde_json::from_str(text)?;
    from_raw(raw)
}

/// One value, from its raw text. serde_json has already checked the whole
/// document, so the first character says what the value is. Each level
/// parses its own text again, so a document is read once per level of
/// nesting: bounded, as serde_json stops at 128 levels.
fn from_raw(raw: &RawValue) -> Result<Json, JsonError> {
    let text = raw.get().trim_ascii();
    Ok(match text.as_bytes().first() {
        Some(b'{') => {
            let Fields(fields) = serde_json::from_str(text)?;
            let mut names = HashSet::with_capacity(fields.len());
            if let Some((name, _)) = fields.iter().find(|(name, _)| !names.insert(name.as_str())) {
                return Err(JsonError::DuplicateName { name_bytes: name.len() });
            }
            let fields = fields.into_iter().map(|(name, value)| Ok((name, from_raw(value)?)));
            Json::Object(fields.collect::<Result<_, JsonError>>()?)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            Json::Array(items.into_iter().map(from_raw).collect::<Result<_, _>>()?)
        }
        Some(b'"') => Json::String(serde_json::from_str(text)?),
        Some(b't' | b'f') => Json::Bool(serde_json::from_str(text)?),
        Some(b'n') => Json::Null,
        _ => Json::Number(text.to_owned()),
    })
}

/// An object's fields as written, duplicates included (a `HashMap` would
/// keep one of them silently).
struct Fields<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Fields<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(field) = map.next_entry()? {
                    fields.push(field);
                }
                Ok(Fields(fields))
            }
        }

        deserializer.deserialize_map(FieldsVisitor)
    }
}
