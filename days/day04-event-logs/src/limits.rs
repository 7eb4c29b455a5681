//! What DynamoDB accepts in an item, checked before the write.
//!
//! You do not need to change this file; TODOs 2, 3 and 4 use it.
//!
//! A Kinesis record is any bytes up to 1 MiB; a DynamoDB item is at most
//! 400 KB, and some perfectly valid JSON is no valid item at all. DynamoDB
//! refuses such an item with a `ValidationException`, and it refuses the
//! *whole* `BatchWriteItem` call with it: the 24 other items of the chunk are
//! not written either, the invocation fails, and the shard waits behind one
//! record (a "poison pill"). Knowing the rules lets the consumer store that
//! record in a form DynamoDB accepts instead.
//!
//! The rules, from the Amazon DynamoDB Developer Guide ("Quotas in Amazon
//! DynamoDB", "Supported data types and naming rules", "DynamoDB item sizes
//! and formats"):
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html>

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// An item is at most 400 KB: its attributes' names and values.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// A document (maps and lists in maps and lists) is nested at most 32 levels
/// deep; a top-level attribute is level 1.
pub const MAX_DEPTH: usize = 32;
/// An attribute name, nested ones included, is 1 to 65,535 bytes.
pub const MAX_NAME_BYTES: usize = 65_535;
/// A number has at most 38 significant digits.
pub const MAX_DIGITS: usize = 38;

/// Why a number cannot be a DynamoDB number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("a number with {0} significant digits (DynamoDB keeps at most {MAX_DIGITS})")]
    TooPrecise(usize),
    #[error("a number outside DynamoDB's range (a magnitude from 1E-130 to below 1E126)")]
    OutOfRange,
}

/// Checks a number written as JSON writes it (`-12.5e3`) against DynamoDB's
/// rules: at most 38 significant digits, and a magnitude from 1E-130 to below
/// 1E126, or zero. The text is assumed to be a valid JSON number.
pub fn check_number(text: &str) -> Result<(), NumberError> {
    let number = Digits::of(text);
    if number.significant > MAX_DIGITS {
        return Err(NumberError::TooPrecise(number.significant));
    }
    // The magnitude is within a factor of 10 of 10^place: from 1E126 on it
    // overflows, under 1E-130 it underflows.
    if !(-130..126).contains(&number.place) {
        return Err(NumberError::OutOfRange);
    }
    Ok(())
}

/// What DynamoDB's rules look at in a number.
struct Digits {
    /// Digits from the first non-zero one to the last: `0.0120` has 2.
    significant: usize,
    /// The power of ten of the first significant digit (`0.0120`: -2); for
    /// zero, of the last digit written, which is how DynamoDB judges a zero
    /// (`0E126` overflows).
    place: i64,
    negative: bool,
}

impl Digits {
    fn of(text: &str) -> Self {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, bounded_exponent(exponent)),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        // A digit at index i of `whole` then `fraction` stands for
        // 10^(whole.len() - 1 - i + exponent).
        let digits = || whole.bytes().chain(fraction.bytes());
        let power = |index: usize| whole.len() as i64 - 1 - index as i64 + exponent;
        let count = whole.len() + fraction.len();
        match (digits().position(|d| d != b'0'), digits().rev().position(|d| d != b'0')) {
            (Some(first), Some(from_end)) => {
                Digits { significant: count - from_end - first, place: power(first), negative }
            }
            _ => Digits { significant: 0, place: power(count - 1), negative },
        }
    }
}

/// A number's written exponent, held within ±10¹²: far beyond DynamoDB's
/// range either way, and small enough that adding a number's length (at most
/// a record's 1 MiB, or 10 MiB) can never overflow. `1e9223372036854775807`
/// is a valid JSON number.
fn bounded_exponent(text: &str) -> i64 {
    const BOUND: i64 = 1_000_000_000_000;
    // Too long for an i64 is out of range too, whichever its sign: overflow
    // and underflow are refused alike.
    text.parse::<i64>().map_or(BOUND, |exponent| exponent.clamp(-BOUND, BOUND))
}

/// An upper bound of the bytes DynamoDB counts for a number: "about 1 byte
/// per two significant digits, plus 1 byte" (AWS's words), plus 1 for the
/// sign and 1 for digits that straddle a pair. A bound, not the exact
/// figure, so that an item this code judges small enough is small enough on
/// AWS too.
fn number_bytes(text: &str) -> usize {
    let number = Digits::of(text);
    if number.significant == 0 {
        return 1;
    }
    2 + usize::from(number.negative) + number.significant.div_ceil(2)
}

/// What a value of a type this SDK does not know yet counts: far more than an
/// item may hold (1 GB), so that the check refuses it, not DynamoDB.
const UNKNOWN_TYPE_BYTES: usize = 1_000_000_000;

/// The bytes DynamoDB counts for a value: strings in UTF-8, binary as is,
/// booleans and nulls 1, numbers [`number_bytes`], and a map or list 3 bytes
/// plus, for each element, 1 byte, its name (maps) and its value.
pub fn value_bytes(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(text) => number_bytes(text),
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(texts) => texts.iter().map(|text| number_bytes(text)).sum(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|blob| blob.as_ref().len()).sum(),
        AttributeValue::L(items) => {
            3 + items.iter().map(|item| 1 + value_bytes(item)).sum::<usize>()
        }
        AttributeValue::M(fields) => {
            3 + fields
                .iter()
                .map(|(name, value)| 1 + name.len() + value_bytes(value))
                .sum::<usize>()
        }
        _ => UNKNOWN_TYPE_BYTES,
    }
}

/// The bytes DynamoDB counts for an item: each attribute's name and value.
pub fn item_bytes(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(name, value)| name.len() + value_bytes(value)).sum()
}
