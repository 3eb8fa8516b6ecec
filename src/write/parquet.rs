//! Parquet: the records of one report as a typed, columnar table for data platforms (DuckDB,
//! Spark, Fabric, pandas).
//!
//! Records are gathered into Arrow arrays, one builder per column, handed to the encoder a
//! few thousand at a time, and every [`BATCH_ROWS`] records become one row group, encoded
//! and handed on as bytes: memory holds one row group's compressed pages, not the file.
//! Column names are the JSON property names and each kind has one Arrow type
//! ([`data_type`]); a column is nullable where the schema lets it be empty (see
//! [`arrow_schema`]). A large file's pieces are gathered into arrays on the threads that
//! check them ([`ParquetPiece`]) and encoded in file order.
//!
//! Parquet is written front to back (the footer, with every row group's offset, comes last),
//! so it streams into the same temporary file as the text formats and is committed the same
//! way. The bytes a row group becomes are collected in a `Vec` owned by the Arrow writer and
//! taken out after each row group: the writer counts offsets itself and never reads back.

use std::io;
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Date32Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chrono::{Datelike, NaiveDate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as Codec, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::record::Cell;
use crate::schema::{Column, Kind, Report};

/// Records per row group: large enough that a row group compresses well and a reader's
/// per-group overhead stays small (DuckDB's own groups hold 122,880 rows).
pub const BATCH_ROWS: usize = 64 * 1024;

/// Records gathered in arrays before they are handed to the encoder, which encodes them
/// into the row group being built (as compressed pages): the arrays of a 39-column detail
/// report stay at a few MB.
const CHUNK_ROWS: usize = 8 * 1024;

/// Encoded bytes that end a row group early: a wide detail report with long names stays
/// bounded even if its rows are large.
const ROW_GROUP_BYTES: usize = 64 << 20;

/// Days from 0001-01-01 (chrono's day 1 of the common era is day 0 here) to 1970-01-01:
/// Arrow's DATE32 counts days from the Unix epoch.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The compression of a Parquet output's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Compression {
    /// Snappy: the fastest to write and read, and what Spark, DuckDB and pyarrow write by
    /// default, so every reader has it.
    #[default]
    Snappy,
    /// Zstandard (level 1): smaller files for a little more time.
    Zstd,
}

impl Compression {
    fn codec(self) -> Codec {
        match self {
            Compression::Snappy => Codec::SNAPPY,
            Compression::Zstd => Codec::ZSTD(ZstdLevel::default()),
        }
    }
}

/// The Arrow type of a column of `kind`: DATE32 for dates, INT64 for counts, BOOLEAN,
/// LIST<UTF8> for lists, UTF8 for the rest (enums as their value, GUIDs, and durations as the
/// ISO 8601 text the JSON has: `P1DT2H` and fractions of seconds survive unchanged).
pub fn data_type(kind: &Kind) -> DataType {
    match kind {
        Kind::Date | Kind::OptionalDate => DataType::Date32,
        Kind::Integer { .. } => DataType::Int64,
        Kind::Boolean => DataType::Boolean,
        Kind::List => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        Kind::Enum(_) | Kind::Text | Kind::Guid | Kind::Duration => DataType::Utf8,
    }
}

/// The Arrow schema of a report's Parquet output: one field per column, named by its JSON
/// property, nullable where a cell may be empty or a file may lack the column.
pub fn arrow_schema(report: &Report) -> SchemaRef {
    let fields: Vec<Field> = report
        .columns
        .iter()
        .map(|c| Field::new(&c.property, data_type(&c.kind), nullable(c)))
        .collect();
    Arc::new(Schema::new(fields))
}

fn nullable(column: &Column) -> bool {
    column.accepts_empty() || column.optional
}

/// The writer properties of a file of `schema`, shared by record and trend outputs.
///
/// Dates are written as deltas (DELTA_BINARY_PACKED), not through a dictionary: a report's
/// dates are one value (the refresh date) or one a row, a day apart (the report date), and
/// a delta-encoded run of either takes next to nothing, where a dictionary of a date per
/// row costs a hash lookup per value and then falls back.
pub(crate) fn properties(compression: Compression, schema: &Schema) -> WriterProperties {
    let mut builder = WriterProperties::builder();
    for field in schema.fields() {
        if *field.data_type() == DataType::Date32 {
            let path = ColumnPath::from(field.name().as_str());
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
        }
    }
    builder
        .set_compression(compression.codec())
        .set_max_row_group_row_count(Some(BATCH_ROWS))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_created_by(concat!("m365report ", env!("CARGO_PKG_VERSION")).to_string())
        .build()
}

fn parquet_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("Parquet: {e}"))
}

/// A builder for one column's values.
enum Values {
    Date(Date32Builder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    /// Text, and an enum's values by index.
    Text(StringBuilder, Vec<String>),
    List(ListBuilder<StringBuilder>),
}

impl Values {
    fn new(column: &Column) -> Values {
        match &column.kind {
            Kind::Date | Kind::OptionalDate => Values::Date(Date32Builder::new()),
            Kind::Integer { .. } => Values::Int(Int64Builder::new()),
            Kind::Boolean => Values::Bool(BooleanBuilder::new()),
            Kind::List => Values::List(
                ListBuilder::new(StringBuilder::new())
                    .with_field(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            ),
            Kind::Enum(values) => Values::Text(StringBuilder::new(), values.clone()),
            Kind::Text | Kind::Guid | Kind::Duration => {
                Values::Text(StringBuilder::new(), Vec::new())
            }
        }
    }

    /// Appends `cell`; a cell of another kind than the column's (which the checker never
    /// lets through) is an error, not a guess.
    fn push(&mut self, cell: &Cell) -> io::Result<()> {
        match (self, cell) {
            (Values::Date(b), Cell::Date(d)) => {
                b.append_value(d.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
            }
            (Values::Date(b), Cell::Null) => b.append_null(),
            (Values::Int(b), Cell::Int(n)) => b.append_value(*n),
            (Values::Int(b), Cell::Null) => b.append_null(),
            (Values::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (Values::Bool(b), Cell::Null) => b.append_null(),
            (Values::Text(b, _), Cell::Text(t)) => b.append_value(t.as_str()),
            (Values::Text(b, values), Cell::Enum(i)) => match values.get(usize::from(*i)) {
                Some(v) => b.append_value(v),
                None => b.append_value(i.to_string()),
            },
            (Values::Text(b, _), Cell::Null) => b.append_null(),
            (Values::List(b), Cell::List(items)) => {
                for item in items.iter() {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            (Values::List(b), Cell::Null) => b.append_null(),
            (_, cell) => {
                return Err(parquet_error(format!(
                    "a value {cell:?} in a column of another type"
                )))
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Values::Date(b) => Arc::new(b.finish()),
            Values::Int(b) => Arc::new(b.finish()),
            Values::Bool(b) => Arc::new(b.finish()),
            Values::Text(b, _) => Arc::new(b.finish()),
            Values::List(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Date(b) => b.len(),
            Values::Int(b) => b.len(),
            Values::Bool(b) => b.len(),
            Values::Text(b, _) => b.len(),
            Values::List(b) => b.len(),
        }
    }
}

/// Arrays of one column for each column of a report.
fn builders(report: &Report) -> Vec<Values> {
    report.columns.iter().map(Values::new).collect()
}

/// Appends a record's cells to `columns`, one each; on an error some columns may hold the
/// record and others not, so the caller drops them.
fn push_cells(columns: &mut [Values], cells: &[Cell]) -> io::Result<()> {
    if cells.len() != columns.len() {
        return Err(parquet_error("a record of another width than its report"));
    }
    for (values, cell) in columns.iter_mut().zip(cells) {
        values.push(cell)?;
    }
    Ok(())
}

/// The records of a later piece of a file, gathered into arrays on the thread that checks
/// it, for the output to encode when it joins them in file order
/// ([`ParquetRecords::join`]).
pub(crate) struct ParquetPiece {
    columns: Vec<Values>,
}

impl ParquetPiece {
    /// Adds a record (cells in schema order). After an error the piece is unusable.
    pub(crate) fn push(&mut self, cells: &[Cell]) -> io::Result<()> {
        push_cells(&mut self.columns, cells)
    }
}

/// One Parquet output of one report, being written: records in, bytes out.
pub(crate) struct ParquetRecords {
    compression: Compression,
    schema: SchemaRef,
    columns: Vec<Values>,
    writer: ArrowWriter<Vec<u8>>,
}

impl ParquetRecords {
    /// An output of `report`'s records, its pages compressed with `compression`.
    pub(crate) fn new(report: &Report, compression: Compression) -> io::Result<ParquetRecords> {
        let schema = arrow_schema(report);
        let writer = ArrowWriter::try_new(
            Vec::new(),
            schema.clone(),
            Some(properties(compression, &schema)),
        )
        .map_err(parquet_error)?;
        Ok(ParquetRecords {
            compression,
            schema,
            columns: builders(report),
            writer,
        })
    }

    /// An empty piece of `report`'s records for another thread.
    pub(crate) fn fork(report: &Report) -> ParquetPiece {
        ParquetPiece {
            columns: builders(report),
        }
    }

    /// Takes in the records of `piece`, after those pushed so far.
    pub(crate) fn join(&mut self, piece: &mut ParquetPiece) -> io::Result<()> {
        self.write_batch()?;
        let arrays: Vec<ArrayRef> = piece.columns.iter_mut().map(Values::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(parquet_error)?;
        self.writer.write(&batch).map_err(parquet_error)
    }

    /// Adds a record (cells in schema order); once [`BATCH_ROWS`] are gathered they become a
    /// row group, whose bytes [`ParquetRecords::take_bytes`] then hands out.
    pub(crate) fn push(&mut self, cells: &[Cell]) -> io::Result<()> {
        push_cells(&mut self.columns, cells)?;
        if self.columns.first().is_some_and(|c| c.len() >= CHUNK_ROWS) {
            self.write_batch()?;
        }
        Ok(())
    }

    /// Hands the records gathered so far to the encoder, which ends a row group at
    /// [`BATCH_ROWS`] records.
    fn write_batch(&mut self) -> io::Result<()> {
        if self.columns.first().is_none_or(|c| c.len() == 0) {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Values::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(parquet_error)?;
        self.writer.write(&batch).map_err(parquet_error)
    }

    /// The bytes encoded since the last call (whole row groups, or nothing).
    pub(crate) fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(self.writer.inner_mut())
    }

    /// Ends this file as [`ParquetRecords::finish`] does and starts an empty one of
    /// `report` in its place: the bytes of the end of the old one.
    pub(crate) fn restart(&mut self, report: &Report) -> io::Result<Vec<u8>> {
        let fresh = ParquetRecords::new(report, self.compression)?;
        std::mem::replace(self, fresh).finish()
    }

    /// Writes the last row group and the footer; the bytes not yet taken.
    pub(crate) fn finish(mut self) -> io::Result<Vec<u8>> {
        self.write_batch()?;
        self.writer.into_inner().map_err(parquet_error)
    }
}

/// Reads the records of a Parquet file written by [`ParquetRecords`] for `report` back into
/// cells, handing each to `each` in file order: how a writer that finds its input out of
/// order recovers the records it already wrote.
pub(crate) fn read_records(
    report: &Report,
    bytes: Vec<u8>,
    mut each: impl FnMut(&[Cell]) -> io::Result<()>,
) -> io::Result<()> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .and_then(|b| b.with_batch_size(BATCH_ROWS).build())
        .map_err(parquet_error)?;
    let mut cells = Vec::with_capacity(report.columns.len());
    for batch in reader {
        let batch = batch.map_err(parquet_error)?;
        if batch.num_columns() != report.columns.len() {
            return Err(parquet_error("a file of another width than its report"));
        }
        for row in 0..batch.num_rows() {
            cells.clear();
            for (column, array) in report.columns.iter().zip(batch.columns()) {
                cells.push(cell_at(&column.kind, array, row)?);
            }
            each(&cells)?;
        }
    }
    Ok(())
}

/// The cell at `row` of an array written for a column of `kind`.
fn cell_at(kind: &Kind, array: &ArrayRef, row: usize) -> io::Result<Cell> {
    if array.is_null(row) {
        return Ok(Cell::Null);
    }
    let wrong = || parquet_error("a column of an unexpected type");
    Ok(match kind {
        Kind::Date | Kind::OptionalDate => {
            let days = array
                .as_primitive_opt::<Date32Type>()
                .ok_or_else(wrong)?
                .value(row);
            Cell::Date(
                NaiveDate::from_num_days_from_ce_opt(days + EPOCH_DAYS_FROM_CE)
                    .ok_or_else(wrong)?,
            )
        }
        Kind::Integer { .. } => Cell::Int(
            array
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(wrong)?
                .value(row),
        ),
        Kind::Boolean => Cell::Bool(array.as_boolean_opt().ok_or_else(wrong)?.value(row)),
        Kind::List => {
            let list = array.as_list_opt::<i32>().ok_or_else(wrong)?.value(row);
            let items = list.as_string_opt::<i32>().ok_or_else(wrong)?;
            Cell::List(Box::new(
                (0..items.len())
                    .map(|i| items.value(i).to_string())
                    .collect(),
            ))
        }
        Kind::Enum(values) => {
            let text = array.as_string_opt::<i32>().ok_or_else(wrong)?.value(row);
            match values.iter().position(|v| v == text) {
                Some(i) => Cell::Enum(u16::try_from(i).map_err(|_| wrong())?),
                None => Cell::Enum(text.parse().map_err(|_| wrong())?),
            }
        }
        Kind::Text | Kind::Guid | Kind::Duration => Cell::Text(Box::new(
            array
                .as_string_opt::<i32>()
                .ok_or_else(wrong)?
                .value(row)
                .to_string(),
        )),
    })
}

/// A whole table as the bytes of one Parquet file: `columns` (each as long as the others,
/// typed as `schema` says) in row groups of [`BATCH_ROWS`]. For tables made in memory
/// anyway, such as a trend's points; records stream through the record writer.
pub fn write_table(
    schema: SchemaRef,
    columns: Vec<ArrayRef>,
    compression: Compression,
) -> io::Result<Vec<u8>> {
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(parquet_error)?;
    let properties = properties(compression, &schema);
    let mut writer =
        ArrowWriter::try_new(Vec::new(), schema, Some(properties)).map_err(parquet_error)?;
    writer.write(&batch).map_err(parquet_error)?;
    writer.into_inner().map_err(parquet_error)
}
