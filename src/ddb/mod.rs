//! DynamoDB access: items and their JSON codecs, batch writes with retries, the
//! one backoff policy of our own retry loops, queries, scans, item sizes against the 400 KB limit, and
//! table-level calls (describe, list, drop, waiters), and DynamoDB's own export and import
//! ([`native`]). Nothing here knows what a message is.

pub mod backup;
pub mod batch;
pub mod capacity;
pub mod item;
pub mod lock;
pub mod native;
pub mod query;
pub mod retry;
pub mod scan;
pub mod shape;
pub mod size;
pub mod table;

#[cfg(test)]
mod tests;
