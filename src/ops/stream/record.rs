//! Stream records, whichever way they arrive: the Streams API's `GetRecords` ([`record_from_sdk`],
//! used by [`follow`](super::follow)) and the JSON event a Lambda function receives
//! ([`records_from_event_json`], DynamoDB's typed JSON), both read into a [`StreamRecord`].

use anyhow::{anyhow, Result};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::ddb::item::{item_from_typed_json, Item};

/// One stream record, whichever way it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// The sequence number (or, failing that, the event id), for reports.
    pub id: Option<String>,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: String,
    /// The item's key attributes.
    pub keys: Item,
    /// The item after the change (absent for `REMOVE`, or on a `KEYS_ONLY` stream).
    pub new_image: Option<Item>,
    /// The table the record comes from, when it says (a Lambda event's `eventSourceARN`).
    pub table: Option<String>,
}

/// A record that could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedRecord {
    /// The sequence number or event id, when one could be read.
    pub id: Option<String>,
    /// What is wrong with it.
    pub reason: String,
}

/// A record of a batch as it came in: readable, or not.
pub type IncomingRecord = std::result::Result<StreamRecord, MalformedRecord>;

/// Reads the records of a Lambda DynamoDB stream event (`{"Records": [...]}`).
///
/// The event itself must have that shape (an error otherwise); each record that cannot be read is
/// returned as a [`MalformedRecord`] in its place.
pub fn records_from_event_json(event: &Value) -> Result<Vec<IncomingRecord>> {
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            anyhow!("not a DynamoDB stream event: expected an object with a \"Records\" array")
        })?;
    Ok(records.iter().map(record_from_event_json).collect())
}

/// Reads one record of a Lambda event.
pub fn record_from_event_json(record: &Value) -> IncomingRecord {
    let change = record.get("dynamodb");
    let id = change
        .and_then(|c| c.get("SequenceNumber"))
        .and_then(Value::as_str)
        .or_else(|| record.get("eventID").and_then(Value::as_str))
        .map(str::to_string);
    let malformed = |reason: String| MalformedRecord {
        id: id.clone(),
        reason,
    };
    let event_name = record
        .get("eventName")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no eventName".into()))?
        .to_string();
    let change = change
        .filter(|c| c.is_object())
        .ok_or_else(|| malformed("no \"dynamodb\" object".into()))?;
    let keys = match change.get("Keys") {
        Some(keys) => item_from_typed_json(keys).map_err(|e| malformed(format!("Keys: {e:#}")))?,
        None => Item::new(),
    };
    let new_image = match change.get("NewImage") {
        None | Some(Value::Null) => None,
        Some(image) => {
            Some(item_from_typed_json(image).map_err(|e| malformed(format!("NewImage: {e:#}")))?)
        }
    };
    Ok(StreamRecord {
        id,
        event_name,
        keys,
        new_image,
        table: record
            .get("eventSourceARN")
            .and_then(Value::as_str)
            .and_then(table_from_arn)
            .map(str::to_string),
    })
}

/// The table name of a DynamoDB stream ARN
/// (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`; the label may hold `:`).
pub fn table_from_arn(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let name = resource.strip_prefix("table/")?.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// Reads one record from the Streams API (`GetRecords`).
pub fn record_from_sdk(record: &aws_sdk_dynamodbstreams::types::Record) -> IncomingRecord {
    let change = record.dynamodb();
    let id = change
        .and_then(|c| c.sequence_number())
        .or(record.event_id())
        .map(str::to_string);
    let Some(event_name) = record.event_name() else {
        return Err(MalformedRecord {
            id,
            reason: "no eventName".into(),
        });
    };
    let Some(change) = change else {
        return Err(MalformedRecord {
            id,
            reason: "no \"dynamodb\" part".into(),
        });
    };
    let convert = |image: &std::collections::HashMap<String, _>| -> Item {
        image
            .iter()
            .map(|(k, v)| (k.clone(), attribute_from_streams(v)))
            .collect()
    };
    Ok(StreamRecord {
        id,
        event_name: event_name.as_str().to_string(),
        keys: change.keys().map(convert).unwrap_or_default(),
        new_image: change.new_image().map(convert),
        table: None,
    })
}

/// Converts a Streams API attribute value to the DynamoDB crate's.
pub fn attribute_from_streams(
    value: &aws_sdk_dynamodbstreams::types::AttributeValue,
) -> AttributeValue {
    use aws_sdk_dynamodbstreams::types::AttributeValue as A;
    match value {
        A::S(v) => AttributeValue::S(v.clone()),
        A::N(v) => AttributeValue::N(v.clone()),
        A::B(v) => AttributeValue::B(Blob::new(v.as_ref().to_vec())),
        A::Bool(v) => AttributeValue::Bool(*v),
        A::Null(v) => AttributeValue::Null(*v),
        A::Ss(v) => AttributeValue::Ss(v.clone()),
        A::Ns(v) => AttributeValue::Ns(v.clone()),
        A::Bs(v) => AttributeValue::Bs(v.iter().map(|b| Blob::new(b.as_ref().to_vec())).collect()),
        A::L(v) => AttributeValue::L(v.iter().map(attribute_from_streams).collect()),
        A::M(v) => AttributeValue::M(
            v.iter()
                .map(|(k, v)| (k.clone(), attribute_from_streams(v)))
                .collect(),
        ),
        // A type newer than this build: keep the item readable, mark the value as unknown.
        _ => AttributeValue::Null(true),
    }
}
