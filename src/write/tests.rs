use super::*;
use crate::schema::Registry;
use proptest::prelude::*;

fn group_counts() -> Arc<Report> {
    Registry::builtin()
        .unwrap()
        .find("GroupCounts")
        .unwrap()
        .clone()
}

fn day(n: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap() - chrono::Duration::days(i64::from(n))
}

/// A GroupCounts row: refresh 2026-11-25, report date `n` days before it.
fn row(n: i32, total: Option<i64>) -> Vec<Cell> {
    vec![
        Cell::Date(day(0)),
        total.map_or(Cell::Null, Cell::Int),
        Cell::Int(7),
        Cell::Date(day(n)),
        Cell::Enum(0),
    ]
}

/// Feeds `rows` to a writer into `dir/out.<ext>` and returns the committed bytes.
fn write_file(format: Format, bom: bool, rows: &[Vec<Cell>], valid: bool) -> Option<Vec<u8>> {
    let report = group_counts();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join(format!("out.{}", format.extension()));
    let mut writer = RecordWriter::new(
        WriteOptions {
            format,
            bom,
            durability: Durability::Synced,
            compression: Compression::default(),
        },
        Destination::File(target.clone()),
    );
    writer.begin(&report);
    for (i, cells) in rows.iter().enumerate() {
        writer.record(&Record {
            report: &report,
            line: i as u64 + 2,
            cells,
        });
    }
    writer.finish(valid);
    let output = writer.take_output(None).unwrap();
    let bytes = output.map(|o| {
        o.commit(false).unwrap();
        std::fs::read(&target).unwrap()
    });
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), usize::from(bytes.is_some()), "{left:?}");
    bytes
}

fn text(bytes: Option<Vec<u8>>) -> String {
    String::from_utf8(bytes.unwrap()).unwrap()
}

#[test]
fn json_layout_is_the_envelope_with_one_record_per_line() {
    let out = text(write_file(
        Format::Json,
        false,
        &[row(0, Some(10)), row(1, None)],
        true,
    ));
    let expected = concat!(
        "{\n",
        "  \"@odata.context\": \"https://graph.microsoft.com/beta/$metadata#Collection(microsoft.graph.office365GroupsActivityGroupCounts)\",\n",
        "  \"value\": [\n",
        "    {\"reportRefreshDate\":\"2026-11-25\",\"total\":10,\"active\":7,\"reportDate\":\"2026-11-25\",\"reportPeriod\":\"7\"},\n",
        "    {\"reportRefreshDate\":\"2026-11-25\",\"total\":null,\"active\":7,\"reportDate\":\"2026-11-24\",\"reportPeriod\":\"7\"}\n",
        "  ]\n",
        "}\n"
    );
    assert_eq!(out, expected);
    let empty = text(write_file(Format::Json, false, &[], true));
    assert!(empty.ends_with("\"value\": []\n}\n"), "{empty}");
    let parsed: serde_json::Value = serde_json::from_str(&empty).unwrap();
    assert_eq!(parsed["value"], serde_json::json!([]));
}

#[test]
fn ndjson_is_record_lines_only() {
    let out = text(write_file(Format::Ndjson, false, &[row(0, Some(1))], true));
    assert_eq!(
        out,
        "{\"reportRefreshDate\":\"2026-11-25\",\"total\":1,\"active\":7,\"reportDate\":\"2026-11-25\",\"reportPeriod\":\"7\"}\n"
    );
}

#[test]
fn csv_has_header_lf_and_bom_only_on_request() {
    let rows = [row(0, Some(1)), row(1, None)];
    let out = text(write_file(Format::Csv, false, &rows, true));
    assert_eq!(
        out,
        "Report Refresh Date,Total,Active,Report Date,Report Period\n2026-11-25,1,7,2026-11-25,7\n2026-11-25,,7,2026-11-24,7\n"
    );
    let with_bom = text(write_file(Format::Csv, true, &rows, true));
    assert_eq!(with_bom, format!("\u{feff}{out}"));
}

#[test]
fn oldest_first_input_comes_out_newest_first() {
    let rows: Vec<_> = (0..7).rev().map(|n| row(n, Some(i64::from(n)))).collect();
    let sorted: Vec<_> = (0..7).map(|n| row(n, Some(i64::from(n)))).collect();
    for format in [Format::Json, Format::Ndjson, Format::Csv] {
        assert_eq!(
            write_file(format, false, &rows, true),
            write_file(format, false, &sorted, true),
            "{format:?}"
        );
    }
}

#[test]
fn invalid_input_leaves_no_file() {
    for format in [Format::Json, Format::Ndjson, Format::Csv] {
        assert_eq!(
            write_file(
                format,
                false,
                &[row(0, Some(1)), row(3, None), row(1, None)],
                false
            ),
            None
        );
    }
}

#[test]
fn missing_folder_is_a_write_error_not_a_panic() {
    let report = group_counts();
    let mut writer = RecordWriter::new(
        WriteOptions {
            format: Format::Json,
            bom: false,
            durability: Durability::Synced,
            compression: Compression::default(),
        },
        Destination::File(PathBuf::from("/no/such/folder/out.json")),
    );
    writer.begin(&report);
    writer.record(&Record {
        report: &report,
        line: 2,
        cells: &row(0, None),
    });
    writer.finish(true);
    assert!(matches!(
        writer.take_output(None),
        Err(WriteError::Create { .. })
    ));
}

#[test]
fn stdout_output_is_held_until_committed() {
    let report = group_counts();
    let mut writer = RecordWriter::new(
        WriteOptions {
            format: Format::Csv,
            bom: false,
            durability: Durability::Synced,
            compression: Compression::default(),
        },
        Destination::Stdout,
    );
    writer.begin(&report);
    writer.finish(true);
    // The stdout buffer itself cannot fill up; committing to /dev/full is tested in the CLI.
    assert!(writer.take_output(None).unwrap().is_some());
}

#[test]
fn compact_form_round_trips() {
    let report = group_counts();
    let cells = row(3, None);
    let mut arena = Vec::new();
    encode(&cells, &mut arena);
    let mut back = Vec::new();
    decode(&report, &arena, 0, &mut back).unwrap();
    assert_eq!(back, cells);
    // Five tags, two dates of 3 bytes, one count of 1, the enum of 1, the null nothing.
    assert_eq!(arena.len(), 13);
}

fn arb_cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        Just(Cell::Null),
        any::<i64>().prop_map(Cell::Int),
        (-1000i64..100_000).prop_map(Cell::Int),
        (NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce())
            .prop_map(|d| Cell::Date(NaiveDate::from_num_days_from_ce_opt(d).unwrap())),
        any::<u16>().prop_map(Cell::Enum),
        ".{0,200}".prop_map(|t| Cell::Text(Box::new(t))),
    ]
}

proptest! {
    /// Records of any cells, one after another, read back as they were.
    #[test]
    fn compact_records_round_trip(records in prop::collection::vec(prop::collection::vec(arb_cell(), 5), 1..8)) {
        let report = group_counts();
        let mut arena = Vec::new();
        let mut starts = Vec::new();
        for cells in &records {
            starts.push(arena.len());
            encode(cells, &mut arena);
        }
        for (cells, start) in records.iter().zip(starts) {
            let mut back = Vec::new();
            decode(&report, &arena, start, &mut back).unwrap();
            prop_assert_eq!(&back, cells);
        }
    }
}

fn arb_rows() -> impl Strategy<Value = Vec<Vec<Cell>>> {
    prop::collection::vec(
        (
            0i32..40,
            prop::option::of(0i64..=i64::MAX),
            prop::option::of(0i64..10_000),
            0u16..4,
        ),
        0..60,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(n, total, active, period)| {
                vec![
                    Cell::Date(day(0)),
                    total.map_or(Cell::Null, Cell::Int),
                    active.map_or(Cell::Null, Cell::Int),
                    Cell::Date(day(n)),
                    Cell::Enum(period),
                ]
            })
            .collect()
    })
}

/// What the writers must produce: records stably sorted newest first.
fn stable_sorted(rows: &[Vec<Cell>]) -> Vec<Vec<Cell>> {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| std::cmp::Reverse(r[3].as_date()));
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the input order, each format holds the stably sorted records, with the same
    /// values as `Record::to_json` and `Cell::write_text`.
    #[test]
    fn output_is_the_stably_sorted_records(rows in arb_rows()) {
        let report = group_counts();
        let sorted = stable_sorted(&rows);
        let want_json: Vec<serde_json::Value> = sorted
            .iter()
            .map(|cells| serde_json::Value::Object(Record { report: &report, line: 0, cells }.to_json()))
            .collect();

        let json: serde_json::Value = serde_json::from_slice(&write_file(Format::Json, false, &rows, true).unwrap()).unwrap();
        prop_assert_eq!(&json["@odata.context"], &serde_json::Value::from(report.odata_context()));
        prop_assert_eq!(json["value"].as_array().unwrap(), &want_json);

        let ndjson = write_file(Format::Ndjson, false, &rows, true).unwrap();
        let lines: Vec<serde_json::Value> = ndjson
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        prop_assert_eq!(&lines, &want_json);

        let csv = write_file(Format::Csv, false, &rows, true).unwrap();
        let mut reader = ::csv::Reader::from_reader(&csv[..]);
        let got: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
        let want: Vec<Vec<String>> = sorted
            .iter()
            .map(|cells| {
                cells.iter().zip(&report.columns).map(|(c, col)| {
                    let mut s = String::new();
                    c.write_text(&col.kind, &mut s);
                    s
                }).collect()
            })
            .collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn valid_input_without_records_or_begin_gets_an_empty_output() {
    let report = group_counts();
    let mut writer = RecordWriter::new(
        WriteOptions {
            format: Format::Csv,
            bom: false,
            durability: Durability::Synced,
            compression: Compression::default(),
        },
        Destination::Stdout,
    );
    writer.finish(true);
    let Some(Output::Stdout(mut spool)) = writer.take_output(Some(&report)).unwrap() else {
        panic!("no output");
    };
    let mut text = String::new();
    spool.seek(SeekFrom::Start(0)).unwrap();
    spool.read_to_string(&mut text).unwrap();
    assert_eq!(
        text,
        "Report Refresh Date,Total,Active,Report Date,Report Period\n"
    );
}

/// Standard output's bytes after `feed` fed a writer of `format` (valid).
fn written_by(format: Format, feed: impl FnOnce(&mut RecordWriter, &Arc<Report>)) -> Vec<u8> {
    let report = group_counts();
    let mut writer = RecordWriter::new(
        WriteOptions {
            format,
            bom: false,
            durability: Durability::Unsynced,
            compression: Compression::default(),
        },
        Destination::Stdout,
    );
    writer.begin(&report);
    feed(&mut writer, &report);
    writer.finish(true);
    let Some(Output::Stdout(mut spool)) = writer.take_output(None).unwrap() else {
        panic!("no standard output");
    };
    let mut bytes = Vec::new();
    spool.seek(SeekFrom::Start(0)).unwrap();
    spool.read_to_end(&mut bytes).unwrap();
    bytes
}

#[test]
fn a_text_run_writes_what_its_records_write() {
    // Two runs given as text, the first as the output's first records (no comma before
    // it in JSON), the second after a record; then a run older than what was written
    // (taken), and one newer (refused: the writer sorts, from cells).
    let varying = [1, 2, 3];
    let base = row(0, Some(10));
    let texts: [[&[u8]; 3]; 2] = [
        [b"5", b"", b"2026-11-24"],
        [b"12345678", b"0", b"2026-11-23"],
    ];
    for format in [Format::Json, Format::Ndjson, Format::Csv] {
        let by_text = written_by(format, |writer, report| {
            let run = |first: i32| TextRun {
                base: Record {
                    report,
                    line: 1,
                    cells: &base,
                },
                varying: &varying,
                first_day: day(first),
            };
            assert!(writer.text_run(&run(1)));
            for t in &texts {
                writer.run_record(t);
            }
            writer.record(&Record {
                report,
                line: 5,
                cells: &row(3, Some(1)),
            });
            assert!(writer.text_run(&run(4)));
            writer.run_record(&[b"5", b"", b"2026-11-21"]);
            assert!(!writer.text_run(&run(0)), "newer than the last: refused");
        });
        let by_cells = written_by(format, |writer, report| {
            let cells = [
                vec![
                    Cell::Date(day(0)),
                    Cell::Int(5),
                    Cell::Null,
                    Cell::Date(day(1)),
                    Cell::Enum(0),
                ],
                vec![
                    Cell::Date(day(0)),
                    Cell::Int(12345678),
                    Cell::Int(0),
                    Cell::Date(day(2)),
                    Cell::Enum(0),
                ],
                row(3, Some(1)),
                vec![
                    Cell::Date(day(0)),
                    Cell::Int(5),
                    Cell::Null,
                    Cell::Date(day(4)),
                    Cell::Enum(0),
                ],
            ];
            for cells in &cells {
                writer.record(&Record {
                    report,
                    line: 2,
                    cells,
                });
            }
        });
        assert_eq!(
            String::from_utf8(by_text).unwrap(),
            String::from_utf8(by_cells).unwrap(),
            "{format:?}"
        );
    }
}
