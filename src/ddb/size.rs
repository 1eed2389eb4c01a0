//! The size of an item as DynamoDB counts it against its 400 KB item limit, so that a tool can
//! refuse an item before it writes anything instead of learning at write time.
//!
//! The estimate follows DynamoDB's documented rules
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html>)
//! and rounds every doubtful case up, so an item it accepts fits, and an item it refuses is at
//! most a few bytes short of the limit:
//! - each attribute name counts its UTF-8 bytes, as do the keys of a map;
//! - a string counts its UTF-8 bytes, a binary value its bytes;
//! - a number counts 1 byte per two digits, rounded up, plus 1, plus 1 when negative (DynamoDB
//!   trims leading and trailing zeros first; this does not, so it can only over-count);
//! - a boolean or a null counts 1 byte;
//! - a list or a map counts 3 bytes, plus 1 byte and the size of each element;
//! - a set counts the sizes of its elements.

use anyhow::{bail, Result};
use aws_sdk_dynamodb::types::AttributeValue;

use super::item::Item;

/// The largest item DynamoDB stores: 400 KB, names and values together.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// The estimated size of `item` (see the module's rules; never under DynamoDB's own count).
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// Refuses an item over [`MAX_ITEM_BYTES`], saying by how much.
pub fn check_item_size(item: &Item) -> Result<()> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        bail!(
            "the item is about {size} bytes as DynamoDB counts them, over the 400 KB item limit \
             ({MAX_ITEM_BYTES} bytes)"
        );
    }
    Ok(())
}

fn number_size(text: &str) -> usize {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    let sign = usize::from(text.trim_start().starts_with('-'));
    digits.div_ceil(2) + 1 + sign
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
        // A kind this SDK does not know yet: count it as large as any value can be, so it is
        // refused here rather than guessed.
        _ => MAX_ITEM_BYTES + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddb::item::s;
    use aws_sdk_dynamodb::primitives::Blob;

    #[test]
    fn sizes_follow_dynamodb_rules_and_round_up() {
        let item: Item = [
            ("pk".to_string(), s("MSG#1")),                               // 2 + 5
            ("n".to_string(), AttributeValue::N("-12345".into())),        // 1 + 3 + 1 + 1
            ("b".to_string(), AttributeValue::B(Blob::new(vec![0; 10]))), // 1 + 10
            ("t".to_string(), AttributeValue::Bool(true)),                // 1 + 1
            (
                "m".to_string(),
                AttributeValue::M([("k".to_string(), s("vv"))].into()), // 1 + 3 + 1 + 1 + 2
            ),
            (
                "l".to_string(),
                AttributeValue::L(vec![AttributeValue::Null(true)]), // 1 + 3 + 1 + 1
            ),
            (
                "ss".to_string(),
                AttributeValue::Ss(vec!["ab".into(), "é".into()]),
            ), // 2 + 2 + 2
        ]
        .into();
        assert_eq!(item_size(&item), 7 + 6 + 11 + 2 + 8 + 6 + 6);
    }

    #[test]
    fn an_item_over_400_kb_is_refused() {
        let fits: Item = [("t".to_string(), s("x".repeat(MAX_ITEM_BYTES - 1)))].into();
        check_item_size(&fits).unwrap();
        let over: Item = [("t".to_string(), s("x".repeat(MAX_ITEM_BYTES)))].into();
        let msg = check_item_size(&over).unwrap_err().to_string();
        assert!(msg.contains("400 KB"), "{msg}");
        assert!(msg.contains(&(MAX_ITEM_BYTES + 1).to_string()), "{msg}");
    }
}
