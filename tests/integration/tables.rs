//! schema-load, list-tables, drop, scan, and what every binary does with bad input.
