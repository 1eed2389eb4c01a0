//! The data model of the messages table: its keys and attribute names, and its two kinds of rows.

pub mod keys;
pub mod messages;
