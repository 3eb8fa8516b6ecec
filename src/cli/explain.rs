//! `m365report explain [CODE]`: the long explanation of a diagnostic code with a bad and a
//! good example, as `rustc --explain` gives it; without a code, every code and its meaning.
//! The text is the library's ([`m365report::diagnostic`]), the same the README's table and
//! the SARIF rules' help are made from.

use clap::Args;
use m365report::diagnostic::{explanation, Code, RETIRED};

use super::{fail, print_stdout, Outcome};

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code, as printed in a diagnostic (`E202`; any case) [default: list every code].
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

/// Prints the explanation, or the list of codes.
pub fn run(args: &ExplainArgs) -> Outcome {
    let Some(code) = &args.code else {
        let mut text = String::new();
        for code in Code::ALL {
            text.push_str(&format!("{code}  {}\n", code.title()));
        }
        for r in RETIRED {
            text.push_str(&format!("{}  (retired)\n", r.code));
        }
        print_stdout(&text);
        return Outcome::Success;
    };
    match explanation(code) {
        Some(text) => {
            let head = match Code::parse(code) {
                Some(c) => format!("{c} ({})\n\n", c.severity().label()),
                None => format!("{} (retired)\n\n", code.trim().to_uppercase()),
            };
            print_stdout(&(head + text));
            Outcome::Success
        }
        None => fail(format!(
            "no diagnostic code `{code}`; `m365report explain` lists them"
        )),
    }
}
