//! Issue 5: hostile input, odd files, interrupted writes, closed pipes, determinism.
//! Every test drives the real binary.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::{m365report, root, tree};

const HEADER: &str = "Report Refresh Date,Total,Active,Report Date,Report Period";

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("m365report")
}

/// A valid GroupCounts CSV of `rows` rows, newest first, one day each (W405 aside).
fn rows_csv(rows: usize) -> String {
    let mut out = format!("{HEADER}\n");
    let mut day = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    for i in 0..rows {
        let total = 1000 + i % 977;
        out.push_str(&format!(
            "9999-12-31,{total},{},{},180\n",
            total / 3,
            day.format("%Y-%m-%d")
        ));
        day = day.pred_opt().unwrap();
    }
    out
}

/// Peak resident memory of a live process, in KiB (Linux).
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Ended {
    status: Option<ExitStatus>,
    stderr: String,
    elapsed: Duration,
    peak_kib: u64,
}

/// Runs the binary with `args`, feeding `prefix` then `chunk` over and over on standard input
/// until the child stops reading; stops it after `limit`. Samples its peak memory.
fn endless_stdin(args: &[&str], prefix: &[u8], chunk: &[u8], limit: Duration) -> Ended {
    let mut child = StdCommand::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (prefix, chunk) = (prefix.to_vec(), chunk.to_vec());
    let writer = std::thread::spawn(move || {
        if stdin.write_all(&prefix).is_err() {
            return;
        }
        while stdin.write_all(&chunk).is_ok() {}
    });
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    writer.join().unwrap();
    Ended {
        status,
        stderr: reader.join().unwrap(),
        elapsed,
        peak_kib: peak,
    }
}

/// Generous for a debug build; the point is "bounded", not "small".
const MEMORY_KIB: u64 = 200 * 1024;

fn assert_quick_e008(ended: &Ended, needle: &str) {
    assert_eq!(
        ended.status.and_then(|s| s.code()),
        Some(1),
        "{}",
        ended.stderr
    );
    assert!(ended.stderr.contains("error[E008]"), "{}", ended.stderr);
    assert!(ended.stderr.contains(needle), "{}", ended.stderr);
    assert!(
        ended.elapsed < Duration::from_secs(10),
        "{:?}",
        ended.elapsed
    );
    assert!(ended.peak_kib < MEMORY_KIB, "peak {} KiB", ended.peak_kib);
}

#[test]
fn endless_field_on_stdin_is_e008_at_its_line() {
    let prefix = format!("{HEADER}\n9999-12-31,5,2,9999-12-31,180\n9999-12-31,");
    let ended = endless_stdin(
        &["validate", "-"],
        prefix.as_bytes(),
        &[b'1'; 64 * 1024],
        Duration::from_secs(20),
    );
    assert_quick_e008(&ended, "<stdin>:3:1");
    assert!(ended.stderr.contains("longer than 1048576 bytes"));
}

#[test]
fn field_just_over_max_record_bytes_is_e008() {
    // Up to twice the limit used to slip through the read-ahead and the field buffer.
    let text = format!(
        "{HEADER}\n9999-12-31,{},2,9999-12-31,180\n",
        "1".repeat(150_000)
    );
    let out = m365report()
        .args(["validate", "--max-record-bytes", "100000", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E008]") && stderr.contains("<stdin>:2:1"),
        "{stderr}"
    );
}

#[test]
fn endless_json_nesting_on_stdin_is_e008() {
    let ended = endless_stdin(
        &["validate", "-"],
        b"{\"value\":",
        &[b'['; 64 * 1024],
        Duration::from_secs(20),
    );
    assert_quick_e008(&ended, "nested deeper than 64 levels");
    let million = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    let out = m365report()
        .args(["validate", "-"])
        .write_stdin(million)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E008]"));
}

#[test]
fn json_nesting_limit_is_64_levels_exactly() {
    // A bare array's elements are level 2, an envelope's level 3: 64 levels pass the limit
    // (and are then not records), 65 do not, with the 65th bracket pointed at.
    for (prefix, suffix, at) in [("", "", 1), ("{\"value\":", "}", 10)] {
        let nest = |n: usize| format!("{prefix}{}{}{suffix}", "[".repeat(n), "]".repeat(n));
        let levels = 64 - usize::from(!prefix.is_empty());
        let out = m365report()
            .args(["validate", "-"])
            .write_stdin(nest(levels))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("E008"), "{levels}: {stderr}");
        let out = m365report()
            .args(["validate", "-"])
            .write_stdin(nest(levels + 1))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let column = at + levels;
        assert!(
            stderr.contains(&format!(
                "error[E008]: JSON nested deeper than 64 levels\n --> <stdin>:1:{column}"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn a_million_columns_is_e008() {
    let header = vec!["a"; 1_000_000].join(",");
    let ended = endless_stdin(
        &["validate", "--max-record-bytes", "100000000", "-"],
        format!("{header}\n").as_bytes(),
        b"1,2,3\n",
        Duration::from_secs(20),
    );
    assert_quick_e008(&ended, "the header has 1000000 columns; the limit is 1000");
    // Within the record limit, the columns of the header are what is refused.
    let ended = endless_stdin(
        &["validate", "-"],
        b"",
        b"a,b,c,d,e,f,g,h,",
        Duration::from_secs(20),
    );
    assert_quick_e008(&ended, "longer than 1048576 bytes");
}

#[test]
fn endless_zeros_on_stdin_are_binary_not_utf16() {
    let ended = endless_stdin(
        &["validate", "-"],
        b"",
        &[0; 64 * 1024],
        Duration::from_secs(20),
    );
    assert_eq!(
        ended.status.and_then(|s| s.code()),
        Some(1),
        "{}",
        ended.stderr
    );
    assert!(ended.stderr.contains("error[E004]"), "{}", ended.stderr);
    assert!(ended.elapsed < Duration::from_secs(10));
}

#[test]
fn endless_valid_rows_on_stdin_run_in_flat_memory() {
    // An endless stream of one repeated row never ends by itself (it is read like a file of
    // unknown length); what it must not do is grow. E402 findings are capped by --max-errors.
    let prefix = format!("{HEADER}\n");
    let ended = endless_stdin(
        &["validate", "--max-errors", "5", "-"],
        prefix.as_bytes(),
        "9999-12-31,5,2,9999-12-31,180\n".repeat(2000).as_bytes(),
        Duration::from_secs(3),
    );
    assert!(ended.status.is_none(), "ended by itself: {}", ended.stderr);
    assert!(ended.peak_kib < 64 * 1024, "peak {} KiB", ended.peak_kib);
}

#[test]
fn files_that_are_not_reports_are_named_for_what_they_are() {
    let utf16: Vec<u8> = std::iter::once(0xFEFFu16)
        .chain(format!("{HEADER}\n").encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let utf16_no_bom: Vec<u8> = format!("{HEADER}\n")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "html",
            b"\n<!DOCTYPE html>\n<html><head><title>Sign in</title>".to_vec(),
            "E005",
            "HTML page",
        ),
        (
            "zip",
            b"PK\x03\x04\x14\x00\x06\x00".to_vec(),
            "E005",
            "ZIP archive",
        ),
        (
            "pdf",
            b"%PDF-1.7\n%\xE2\xE3".to_vec(),
            "E005",
            "PDF document",
        ),
        ("utf16", utf16, "E003", "UTF-16 text"),
        ("utf16 no bom", utf16_no_bom, "E003", "UTF-16 text"),
        (
            "nul",
            format!("{HEADER}\n9999-12-31,5\u{0}\u{0},2,9999-12-31,180\n").into_bytes(),
            "E004",
            "binary data (a NUL byte",
        ),
        ("zero-filled", vec![0; 10_000], "E004", "binary data"),
    ];
    for (what, bytes, code, message) in cases {
        let out = m365report()
            .args(["validate", "-"])
            .write_stdin(bytes)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains(&format!("error[{code}]")) && stderr.contains(message),
            "{what}: {stderr}"
        );
    }
    // Latin-1 proper: a single 0xE9 byte.
    let mut latin1 = format!("{HEADER}\n9999-12-31,5").into_bytes();
    latin1.extend_from_slice(b"\xE9,2,9999-12-31,180\n");
    let out = m365report()
        .args(["validate", "-"])
        .write_stdin(latin1)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[E002]: invalid UTF-8 byte 0xE9"),
        "{stderr}"
    );
    assert!(stderr.contains("Latin-1"), "{stderr}");
}

/// Whether permission bits are enforced for us (not when running as root).
fn permissions_enforced(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::write(&probe, "x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    let enforced = std::fs::read(&probe).is_err();
    std::fs::remove_file(&probe).unwrap();
    enforced
}

/// A walked folder with good files and every kind of bad path: a FIFO, a symbolic-link loop,
/// a dangling link, a file whose reads fail (`/proc/self/mem` reads EIO even for root), and
/// where permissions are enforced an unreadable file and folder.
fn troubled_folder() -> (tempfile::TempDir, Vec<&'static str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("in");
    std::fs::create_dir_all(d.join("a")).unwrap();
    std::fs::create_dir_all(d.join("b")).unwrap();
    let sample = root().join("samples/tenants/contoso");
    let mut good: Vec<PathBuf> = std::fs::read_dir(&sample)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    good.sort();
    std::fs::copy(&good[0], d.join("a/GroupCounts_1.csv")).unwrap();
    std::fs::copy(&good[1], d.join("b/GroupCounts_2.csv")).unwrap();
    let fifo = d.join("a/fifo.csv");
    let status = StdCommand::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("..", d.join("b/loop")).unwrap();
    std::os::unix::fs::symlink("nowhere.csv", d.join("b/dangling.csv")).unwrap();
    std::os::unix::fs::symlink("/proc/self/mem", d.join("b/eio.csv")).unwrap();
    let mut bad = vec!["fifo.csv", "loop", "dangling.csv", "eio.csv"];
    if permissions_enforced(dir.path()) {
        use std::os::unix::fs::PermissionsExt;
        let locked = d.join("a/locked.csv");
        std::fs::copy(&good[2], &locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        std::fs::create_dir(d.join("closed")).unwrap();
        std::fs::set_permissions(d.join("closed"), std::fs::Permissions::from_mode(0o000)).unwrap();
        bad.extend(["locked.csv", "closed"]);
    } else {
        eprintln!("skipped: chmod 000 cases (permissions are not enforced: running as root)");
    }
    (dir, bad)
}

#[test]
fn bad_paths_are_named_and_the_rest_is_processed() {
    let (dir, bad) = troubled_folder();
    let input = dir.path().join("in");
    let check = |args: &[&str], extra: &Path| {
        let out = m365report()
            .args(args)
            .arg(&input)
            .arg(extra)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        // Human diagnostics on standard error; with --format json, in the document.
        let stderr = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for name in &bad {
            assert!(
                stderr.contains(name),
                "{args:?}: {name} not named: {stderr}"
            );
        }
        assert!(stderr.contains("symbolic-link loop"), "{stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
        assert!(stderr.contains("Input/output error"), "{stderr}");
        (out.stdout, stderr)
    };
    let missing = dir.path().join("vanished.csv");
    let (stdout, stderr) = check(&["validate", "--format", "json"], &missing);
    assert!(stderr.contains("vanished.csv"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let valid: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["valid"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(valid.len(), 2, "{doc}");
    // convert writes all or nothing: a file that fails to read is an invalid input...
    let out_dir = dir.path().join("out");
    check(
        &["convert", "--out-dir", out_dir.to_str().unwrap()],
        &missing,
    );
    assert_eq!(tree(&out_dir), Vec::<String>::new());
    // ...unless --skip-invalid asks for the others.
    check(
        &[
            "convert",
            "--skip-invalid",
            "--out-dir",
            out_dir.to_str().unwrap(),
        ],
        &missing,
    );
    assert_eq!(
        tree(&out_dir),
        ["a", "a/GroupCounts_1.json", "b", "b/GroupCounts_2.json"]
    );
    let (stdout, _) = check(&["trend", "--format", "csv"], &missing);
    assert!(String::from_utf8_lossy(&stdout).lines().count() > 10);
}

/// Kills `cmd` at `delay` with SIGKILL (or lets it finish) and returns.
fn run_and_kill(cmd: &mut StdCommand, delay: Duration) {
    let mut child: Child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".m365report-tmp"))
        .collect()
}

/// Kill -9 at moments spread over a whole run: the target is always the old file or the new
/// one, whole. Leftover temporaries are removed by the next run once stale.
fn kill_loop(dir: &Path, args: &[&str], target: &Path, old: &[u8]) {
    let full = {
        std::fs::write(target, old).unwrap();
        let start = Instant::now();
        let status = StdCommand::new(bin())
            .args(args)
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.code().is_some_and(|c| c <= 1), "{args:?}");
        start.elapsed()
    };
    let new = std::fs::read(target).unwrap();
    assert_ne!(new, old);
    let iterations = 8;
    let (mut saw_old, mut saw_new) = (false, false);
    for i in 0..iterations {
        std::fs::write(target, old).unwrap();
        // Spread over one and a half runs: early kills, kills while writing, and completions.
        let delay = full * 3 * (i + 1) / (2 * iterations);
        run_and_kill(StdCommand::new(bin()).args(args), delay);
        let now = std::fs::read(target).unwrap();
        assert!(
            now == old || now == new,
            "{args:?}: partial file after a kill at {delay:?} ({} bytes)",
            now.len()
        );
        saw_old |= now == old;
        saw_new |= now == new;
    }
    assert!(saw_old || saw_new);
    eprintln!(
        "{}: old {saw_old}, new {saw_new}, leftovers {}",
        args[0],
        temporaries(dir).len()
    );
    // What kills left behind: hidden, named after the target; a later run clears them once
    // they are older than the run by a minute (set back here instead of waiting).
    let old_time = SystemTime::now() - Duration::from_secs(3600);
    let leftovers = temporaries(dir);
    for path in &leftovers {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let target_name = target.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(&format!(".{target_name}.")), "{name}");
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old_time)
            .unwrap();
    }
    let status = StdCommand::new(bin())
        .args(args)
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.code().is_some_and(|c| c <= 1));
    assert_eq!(temporaries(dir), Vec::<PathBuf>::new());
    assert_eq!(std::fs::read(target).unwrap(), new);
}

#[test]
fn kill_9_during_convert_and_chart_leaves_old_or_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("GroupCounts_big.csv");
    std::fs::write(&input, rows_csv(40_000)).unwrap();
    let out = dir.path().join("out.json");
    let args = [
        "convert",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--force",
    ];
    kill_loop(dir.path(), &args, &out, b"{\"old\": true}\n");
    let small = dir.path().join("GroupCounts_small.csv");
    std::fs::write(&small, rows_csv(12_000)).unwrap();
    let chart = dir.path().join("chart.svg");
    let args = [
        "trend",
        small.to_str().unwrap(),
        "--format",
        "csv",
        "--chart",
        chart.to_str().unwrap(),
        "--force",
    ];
    kill_loop(dir.path(), &args, &chart, b"<svg>old</svg>\n");
}

#[test]
fn full_disk_and_read_only_targets_are_status_2() {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = StdCommand::new(bin())
        .current_dir(root())
        .args([
            "convert",
            "samples/getOffice365GroupsActivityGroupCounts_D7.csv",
        ])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let mounted = |opts: &str, at: &Path| {
        std::fs::create_dir_all(at).unwrap();
        StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let input = dir.path().join("GroupCounts_in.csv");
    std::fs::write(&input, rows_csv(5_000)).unwrap();
    for (opts, name, want) in [
        ("size=64k", "small", "No space left on device"),
        ("ro,size=64k", "ro", "Read-only file system"),
    ] {
        let at = dir.path().join(name);
        if !mounted(opts, &at) {
            eprintln!("skipped: cannot mount a tmpfs ({opts}) here");
            continue;
        }
        let target = at.join("out.json");
        let out = m365report()
            .arg("convert")
            .arg(&input)
            .arg("-o")
            .arg(&target)
            .output()
            .unwrap();
        let listing = tree(&at);
        let _ = StdCommand::new("umount").arg(&at).status();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{opts}: {stderr}");
        assert!(
            stderr.contains("out.json") && stderr.contains(want),
            "{stderr}"
        );
        assert!(listing.is_empty(), "{opts}: left {listing:?}");
    }
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let tenants = root().join("samples/tenants");
    let dir = tempfile::tempdir().unwrap();
    let mut runs: Vec<Vec<Vec<u8>>> = Vec::new();
    for (i, jobs) in [Some("1"), Some("2"), None].into_iter().enumerate() {
        let with_jobs = |args: &[&str]| {
            let mut cmd = m365report();
            cmd.args(args);
            if let Some(j) = jobs {
                cmd.args(["--jobs", j]);
            }
            cmd
        };
        let mut outputs = Vec::new();
        let out = with_jobs(&["validate", "--format", "json", "samples"])
            .output()
            .unwrap();
        outputs.push(out.stdout);
        let out_dir = dir.path().join(format!("conv{i}"));
        with_jobs(&["convert", "samples", "--out-dir", out_dir.to_str().unwrap()])
            .output()
            .unwrap();
        for name in tree(&out_dir) {
            let path = out_dir.join(&name);
            outputs.push(name.into_bytes());
            if path.is_file() {
                outputs.push(std::fs::read(path).unwrap());
            }
        }
        for format in ["csv", "json"] {
            let chart = dir.path().join(format!("chart{i}{format}.svg"));
            let out = with_jobs(&["trend", "--group-by", "dir", "--format", format])
                .arg(&tenants)
                .arg("--chart")
                .arg(&chart)
                .output()
                .unwrap();
            outputs.push(out.stdout);
            outputs.push(std::fs::read(chart).unwrap());
        }
        runs.push(outputs);
    }
    assert!(runs[0].len() > 6);
    assert!(runs[0] == runs[1], "--jobs 1 and --jobs 2 differ");
    assert!(runs[0] == runs[2], "--jobs 1 and the default differ");
}

/// Runs the binary, reads one line of its output and closes the pipe.
fn head_1(args: &[&str], input: &Path) {
    let mut child = StdCommand::new(bin())
        .args(args)
        .arg(input)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn closed_pipe_ends_quietly_with_success() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("GroupCounts_big.csv");
    std::fs::write(&big, rows_csv(20_000)).unwrap();
    head_1(&["convert"], &big);
    head_1(&["trend", "--format", "csv"], &big);
    head_1(&["trend", "--format", "json"], &big);
    // Many findings make a large JSON document: 5,000 rows with an invalid count.
    let bad = dir.path().join("GroupCounts_bad.csv");
    let text = rows_csv(5_000).replace(",180\n", ",18\n");
    std::fs::write(&bad, text).unwrap();
    head_1(
        &["validate", "--format", "json", "--max-errors", "100000"],
        &bad,
    );
}
