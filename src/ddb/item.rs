//! DynamoDB items as JSON: plain values (`{"name": "a"}`) or DynamoDB's typed JSON
//! (`{"name": {"S": "a"}}`, what `--raw` prints and the AWS CLI shows), and typed attribute access.
//! Nothing here knows a table's keys: the messages table's are in [`crate::model::keys`].

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Number, Value};

/// Standard alphabet; writes padding, reads input with or without it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// The item as plain JSON: strings, numbers, booleans, null, arrays and objects. Keys are sorted.
pub fn to_plain_json(item: &Item) -> Value {
    let mut keys: Vec<_> = item.keys().collect();
    keys.sort();
    Value::Object(
        keys.into_iter()
            .map(|k| (k.clone(), plain_value(&item[k])))
            .collect(),
    )
}

/// The item in DynamoDB's typed JSON. Keys are sorted.
pub fn to_typed_json(item: &Item) -> Value {
    let mut keys: Vec<_> = item.keys().collect();
    keys.sort();
    Value::Object(
        keys.into_iter()
            .map(|k| (k.clone(), typed_value(&item[k])))
            .collect(),
    )
}

/// A DynamoDB number as a JSON number with every digit kept (serde_json's `arbitrary_precision`:
/// a `Number` holds its decimal text, never an f64), or as a string in the unlikely case the
/// text is not a JSON number.
fn number(n: &str) -> Value {
    n.parse::<Number>()
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(n.to_string()))
}

/// The most significant digits a DynamoDB number has.
const MAX_DIGITS: usize = 38;

/// Checks that `text` is a number DynamoDB stores: decimal, optional sign and exponent, at most
/// 38 significant digits, magnitude between 1E-130 and 9.99...E+125 (or zero).
pub fn check_number(text: &str) -> Result<()> {
    let fail = |why: &str| -> Result<()> { bail!("{text:?} is not a DynamoDB number: {why}") };
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !all_digits(int) || !all_digits(frac) {
        return fail("expected digits with an optional sign, decimal point and exponent");
    }
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => match e.parse() {
            Ok(e) if (-1_000_000..=1_000_000).contains(&e) => e,
            _ => return fail("bad exponent"),
        },
    };
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0');
    let trimmed = significant.trim_end_matches('0');
    if trimmed.is_empty() {
        return Ok(()); // zero
    }
    if trimmed.len() > MAX_DIGITS {
        return fail("more than 38 significant digits");
    }
    // The value is `significant` x 10^(exponent - frac.len()); its decimal magnitude is:
    let magnitude = significant.len() as i64 + exponent - frac.len() as i64; // 10^(m-1) <= |v| < 10^m
    if magnitude > 126 {
        return fail("larger than 9.9999999999999999999999999999999999999E+125");
    }
    if magnitude - 1 < -130 {
        return fail("smaller than 1E-130");
    }
    Ok(())
}

fn plain_value(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::B(b) => Value::String(base64(b.as_ref())),
        AttributeValue::Ss(ss) => ss.iter().cloned().map(Value::String).collect(),
        AttributeValue::Ns(ns) => ns.iter().map(|n| number(n)).collect(),
        AttributeValue::Bs(bs) => bs
            .iter()
            .map(|b| Value::String(base64(b.as_ref())))
            .collect(),
        AttributeValue::L(l) => l.iter().map(plain_value).collect(),
        AttributeValue::M(m) => Value::Object(
            sorted(m)
                .map(|(k, v)| (k.clone(), plain_value(v)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn typed_value(v: &AttributeValue) -> Value {
    let (tag, value) = match v {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.clone())),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null(b) => ("NULL", Value::Bool(*b)),
        AttributeValue::B(b) => ("B", Value::String(base64(b.as_ref()))),
        AttributeValue::Ss(ss) => ("SS", ss.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(ns) => ("NS", ns.iter().cloned().map(Value::String).collect()),
        AttributeValue::Bs(bs) => (
            "BS",
            bs.iter()
                .map(|b| Value::String(base64(b.as_ref())))
                .collect(),
        ),
        AttributeValue::L(l) => ("L", l.iter().map(typed_value).collect()),
        AttributeValue::M(m) => (
            "M",
            Value::Object(
                sorted(m)
                    .map(|(k, v)| (k.clone(), typed_value(v)))
                    .collect::<Map<_, _>>(),
            ),
        ),
        _ => ("NULL", Value::Bool(true)),
    };
    let mut obj = Map::new();
    obj.insert(tag.to_string(), value);
    Value::Object(obj)
}

/// A map's entries by name: the JSON of an item is the same on every run, whatever order the
/// map iterates in (serde_json keeps insertion order when a dependency turns on
/// `preserve_order`).
fn sorted(m: &HashMap<String, AttributeValue>) -> impl Iterator<Item = (&String, &AttributeValue)> {
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter()
}

/// Standard base64 with padding, as DynamoDB's JSON carries binary values.
fn base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// A string attribute value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// Reads the string attribute `name` of `item`, with an error naming it when missing or not a string.
pub fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        Some(_) => Err(anyhow!("attribute {name:?} is not a string")),
        None => Err(anyhow!("attribute {name:?} is missing")),
    }
}

/// Reads the string attribute `name` of `item`, if present.
pub fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// Reads an item in DynamoDB's typed JSON (`{"name": {"S": "a"}, ...}`).
pub fn item_from_typed_json(value: &Value) -> Result<Item> {
    let object = value
        .as_object()
        .ok_or_else(|| anyhow!("expected an object of attributes, got {}", kind(value)))?;
    object
        .iter()
        .map(|(name, v)| {
            attribute_from_typed_json(v)
                .with_context(|| format!("attribute {name:?}"))
                .map(|v| (name.clone(), v))
        })
        .collect()
}

/// Reads one attribute value in DynamoDB's typed JSON (`{"S": "..."}`, `{"N": "42"}`, ...).
pub fn attribute_from_typed_json(value: &Value) -> Result<AttributeValue> {
    let Some((tag, inner)) = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
    else {
        bail!(
            "expected a typed value such as {{\"S\": \"...\"}}, got {}",
            kind(value)
        );
    };
    let string = |v: &Value| -> Result<String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            other => bail!("{tag} expects a string, got {}", kind(other)),
        }
    };
    let number = |v: &Value| -> Result<String> {
        match v {
            Value::String(s) => check_number(s).map(|()| s.clone()),
            Value::Number(n) => {
                let text = n.to_string();
                check_number(&text).map(|()| text)
            }
            other => bail!("{tag} expects a number as a string, got {}", kind(other)),
        }
    };
    let array = |v: &Value| -> Result<Vec<Value>> {
        match v {
            Value::Array(a) => Ok(a.clone()),
            other => bail!("{tag} expects an array, got {}", kind(other)),
        }
    };
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(string(inner)?),
        "N" => AttributeValue::N(number(inner)?),
        "B" => AttributeValue::B(Blob::new(base64_decode(&string(inner)?)?)),
        "BOOL" => AttributeValue::Bool(
            inner
                .as_bool()
                .ok_or_else(|| anyhow!("BOOL expects true or false"))?,
        ),
        "NULL" => AttributeValue::Null(
            inner
                .as_bool()
                .ok_or_else(|| anyhow!("NULL expects true"))?,
        ),
        "SS" => AttributeValue::Ss(array(inner)?.iter().map(string).collect::<Result<_>>()?),
        "NS" => AttributeValue::Ns(array(inner)?.iter().map(number).collect::<Result<_>>()?),
        "BS" => AttributeValue::Bs(
            array(inner)?
                .iter()
                .map(|v| Ok(Blob::new(base64_decode(&string(v)?)?)))
                .collect::<Result<_>>()?,
        ),
        "L" => AttributeValue::L(
            array(inner)?
                .iter()
                .map(attribute_from_typed_json)
                .collect::<Result<_>>()?,
        ),
        "M" => AttributeValue::M(item_from_typed_json(inner)?),
        other => bail!("unknown DynamoDB type tag {other:?}"),
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes standard base64 (padding optional, as the AWS CLI also accepts it).
fn base64_decode(text: &str) -> Result<Vec<u8>> {
    BASE64
        .decode(text)
        .with_context(|| format!("{text:?} is not base64"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;
    use serde_json::json;

    #[test]
    fn plain_and_typed_json() {
        let item: Item = [
            ("pk".to_string(), s("MSG#1")),
            ("n".to_string(), AttributeValue::N("42".into())),
            ("f".to_string(), AttributeValue::N("1.5".into())),
            (
                "b".to_string(),
                AttributeValue::B(Blob::new(b"hi!?".to_vec())),
            ),
            (
                "m".to_string(),
                AttributeValue::M([("x".to_string(), AttributeValue::Bool(true))].into()),
            ),
            (
                "l".to_string(),
                AttributeValue::L(vec![AttributeValue::Null(true)]),
            ),
        ]
        .into();
        assert_eq!(
            to_plain_json(&item),
            json!({"pk": "MSG#1", "n": 42, "f": 1.5, "b": "aGkhPw==", "m": {"x": true}, "l": [null]})
        );
        assert_eq!(to_typed_json(&item)["n"], json!({"N": "42"}),);
        assert_eq!(
            to_typed_json(&item)["m"],
            json!({"M": {"x": {"BOOL": true}}})
        );
        assert_eq!(get_s(&item, "pk").unwrap(), "MSG#1");
        assert!(get_s(&item, "n").is_err());
        assert!(get_s(&item, "nope").is_err());
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("Zg==").unwrap(), b"f");
        assert_eq!(base64_decode("Zm8=").unwrap(), b"fo");
        assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
        assert!(base64_decode("Zm9v!").is_err());
    }

    #[test]
    fn base64_rejects_garbage_and_accepts_missing_padding() {
        assert_eq!(base64_decode("Zg").unwrap(), b"f");
        assert_eq!(base64_decode("Zm9vYg").unwrap(), b"foob");
        let err = base64_decode("Zm9v!").unwrap_err();
        assert!(err.to_string().contains("not base64"), "{err:#}");
        assert!(
            err.chain().any(|cause| cause.is::<base64::DecodeError>()),
            "the decoder's error is the cause: {err:#}"
        );
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64(&bytes)).unwrap(), bytes);
    }

    /// 38-digit values: every digit survives item -> JSON text -> item, plain and typed.
    const BIG: [&str; 8] = [
        "12345678901234567890123456789012345678",
        "-99999999999999999999999999999999999999",
        "1234567890123456789.0123456789012345678",
        "-0.00000000000000000012345678901234567890123456789012345678",
        "9.9999999999999999999999999999999999999E+125",
        "1E-130",
        "-1.2345678901234567890123456789012345678e-100",
        "0",
    ];

    #[test]
    fn numbers_keep_all_38_digits_in_plain_json() {
        for n in BIG {
            let item: Item = [("n".to_string(), AttributeValue::N(n.to_string()))].into();
            let text = serde_json::to_string(&to_plain_json(&item)).unwrap();
            // Every digit kept; serde_json writes the exponent marker in lower case.
            let n = n.replace('E', "e");
            assert_eq!(text, format!("{{\"n\":{n}}}"));
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back["n"].to_string(), n);
            assert!(back["n"].is_number(), "{n} stays a JSON number");
        }
        // In a list and a number set too.
        let item: Item = [(
            "l".to_string(),
            AttributeValue::L(vec![AttributeValue::Ns(vec![BIG[0].to_string()])]),
        )]
        .into();
        let text = serde_json::to_string(&to_plain_json(&item)).unwrap();
        assert_eq!(text, format!("{{\"l\":[[{}]]}}", BIG[0]));
    }

    #[test]
    fn numbers_keep_all_38_digits_in_typed_json() {
        for n in BIG {
            let item: Item = [
                ("n".to_string(), AttributeValue::N(n.to_string())),
                ("ns".to_string(), AttributeValue::Ns(vec![n.to_string()])),
            ]
            .into();
            let text = serde_json::to_string(&to_typed_json(&item)).unwrap();
            let back = item_from_typed_json(&serde_json::from_str(&text).unwrap()).unwrap();
            assert_eq!(back, item, "{n}");
            // A bare JSON number in the typed form keeps its digits too.
            let bare: Value = serde_json::from_str(&format!("{{\"N\": {n}}}")).unwrap();
            assert_eq!(
                attribute_from_typed_json(&bare).unwrap(),
                AttributeValue::N(n.replace('E', "e"))
            );
        }
    }

    #[test]
    fn typed_numbers_are_checked_like_dynamodb_does() {
        let n = |text: &str| attribute_from_typed_json(&json!({ "N": text }));
        for good in [
            "42", "-0", "+7", ".5", "5.", "1e5", "1E+125", "0.000", "00012",
        ] {
            assert!(n(good).is_ok(), "{good}");
        }
        let err = |text: &str| format!("{:#}", n(text).unwrap_err());
        assert!(err("123456789012345678901234567890123456789").contains("38 significant digits"));
        assert!(err("1E+126").contains("larger than"));
        assert!(err("1E-131").contains("smaller than"));
        for bad in [
            "",
            "-",
            "abc",
            "NaN",
            "inf",
            "1e",
            "1.2.3",
            "0x10",
            " 1",
            "1e99999999999",
        ] {
            assert!(
                err(bad).contains("not a DynamoDB number"),
                "{bad}: {}",
                err(bad)
            );
        }
        // 38 digits followed by zeros are still 38 significant digits.
        assert!(n("12345678901234567890123456789012345678000").is_ok());
        let err = format!(
            "{:#}",
            attribute_from_typed_json(&json!({"N": true})).unwrap_err()
        );
        assert!(err.contains("N expects a number as a string"), "{err}");
    }
}
