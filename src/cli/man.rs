//! `m365report man [COMMAND...] [--out-dir DIR]`: manual pages made by clap_mangen from the
//! command tree, one per command (`m365report.1`, `m365report-validate.1`,
//! `m365report-archive-add.1`, ...). One page goes to standard output (`man validate | man
//! -l -`); `--out-dir` writes every page into a folder, each written whole.

use std::path::{Path, PathBuf};

use clap::{Args, Command};
use m365report::write::{AtomicFile, Durability};

use super::{fail, print_stderr, print_stdout, Outcome};

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`validate`, `archive add`) [default: m365report's].
    #[arg(value_name = "COMMAND", conflicts_with = "out_dir")]
    pub command: Vec<String>,
    /// Write every command's page into DIR (`DIR/m365report-validate.1`, ...), replacing
    /// older ones (DIR is created if needed), instead of one page on standard output.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Prints one page, or writes them all under `--out-dir`.
pub fn run(args: &ManArgs, cmd: Command) -> Outcome {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = &args.out_dir {
        return write_all(&cmd, dir);
    }
    let mut page = &cmd;
    for name in &args.command {
        match page.find_subcommand(name) {
            Some(sub) => page = sub,
            None => {
                return fail(format!(
                    "no command `{}`; `m365report --help` lists them",
                    args.command.join(" ")
                ))
            }
        }
    }
    match render(page) {
        Ok((_, text)) => {
            print_stdout(&text);
            Outcome::Success
        }
        Err(e) => fail(e),
    }
}

/// A command's page: its file name and roff text.
fn render(cmd: &Command) -> Result<(String, String), std::io::Error> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut text = Vec::new();
    man.render(&mut text)?;
    Ok((
        man.get_filename(),
        String::from_utf8_lossy(&text).into_owned(),
    ))
}

/// Every page of `cmd` and its subcommands into `dir`.
fn write_all(cmd: &Command, dir: &Path) -> Outcome {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fail(format!("cannot create {}: {e}", dir.display()));
    }
    let mut pages = Vec::new();
    collect(cmd, &mut pages);
    for page in &pages {
        let written = render(page)
            .map_err(|e| e.to_string())
            .and_then(|(name, text)| {
                AtomicFile::write_whole(
                    &dir.join(name),
                    text.as_bytes(),
                    true,
                    Durability::Unsynced,
                )
                .map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            return fail(e);
        }
    }
    print_stderr(&format!(
        "wrote {} pages to {}\n",
        pages.len(),
        dir.display()
    ));
    Outcome::Success
}

/// `cmd` and every visible subcommand, depth first.
fn collect<'a>(cmd: &'a Command, pages: &mut Vec<&'a Command>) {
    pages.push(cmd);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages);
    }
}
