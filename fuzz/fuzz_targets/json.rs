#![no_main]
//! The JSON lexer and record reader, on any bytes read as JSON and as NDJSON.
#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check(data, Some(m365report::InputFormat::Json), "fuzz.json");
    common::check(data, Some(m365report::InputFormat::Ndjson), "fuzz.ndjson");
});
