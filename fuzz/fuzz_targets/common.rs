//! Shared by the fuzz targets: check arbitrary bytes as an input of the given format and
//! assert the invariants every report must keep, whatever the bytes.

use m365report::discover::{Input, Source};
use m365report::record::{Record, RecordSink};
use m365report::validate::{check_reader, CheckOptions};
use m365report::{InputFormat, Registry};
use std::path::PathBuf;
use std::sync::OnceLock;

struct Count(u64);

impl RecordSink for Count {
    fn record(&mut self, record: &Record<'_>) {
        // Every record handed on has exactly the report's columns.
        assert_eq!(record.cells.len(), record.report.columns.len());
        self.0 += 1;
    }
}

pub fn check(data: &[u8], format: Option<InputFormat>, name: &str) {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let registry = REGISTRY.get_or_init(|| Registry::builtin().expect("built-in schemas compile"));
    let source = Source {
        input: Input::Path(PathBuf::from(name)),
        name: name.to_string(),
        index: 0,
        group: ".".into(),
        relative: PathBuf::from(name),
    };
    let options = CheckOptions {
        input_format: format,
        max_findings: 20,
        ..CheckOptions::default()
    };
    let mut sink = Count(0);
    let report = check_reader(data, &source, registry, &options, &mut sink);
    assert!(report.findings.len() <= 20);
    assert!(sink.0 <= report.rows, "more records than rows");
    for f in &report.findings {
        assert!(f.line > 0 || f.code == m365report::Code::Io, "{f:?}");
        if let Some(s) = &f.snippet {
            assert!(s.width >= 1);
        }
    }
}
