//! Reading one column of a row without panicking: [`column()`].
//!
//! `tokio_postgres::Row::get` panics on a NULL read into a non-`Option` type and on a column of
//! another type than the Rust one (as an older or hand-made database may have them); [`column()`]
//! turns both into an error naming the table, the column and the row.

use anyhow::{anyhow, bail, Result};
use tokio_postgres::types::{FromSql, Type, WasNull};
use tokio_postgres::Row;

/// The value of column `name` of `row`, a row of `table` that `who` names (`handle "bob"`,
/// `uuid 1f0c…`; empty for a row that is no record of the table, such as a count).
///
/// A NULL read into a non-`Option` type is `users.email is NULL for handle "bob"`; a column of
/// another type is `users.cognito_user_id is uuid, expected text for handle "bob"` (the expected
/// type is one `T` accepts, as tokio-postgres's [`FromSql::accepts`] says); a column the
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
            anyhow::Error::new(err).context(format!("reading {table}.{name}{at}"))
        }
    })
}

/// The types a column is most often read as, in the order their names are preferred: a `String`
/// reads `text`, `varchar`, `name`, ... and is said to expect `text`.
const PREFERRED: [Type; 10] = [
    Type::TEXT,
    Type::INT8,
    Type::INT4,
    Type::INT2,
    Type::BOOL,
    Type::UUID,
    Type::FLOAT8,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMP,
    Type::JSONB,
];

/// The highest oid of PostgreSQL's built-in types (they are all below 10000).
const LAST_BUILT_IN_OID: u32 = 9999;

/// The name of a PostgreSQL type that `T` reads, as `FromSql::accepts` says: the first of
/// [`PREFERRED`] it accepts, else the first built-in type by oid, else "a type of its own".
fn expected<'a, T: FromSql<'a>>() -> String {
    PREFERRED
        .into_iter()
        .find(|ty| T::accepts(ty))
        .or_else(|| {
            (0..=LAST_BUILT_IN_OID)
                .filter_map(Type::from_oid)
                .find(|ty| T::accepts(ty))
        })
        .map_or_else(|| "a type of its own".to_string(), |ty| ty.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_types_are_named_as_postgresql_names_them() {
        assert_eq!(expected::<String>(), "text");
        assert_eq!(expected::<&str>(), "text");
        assert_eq!(expected::<Option<String>>(), "text");
        assert_eq!(expected::<i64>(), "int8");
        assert_eq!(expected::<i32>(), "int4");
        assert_eq!(expected::<uuid::Uuid>(), "uuid");
        assert_eq!(expected::<Option<bool>>(), "bool");
        assert_eq!(expected::<f64>(), "float8");
        assert_eq!(expected::<chrono::DateTime<chrono::Utc>>(), "timestamptz");
        // Not among the preferred: found by oid.
        assert_eq!(expected::<u32>(), "oid");
        assert_eq!(expected::<Vec<u8>>(), "bytea");
    }
}
