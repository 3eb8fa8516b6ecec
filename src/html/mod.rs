//! HTML pages: one self-contained file a browser opens offline, for `trend --html` and
//! `m365report report`.
//!
//! The page's shell (`page.html`: styles for light and dark, phone and wide screen, and the
//! few lines of script that sort a table when a header is clicked) is embedded at build
//! time and holds no external URL: the page loads nothing, so it opens the same on a
//! machine without network and leaks nothing about who reads it. Everything put into it
//! from outside (file, folder and series names come from users' folders) goes through
//! [`escape`]. `trend.rs` writes a [`Trend`](crate::trend::Trend)'s sections (charts,
//! tables, summaries, conflicts, gaps, skipped reports), `validation.rs` the findings of
//! every file, `page.rs` assembles them into the pages; this module holds the shell.

pub mod page;
pub mod trend;
pub mod validation;

/// The page's shell: `{{version}}`, `{{title}}` and `{{body}}` are filled in.
const TEMPLATE: &str = include_str!("page.html");

/// The crate's version, named in the page's footer and `generator` meta tag.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Text made safe for HTML content and quoted attribute values. Control characters other
/// than tab and line breaks become spaces: they are not allowed in HTML text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// [`escape`], appended to `out`.
pub fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// A whole page: `title` (plain text, escaped here) and `body` (HTML) in the shell.
pub fn document(title: &str, body: &str) -> String {
    // The body is put in last and never searched for placeholders: text from a file name
    // such as `{{title}}` stays text.
    let (head, tail) = TEMPLATE.split_once("{{body}}").unwrap_or((TEMPLATE, ""));
    let fill = |part: &str| {
        part.replace("{{version}}", VERSION)
            .replace("{{title}}", &escape(title))
    };
    let (head, tail) = (fill(head), fill(tail));
    let mut out = String::with_capacity(head.len() + body.len() + tail.len());
    out.push_str(&head);
    out.push_str(body);
    out.push_str(&tail);
    out
}

/// What the page's header says about where the data came from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The paths given (or the archive read), as the user wrote them.
    pub paths: Vec<String>,
    /// One line on the files read (`21 files: 21 valid, 0 invalid`).
    pub files: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_text() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt; "
        );
    }

    #[test]
    fn placeholders_in_the_body_stay_text() {
        let page = document("t {{body}}", "<p>{{title}} {{version}}</p>");
        assert!(page.contains("<p>{{title}} {{version}}</p>"));
        assert!(page.contains("<title>t {{body}}</title>"));
    }

    #[test]
    fn the_shell_names_no_external_resource() {
        for needle in [
            "http:", "https:", "//cdn", "src=", "href=", "@import", "url(",
        ] {
            assert!(!TEMPLATE.contains(needle), "{needle}");
        }
    }
}
