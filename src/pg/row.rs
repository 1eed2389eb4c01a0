//! Reading one column of a row without panicking: [`column()`].
//!
//! `tokio_postgres::Row::get` panics on a NULL read into a non-`Option` type and on a column of
//! another type than the Rust one (as an older or hand-made database may have them); [`column()`]
//! turns both into an error naming the table, the column and the row.

use anyhow::{anyhow, bail, Result};
use tokio_postgres::types::{FromSql, WasNull};
use tokio_postgres::Row;

/// The value of column `name` of `row`, a row of `table` that `who` names (`handle "bob"`,
/// `uuid 1f0c…`; empty for a row that is no record of the table, such as a count).
///
/// A NULL read into a non-`Option` type is `users.email is NULL for handle "bob"`; a column of
/// another type is `users.cognito_user_id is uuid, expected text for handle "bob"`; a column the
/// statement did not select is an error too.
pub fn column<'a, T: FromSql<'a>>(row: &'a Row, name: &str, table: &str, who: &str) -> Result<T> {
    let at = if who.is_empty() {
        String::new()
    } else {
        format!(" for {who}")
    };
    let Some(idx) = row.columns().iter().position(|c| c.name() == name) else {
        bail!("{table}.{name} was not read{at} (no such column in the result)");
    };
    let ty = row.columns()[idx].type_();
    if !T::accepts(ty) {
        bail!("{table}.{name} is {ty}, expected {}{at}", expected::<T>());
    }
    row.try_get(idx).map_err(|err| {
        let null = std::error::Error::source(&err).is_some_and(|e| e.is::<WasNull>());
        if null {
            anyhow!("{table}.{name} is NULL{at}")
        } else {
            anyhow!(err).context(format!("reading {table}.{name}{at}"))
        }
    })
}

/// The PostgreSQL name of the type `T` reads (its Rust name when it is none of the usual ones).
fn expected<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    let inner = name
        .strip_prefix("core::option::Option<")
        .and_then(|n| n.strip_suffix('>'))
        .unwrap_or(name);
    match inner {
        "alloc::string::String" | "&str" => "text",
        "i64" => "bigint",
        "i32" => "integer",
        "i16" => "smallint",
        "bool" => "boolean",
        "uuid::Uuid" => "uuid",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_types_are_named_as_postgresql_names_them() {
        assert_eq!(expected::<String>(), "text");
        assert_eq!(expected::<Option<String>>(), "text");
        assert_eq!(expected::<i64>(), "bigint");
        assert_eq!(expected::<uuid::Uuid>(), "uuid");
        assert_eq!(expected::<Option<bool>>(), "boolean");
        assert_eq!(expected::<f64>(), "f64");
    }
}
