//! Rendering diagnostics for people (`human`) and for tools (`json`).
//!
//! Human output uses `codespan-reporting` 0.13 rather than `ariadne` 0.6: it is the
//! long-standing choice of Rust compilers-in-libraries, its plain output (ASCII borders,
//! no color codes) is stable and deterministic, which suits snapshot tests and logs, and
//! it draws `file:line:column`, the underlined span, secondary labels and `help` notes in
//! the familiar rustc layout. Both output formats are pure functions of their input.

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity,
};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Chars, Config};
use serde::Serialize;

use crate::{Diagnostic, Severity, SourceMap, Span};

/// Render diagnostics as text: a header with the code and message, `file:line:column`,
/// the source line with the span underlined, labels, and the hint as `= help:`.
/// ANSI colors only when `color` is true.
pub fn human(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut files = SimpleFiles::new();
    for f in &sources.files {
        files.add(f.path.clone(), f.text.clone());
    }
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let mut out = String::new();
    for d in diagnostics {
        let cs = to_codespan(sources, d);
        let rendered = if color {
            let mut buffer = term::termcolor::Buffer::ansi();
            term::emit_to_write_style(&mut buffer, &config, &files, &cs)
                .ok()
                .and_then(|_| String::from_utf8(buffer.into_inner()).ok())
        } else {
            term::emit_into_string(&config, &files, &cs).ok()
        };
        match rendered {
            Some(text) => out.push_str(&text),
            // Only reachable with a span outside its file: still say everything we know.
            None => out.push_str(&fallback(sources, d)),
        }
    }
    out
}

fn to_codespan(sources: &SourceMap, d: &Diagnostic) -> CsDiagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let mut labels = Vec::new();
    if let Some((file, range)) = clamp(sources, d.span) {
        labels.push(CsLabel::primary(file, range));
    }
    for l in &d.labels {
        if let Some((file, range)) = clamp(sources, l.span) {
            labels.push(CsLabel::secondary(file, range).with_message(l.message.clone()));
        }
    }
    let notes = d.hint.iter().map(|h| format!("help: {h}")).collect();
    CsDiagnostic::new(severity)
        .with_code(d.code.clone())
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// The span as a byte range inside its file, on char boundaries; `None` if the file
/// does not exist.
fn clamp(sources: &SourceMap, span: Span) -> Option<(usize, std::ops::Range<usize>)> {
    let file = sources.files.get(span.file.0 as usize)?;
    let text = &file.text;
    let mut start = (span.start as usize).min(text.len());
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (span.end as usize).clamp(start, text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    Some((span.file.0 as usize, start..end))
}

fn fallback(sources: &SourceMap, d: &Diagnostic) -> String {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut s = format!("{sev}[{}]: {}\n", d.code, d.message);
    if let Some(loc) = location(sources, d.span) {
        s.push_str(&format!("  --> {}:{}:{}\n", loc.file, loc.line, loc.column));
    }
    if let Some(h) = &d.hint {
        s.push_str(&format!("  = help: {h}\n"));
    }
    s.push('\n');
    s
}

struct Location {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn location(sources: &SourceMap, span: Span) -> Option<Location> {
    let (file, range) = clamp(sources, span)?;
    let id = crate::FileId(file as u32);
    let (line, column) = sources.line_col(id, range.start as u32);
    let (end_line, end_column) = sources.line_col(id, range.end as u32);
    Some(Location {
        file: sources.get(id).path.clone(),
        line,
        column,
        end_line,
        end_column,
    })
}

#[derive(Serialize)]
struct JsonLabel {
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    message: String,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'a str,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    hint: Option<&'a str>,
    labels: Vec<JsonLabel>,
}

/// Render diagnostics as a JSON array of objects with `severity`, `code`, `message`,
/// `file`, `line`, `column`, `end_line`, `end_column` (1-based, columns in characters,
/// the end exclusive), `hint` and `labels`.
pub fn json(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|d| {
            let loc = location(sources, d.span);
            JsonDiagnostic {
                severity: d.severity,
                code: &d.code,
                message: &d.message,
                file: loc.as_ref().map(|l| l.file.clone()),
                line: loc.as_ref().map(|l| l.line),
                column: loc.as_ref().map(|l| l.column),
                end_line: loc.as_ref().map(|l| l.end_line),
                end_column: loc.as_ref().map(|l| l.end_column),
                hint: d.hint.as_deref(),
                labels: d
                    .labels
                    .iter()
                    .map(|l| {
                        let loc = location(sources, l.span);
                        JsonLabel {
                            file: loc.as_ref().map(|l| l.file.clone()),
                            line: loc.as_ref().map(|l| l.line),
                            column: loc.as_ref().map(|l| l.column),
                            end_line: loc.as_ref().map(|l| l.end_line),
                            end_column: loc.as_ref().map(|l| l.end_column),
                            message: l.message.clone(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileId;

    fn sample() -> (SourceMap, Vec<Diagnostic>) {
        let mut map = SourceMap::default();
        let id = map.add("app.spec", "## Booking\n- starts at {datetme}\n");
        let d = Diagnostic::error(
            "unknown_type",
            Span::new(id, 24, 31),
            "unknown type `datetme`",
        )
        .with_label(Span::new(id, 3, 10), "in this entity")
        .with_hint("did you mean `datetime`?");
        (map, vec![d])
    }

    #[test]
    fn human_shows_location_underline_and_hint_without_color() {
        let (map, diags) = sample();
        let text = human(&map, &diags, false);
        assert!(
            text.contains("error[unknown_type]: unknown type `datetme`"),
            "{text}"
        );
        assert!(text.contains("app.spec:2:14"), "{text}");
        assert!(text.contains("^^^^^^^"), "{text}");
        assert!(text.contains("help: did you mean `datetime`?"), "{text}");
        assert!(!text.contains('\u{1b}'), "no escape codes without color");
        assert!(
            human(&map, &diags, true).contains('\u{1b}'),
            "escape codes with color"
        );
    }

    #[test]
    fn json_has_one_based_positions() {
        let (map, diags) = sample();
        let text = json(&map, &diags);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(v[0]["code"], "unknown_type");
        assert_eq!(v[0]["file"], "app.spec");
        assert_eq!(v[0]["line"], 2);
        assert_eq!(v[0]["column"], 14);
        assert_eq!(v[0]["end_column"], 21);
        assert_eq!(v[0]["severity"], "error");
        assert_eq!(v[0]["labels"][0]["message"], "in this entity");
    }

    #[test]
    fn out_of_range_spans_do_not_panic() {
        let mut map = SourceMap::default();
        let id = map.add("a.spec", "é");
        let diags = vec![
            Diagnostic::error("x", Span::new(id, 1, 99), "inside a char"),
            Diagnostic::error("y", Span::new(FileId(7), 0, 1), "no such file"),
        ];
        let text = human(&map, &diags, false);
        assert!(text.contains("error[y]: no such file"), "{text}");
        let _ = json(&map, &diags);
    }
}
