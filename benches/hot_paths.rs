//! The per-cell parsers, whole-file validation and conversion, the record writers, the merge
//! of overlapping downloads and the trend's rolling mean, on in-memory inputs (no disk).
//!
//! `cargo bench --bench hot_paths`; whole-file groups print MB/s and rows/s. The files are
//! shaped like Graph's GroupCounts downloads (`benches/gen_corpus.py stress` writes the same
//! rows to disk for `benches/validate.sh`).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Datelike;
use chrono::{Days, NaiveDate};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use m365report::discover::{Input, Source};
use m365report::merge::Merge;
use m365report::record::{Cell, Discard, Record, RecordSink};
use m365report::rules::field::{check_text_cell, parse_count, parse_iso_date};
use m365report::schema::{Kind, Role};
use m365report::trend::{Trend, TrendOptions};
use m365report::validate::check_reader;
use m365report::write::{Compression, Destination, Durability, Format, RecordWriter, WriteOptions};
use m365report::{CheckOptions, CsvPath, InputFormat, Registry, Report};

fn group_counts(registry: &Registry) -> Arc<Report> {
    registry
        .find("GroupCounts")
        .expect("GroupCounts is built in")
        .clone()
}

/// One row per day, newest first, counted back from 9999-12-31 like the stress corpus.
fn rows(n: usize) -> impl Iterator<Item = (String, u64, u64)> {
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a real date");
    (0..n).map(move |i| {
        let date = last - Days::new(i as u64);
        let total = 5000 + (i as u64 * 7919) % 50_000;
        let active = total * (20 + (i as u64 % 50)) / 100;
        (date.format("%Y-%m-%d").to_string(), total, active)
    })
}

/// A GroupCounts CSV as Graph writes it: BOM, CRLF, period 180 on every row.
fn csv_file(report: &Report, n: usize) -> Vec<u8> {
    let header: Vec<&str> = report.columns.iter().map(|c| c.csv.as_str()).collect();
    let mut out = String::from("\u{feff}");
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for (date, total, active) in rows(n) {
        out.push_str(&format!("9999-12-31,{total},{active},{date},180\r\n"));
    }
    out.into_bytes()
}

/// A GroupCounts Graph beta JSON envelope with midnight date-times, pretty-printed: the JSON
/// reader keeps a record's whole line for snippets, so a compact (one-line) document over
/// `--max-record-bytes` (1 MiB) is refused with E008 today.
fn json_file(report: &Report, n: usize) -> Vec<u8> {
    let records: Vec<serde_json::Value> = rows(n)
        .map(|(date, total, active)| {
            serde_json::json!({
                "reportRefreshDate": "9999-12-31T00:00:00Z",
                "total": total,
                "active": active,
                "reportDate": format!("{date}T00:00:00Z"),
                "reportPeriod": "180",
            })
        })
        .collect();
    let doc = serde_json::json!({"@odata.context": report.odata_context(), "value": records});
    serde_json::to_vec_pretty(&doc).expect("serialisable")
}

/// A GroupCounts Graph JSON envelope one compact record a line, as Graph returns it and
/// `convert --to json` writes it: the JSON reader's short path reads such records in place.
fn json_lines_file(report: &Report, n: usize) -> Vec<u8> {
    let mut out = format!(
        "{{\n  \"@odata.context\": \"{}\",\n  \"value\": [\n",
        report.odata_context()
    );
    for (i, (date, total, active)) in rows(n).enumerate() {
        let record = serde_json::json!({
            "reportRefreshDate": "9999-12-31",
            "total": total,
            "active": active,
            "reportDate": date,
            "reportPeriod": "180",
        });
        let comma = if i + 1 < n { "," } else { "" };
        out.push_str(&format!("    {record}{comma}\n"));
    }
    out.push_str("  ]\n}\n");
    out.into_bytes()
}

fn source() -> Source {
    Source {
        input: Input::Path(PathBuf::from("GroupCounts.csv")),
        name: "GroupCounts.csv".into(),
        index: 0,
        group: ".".into(),
        relative: PathBuf::from("GroupCounts.csv"),
    }
}

fn fields(c: &mut Criterion) {
    let registry = Registry::builtin().expect("built-in schemas compile");
    let report = group_counts(&registry);
    let mut g = c.benchmark_group("field");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("parse_iso_date", |b| {
        b.iter(|| parse_iso_date(black_box(b"2026-11-25")))
    });
    g.bench_function("parse_count", |b| {
        b.iter(|| parse_count(black_box(b"1234567")))
    });
    let kind_of = |role: Role| {
        report
            .columns
            .iter()
            .find(|c| c.role == role)
            .map(|c| c.kind.clone())
            .expect("GroupCounts has the column")
    };
    // A row's worth of cells: a date, a count and the period.
    let cells = [
        (kind_of(Role::ReportDate), &b"2026-11-25"[..]),
        (kind_of(Role::Value), &b"53467"[..]),
        (kind_of(Role::Period), &b"180"[..]),
    ];
    for (kind, raw) in &cells {
        let name = format!("check_text_cell/{}", String::from_utf8_lossy(raw));
        g.bench_function(name, |b| {
            b.iter(|| check_text_cell(black_box(kind), black_box(raw)))
        });
    }
    g.finish();
}

fn files(c: &mut Criterion) {
    let registry = Registry::builtin().expect("built-in schemas compile");
    let report = group_counts(&registry);
    let options = CheckOptions {
        report: Some(report.clone()),
        ..CheckOptions::default()
    };
    let source = source();
    let mut g = c.benchmark_group("file");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));

    const CSV_ROWS: usize = 100_000;
    let csv = csv_file(&report, CSV_ROWS);
    g.throughput(Throughput::ElementsAndBytes {
        elements: CSV_ROWS as u64,
        bytes: csv.len() as u64,
    });
    g.bench_function("csv_100k_rows", |b| {
        b.iter(|| {
            let r = check_reader(csv.as_slice(), &source, &registry, &options, &mut Discard);
            assert_eq!(r.rows, CSV_ROWS as u64);
            r
        })
    });

    // Checked and converted to Graph's JSON in memory (5.7 MB, below standard output's
    // 8 MiB spill): steady runs handed to the writer as text (`write::template`).
    const CONVERT_ROWS: usize = 50_000;
    let convert = csv_file(&report, CONVERT_ROWS);
    g.throughput(Throughput::ElementsAndBytes {
        elements: CONVERT_ROWS as u64,
        bytes: convert.len() as u64,
    });
    g.bench_function("csv_50k_rows_to_json", |b| {
        b.iter(|| {
            let json = WriteOptions {
                format: Format::Json,
                bom: false,
                durability: Durability::default(),
                compression: Compression::default(),
            };
            let mut writer = RecordWriter::new(json, Destination::Stdout);
            let r = check_reader(
                convert.as_slice(),
                &source,
                &registry,
                &options,
                &mut writer,
            );
            assert_eq!((r.rows, r.errors), (CONVERT_ROWS as u64, 0));
            writer
                .take_output(r.report.as_ref())
                .expect("written in memory")
        })
    });

    const JSON_RECORDS: usize = 10_000;
    let json = json_file(&report, JSON_RECORDS);
    let json_options = CheckOptions {
        input_format: Some(InputFormat::Json),
        ..options.clone()
    };
    // Pretty-printed Graph JSON, then Graph's own one record a line (the reader's short path).
    const JSON_LINES_RECORDS: usize = 100_000;
    let json_lines = json_lines_file(&report, JSON_LINES_RECORDS);
    for (name, text, records) in [
        ("json_10k_records", &json, JSON_RECORDS),
        ("json_lines_100k_records", &json_lines, JSON_LINES_RECORDS),
    ] {
        g.throughput(Throughput::ElementsAndBytes {
            elements: records as u64,
            bytes: text.len() as u64,
        });
        g.bench_function(name, |b| {
            b.iter(|| {
                let r = check_reader(
                    text.as_slice(),
                    &source,
                    &registry,
                    &json_options,
                    &mut Discard,
                );
                assert_eq!((r.rows, r.errors), (records as u64, 0));
                r
            })
        });
    }
    g.finish();
}

/// The writers alone: typed records (as the checker hands them over) to JSON, NDJSON and
/// CSV in memory (standard output's buffer, below its 8 MiB spill), per record.
fn writers(c: &mut Criterion) {
    let registry = Registry::builtin().expect("built-in schemas compile");
    let report = group_counts(&registry);
    const RECORDS: usize = 20_000;
    let refresh = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a real date");
    let records: Vec<Vec<Cell>> = rows(RECORDS)
        .map(|(date, total, active)| {
            let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d").expect("a real date");
            group_counts_cells(&report, (refresh, date), (total as i64, active as i64))
        })
        .collect();
    let mut g = c.benchmark_group("write");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(RECORDS as u64));
    for (name, format) in [
        ("json_20k_records", Format::Json),
        ("ndjson_20k_records", Format::Ndjson),
        ("csv_20k_records", Format::Csv),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let options = WriteOptions {
                    format,
                    bom: false,
                    durability: Durability::default(),
                    compression: Compression::default(),
                };
                let mut writer = RecordWriter::new(options, Destination::Stdout);
                writer.begin(&report);
                for cells in &records {
                    writer.record(&Record {
                        report: &report,
                        line: 0,
                        cells,
                    });
                }
                writer.finish(true);
                writer.take_output(None).expect("written in memory")
            })
        });
    }
    g.finish();
}

/// A GroupCounts record as the checker hands it over: the refresh and report dates, the
/// total and active counts, period 180 (the last value, as in the stress corpus).
fn group_counts_cells(
    report: &Report,
    (refresh, date): (NaiveDate, NaiveDate),
    (total, active): (i64, i64),
) -> Vec<Cell> {
    let ratio = report.ratio.expect("GroupCounts has an active ratio");
    let mut cells: Vec<Cell> = report
        .columns
        .iter()
        .map(|column| match column.role {
            Role::RefreshDate => Cell::Date(refresh),
            Role::ReportDate => Cell::Date(date),
            Role::Period => Cell::Enum(3),
            _ => Cell::Null,
        })
        .collect();
    cells[ratio.denominator] = Cell::Int(total);
    cells[ratio.numerator] = Cell::Int(active);
    cells
}

/// Record `(refresh, date)` of a tenant's download, counts derived from the date so that
/// overlapping downloads agree.
fn download_row(report: &Report, refresh: NaiveDate, date: NaiveDate) -> Vec<Cell> {
    let day = i64::from(date.num_days_from_ce());
    let total = 5000 + (day * 7919) % 50_000;
    group_counts_cells(
        report,
        (refresh, date),
        (total, total * (20 + day % 50) / 100),
    )
}

/// The merge of overlapping downloads (a tenant's daily D180 files: each report date in up
/// to 180 of them, the newest refresh winning) and the trend's ratio and rolling mean over
/// the merged days.
fn trend(c: &mut Criterion) {
    let registry = Registry::builtin().expect("built-in schemas compile");
    let report = group_counts(&registry);
    let mut g = c.benchmark_group("trend");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));

    // 60 daily downloads of 180 rows each: 10,800 records, 239 distinct days.
    const FILES: u64 = 60;
    const ROWS: u64 = 180;
    let first = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a real date");
    let downloads: Vec<Vec<Vec<Cell>>> = (0..FILES)
        .map(|k| {
            let refresh = first + Days::new(k);
            (1..=ROWS)
                .map(|back| download_row(&report, refresh, refresh - Days::new(back)))
                .collect()
        })
        .collect();
    let merge = |downloads: &[Vec<Vec<Cell>>]| {
        let mut all = Merge::new();
        for (k, rows) in downloads.iter().enumerate() {
            let mut file = Merge::for_file("tenant", k, "download.csv");
            file.begin(&report);
            for cells in rows {
                file.record(&Record {
                    report: &report,
                    line: 2,
                    cells,
                });
            }
            file.finish(true);
            all.absorb(file);
        }
        all.into_merged()
    };
    g.throughput(Throughput::Elements(FILES * ROWS));
    g.bench_function("merge_60_downloads_x_180_rows", |b| {
        b.iter(|| {
            let merged = merge(&downloads);
            assert_eq!(merged.series[0].records.len(), (FILES + ROWS - 1) as usize);
            merged
        })
    });

    // One series of 100,000 days: the ratio, the 7-day rolling mean and the summary.
    const DAYS: u64 = 100_000;
    let refresh = first + Days::new(DAYS);
    let long = vec![(1..=DAYS)
        .map(|back| download_row(&report, refresh, refresh - Days::new(back)))
        .collect::<Vec<_>>()];
    let merged = merge(&long);
    g.throughput(Throughput::Elements(DAYS));
    g.bench_function("rolling_mean_100k_days", |b| {
        b.iter_batched(
            || merged.clone(),
            |merged| {
                let trend = Trend::compute(merged, TrendOptions::default());
                assert_eq!(trend.series[0].points.len(), DAYS as usize);
                trend
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    fields,
    files,
    writers,
    trend,
    json_readers,
    csv_paths
);
criterion_main!(benches);

/// Levels of arrays around a value in [`deep_record`]: deep, within serde_json's (128) and
/// struson's (128) default depth limits.
const DEEP_LEVELS: usize = 60;

/// A GroupCounts record with one more property whose value is a number inside
/// [`DEEP_LEVELS`] arrays: m365report warns once (W501) and reads on.
fn deep_record(date: &str, total: u64, active: u64) -> serde_json::Value {
    let mut extra = serde_json::json!(total);
    for _ in 0..DEEP_LEVELS {
        extra = serde_json::Value::Array(vec![extra]);
    }
    serde_json::json!({
        "reportRefreshDate": "9999-12-31",
        "total": total,
        "active": active,
        "reportDate": date,
        "reportPeriod": "180",
        "extra": extra,
    })
}

/// The deep records in an envelope one compact record a line, as [`json_lines_file`]
/// writes the flat ones (pretty-printed, 60 levels would be mostly indentation).
fn deep_json_file(report: &Report, n: usize) -> Vec<u8> {
    let mut out = format!(
        "{{\n  \"@odata.context\": \"{}\",\n  \"value\": [\n",
        report.odata_context()
    );
    for (i, (date, total, active)) in rows(n).enumerate() {
        let comma = if i + 1 < n { "," } else { "" };
        out.push_str(&format!(
            "    {}{comma}\n",
            deep_record(&date, total, active)
        ));
    }
    out.push_str("  ]\n}\n");
    out.into_bytes()
}

/// The records of an envelope one compact JSON value a line (NDJSON).
fn ndjson_of(envelope: &[u8]) -> Vec<u8> {
    let doc: serde_json::Value = serde_json::from_slice(envelope).expect("a JSON document");
    let mut out = Vec::new();
    for record in doc["value"].as_array().expect("an envelope") {
        serde_json::to_writer(&mut out, record).expect("serialisable");
        out.push(b'\n');
    }
    out
}

/// Walks one value with struson, reading every name and scalar and taking the line and
/// column of every object, as a reader keeping positions per record would. Values read.
fn struson_walk<R: std::io::Read>(
    r: &mut struson::reader::JsonStreamReader<R>,
) -> Result<u64, struson::reader::ReaderError> {
    use struson::reader::{JsonReader, ValueType};
    Ok(match r.peek()? {
        ValueType::Array => {
            r.begin_array()?;
            let mut n = 1;
            while r.has_next()? {
                n += struson_walk(r)?;
            }
            r.end_array()?;
            n
        }
        ValueType::Object => {
            let at = r.current_position(false).line_pos;
            black_box(at.map(|p| (p.line, p.column)));
            r.begin_object()?;
            let mut n = 1;
            while r.has_next()? {
                black_box(r.next_name()?.len());
                n += struson_walk(r)?;
            }
            r.end_object()?;
            n
        }
        ValueType::String => black_box(r.next_str()?.len()) as u64 & 1 | 1,
        ValueType::Number => black_box(r.next_number_as_str()?.len()) as u64 & 1 | 1,
        ValueType::Boolean => u64::from(r.next_bool()?) | 1,
        ValueType::Null => {
            r.next_null()?;
            1
        }
    })
}

/// m365report's own JSON reader (check path into `Discard`) against serde_json, whole
/// document and streaming over NDJSON (no positions per value either way), and struson
/// (streaming, line and column on demand), on the flat and the deeply nested documents.
fn json_readers(c: &mut Criterion) {
    let registry = Registry::builtin().expect("built-in schemas compile");
    let report = group_counts(&registry);
    let options = CheckOptions {
        report: Some(report.clone()),
        input_format: Some(InputFormat::Json),
        ..CheckOptions::default()
    };
    let source = source();
    let mut g = c.benchmark_group("json_readers");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));

    const RECORDS: usize = 200_000;
    const DEEP_RECORDS: usize = 20_000;
    let flat = json_file(&report, RECORDS);
    let deep = deep_json_file(&report, DEEP_RECORDS);
    for (shape, doc, records) in [("flat", &flat, RECORDS), ("deep", &deep, DEEP_RECORDS)] {
        let ndjson = ndjson_of(doc);
        g.throughput(Throughput::Bytes(doc.len() as u64));
        g.bench_function(format!("{shape}/m365report_check"), |b| {
            b.iter(|| {
                let r = check_reader(doc.as_slice(), &source, &registry, &options, &mut Discard);
                assert_eq!((r.rows, r.errors), (records as u64, 0));
                r
            })
        });
        g.bench_function(format!("{shape}/serde_json_value"), |b| {
            b.iter(|| {
                let v: serde_json::Value = serde_json::from_slice(doc).expect("valid JSON");
                assert_eq!(v["value"].as_array().map(Vec::len), Some(records));
                v
            })
        });
        g.bench_function(format!("{shape}/struson_positions"), |b| {
            b.iter(|| {
                let settings = struson::reader::ReaderSettings {
                    track_path: false,
                    ..Default::default()
                };
                let mut r = struson::reader::JsonStreamReader::new_custom(doc.as_slice(), settings);
                struson_walk(&mut r).expect("valid JSON")
            })
        });
        g.throughput(Throughput::Bytes(ndjson.len() as u64));
        g.bench_function(format!("{shape}/serde_json_ndjson_stream"), |b| {
            b.iter(|| {
                let mut n = 0;
                for v in
                    serde_json::Deserializer::from_slice(&ndjson).into_iter::<serde_json::Value>()
                {
                    black_box(v.expect("valid JSON"));
                    n += 1;
                }
                assert_eq!(n, records);
                n
            })
        });
    }
    g.finish();
}

/// The built-in detail report (a row per entity) with the most columns.
fn widest_detail(registry: &Registry) -> Arc<Report> {
    registry
        .reports()
        .iter()
        .filter(|r| r.entity().is_some() && !r.user_supplied)
        .max_by_key(|r| r.columns.len())
        .expect("a detail report is built in")
        .clone()
}

/// A valid CSV of `report` (a detail report), one row per entity, LF line ends, every
/// column's value of its kind: what the short path reads cell by cell.
fn detail_csv(report: &Report, n: usize) -> Vec<u8> {
    let header: Vec<&str> = report.columns.iter().map(|c| c.csv.as_str()).collect();
    let mut out = header.join(",") + "\n";
    for i in 0..n {
        let cells: Vec<String> = report
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| match (c.role, &c.kind) {
                (Role::RefreshDate, _) => "2026-11-25".into(),
                (Role::Period, _) => report.period_values()[0].clone(),
                (Role::Entity, Kind::Guid) => format!("{i:08x}-0000-4000-8000-000000000000"),
                (Role::Entity, _) => format!("user{i}@contoso.com"),
                (_, Kind::Date) => "2026-11-24".into(),
                (_, Kind::OptionalDate) if (i + j) % 3 == 0 => String::new(),
                (_, Kind::OptionalDate) => "2026-11-20".into(),
                (_, Kind::Integer { min, .. }) => {
                    ((*min).max(0) + ((i * 7919 + j) % 1000) as i64).to_string()
                }
                (_, Kind::Enum(values)) => values[(i + j) % values.len()].clone(),
                (_, Kind::Text) => "Contoso".into(),
                (_, Kind::Boolean) => ["True", "False"][(i + j) % 2].into(),
                (_, Kind::Guid) => "0a1b2c3d-ABCD-4ef0-8123-0123456789ab".into(),
                (_, Kind::Duration) => "PT1H2M".into(),
                (_, Kind::List) => "MICROSOFT 365 E5+MICROSOFT TEAMS".into(),
            })
            .collect();
        let mut cells = cells;
        if let Some(ratio) = report.ratio {
            cells[ratio.numerator] = "0".into();
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// The CPU time this process has used (all threads, user and system), from `/proc/self/stat`
/// in clock ticks of 10 ms: enough over the many rows of a sample, and it counts the
/// checking threads' time where the wall clock on a shared machine would not.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (in parentheses, which may hold spaces).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Each CSV read path on its own (`CheckOptions::csv_path` caps the reader at it), timed in
/// CPU (every thread's, see [`process_cpu`]): the 2,000,000-row GroupCounts download (steady
/// runs; `CSV_PATHS_ROWS` for another size) and 100,000 rows of the widest detail report
/// (the short path). BENCHMARKS.md, "CSV read paths", says what each path buys.
fn csv_paths(c: &mut Criterion) {
    let registry = Registry::builtin().expect("built-in schemas compile");
    let mut g = c.benchmark_group("csv_paths");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let rows = std::env::var("CSV_PATHS_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2_000_000);
    let counts = group_counts(&registry);
    let detail = widest_detail(&registry);
    let files = [
        (
            "group_counts",
            counts.clone(),
            csv_file(&counts, rows),
            rows,
        ),
        (
            "detail",
            detail.clone(),
            detail_csv(&detail, 100_000),
            100_000,
        ),
    ];
    for (name, report, bytes, rows) in &files {
        g.throughput(Throughput::Elements(*rows as u64));
        for path in [
            CsvPath::Full,
            CsvPath::Lines,
            CsvPath::Short,
            CsvPath::Steady,
        ] {
            let options = CheckOptions {
                report: Some(report.clone()),
                csv_path: path,
                ..CheckOptions::default()
            };
            let check = || {
                let r = check_reader(
                    bytes.as_slice(),
                    &source(),
                    &registry,
                    &options,
                    &mut Discard,
                );
                assert_eq!((r.rows, r.errors), (*rows as u64, 0), "{:?}", r.findings);
                r
            };
            g.bench_function(format!("{name}/{path:?}"), |b| {
                b.iter_custom(|iters| {
                    let start = process_cpu();
                    for _ in 0..iters {
                        black_box(check());
                    }
                    process_cpu().saturating_sub(start)
                })
            });
        }
    }
    if let Some(dir) = std::env::var_os("CSV_PATHS_CORPUS") {
        csv_paths_corpus(&mut g, &registry, std::path::Path::new(&dir));
    }
    g.finish();
}

/// Every CSV file under `dir` (`benches/gen_corpus.py mixed`: downloads of the 91 reports),
/// read into memory, each checked as `validate` checks it (report detected), by each path.
fn csv_paths_corpus(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    registry: &Registry,
    dir: &std::path::Path,
) {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("a readable corpus")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "csv") {
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into();
                out.push((name, std::fs::read(&path).expect("a readable file")));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    eprintln!("csv_paths/corpus: {} CSV files, {bytes} bytes", files.len());
    g.throughput(Throughput::Bytes(bytes as u64));
    for path in [
        CsvPath::Full,
        CsvPath::Lines,
        CsvPath::Short,
        CsvPath::Steady,
    ] {
        let options = CheckOptions {
            csv_path: path,
            ..CheckOptions::default()
        };
        g.bench_function(format!("corpus/{path:?}"), |b| {
            b.iter_custom(|iters| {
                let start = process_cpu();
                for _ in 0..iters {
                    for (name, text) in &files {
                        let source = Source {
                            input: Input::Path(PathBuf::from(name)),
                            name: name.clone(),
                            index: 0,
                            group: ".".into(),
                            relative: PathBuf::from(name),
                        };
                        black_box(check_reader(
                            text.as_slice(),
                            &source,
                            registry,
                            &options,
                            &mut Discard,
                        ));
                    }
                }
                process_cpu().saturating_sub(start)
            })
        });
    }
}
