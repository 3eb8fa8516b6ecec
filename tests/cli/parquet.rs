//! `--to parquet`, `--partition`, `trend --format parquet`, `archive export --to parquet`:
//! every file read back with the parquet crate's own reader (and, where installed, DuckDB)
//! and compared value by value with the JSON output of the same input.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};

use super::{m365report, root, tree};

/// A column's name, type and whether it may hold nulls.
type FieldInfo = (String, DataType, bool);

/// The rows of a Parquet file as JSON objects (dates as `YYYY-MM-DD`, DATE32 being days
/// from 1970-01-01), and the type of each column by name.
fn read_parquet(path: &Path) -> (Vec<Map<String, Value>>, Vec<FieldInfo>) {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("a Parquet file");
    let fields = builder
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
        .collect();
    let mut rows = Vec::new();
    for batch in builder.build().expect("a reader") {
        let batch = batch.expect("a batch");
        let schema = batch.schema();
        for row in 0..batch.num_rows() {
            let mut record = Map::new();
            for (field, array) in schema.fields().iter().zip(batch.columns()) {
                record.insert(field.name().clone(), json_value(array, row));
            }
            rows.push(record);
        }
    }
    (rows, fields)
}

fn json_value(array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(row);
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
            let date = epoch + chrono::Duration::days(i64::from(days));
            Value::String(date.format("%Y-%m-%d").to_string())
        }
        DataType::Int64 => Value::from(array.as_primitive::<Int64Type>().value(row)),
        DataType::Float64 => Value::from(array.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Utf8 => Value::String(array.as_string::<i32>().value(row).to_string()),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            let items = items.as_string::<i32>();
            Value::Array(
                (0..items.len())
                    .map(|i| Value::String(items.value(i).to_string()))
                    .collect(),
            )
        }
        other => panic!("unexpected column type {other}"),
    }
}

/// `convert INPUT --to json` on standard output: its records.
fn json_records(args: &[&str]) -> Vec<Map<String, Value>> {
    let out = m365report()
        .args(["convert", "--to", "json"])
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    doc["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|r| r.as_object().expect("an object").clone())
        .collect()
}

/// Runs `convert ARGS --to parquet -o OUT` and reads the file back.
fn convert_parquet(args: &[&str], out: &Path) -> Vec<Map<String, Value>> {
    m365report()
        .args(["convert", "--to", "parquet"])
        .args(args)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    read_parquet(out).0
}

/// The type each kind of column must have, by the JSON value it holds.
fn type_fits(kind: &str, data_type: &DataType) -> bool {
    match kind {
        "date" | "optionalDate" => *data_type == DataType::Date32,
        "count" => *data_type == DataType::Int64,
        "boolean" => *data_type == DataType::Boolean,
        "list" => matches!(data_type, DataType::List(item) if *item.data_type() == DataType::Utf8),
        _ => *data_type == DataType::Utf8,
    }
}

#[test]
fn parquet_of_every_sample_report_equals_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = m365report()
        .args(["schemas", "--format", "json"])
        .output()
        .unwrap();
    let schemas: Value = serde_json::from_slice(&schemas.stdout).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("samples/download"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 91);
    let mut kinds_seen = std::collections::BTreeSet::new();
    for file in &files {
        let name = file.to_str().unwrap();
        let json = json_records(&[name]);
        let out = dir.path().join("out.parquet");
        let _ = std::fs::remove_file(&out);
        let parquet = convert_parquet(&[name], &out);
        assert_eq!(parquet, json, "{name}: Parquet and JSON differ");
        assert!(!json.is_empty(), "{name}: no records");
        // Typed columns, named by the JSON properties, in schema order.
        let (_, fields) = read_parquet(&out);
        let report = schemas["reports"]
            .as_array()
            .or_else(|| schemas.as_array())
            .unwrap()
            .iter()
            .find(|r| {
                let key: Vec<&String> = json[0].keys().collect();
                let columns: Vec<&str> = r["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["property"].as_str().unwrap())
                    .collect();
                key.iter().map(|k| k.as_str()).eq(columns.iter().copied())
                    && name.contains(&format!("/get{}", upper_first(r["name"].as_str().unwrap())))
            })
            .unwrap_or_else(|| panic!("{name}: no schema with its columns"));
        for (column, (field, data_type, _)) in
            report["columns"].as_array().unwrap().iter().zip(&fields)
        {
            assert_eq!(column["property"].as_str().unwrap(), field);
            let kind = column["kind"].as_str().unwrap();
            assert!(
                type_fits(kind, data_type),
                "{name}: {field} ({kind}) is {data_type}"
            );
            kinds_seen.insert(kind.to_string());
        }
    }
    // The samples hold every kind, so every mapping was compared.
    for kind in [
        "date",
        "optionalDate",
        "count",
        "enum",
        "boolean",
        "guid",
        "duration",
        "list",
    ] {
        assert!(kinds_seen.contains(kind), "no sample has a {kind} column");
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A GroupCounts CSV of `rows` days, newest first but for the newest `late` days, which
/// come last: the writer has streamed row groups by then, and must read them back to sort.
fn late_rows(rows: usize, late: usize) -> String {
    let refresh = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut text = String::from("Report Refresh Date,Total,Active,Report Date,Report Period\n");
    for k in (late..rows).chain(0..late) {
        let date = refresh - chrono::Duration::days(k as i64);
        text.push_str(&format!(
            "{refresh},{},{},{date},7\n",
            5000 + k % 97,
            2000 + k % 89
        ));
    }
    text
}

#[test]
fn rows_out_of_order_come_out_newest_first_across_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir
        .path()
        .join("getOffice365GroupsActivityGroupCounts_D7.csv");
    // More than two row groups' worth before the first row out of order.
    std::fs::write(&input, late_rows(180_000, 30_000)).unwrap();
    let name = input.to_str().unwrap();
    let json = json_records(&[name]);
    let parquet = convert_parquet(&[name], &dir.path().join("x.parquet"));
    assert_eq!(parquet.len(), 180_000);
    assert_eq!(parquet, json);
    assert_eq!(parquet[0]["reportDate"], "2026-11-25");
    assert_eq!(parquet[1]["reportDate"], "2026-11-24");
}

#[test]
fn compression_for_an_output_that_is_not_parquet_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("samples/download/getTeamsUserActivityUserDetail_D7.csv");
    let (input, csv) = (input.to_str().unwrap(), dir.path().join("x.csv"));
    let db = dir.path().join("a.sqlite");
    let (csv, db) = (csv.to_str().unwrap(), db.to_str().unwrap());
    let runs: [&[&str]; 4] = [
        &["convert", input, "--compression", "zstd"],
        &["convert", input, "-o", csv, "--compression", "zstd"],
        &["trend", input, "--format", "csv", "--compression", "snappy"],
        &["archive", "export", "--db", db, "--compression", "zstd"],
    ];
    for args in runs {
        let out = m365report().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("--compression applies to Parquet output only"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(!Path::new(csv).exists());
    assert!(!Path::new(db).exists());
}

#[test]
fn zstd_and_snappy_hold_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = "samples/download/getTeamsUserActivityUserDetail_D7.csv";
    let snappy = convert_parquet(&[input], &dir.path().join("s.parquet"));
    let zstd = convert_parquet(
        &[input, "--compression", "zstd"],
        &dir.path().join("z.parquet"),
    );
    assert_eq!(snappy, zstd);
    let codec = |p: &Path| {
        let reader =
            parquet::file::reader::SerializedFileReader::new(File::open(p).unwrap()).unwrap();
        use parquet::file::reader::FileReader;
        format!(
            "{:?}",
            reader.metadata().row_group(0).column(0).compression()
        )
    };
    assert_eq!(codec(&dir.path().join("s.parquet")), "SNAPPY");
    assert!(codec(&dir.path().join("z.parquet")).starts_with("ZSTD"));
}

#[test]
fn parquet_on_standard_output_is_a_whole_file_when_not_a_terminal() {
    let out = m365report()
        .args(["convert", "--to", "parquet"])
        .arg("samples/getOffice365GroupsActivityGroupCounts_D7.csv")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.starts_with(b"PAR1") && out.stdout.ends_with(b"PAR1"));
}

#[test]
fn parquet_over_an_input_or_an_existing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.parquet");
    std::fs::copy(
        "samples/getOffice365GroupsActivityGroupCounts_D7.csv",
        &input,
    )
    .unwrap();
    let before = std::fs::read(&input).unwrap();
    m365report()
        .args([
            "convert",
            "--report",
            "GroupCounts",
            "--to",
            "parquet",
            "--force",
        ])
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&input).unwrap(), before);
    // An existing partition file is replaced only with --force, and nothing else is written.
    let out = dir.path().join("out");
    let existing = out.join("report=office365GroupsActivityGroupCounts/part-0.parquet");
    std::fs::create_dir_all(existing.parent().unwrap()).unwrap();
    std::fs::write(&existing, b"mine").unwrap();
    m365report()
        .args([
            "convert",
            "samples/tenants",
            "--partition",
            "report",
            "--to",
            "parquet",
        ])
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&existing).unwrap(), b"mine");
}

/// The partitioned output of `samples/tenants` (two tenants, D7 and D30 downloads).
fn partitioned(dir: &Path, keys: &str) -> PathBuf {
    let out = dir.join(format!("out-{keys}"));
    m365report()
        .args([
            "convert",
            "samples/tenants",
            "--to",
            "parquet",
            "--partition",
            keys,
        ])
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success();
    out
}

#[test]
fn partition_by_report_and_series_is_hive_folders_of_merged_records() {
    let dir = tempfile::tempdir().unwrap();
    let out = partitioned(dir.path(), "report,series");
    let files: Vec<String> = tree(&out)
        .into_iter()
        .filter(|f| f.ends_with(".parquet"))
        .collect();
    let folders: Vec<String> = std::fs::read_dir("samples/tenants")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.len() >= folders.len(), "{files:?}");
    for file in &files {
        // report=R/series=S/part-0.parquet, S a folder under samples/tenants.
        let parts: Vec<&str> = file.split('/').collect();
        assert_eq!(parts.len(), 3, "{file}");
        assert!(parts[0].starts_with("report="), "{file}");
        assert!(parts[1].starts_with("series="), "{file}");
        assert_eq!(parts[2], "part-0.parquet");
        let series = parts[1].trim_start_matches("series=").replace("%2F", "/");
        let report = parts[0].trim_start_matches("report=");
        // The same records as `convert --merge` of that folder's files of that report.
        let folder = root().join("samples/tenants").join(&series);
        let inputs: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let mut args: Vec<&str> = vec!["--merge", "--skip-invalid"];
        args.extend(inputs.iter().map(String::as_str));
        let json = json_records_of(&args, report);
        let parquet = read_parquet(&out.join(file)).0;
        assert_eq!(parquet, json, "{file}");
    }
    let contoso = "report=office365GroupsActivityGroupCounts/series=contoso/part-0.parquet";
    assert!(files.iter().any(|f| f == contoso), "{files:?}");
}

/// `convert --merge --to json` of the inputs in `args` whose report is `report`.
fn json_records_of(args: &[&str], report: &str) -> Vec<Map<String, Value>> {
    let dir = tempfile::tempdir().unwrap();
    m365report()
        .args(["convert", "--to", "json"])
        .args(args)
        .arg("--out-dir")
        .arg(dir.path())
        .assert()
        .success();
    let text = std::fs::read(dir.path().join(format!("{report}.json"))).unwrap();
    let doc: Value = serde_json::from_slice(&text).unwrap();
    doc["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

#[test]
fn partition_by_report_alone_equals_merge() {
    let dir = tempfile::tempdir().unwrap();
    let out = partitioned(dir.path(), "report");
    let files: Vec<String> = tree(&out)
        .into_iter()
        .filter(|f| f.ends_with(".parquet"))
        .collect();
    assert!(!files.is_empty());
    for file in &files {
        let report = file
            .split('/')
            .next()
            .unwrap()
            .trim_start_matches("report=");
        let json = json_records_of(&["--merge", "samples/tenants"], report);
        assert_eq!(read_parquet(&out.join(file)).0, json, "{file}");
    }
    m365report()
        .args([
            "convert",
            "samples/tenants",
            "--partition",
            "series",
            "--to",
            "parquet",
        ])
        .arg("--out-dir")
        .arg(dir.path().join("never"))
        .assert()
        .code(2);
}

/// The rows of `trend ... --format csv` as JSON objects typed as the Parquet output is.
fn trend_csv_rows(args: &[&str]) -> Vec<Map<String, Value>> {
    let out = m365report()
        .arg("trend")
        .args(args)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(name, cell)| {
                    let value = match name.as_str() {
                        _ if cell.is_empty() => Value::Null,
                        "numerator" | "denominator" => Value::from(cell.parse::<i64>().unwrap()),
                        "value" | "rolling_mean" => Value::from(cell.parse::<f64>().unwrap()),
                        _ => Value::String(cell.to_string()),
                    };
                    (name.clone(), value)
                })
                .collect()
        })
        .collect()
}

#[test]
fn trend_parquet_holds_the_csv_rows_typed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trend.parquet");
    let args = ["samples/tenants", "--group-by", "dir"];
    m365report()
        .arg("trend")
        .args(args)
        .args(["--format", "parquet", "-o"])
        .arg(&out)
        .assert()
        .success();
    let (rows, fields) = read_parquet(&out);
    let csv = trend_csv_rows(&args);
    assert!(!csv.is_empty());
    assert_eq!(rows, csv);
    let types: Vec<String> = fields.iter().map(|(n, t, _)| format!("{n}:{t}")).collect();
    assert_eq!(
        types.join(","),
        "series:Utf8,report:Utf8,metric:Utf8,date:Date32,numerator:Int64,denominator:Int64,\
         value:Float64,rolling_mean:Float64"
    );
    // From -o's extension, and never over an existing file without --force.
    let by_name = dir.path().join("again.parquet");
    m365report()
        .arg("trend")
        .args(args)
        .arg("-o")
        .arg(&by_name)
        .assert()
        .success();
    assert_eq!(read_parquet(&by_name).0, csv);
    m365report()
        .arg("trend")
        .args(args)
        .arg("-o")
        .arg(&by_name)
        .assert()
        .code(2);
}

#[test]
fn archive_export_and_trend_db_write_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    m365report()
        .args([
            "archive",
            "add",
            "samples/tenants",
            "--group-by",
            "dir",
            "--db",
        ])
        .arg(&db)
        .assert()
        .success();
    let export = |to: &str, out: &Path| {
        m365report()
            .args([
                "archive",
                "export",
                "--series",
                "contoso",
                "--report",
                "GroupCounts",
            ])
            .args(["--to", to, "--db"])
            .arg(&db)
            .arg("-o")
            .arg(out)
            .assert()
            .success();
    };
    let json_path = dir.path().join("x.json");
    let parquet_path = dir.path().join("x.parquet");
    export("json", &json_path);
    export("parquet", &parquet_path);
    let doc: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let json: Vec<Map<String, Value>> = doc["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect();
    assert!(!json.is_empty());
    assert_eq!(read_parquet(&parquet_path).0, json);

    let trend = dir.path().join("t.parquet");
    m365report()
        .arg("trend")
        .arg("--db")
        .arg(&db)
        .args(["--format", "parquet", "-o"])
        .arg(&trend)
        .assert()
        .success();
    let db_arg = db.to_str().unwrap();
    assert_eq!(read_parquet(&trend).0, trend_csv_rows(&["--db", db_arg]));
}

#[test]
fn parquet_snapshot_of_a_detail_report() {
    // Schema and rows of a detail report with lists, booleans, optional dates, GUIDs and
    // durations, as a text dump (the bytes hold the writer's version).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.parquet");
    let rows = convert_parquet(
        &["samples/download/getTeamsUserActivityUserDetail_D7.csv"],
        &out,
    );
    let (_, fields) = read_parquet(&out);
    let mut text = String::new();
    for (name, data_type, nullable) in &fields {
        text.push_str(&format!(
            "{name}: {data_type}{}\n",
            if *nullable { "" } else { " NOT NULL" }
        ));
    }
    for row in rows.iter().take(3) {
        text.push_str(&serde_json::to_string(row).unwrap());
        text.push('\n');
    }
    insta::assert_snapshot!(text);
}

/// `records` with the partition's columns, as DuckDB adds them from the folder names.
fn with_partition(records: Vec<Map<String, Value>>, report: &str, series: &str) -> Vec<Value> {
    records
        .into_iter()
        .map(|mut record| {
            record.insert("report".into(), report.into());
            record.insert("series".into(), series.into());
            Value::Object(record)
        })
        .collect()
}

/// Whether python3 can import duckdb.
fn duckdb_available() -> bool {
    Process::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn duckdb_reads_the_partitioned_output_as_one_table() {
    if !duckdb_available() {
        assert!(
            std::env::var_os("M365REPORT_REQUIRE_PARQUET_READER").is_none(),
            "M365REPORT_REQUIRE_PARQUET_READER is set but python3 cannot import duckdb"
        );
        eprintln!("note: python3 has no duckdb; skipped reading Parquet with DuckDB");
        return;
    }
    // Two tenants' GroupCounts downloads, and a detail report (lists, booleans, optional
    // dates, durations) in one of them.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let detail = "getTeamsUserActivityUserDetail_D7.csv";
    for tenant in ["contoso", "fabrikam"] {
        std::fs::create_dir_all(input.join(tenant)).unwrap();
        for entry in std::fs::read_dir(root().join("samples/tenants").join(tenant)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, input.join(tenant).join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(
        root().join("samples/download").join(detail),
        input.join("contoso").join(detail),
    )
    .unwrap();
    let out = dir.path().join("out");
    m365report()
        .args(["convert", "--to", "parquet", "--partition", "report,series"])
        .arg(&input)
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success();
    // Every row of one report's folders as JSON, dates as text, the partition columns from
    // the folder names, in file order (series, then each file's rows).
    let script = r#"
import duckdb, json, sys
con = duckdb.connect()
glob = sys.argv[1] + "/report=" + sys.argv[2] + "/**/*.parquet"
query = ("SELECT * FROM read_parquet(?, hive_partitioning=true, filename=true, "
         "file_row_number=true) ORDER BY series, filename, file_row_number")
rows = con.execute(query, [glob]).fetchall()
names = [d[0] for d in con.description]
types = con.execute("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning=true)", [glob]).fetchall()
print(json.dumps({
    "types": {t[0]: t[1] for t in types},
    "rows": [{n: (v.isoformat() if hasattr(v, "isoformat") else v)
              for n, v in zip(names, r) if n not in ("filename", "file_row_number")}
             for r in rows],
}))
"#;
    let duckdb = |report: &str| -> Value {
        let run = Process::new("python3")
            .args(["-c", script])
            .arg(&out)
            .arg(report)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        serde_json::from_slice(&run.stdout).unwrap()
    };
    let counts = "office365GroupsActivityGroupCounts";
    let doc = duckdb(counts);
    assert_eq!(doc["types"]["reportDate"], "DATE");
    assert_eq!(doc["types"]["total"], "BIGINT");
    let mut expected = Vec::new();
    for series in ["contoso", "fabrikam"] {
        let mut args: Vec<String> = vec!["--merge".into(), "--skip-invalid".into()];
        for entry in std::fs::read_dir(input.join(series)).unwrap() {
            let path = entry.unwrap().path();
            if !path.ends_with(detail) {
                args.push(path.to_string_lossy().into_owned());
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        expected.extend(with_partition(
            json_records_of(&args, counts),
            counts,
            series,
        ));
    }
    assert!(!expected.is_empty());
    assert_eq!(doc["rows"].as_array().unwrap(), &expected);

    let users = "teamsUserActivityUserDetail";
    let doc = duckdb(users);
    assert_eq!(doc["types"]["lastActivityDate"], "DATE");
    assert_eq!(doc["types"]["isDeleted"], "BOOLEAN");
    assert_eq!(doc["types"]["assignedProducts"], "VARCHAR[]");
    let path = input.join("contoso").join(detail);
    let expected = with_partition(json_records(&[path.to_str().unwrap()]), users, "contoso");
    assert!(!expected.is_empty());
    assert_eq!(doc["rows"].as_array().unwrap(), &expected);
}

#[test]
fn partition_writes_each_detail_download_as_a_part_of_its_own() {
    // A detail report's rows are merged by nobody: each download is a part.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let detail = "getTeamsUserActivityUserDetail_D7.csv";
    let counts = "getSharePointSiteUsageFileCounts_D7.csv";
    for (folder, file, name) in [
        ("t1", detail, "a_getTeamsUserActivityUserDetail_D7.csv"),
        ("t1", detail, "b_getTeamsUserActivityUserDetail_D7.csv"),
        ("t1", counts, counts),
        ("t2", detail, detail),
    ] {
        std::fs::create_dir_all(input.join(folder)).unwrap();
        std::fs::copy(
            root().join("samples/download").join(file),
            input.join(folder).join(name),
        )
        .unwrap();
    }
    let out = dir.path().join("out");
    m365report()
        .args(["convert", "--to", "parquet", "--partition", "report,series"])
        .arg(&input)
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        tree(&out)
            .into_iter()
            .filter(|f| f.ends_with(".parquet"))
            .collect::<Vec<_>>(),
        [
            "report=sharePointSiteUsageFileCounts/series=t1/part-0.parquet",
            "report=teamsUserActivityUserDetail/series=t1/part-0.parquet",
            "report=teamsUserActivityUserDetail/series=t1/part-1.parquet",
            "report=teamsUserActivityUserDetail/series=t2/part-0.parquet",
        ]
    );
    let json = json_records(&[input.join("t2").join(detail).to_str().unwrap()]);
    assert!(!json.is_empty());
    for part in ["t1/part-0", "t1/part-1", "t2/part-0"] {
        let file = out.join(format!(
            "report=teamsUserActivityUserDetail/series={part}.parquet"
        ));
        assert_eq!(read_parquet(&file).0, json, "{part}");
    }
    // Merged, as `--merge` orders a dimension's series within a day.
    let counts_json = json_records(&["--merge", input.join("t1").join(counts).to_str().unwrap()]);
    let file = out.join("report=sharePointSiteUsageFileCounts/series=t1/part-0.parquet");
    assert_eq!(read_parquet(&file).0, counts_json);
}

#[test]
fn parquet_to_a_terminal_is_refused() {
    // `script` (util-linux) runs the command with a terminal as its standard output.
    let bin = assert_cmd::cargo::cargo_bin("m365report");
    let input = root().join("samples/getOffice365GroupsActivityGroupCounts_D7.csv");
    for command in [
        format!("{} convert {} --to parquet", bin.display(), input.display()),
        format!(
            "{} trend {} --format parquet",
            bin.display(),
            input.display()
        ),
    ] {
        let out = Process::new("script")
            .args(["-qec", &command, "/dev/null"])
            .output()
            .expect("script runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{command}: {text}");
        assert!(text.contains("binary data"), "{command}: {text}");
        assert!(!text.contains("PAR1"), "{command}: {text}");
    }
}
