#![no_main]
//! The CSV reader and every rule, on any bytes read as CSV.
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check(data, Some(m365report::InputFormat::Csv), "fuzz.csv");
});
