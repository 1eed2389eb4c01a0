//! The `--s3` options' parsing: RFC 3339 times, and which options combine.

use super::*;
use clap::Parser;

#[test]
fn times_are_rfc_3339() {
    let t = parse_time("2026-12-06T10:00:00+01:00").unwrap();
    assert_eq!(t.to_rfc3339(), "2026-12-06T09:00:00+00:00");
    let err = parse_time("yesterday").unwrap_err();
    assert!(err.contains("RFC 3339"), "{err}");
}

#[test]
fn the_s3_options_combine_only_as_they_can() {
    use crate::cli::commands::{export, import};
    let export = |args: &[&str]| export::Args::try_parse_from([&["export"], args].concat());
    let import = |args: &[&str]| import::Args::try_parse_from([&["import"], args].concat());
    let url = "s3://bucket/p";
    assert!(export(&["--s3", url]).is_ok());
    assert!(export(&["--s3", url, "--since", "2026-12-06T10:00:00Z"]).is_ok());
    for bad in [
        &["--s3", url, "--file", "x"][..],
        &["--s3", url, "--gzip"],
        &["--s3", url, "--max-rcu", "5"],
        &[
            "--s3",
            url,
            "--at",
            "2026-12-06T10:00:00Z",
            "--since",
            "2026-12-06T10:00:00Z",
        ],
        &["--since", "2026-12-06T10:00:00Z"],
        &["--s3", url, "--until", "2026-12-06T10:00:00Z"],
        // (clap lets a requirement that conflicts with a given option pass: each option
        // of --s3 conflicts with --file itself)
        &["--file", "x", "--at", "2026-12-06T10:00:00Z"],
        &["--file", "x", "--since", "2026-12-06T10:00:00Z"],
    ] {
        assert!(export(bad).is_err(), "export {bad:?}");
    }
    assert!(import(&["--s3", url]).is_ok());
    assert!(import(&["--s3", url, "--new-table", "t"]).is_ok());
    assert!(import(&["--s3", url, "--segment", "1", "--total-segments", "2"]).is_ok());
    for bad in [
        &[][..],
        &["--s3", url, "--file", "x"],
        &["--new-table", "t"],
        &["--s3", url, "--new-table", "t", "--checkpoint", "c"],
        &["--s3", url, "--new-table", "t", "--max-wcu", "5"],
        &["--s3", url, "--segment", "1"],
        &["--file", "x", "--segment", "0", "--total-segments", "2"],
        &["--file", "x", "--export-arn", "arn"],
        &["--file", "x", "--new-table", "t"],
    ] {
        assert!(import(bad).is_err(), "import {bad:?}");
    }
    let args = S3ImportArgs {
        s3: Some(url.into()),
        export_arn: None,
        new_table: None,
        schema: None,
        segment: Some(2),
        total_segments: Some(2),
        wait_timeout: 1,
    };
    assert!(args.load_options().is_err(), "segment 2 of 2");
}
