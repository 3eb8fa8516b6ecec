//! Rules derived from the schema: fields, records, whole files.

pub mod field;
pub mod file;
pub mod keys;
pub mod record;
