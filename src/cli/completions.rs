//! `m365report completions SHELL`: the shell's completion script on standard output, made by
//! clap_complete from the command tree, so it knows every subcommand and flag there is.

use clap::{Args, Command};
use clap_complete::Shell;

use super::{print_stdout, Outcome};

/// Arguments of `completions`.
#[derive(Debug, Args)]
#[command(after_help = "Install, e.g.:
  bash: m365report completions bash > ~/.local/share/bash-completion/completions/m365report
  zsh:  m365report completions zsh > \"${fpath[1]}/_m365report\"
  fish: m365report completions fish > ~/.config/fish/completions/m365report.fish
  PowerShell: m365report completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells completions are made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// Bash (3.2 and later, with bash-completion).
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell (Windows PowerShell 5.1 and PowerShell 7).
    Powershell,
}

/// Prints the completion script for `cmd` (the whole command tree).
pub fn run(args: &CompletionsArgs, mut cmd: Command) -> Outcome {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "m365report", &mut script);
    print_stdout(&String::from_utf8_lossy(&script));
    Outcome::Success
}
