//! DynamoDB items as JSON: plain values (`{"pk": "MSG#..."}`) or DynamoDB's typed JSON
//! (`{"pk": {"S": "MSG#..."}}`, what `--raw` prints and the AWS CLI shows), and typed attribute access.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};

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

fn number(n: &str) -> Value {
    n.parse::<i64>()
        .map(Value::from)
        .ok()
        .or_else(|| {
            n.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
        })
        .unwrap_or_else(|| Value::String(n.to_string()))
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
        AttributeValue::M(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), plain_value(v))).collect())
        }
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
                m.iter()
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

/// Standard base64 with padding (how DynamoDB's JSON carries binary values).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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

/// Reads an item in DynamoDB's typed JSON (`{"pk": {"S": "MSG#..."}, ...}`).
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
            Value::String(s) if s.parse::<f64>().is_ok() => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => bail!("{tag} expects a number as a string, got {other}"),
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

/// Standard base64 (padding optional), as DynamoDB's JSON carries binary values.
fn base64_decode(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("{text:?} is not base64"),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
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
}
