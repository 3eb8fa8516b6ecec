//! The HTML page of `trend --html` and `m365report report`: snapshots of both pages for a
//! download folder with several series, a conflict, a gap, a null, a warning and an invalid
//! file; exit statuses and refusals; and the page opened in a real browser (Chromium,
//! headless): its DOM after the scripts ran (every series has its chart and its table,
//! numbers equal `trend --format json`, a click on a header sorts), no network request,
//! and screenshots at a wide and a phone width, light and dark, that show something.
//!
//! Without Chromium the browser tests print a note and pass, unless
//! `M365REPORT_REQUIRE_BROWSER` is set (as `.ci/run` does): then they fail.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

use crate::{fixture, m365report, root};

const HEADER: &str = "\u{feff}Report Refresh Date,Total,Active,Report Date,Report Period\n";

/// A folder name that needs escaping, as users' folders may.
const ODD: &str = "south <&> \"x\"";

/// A GroupCounts D7 export refreshed 2026-11-`refresh` with Active = `base + day`, Total
/// 100; `null_day` has an empty Active.
fn d7(path: &Path, refresh: u32, base: u32, null_day: Option<u32>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = HEADER.to_string();
    for d in (refresh - 6..=refresh).rev() {
        let active = if Some(d) == null_day {
            String::new()
        } else {
            (base + d).to_string()
        };
        text.push_str(&format!(
            "2026-11-{refresh:02},100,{active},2026-11-{d:02},7\n"
        ));
    }
    std::fs::write(path, text).unwrap();
}

/// `downloads/` in a fresh folder: `north` (two kinds of report, two files that disagree:
/// 7 conflicts), `south <&> "x"` (a gap of three days and a null), `bad` (an invalid file
/// and one with a warning).
fn downloads() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("downloads");
    d7(&d.join("north/GroupCounts_D7_2026-11-10.csv"), 10, 20, None);
    d7(
        &d.join("north/GroupCounts_D7_2026-11-10 (1).csv"),
        10,
        30,
        None,
    );
    std::fs::copy(
        root().join("samples/getOffice365GroupsActivityStorage_D7.csv"),
        d.join("north/getOffice365GroupsActivityStorage_D7.csv"),
    )
    .unwrap();
    d7(
        &d.join(ODD).join("GroupCounts_D7_2026-11-10.csv"),
        10,
        40,
        None,
    );
    d7(
        &d.join(ODD).join("GroupCounts_D7_2026-11-20.csv"),
        20,
        45,
        Some(16),
    );
    std::fs::create_dir_all(d.join("bad")).unwrap();
    for name in [
        "E302_active_greater_than_total.csv",
        "W404_gap_missing_one_day.csv",
    ] {
        std::fs::copy(fixture(name), d.join("bad").join(name)).unwrap();
    }
    dir
}

/// Runs the binary in `dir` with `args`; (status, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = m365report().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The page with the version in its footer replaced, for snapshots that outlive releases.
fn versionless(page: &str) -> String {
    page.replace(
        &format!("m365report {}", env!("CARGO_PKG_VERSION")),
        "m365report [version]",
    )
}

/// The page's own resources: no URL anywhere (user names are not URLs here), no `src` and
/// no link leaving the page.
fn assert_offline(page: &str) {
    for needle in [
        "http://",
        "https://",
        "src=",
        "url(",
        "@import",
        "href=\"//",
    ] {
        assert!(!page.contains(needle), "the page holds `{needle}`");
    }
    for (k, _) in page.match_indices("href=\"") {
        assert!(
            page[k + 6..].starts_with('#'),
            "a link leaves the page: {}",
            &page[k..(k + 60).min(page.len())]
        );
    }
}

#[test]
fn trend_html_page_snapshot() {
    let dir = downloads();
    let (code, _, stderr) = run_in(
        dir.path(),
        &[
            "trend",
            "downloads",
            "--group-by",
            "dir",
            "--format",
            "csv",
            "--html",
            "trend.html",
        ],
    );
    assert_eq!(
        code, 1,
        "an invalid file: status 1, page still written\n{stderr}"
    );
    let page = read(&dir.path().join("trend.html"));
    assert_offline(&page);
    assert!(page.contains("south &lt;&amp;&gt; &quot;x&quot;"));
    assert!(!page.contains(ODD));
    insta::assert_snapshot!(versionless(&page));
}

#[test]
fn report_page_snapshot_and_status_1_for_an_invalid_file() {
    let dir = downloads();
    let (code, stdout, stderr) = run_in(dir.path(), &["report", "downloads", "-o", "r.html"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("7 files: 6 valid, 1 invalid; 1 error, 1 warning;")
            && stderr.contains("7 conflicts; wrote r.html"),
        "{stderr}"
    );
    let page = read(&dir.path().join("r.html"));
    assert_offline(&page);
    for expected in [
        "downloads/bad/E302_active_greater_than_total.csv:3:17",
        "<code>E302</code>",
        "<code>W404</code>",
        "verdict-invalid",
        "id=\"conflicts\"",
        "2026-11-11</td><td>2026-11-13</td>",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    insta::assert_snapshot!(versionless(&page));
}

#[test]
fn report_statuses_and_refusals() {
    let dir = downloads();
    let all_valid = dir.path().join("downloads/north");
    let (code, _, stderr) = run_in(
        dir.path(),
        &["report", all_valid.to_str().unwrap(), "-o", "ok.html"],
    );
    assert_eq!(code, 0, "{stderr}");
    // An existing page is replaced only with --force; an input never.
    let (code, _, stderr) = run_in(dir.path(), &["report", "downloads/north", "-o", "ok.html"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("ok.html"), "{stderr}");
    let (code, _, stderr) = run_in(
        dir.path(),
        &["report", "downloads/north", "-o", "ok.html", "--force"],
    );
    assert_eq!(code, 0, "{stderr}");
    let input = "downloads/north/GroupCounts_D7_2026-11-10.csv";
    let before = read(&dir.path().join(input));
    let (code, _, stderr) = run_in(
        dir.path(),
        &["report", "downloads/north", "-o", input, "--force"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(read(&dir.path().join(input)), before);
    // -o is required; a missing path is an I/O error.
    let (code, _, _) = run_in(dir.path(), &["report", "downloads"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = run_in(dir.path(), &["report", "nowhere", "-o", "n.html"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        !dir.path().join("n.html").exists() || read(&dir.path().join("n.html")).contains("nowhere")
    );
}

#[test]
fn trend_html_refusals_and_db() {
    let dir = downloads();
    let p = dir.path();
    let (code, _, stderr) = run_in(
        p,
        &[
            "trend",
            "downloads/north",
            "--chart",
            "x.html",
            "--html",
            "x.html",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("--chart and --html"), "{stderr}");
    let input = "downloads/north/GroupCounts_D7_2026-11-10.csv";
    let (code, _, _) = run_in(p, &["trend", "downloads/north", "--html", input, "--force"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = run_in(
        p,
        &[
            "archive",
            "add",
            "--db",
            "a.db",
            "downloads/north",
            "--group-by",
            "dir",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run_in(
        p,
        &[
            "trend", "--db", "a.db", "--format", "csv", "--html", "db.html",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let page = read(&p.join("db.html"));
    assert!(page.contains("<code>--db a.db</code>"));
    assert!(page.contains("class=\"points\""));
    let (code, _, _) = run_in(p, &["trend", "--db", "a.db", "--html", "a.db", "--force"]);
    assert_eq!(code, 2);
}

// ---- in a real browser -------------------------------------------------------------

/// Chromium's binary, if there is one (`M365REPORT_CHROMIUM`, else on `PATH`); without one,
/// `None` after a note, or a failure when `M365REPORT_REQUIRE_BROWSER` is set.
fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("M365REPORT_CHROMIUM").map(PathBuf::from);
    let found = named.or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).find_map(|dir| {
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        assert!(
            std::env::var_os("M365REPORT_REQUIRE_BROWSER").is_none(),
            "M365REPORT_REQUIRE_BROWSER is set but no chromium was found on PATH"
        );
        eprintln!("note: no chromium on PATH; the HTML page is not tested in a browser");
    }
    found
}

/// Runs headless Chromium on `url` with `args`, a fresh profile, no network (every host
/// resolves to nothing) and a time limit; its standard output.
fn browse(chromium: &Path, args: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Process::new("timeout")
        .arg("120")
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A script run after the page's own: reads every series' table and chart from the DOM,
/// clicks the `value` header of the first table twice, counts the resources loaded, and
/// writes all that as JSON into `<pre id="probe">`.
const PROBE: &str = r#"<script>
(function () {
  var out = { series: [], resources: performance.getEntriesByType("resource").length };
  document.querySelectorAll("section.metric").forEach(function (sec) {
    var drawn = {};
    sec.querySelectorAll("svg g.series").forEach(function (g) {
      drawn[g.getAttribute("data-name")] =
        g.querySelectorAll("path.value").length + g.querySelectorAll("path.rolling").length;
    });
    sec.querySelectorAll("table.points").forEach(function (t) {
      out.series.push({
        name: t.getAttribute("data-series"),
        report: t.getAttribute("data-report"),
        metric: t.getAttribute("data-metric"),
        section: [sec.getAttribute("data-report"), sec.getAttribute("data-metric")],
        paths: drawn[t.getAttribute("data-series")] || 0,
        rows: Array.prototype.map.call(t.tBodies[0].rows, function (r) {
          return Array.prototype.map.call(r.cells, function (c) { return c.getAttribute("data-v"); });
        })
      });
    });
  });
  var table = document.querySelector("table.points");
  var column = function () {
    return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
      return r.cells[3].getAttribute("data-v");
    });
  };
  var th = table.tHead.rows[0].cells[3];
  th.click();
  out.ascending = column();
  out.ascending_state = th.getAttribute("aria-sort");
  th.click();
  out.descending = column();
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
</body>"#;

/// The probe's JSON from a dumped DOM.
fn probe_of(dom: &str) -> Value {
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("probe: {e}: {text}"))
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.parse().unwrap_or_else(|_| panic!("not a number: {s}"))),
        v => v.as_f64(),
    }
}

/// Checks the probe of `page` against `trend --format json` of the same files.
fn check_dom(chromium: &Path, page: &Path, json: &Value) {
    let probe_page = page.with_extension("probe.html");
    let text = read(page).replacen("</body>", PROBE, 1);
    std::fs::write(&probe_page, text).unwrap();
    let dom = browse(
        chromium,
        &["--dump-dom".to_string()],
        &format!("file://{}", probe_page.display()),
    );
    let probe = probe_of(&dom);
    assert_eq!(probe["resources"], 0, "the page loaded resources");
    let shown = probe["series"].as_array().unwrap();
    let series = json["series"].as_array().unwrap();
    assert_eq!(shown.len(), series.len(), "a table per series");
    assert!(!series.is_empty());
    for s in series {
        let (name, report, metric) = (&s["name"], &s["report"], &s["metric"]["name"]);
        let t = shown
            .iter()
            .find(|t| t["name"] == *name && t["report"] == *report && t["metric"] == *metric)
            .unwrap_or_else(|| panic!("no table for {name} {report} {metric}"));
        assert_eq!(t["section"], serde_json::json!([report, metric]));
        assert_eq!(
            t["paths"], 2,
            "{name}: its value and rolling lines in the chart"
        );
        let points = s["points"].as_array().unwrap();
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows.len(), points.len(), "{name}");
        for (p, r) in points.iter().zip(rows) {
            assert_eq!(r[0], p["date"]);
            for (k, field) in ["numerator", "denominator", "value", "rolling_mean"]
                .iter()
                .enumerate()
            {
                assert_eq!(
                    number(&r[k + 1]),
                    number(&p[*field]),
                    "{name} {} {field}",
                    p["date"]
                );
            }
        }
    }
    // A click sorts by value, nulls last; a second click reverses.
    let values = |key: &str| -> Vec<Option<f64>> {
        probe[key].as_array().unwrap().iter().map(number).collect()
    };
    let (up, down) = (values("ascending"), values("descending"));
    let present: Vec<f64> = up.iter().flatten().copied().collect();
    assert!(present.len() > 2);
    assert!(present.windows(2).all(|w| w[0] <= w[1]), "{up:?}");
    assert!(up[present.len()..].iter().all(Option::is_none));
    let down_present: Vec<f64> = down.iter().flatten().copied().collect();
    assert!(down_present.windows(2).all(|w| w[0] >= w[1]), "{down:?}");
    assert_eq!(probe["ascending_state"], "ascending");
}

/// A screenshot's pixels: (distinct colours, share of pixels unlike the top-left one, the
/// top-left pixel's brightness 0..=255).
fn screenshot(chromium: &Path, page: &Path, size: &str, dark: bool) -> (usize, f64, u32) {
    let png_path = page.with_extension(format!(
        "{}{}.png",
        size.replace(',', "x"),
        if dark { "-dark" } else { "" }
    ));
    let mut args = vec![
        format!("--screenshot={}", png_path.display()),
        format!("--window-size={size}"),
    ];
    if dark {
        args.push("--force-dark-mode".into());
        args.push("--blink-settings=preferredColorScheme=0".into());
    }
    browse(chromium, &args, &format!("file://{}", page.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).expect("a screenshot"),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buffer[..info.buffer_size()]
        .chunks(channels)
        .map(|p| &p[..3.min(channels)])
        .collect();
    let corner = pixels[0];
    let mut colours: Vec<&[u8]> = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    let other = pixels.iter().filter(|p| **p != corner).count() as f64 / pixels.len() as f64;
    let brightness = corner.iter().map(|&c| u32::from(c)).sum::<u32>() / corner.len() as u32;
    (colours.len(), other, brightness)
}

#[test]
fn pages_in_a_real_browser() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = downloads();
    let p = dir.path();
    let (code, json, stderr) = run_in(
        p,
        &[
            "trend",
            "downloads",
            "--group-by",
            "dir",
            "--format",
            "json",
            "--html",
            "trend.html",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let json: Value = serde_json::from_slice(&json).unwrap();
    let (code, _, stderr) = run_in(p, &["report", "downloads", "-o", "report.html"]);
    assert_eq!(code, 1, "{stderr}");
    for page in ["trend.html", "report.html"] {
        check_dom(&chromium, &p.join(page), &json);
    }
    // The two-tenant sample: 44 days a series, every value against its JSON.
    let (code, json, _) = run_in(
        &root(),
        &[
            "trend",
            "samples/tenants",
            "--group-by",
            "dir",
            "--format",
            "json",
            "--html",
            p.join("tenants.html").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    let json: Value = serde_json::from_slice(&json).unwrap();
    check_dom(&chromium, &p.join("tenants.html"), &json);

    let keep = std::env::var_os("M365REPORT_KEEP_SCREENSHOTS").map(PathBuf::from);
    for page in ["report.html", "tenants.html"] {
        for (size, dark) in [
            ("1280,2000", false),
            ("390,1200", false),
            ("1280,2000", true),
        ] {
            let (colours, other, corner) = screenshot(&chromium, &p.join(page), size, dark);
            assert!(
                colours > 50,
                "{page} {size}: {colours} colours: an empty page?"
            );
            assert!(other > 0.02, "{page} {size}: {other} of the pixels drawn");
            if dark {
                assert!(
                    corner < 64,
                    "{page}: dark mode, yet a background of {corner}"
                );
            } else {
                assert!(
                    corner > 192,
                    "{page}: light mode, yet a background of {corner}"
                );
            }
        }
    }
    // To look at them: M365REPORT_KEEP_SCREENSHOTS=DIR keeps them there.
    if let Some(keep) = keep {
        std::fs::create_dir_all(&keep).unwrap();
        for e in std::fs::read_dir(p).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "png") {
                std::fs::copy(e.path(), keep.join(e.file_name())).unwrap();
            }
        }
    }
}
