//! The YAML front matter between `---` lines.
//!
//! Parsed with `serde_norway`, the maintained fork of `serde_yaml` (whose author marked it
//! deprecated and unmaintained in 2024; it depends on `unsafe-libyaml` and has had no
//! release since). YAML values carry no positions, so spans are recovered by finding
//! each key's line in the text (best effort: a key's own line, or the indented block
//! under it). Which keys are allowed is decided by lowering.

use serde_norway::Value;
use specgen_diagnostics::{Diagnostic, FileId, Span};

use crate::ast::{FmEntry, FmKind, FmValue, FrontMatter, Spanned};

/// One line of the front matter body.
#[derive(Debug, Clone, Copy)]
struct Line {
    /// Byte offset of the line start in the file.
    start: usize,
    /// Byte offset of the line end (before the newline).
    end: usize,
    /// Number of leading spaces.
    indent: usize,
}

struct Locator<'a> {
    file: FileId,
    text: &'a str,
    lines: Vec<Line>,
}

impl Locator<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn line_text(&self, line: Line) -> &str {
        &self.text[line.start..line.end]
    }

    /// The span of a block of lines (first to last non-blank).
    fn block_span(&self, lines: &[usize], fallback: Span) -> Span {
        let used: Vec<Line> = lines
            .iter()
            .map(|&i| self.lines[i])
            .filter(|l| !self.line_text(*l).trim().is_empty())
            .collect();
        match (used.first(), used.last()) {
            (Some(first), Some(last)) => self.span(first.start + first.indent, last.end),
            _ => fallback,
        }
    }

    /// Find `key:` in `region` at the region's outer indentation. Returns the key span,
    /// the value span on the same line (if any) and the line indices under the key.
    fn find_key(&self, region: &[usize], key: &str) -> Option<(Span, Option<Span>, Vec<usize>)> {
        let outer = region
            .iter()
            .map(|&i| self.lines[i])
            .filter(|l| !self.line_text(*l).trim().is_empty())
            .map(|l| l.indent)
            .min()?;
        for (pos, &i) in region.iter().enumerate() {
            let line = self.lines[i];
            if line.indent != outer {
                continue;
            }
            let content = &self.text[line.start + line.indent..line.end];
            let bare = content.trim_start_matches(['"', '\'']);
            let quote = content.len() - bare.len();
            if !bare.starts_with(key) {
                continue;
            }
            let after = &bare[key.len()..];
            let after_quote = after.trim_start_matches(['"', '\'']);
            let rest = after_quote.trim_start();
            if !rest.starts_with(':') {
                continue;
            }
            let key_start = line.start + line.indent + quote;
            let key_span = self.span(key_start, key_start + key.len());
            let colon = line.end - rest.len();
            let value_text = &self.text[colon + 1..line.end];
            let value_trim = value_text.trim();
            let value_span = if value_trim.is_empty() || value_trim.starts_with('#') {
                None
            } else {
                let lead = value_text.len() - value_text.trim_start().len();
                Some(self.span(colon + 1 + lead, colon + 1 + lead + value_trim.len()))
            };
            // Lines under the key: more indented, or `- ` items at the same indentation.
            let mut children = Vec::new();
            for &j in &region[pos + 1..] {
                let l = self.lines[j];
                let t = self.line_text(l).trim();
                if t.is_empty() || t.starts_with('#') {
                    children.push(j);
                    continue;
                }
                if l.indent > outer || (l.indent == outer && t.starts_with('-')) {
                    children.push(j);
                } else {
                    break;
                }
            }
            return Some((key_span, value_span, children));
        }
        None
    }
}

/// Parse the front matter body (`body_start..body_end` in `text`). `span` covers the
/// whole block with its fences.
pub(crate) fn parse(
    file: FileId,
    text: &str,
    body_start: usize,
    body_end: usize,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> FrontMatter {
    let body = &text[body_start..body_end];
    let mut lines = Vec::new();
    let mut offset = body_start;
    for raw in body.split_inclusive('\n') {
        let content = raw.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start_matches(' ').len();
        lines.push(Line {
            start: offset,
            end: offset + content.len(),
            indent,
        });
        offset += raw.len();
    }
    let locator = Locator { file, text, lines };
    let mut front = FrontMatter {
        span,
        entries: Vec::new(),
    };
    if body.trim().is_empty() {
        return front;
    }
    let value: Value = match serde_norway::from_str(body) {
        Ok(v) => v,
        Err(err) => {
            let at = err
                .location()
                .map_or(body_start, |loc| (body_start + loc.index()).min(body_end));
            let at = floor_boundary(text, at);
            let end = next_boundary(text, at).min(body_end.max(at));
            let message = err.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            diags.push(
                Diagnostic::error(
                    "invalid_front_matter",
                    Span::new(file, at, end),
                    format!("the front matter is not valid YAML: {message}"),
                )
                .with_hint("write one `key: value` per line, for example `database: sqlite`"),
            );
            return front;
        }
    };
    let all: Vec<usize> = (0..locator.lines.len()).collect();
    match value {
        Value::Mapping(map) => front.entries = entries(&locator, &map, &all, span),
        Value::Null => {}
        other => {
            diags.push(
                Diagnostic::error(
                    "invalid_front_matter",
                    locator.block_span(&all, span),
                    format!(
                        "the front matter must be a list of `key: value` lines, found {}",
                        convert(&locator, &other, &all, span).kind.describe()
                    ),
                )
                .with_hint("write one `key: value` per line, for example `app: studio-bookings`"),
            );
        }
    }
    front
}

fn entries(
    loc: &Locator<'_>,
    map: &serde_norway::Mapping,
    region: &[usize],
    fallback: Span,
) -> Vec<FmEntry> {
    let mut out = Vec::new();
    for (k, v) in map {
        let key = match k {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => String::from("?"),
        };
        let (key_span, value_span, children) = match loc.find_key(region, &key) {
            Some((ks, vs, children)) => {
                let vs = vs.unwrap_or_else(|| loc.block_span(&children, ks));
                (ks, vs, children)
            }
            None => (fallback, fallback, Vec::new()),
        };
        let value = convert(loc, v, &children, value_span);
        out.push(FmEntry {
            key: Spanned::new(key, key_span),
            value,
        });
    }
    out
}

fn convert(loc: &Locator<'_>, value: &Value, region: &[usize], span: Span) -> FmValue {
    let kind = match value {
        Value::Null => FmKind::Null,
        Value::Bool(b) => FmKind::Bool(*b),
        Value::Number(n) => FmKind::Number(n.to_string()),
        Value::String(s) => FmKind::String(s.clone()),
        Value::Sequence(items) => {
            // Find each item's text in order inside the value's span or block.
            let area = if region.is_empty() {
                (span.start as usize, span.end as usize)
            } else {
                let s = loc.block_span(region, span);
                (s.start as usize, s.end as usize)
            };
            let mut cursor = area.0;
            let mut list = Vec::new();
            for item in items {
                let item_span = match item {
                    Value::String(s) if !s.is_empty() => match loc
                        .text
                        .get(cursor..area.1)
                        .and_then(|t| t.find(s.as_str()))
                    {
                        Some(i) => {
                            let start = cursor + i;
                            cursor = start + s.len();
                            loc.span(start, start + s.len())
                        }
                        None => span,
                    },
                    _ => span,
                };
                list.push(convert(loc, item, &[], item_span));
            }
            FmKind::List(list)
        }
        Value::Mapping(map) => FmKind::Map(entries(loc, map, region, span)),
        Value::Tagged(tagged) => return convert(loc, &tagged.value, region, span),
    };
    FmValue { kind, span }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn next_boundary(s: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < s.len() && !s.is_char_boundary(j) {
        j += 1;
    }
    j.min(s.len())
}
