#![no_main]
//! The whole validate path: sniffing, report detection (with a file-name hint) and reading.
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check(data, None, "GroupCounts_fuzz.csv");
});
