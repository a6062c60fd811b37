//! Turns text into the syntax tree, driving the pest grammar in `spec.pest`.
//!
//! The document level classifies lines; each bullet is then parsed on its own, so a bad
//! line produces one diagnostic and parsing goes on with the next line.

use pest::Parser;
use pest::iterators::Pair;
use specgen_diagnostics::{Diagnostic, FileId, Span, suggest};

use crate::ast::*;
use crate::front_matter;
use crate::patterns::{
    ACCESS_PATTERNS, ACTION_WORDS, RULE_PATTERNS, TIME_UNITS, action_word, pattern_hint, time_unit,
};

#[derive(pest_derive::Parser)]
#[grammar = "spec.pest"]
struct SpecParser;

/// The result of parsing one file: the tree (as much as could be read) and the
/// problems found.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub file: SpecFile,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parse one spec file. Never panics; syntax errors become diagnostics.
pub fn parse(file: FileId, text: &str) -> Parsed {
    let mut p = P {
        file,
        text,
        diags: Vec::new(),
    };
    let spec = p.document();
    Parsed {
        file: spec,
        diagnostics: p.diags,
    }
}

struct P<'a> {
    file: FileId,
    text: &'a str,
    diags: Vec<Diagnostic>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sub {
    Fields,
    Access,
    Rules,
    /// Under a `###` heading that was reported as unknown: lines are not read.
    Unknown,
}

enum Current {
    Preamble,
    Roles(RolesSection),
    Entity(EntitySection, Sub, Desc),
    /// A section whose heading could not be read; its lines are not checked.
    Invalid,
}

/// Collects prose: lines of a paragraph are joined with spaces, paragraphs with a blank
/// line, bullets stay one per line.
#[derive(Default)]
struct Desc {
    out: String,
    pending_break: bool,
    in_paragraph: bool,
}

impl Desc {
    fn text(&mut self, line: &str) {
        let line = normalize(line);
        if line.is_empty() {
            return self.blank();
        }
        if self.pending_break && !self.out.is_empty() {
            self.out.push_str("\n\n");
        } else if self.in_paragraph {
            self.out.push(' ');
        } else if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out.push_str(&line);
        self.pending_break = false;
        self.in_paragraph = true;
    }

    fn bullet(&mut self, body: &str) {
        if self.pending_break && !self.out.is_empty() {
            self.out.push_str("\n\n");
        } else if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out.push_str("- ");
        self.out.push_str(&normalize(body));
        self.pending_break = false;
        self.in_paragraph = false;
    }

    fn blank(&mut self) {
        self.pending_break = true;
        self.in_paragraph = false;
    }
}

/// Collapse runs of whitespace (including line breaks) into single spaces and trim.
pub(crate) fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prose with an annotation cut out: whitespace normalized, no space before punctuation.
fn prose(s: &str) -> String {
    let mut out = normalize(s);
    for p in [" .", " ,", " ;", " !", " ?", " :"] {
        out = out.replace(p, &p[1..]);
    }
    out
}

/// Byte range of the first `{...}` in `s`: `Ok(Some((open, close)))`, `Err(open)` when
/// the `{` is never closed.
fn find_annotation(s: &str) -> Result<Option<(usize, usize)>, usize> {
    match s.find('{') {
        None => Ok(None),
        Some(open) => match s[open..].find('}') {
            Some(rel) => Ok(Some((open, open + rel))),
            None => Err(open),
        },
    }
}

impl<'a> P<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn at(&self, base: usize, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        self.span(base + s.start(), base + s.end())
    }

    fn spanned(&self, base: usize, pair: &Pair<'_, Rule>) -> Spanned<String> {
        Spanned::new(normalize(pair.as_str()), self.at(base, pair))
    }

    /// A field name in a rule, without backticks.
    fn field(&self, base: usize, pair: &Pair<'_, Rule>) -> Spanned<String> {
        let raw = pair.as_str().trim_matches('`');
        Spanned::new(normalize(raw), self.at(base, pair))
    }

    /// `<n> <unit>` of a time window, in seconds; `None` (with a diagnostic) for an unknown
    /// unit or a number too large.
    fn window_seconds(
        &mut self,
        base: usize,
        n: &Pair<'_, Rule>,
        unit: &Pair<'_, Rule>,
    ) -> Option<u64> {
        let Some(per) = time_unit(unit.as_str()) else {
            let d = Diagnostic::error(
                "unknown_time_unit",
                self.at(base, unit),
                format!("`{}` is not a time unit", unit.as_str()),
            );
            let d = match suggest(unit.as_str(), TIME_UNITS.iter().map(|(u, _)| *u)) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint("use `minutes`, `hours`, `days` or `weeks`"),
            };
            self.diags.push(d);
            return None;
        };
        let seconds = n
            .as_str()
            .parse::<u64>()
            .ok()
            .and_then(|v| v.checked_mul(per))
            // The generated service measures windows with chrono's `TimeDelta`, which holds
            // at most `i64::MAX` milliseconds.
            .filter(|s| *s <= i64::MAX as u64 / 1000);
        if seconds.is_none() {
            self.diags.push(
                Diagnostic::error(
                    "number_too_large",
                    self.at(base, n),
                    format!("`{}` is too large for a time window", n.as_str()),
                )
                .with_hint("use a smaller number"),
            );
        }
        seconds
    }

    fn error_pos(err: &pest::error::Error<Rule>) -> usize {
        match err.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        }
    }

    /// A span for one character at `pos` (or an empty one at the end of the text).
    fn point(&self, pos: usize) -> Span {
        let pos = pos.min(self.text.len());
        let end = self.text[pos..]
            .chars()
            .next()
            .map_or(pos, |c| pos + c.len_utf8());
        self.span(pos, end)
    }

    // ------------------------------------------------------------ document

    fn document(&mut self) -> SpecFile {
        let mut spec = SpecFile {
            file: self.file,
            front_matter: None,
            title: None,
            description: String::new(),
            sections: Vec::new(),
        };
        let pairs = match SpecParser::parse(Rule::document, self.text) {
            Ok(mut pairs) => match pairs.next() {
                Some(doc) => doc.into_inner(),
                None => return spec,
            },
            Err(err) => {
                let pos = Self::error_pos(&err);
                self.diags.push(
                    Diagnostic::error(
                        "syntax_error",
                        self.point(pos),
                        "this file could not be read",
                    )
                    .with_hint("check for unusual characters on this line"),
                );
                return spec;
            }
        };
        let mut current = Current::Preamble;
        let mut preamble = Desc::default();
        let mut first_line = true;
        for pair in pairs {
            let is_first = std::mem::replace(&mut first_line, false);
            match pair.as_rule() {
                Rule::front_matter => {
                    let whole = self.at(0, &pair);
                    if let Some(body) = pair.into_inner().find(|p| p.as_rule() == Rule::fm_body) {
                        let s = body.as_span();
                        spec.front_matter = Some(front_matter::parse(
                            self.file,
                            self.text,
                            s.start(),
                            s.end(),
                            whole,
                            &mut self.diags,
                        ));
                    }
                }
                Rule::heading => {
                    let span = self.at(0, &pair);
                    let mut inner = pair.into_inner();
                    let level = inner.next().map_or(1, |m| m.as_str().len());
                    let Some(text_pair) = inner.next() else {
                        continue;
                    };
                    let start = text_pair.as_span().start();
                    let htext = text_pair.as_str();
                    match level {
                        1 => {
                            if matches!(current, Current::Preamble) && spec.title.is_none() {
                                spec.title = Some(Spanned::new(normalize(htext), span));
                            } else {
                                self.diags.push(
                                    Diagnostic::error("misplaced_title", span, "a `#` title can appear only once, at the top of the file")
                                        .with_hint("use `## Name` to start an entity section, or remove the extra `#` line"),
                                );
                            }
                        }
                        2 => {
                            self.finish(&mut current, &mut spec);
                            current = self.section_heading(start, htext, span);
                        }
                        _ => match &mut current {
                            Current::Entity(entity, sub, _) => {
                                let name = normalize(htext).trim_end_matches(':').to_lowercase();
                                match name.as_str() {
                                    "access" => {
                                        *sub = Sub::Access;
                                        entity.has_access = true;
                                    }
                                    "rules" => *sub = Sub::Rules,
                                    "fields" => *sub = Sub::Fields,
                                    _ => {
                                        let mut d = Diagnostic::error(
                                            "unknown_subsection",
                                            span,
                                            format!(
                                                "`{}` is not a part of an entity section",
                                                normalize(htext)
                                            ),
                                        );
                                        d = match suggest(&name, ["access", "rules", "fields"]) {
                                            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                                            None => d.with_hint("an entity section has fields, then `Access:` and `Rules:`; start a new entity with `## Name`"),
                                        };
                                        self.diags.push(d);
                                        *sub = Sub::Unknown;
                                    }
                                }
                            }
                            Current::Preamble => preamble.text(htext),
                            Current::Roles(_) | Current::Invalid => {}
                        },
                    }
                }
                Rule::label => {
                    let span = self.at(0, &pair);
                    let word = pair
                        .into_inner()
                        .next()
                        .map(|w| w.as_str().to_lowercase())
                        .unwrap_or_default();
                    match &mut current {
                        Current::Entity(entity, sub, _) => match word.as_str() {
                            "access" => {
                                *sub = Sub::Access;
                                entity.has_access = true;
                            }
                            "rules" => *sub = Sub::Rules,
                            _ => *sub = Sub::Fields,
                        },
                        Current::Invalid => {}
                        Current::Preamble | Current::Roles(_) => self.diags.push(
                            Diagnostic::error(
                                "misplaced_label",
                                span,
                                format!(
                                    "`{}` must be inside an entity section",
                                    normalize(pair_text(self.text, span))
                                ),
                            )
                            .with_hint(
                                "put it under the `## Name` heading of the entity it is about",
                            ),
                        ),
                    }
                }
                Rule::bullet => {
                    let Some(body) = pair.into_inner().find(|p| p.as_rule() == Rule::bullet_body)
                    else {
                        continue;
                    };
                    let (start, end) = (body.as_span().start(), body.as_span().end());
                    match &mut current {
                        Current::Preamble => preamble.bullet(body.as_str()),
                        Current::Roles(roles) => {
                            if let Some(role) = self.role_line(start, end) {
                                roles.roles.push(role);
                            }
                        }
                        Current::Entity(entity, sub, _) => match sub {
                            Sub::Fields => {
                                if let Some(field) = self.field_line(start, end) {
                                    entity.fields.push(field);
                                }
                            }
                            Sub::Access => {
                                let line = self.access_line(start, end);
                                entity.access.push(line);
                            }
                            Sub::Rules => {
                                let line = self.rule_line(start, end);
                                entity.rules.push(line);
                            }
                            Sub::Unknown => {}
                        },
                        Current::Invalid => {}
                    }
                }
                Rule::text => {
                    let raw = pair.as_str();
                    let (start, end) = (pair.as_span().start(), pair.as_span().end());
                    if raw.trim().is_empty() {
                        blank(&mut current, &mut preamble);
                        continue;
                    }
                    if is_first && raw.trim_end() == "---" {
                        self.diags.push(
                            Diagnostic::error(
                                "unterminated_front_matter",
                                self.span(start, end),
                                "the front matter is never closed",
                            )
                            .with_hint("end the front matter with a line containing only `---`"),
                        );
                    }
                    let lead = raw.len() - raw.trim_start().len();
                    let trail = raw.len() - raw.trim_end().len();
                    match &mut current {
                        Current::Preamble => preamble.text(raw),
                        Current::Roles(_) | Current::Invalid => {}
                        Current::Entity(entity, sub, desc) => match sub {
                            Sub::Fields => {
                                self.warn_if_access(start + lead, end - trail);
                                desc.text(raw);
                            }
                            Sub::Access => {
                                let line = self.access_line(start + lead, end - trail);
                                entity.access.push(line);
                            }
                            Sub::Rules => {
                                let line = self.rule_line(start + lead, end - trail);
                                entity.rules.push(line);
                            }
                            Sub::Unknown => {}
                        },
                    }
                }
                Rule::blank => blank(&mut current, &mut preamble),
                _ => {}
            }
        }
        self.finish(&mut current, &mut spec);
        spec.description = preamble.out;
        spec
    }

    /// Prose in an entity's description that reads like an access line grants nothing;
    /// say so, since the founder probably meant it as one.
    fn warn_if_access(&mut self, start: usize, end: usize) {
        if looks_like_access(&self.text[start..end]) {
            self.diags.push(
                Diagnostic::warning(
                    "access_outside_section",
                    self.span(start, end),
                    "this reads like an access line, but it is not under `Access:`, so it grants nothing",
                )
                .with_hint("put it in a bullet under an `Access:` line of this entity"),
            );
        } else if looks_like_field(&self.text[start..end]) {
            self.diags.push(
                Diagnostic::warning(
                    "field_without_bullet",
                    self.span(start, end),
                    "this looks like a field, but without `- ` in front it is read as description",
                )
                .with_hint("start the line with `- ` to make it a field"),
            );
        }
    }

    fn finish(&mut self, current: &mut Current, spec: &mut SpecFile) {
        match std::mem::replace(current, Current::Invalid) {
            Current::Roles(roles) => spec.sections.push(Section::Roles(roles)),
            Current::Entity(mut entity, _, desc) => {
                entity.description = desc.out;
                spec.sections.push(Section::Entity(entity));
            }
            Current::Preamble | Current::Invalid => {}
        }
    }

    fn section_heading(&mut self, start: usize, htext: &str, span: Span) -> Current {
        let parsed = SpecParser::parse(Rule::entity_heading, htext);
        let Ok(mut pairs) = parsed else {
            self.diags.push(
                Diagnostic::error("missing_name", span, "this `##` heading has no name").with_hint(
                    "write the entity's singular name after `##`, for example `## Booking`",
                ),
            );
            return Current::Invalid;
        };
        let mut name = None;
        let mut markers = Vec::new();
        let mut previous = Vec::new();
        for p in pairs.next().map(|p| p.into_inner()).into_iter().flatten() {
            match p.as_rule() {
                Rule::heading_name => {
                    name = Some(Spanned::new(normalize(p.as_str()), self.trimmed(start, &p)))
                }
                Rule::annotation => {
                    for m in self.markers(start, p) {
                        match self.previous_name(&m) {
                            Some(was) => previous.push(was),
                            None => markers.push(Spanned::new(m.value.to_lowercase(), m.span)),
                        }
                    }
                }
                _ => {}
            }
        }
        let Some(name) = name.filter(|n| !n.value.is_empty()) else {
            self.diags.push(
                Diagnostic::error("missing_name", span, "this `##` heading has no name").with_hint(
                    "write the entity's singular name after `##`, for example `## Booking`",
                ),
            );
            return Current::Invalid;
        };
        if name.value.eq_ignore_ascii_case("roles") {
            let previous = previous
                .iter()
                .map(|p| Spanned::new("was".to_owned(), p.span));
            for m in markers.iter().cloned().chain(previous) {
                self.diags.push(Diagnostic::error("unknown_marker", m.span, format!("`{}` cannot mark the roles section", m.value)).with_hint("remove it; mark a role's own line instead, for example `- editor {default}: ...`"));
            }
            return Current::Roles(RolesSection {
                heading: span,
                roles: Vec::new(),
            });
        }
        Current::Entity(
            EntitySection {
                name,
                markers,
                previous,
                heading: span,
                description: String::new(),
                fields: Vec::new(),
                has_access: false,
                access: Vec::new(),
                rules: Vec::new(),
            },
            Sub::Fields,
            Desc::default(),
        )
    }

    /// Span of a pair's text without surrounding whitespace.
    fn trimmed(&self, base: usize, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_str();
        let lead = s.len() - s.trim_start().len();
        let start = base + pair.as_span().start() + lead;
        self.span(start, start + s.trim().len())
    }

    /// A heading's marker that says what the entity was called before (`was Studio`).
    fn previous_name(&self, marker: &Spanned<String>) -> Option<PreviousName> {
        let was = SpecParser::parse(Rule::was_marker, &marker.value)
            .ok()?
            .next()?
            .into_inner()
            .find(|p| p.as_rule() == Rule::was_item)?;
        Some(PreviousName {
            name: self.old_name(marker.span.start as usize, was),
            span: marker.span,
        })
    }

    /// The name after `was` in a `was_item` pair whose text starts at `base`.
    fn old_name(&self, base: usize, was: Pair<'_, Rule>) -> Option<Spanned<String>> {
        was.into_inner()
            .find(|p| matches!(p.as_rule(), Rule::old_name | Rule::value_name))
            .map(|p| self.spanned(base, &p))
    }

    /// The comma-separated words of an `annotation` pair (`{auth}`, `{default, admin}`),
    /// lowercased.
    fn markers(&self, base: usize, annotation: Pair<'_, Rule>) -> Vec<Spanned<String>> {
        self.marker_items(base, annotation)
            .into_iter()
            .map(|m| Spanned::new(m.value.to_lowercase(), m.span))
            .collect()
    }

    /// The comma-separated items of an `annotation` pair, as written.
    fn marker_items(&self, base: usize, annotation: Pair<'_, Rule>) -> Vec<Spanned<String>> {
        let Some(body) = annotation.into_inner().next() else {
            return Vec::new();
        };
        let body_start = base + body.as_span().start();
        split_items(body.as_str())
            .into_iter()
            .map(|(s, e)| {
                Spanned::new(
                    normalize(&body.as_str()[s..e]),
                    self.span(body_start + s, body_start + e),
                )
            })
            .collect()
    }

    // ------------------------------------------------------------ roles

    fn role_line(&mut self, start: usize, end: usize) -> Option<RoleLine> {
        let body = &self.text[start..end];
        let line_span = self.span(start, end);
        let pairs = match SpecParser::parse(Rule::role_line, body) {
            Ok(mut p) => p.next()?.into_inner(),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error("invalid_role_line", line_span, "this role line is not understood")
                        .with_hint("write a role as `- editor: writes and publishes posts`, optionally marked `{default}` or `{admin}`"),
                );
                return None;
            }
        };
        let mut name = None;
        let mut description = String::new();
        let mut markers = Vec::new();
        for p in pairs {
            match p.as_rule() {
                Rule::role_name => {
                    name = Some(Spanned::new(normalize(p.as_str()), self.trimmed(start, &p)))
                }
                Rule::annotation => markers.extend(self.markers(start, p)),
                Rule::role_desc => description = normalize(p.as_str()),
                _ => {}
            }
        }
        let name = name.filter(|n| !n.value.is_empty())?;
        Some(RoleLine {
            name,
            description,
            markers,
            span: line_span,
        })
    }

    // ------------------------------------------------------------ fields

    fn field_line(&mut self, start: usize, end: usize) -> Option<FieldLine> {
        let body = &self.text[start..end];
        let line_span = self.span(start, end);
        let pairs = match SpecParser::parse(Rule::field_line, body) {
            Ok(mut p) => p.next()?.into_inner(),
            Err(err) => {
                let name = normalize(body.split([':', '{']).next().unwrap_or(body));
                let d = match find_annotation(body) {
                    Ok(None) if looks_like_access(body) => Diagnostic::error(
                        "missing_annotation",
                        line_span,
                        "this reads like an access line, but it is in the list of fields",
                    )
                    .with_hint("put access lines under an `Access:` line after the fields"),
                    Ok(Some((open, close))) if body[open..close].matches('"').count() % 2 == 1 => Diagnostic::error(
                        "invalid_field_line",
                        self.point(start + close),
                        "an annotation cannot contain `{` or `}`, even in quotes",
                    )
                    .with_hint("leave braces out of defaults; set such values from the application instead"),
                    Ok(Some((open, close))) if body[open + 1..].find('{').is_some_and(|i| open + 1 + i < close) => {
                        Diagnostic::error("unclosed_annotation", self.point(start + open), "this `{` is not closed before the next `{`")
                            .with_hint("an annotation cannot contain braces; close it with `}` first")
                    }
                    Ok(None) => Diagnostic::error("missing_annotation", line_span, format!("field `{name}` has no `{{...}}` annotation"))
                        .with_hint(format!("add its type in braces after the name, for example `- {name} {{text}}`")),
                    Err(open) => Diagnostic::error("unclosed_annotation", self.point(start + open), "this `{` is never closed")
                        .with_hint("close the annotation with `}` on the same bullet"),
                    Ok(Some(_)) if body.trim_start().starts_with('{') => Diagnostic::error("missing_name", line_span, "this field has no name")
                        .with_hint("write the field's name before its annotation, for example `- starts at {datetime}`"),
                    Ok(Some(_)) => {
                        let pos = Self::error_pos(&err);
                        Diagnostic::error("invalid_field_line", self.point(start + pos), "this field line is not understood")
                            .with_hint("write a field as `- name {type, options}: description`")
                    }
                };
                self.diags.push(d);
                return None;
            }
        };
        let mut name = None;
        let mut items = Vec::new();
        let mut description = String::new();
        for p in pairs {
            match p.as_rule() {
                Rule::field_name => {
                    name = Some(Spanned::new(normalize(p.as_str()), self.trimmed(start, &p)))
                }
                Rule::field_annotation => {
                    for item in p.into_inner().filter(|i| i.as_rule() == Rule::field_item) {
                        if let Some(item) = self.field_item(start, item) {
                            items.push(item);
                        }
                    }
                }
                Rule::field_desc => {
                    let d = p.as_str().trim_start();
                    let d = d
                        .strip_prefix(':')
                        .or_else(|| d.strip_prefix("—"))
                        .or_else(|| d.strip_prefix("- "))
                        .unwrap_or(d);
                    description = normalize(d);
                }
                _ => {}
            }
        }
        let name = name.filter(|n| !n.value.is_empty())?;
        Some(FieldLine {
            name,
            items,
            description,
            span: line_span,
        })
    }

    /// One `field_item` pair of a field line that starts at `start`.
    fn field_item(&mut self, start: usize, pair: Pair<'_, Rule>) -> Option<FieldItem> {
        let span = self.trimmed(start, &pair);
        let item = pair.into_inner().next()?;
        let kind = match item.as_rule() {
            Rule::reference => {
                let mut many = false;
                let mut target = None;
                let mut role = None;
                for p in item.into_inner() {
                    match p.as_rule() {
                        Rule::many => many = true,
                        Rule::entity_ref => target = Some(self.spanned(start, &p)),
                        Rule::with_role => {
                            role = p
                                .into_inner()
                                .find(|r| r.as_rule() == Rule::role_ref)
                                .map(|r| self.spanned(start, &r));
                        }
                        _ => {}
                    }
                }
                FieldItemKind::Reference {
                    many,
                    target: target?,
                    role,
                }
            }
            Rule::enum_values => FieldItemKind::Enum(
                item.into_inner()
                    .filter_map(|v| self.enum_value(start, v))
                    .collect(),
            ),
            Rule::was_item => FieldItemKind::Was(self.old_name(start, item)),
            Rule::removed_item => FieldItemKind::Removed,
            Rule::range => {
                let mut min = None;
                let mut max = None;
                for p in item.into_inner() {
                    let number = p
                        .clone()
                        .into_inner()
                        .next()
                        .map(|n| Spanned::new(number_lit(n.as_str()), self.at(start, &n)));
                    match p.as_rule() {
                        Rule::range_min => min = number,
                        Rule::range_max => max = number,
                        _ => {}
                    }
                }
                if min.is_none() && max.is_none() {
                    self.diags.push(
                        Diagnostic::error("empty_range", span, "this range has no bounds")
                            .with_hint(
                                "write at least one bound, for example `1..80`, `0..` or `..500`",
                            ),
                    );
                    return None;
                }
                FieldItemKind::Range { min, max }
            }
            Rule::bound => {
                let mut is_max = false;
                let mut number = None;
                for p in item.into_inner() {
                    match p.as_rule() {
                        Rule::bound_max => is_max = true,
                        Rule::number => {
                            number = Some(Spanned::new(number_lit(p.as_str()), self.at(start, &p)))
                        }
                        _ => {}
                    }
                }
                if is_max {
                    FieldItemKind::Range {
                        min: None,
                        max: number,
                    }
                } else {
                    FieldItemKind::Range {
                        min: number,
                        max: None,
                    }
                }
            }
            Rule::default_item => {
                let lit = item.into_inner().next()?;
                FieldItemKind::Default(Spanned::new(self.literal(&lit), self.at(start, &lit)))
            }
            Rule::owner_item => FieldItemKind::Owner,
            Rule::on_delete => {
                let kind = item.into_inner().next()?;
                FieldItemKind::OnDelete(match kind.as_rule() {
                    Rule::cascade => OnDeleteWord::Cascade,
                    Rule::restrict => OnDeleteWord::Restrict,
                    _ => OnDeleteWord::SetEmpty,
                })
            }
            Rule::visible_to => FieldItemKind::VisibleTo(self.who_list(start, item)),
            Rule::set_by => FieldItemKind::SetBy(self.who_list(start, item)),
            Rule::read_only => FieldItemKind::Word("read-only".into()),
            Rule::compare => {
                let mut op = Op::Eq;
                let mut field = None;
                for p in item.into_inner() {
                    match p.as_rule() {
                        Rule::field_ref => field = Some(self.field(start, &p)),
                        r => op = op_of(r).unwrap_or(op),
                    }
                }
                FieldItemKind::Compare { op, field: field? }
            }
            Rule::copied_from => FieldItemKind::CopiedFrom(
                self.path(
                    start,
                    item.clone()
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::path)
                        .as_ref()?,
                ),
            ),
            Rule::single_word => FieldItemKind::Word(item.as_str().to_lowercase()),
            _ => FieldItemKind::Unknown(normalize(item.as_str())),
        };
        Some(FieldItem { kind, span })
    }

    /// One `enum_value` pair: the value and its note in parentheses.
    fn enum_value(&self, start: usize, pair: Pair<'_, Rule>) -> Option<EnumValue> {
        let mut parts = pair.into_inner();
        let name = self.spanned(start, &parts.next()?);
        let note = parts.next().and_then(|note| {
            let span = self.at(start, &note);
            let kind = note.into_inner().next()?;
            let value = match kind.as_rule() {
                Rule::value_was => ValueNote::Was(self.old_name(start, kind)),
                Rule::value_removed => ValueNote::Removed,
                _ => ValueNote::Unknown(normalize(kind.as_str())),
            };
            Some(Spanned::new(value, span))
        });
        Some(EnumValue { name, note })
    }

    fn literal(&self, pair: &Pair<'_, Rule>) -> Literal {
        match pair.as_rule() {
            Rule::quoted => Literal::Quoted(
                pair.clone()
                    .into_inner()
                    .next()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
            ),
            Rule::number => Literal::Number(number_lit(pair.as_str())),
            _ => Literal::Words(normalize(pair.as_str())),
        }
    }

    /// The `who` children of a pair.
    fn who_list(&self, base: usize, pair: Pair<'_, Rule>) -> Vec<Spanned<String>> {
        let mut out = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::who => out.push(self.spanned(base, &p)),
                Rule::who_list | Rule::who_list_commas => out.extend(self.who_list(base, p)),
                _ => {}
            }
        }
        out
    }

    // ------------------------------------------------------------ access

    /// Split a sentence line into its prose and the byte range (relative to `start`) of its
    /// `{...}` annotation, if any. An unclosed `{` is reported and `Err` carries the prose.
    fn prose_and_annotation(
        &mut self,
        start: usize,
        end: usize,
    ) -> Result<(String, Option<(usize, usize)>), String> {
        let body = &self.text[start..end];
        match find_annotation(body) {
            Err(open) => {
                self.diags.push(
                    Diagnostic::error(
                        "unclosed_annotation",
                        self.point(start + open),
                        "this `{` is never closed",
                    )
                    .with_hint("close the annotation with `}` on the same line"),
                );
                Err(normalize(body))
            }
            Ok(None) => Ok((normalize(body), None)),
            Ok(Some((open, close))) => Ok((
                prose(&format!("{} {}", &body[..open], &body[close + 1..])),
                Some((open, close)),
            )),
        }
    }

    fn access_line(&mut self, start: usize, end: usize) -> AccessLine {
        let span = self.span(start, end);
        let (text, annotation) = match self.prose_and_annotation(start, end) {
            Ok(parts) => parts,
            Err(text) => {
                return AccessLine {
                    text,
                    span,
                    grant: None,
                };
            }
        };
        let grant = match annotation {
            Some((open, close)) => self.access_annotation(start + open + 1, start + close),
            None => self.access_sentence(start, end),
        };
        AccessLine { text, span, grant }
    }

    fn access_annotation(&mut self, start: usize, end: usize) -> Option<AccessGrant> {
        let body = &self.text[start..end];
        let pairs = match SpecParser::parse(Rule::access_annotation, body) {
            Ok(mut p) => p.next()?.into_inner(),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error("access_not_understood", self.span(start.saturating_sub(1), end + 1), "this access annotation is not understood")
                        .with_hint("write it as `{<actions>: <who>}`, for example `{read, update, delete: owner}`; separate groups with `;`"),
                );
                return None;
            }
        };
        let mut groups = Vec::new();
        let mut ok = true;
        for group in pairs.filter(|p| p.as_rule() == Rule::access_group) {
            let mut actions = Vec::new();
            let mut who = Vec::new();
            for p in group.into_inner() {
                match p.as_rule() {
                    Rule::access_action => {
                        let words = normalize(p.as_str()).to_lowercase();
                        let span = self.at(start, &p);
                        let action = match words.as_str() {
                            "do anything" | "do everything" => Some(ActionWord::All),
                            w => action_word(w),
                        };
                        match action {
                            Some(a) => actions.push(Spanned::new(a, span)),
                            None => {
                                self.unknown_action(&words, span);
                                ok = false;
                            }
                        }
                    }
                    Rule::who_list_commas => who = self.who_list(start, p),
                    _ => {}
                }
            }
            groups.push(AccessGroup { actions, who });
        }
        ok.then_some(AccessGrant::Annotation(groups))
    }

    fn unknown_action(&mut self, word: &str, span: Span) {
        let words = ACTION_WORDS.iter().map(|(w, _)| *w);
        let d = Diagnostic::error("unknown_action", span, format!("`{word}` is not an action"));
        let d = match suggest(word, words) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(
                "actions are `list`, `read` (`see`, `view`), `create` (`add`), `update` (`change`, `edit`), `delete` (`remove`, `cancel`) and `do anything` (`manage`); a change of status is a transitions rule under `Rules:`",
            ),
        };
        self.diags.push(d);
    }

    fn access_sentence(&mut self, start: usize, end: usize) -> Option<AccessGrant> {
        let body = &self.text[start..end];
        let span = self.span(start, end);
        let pairs = match SpecParser::parse(Rule::access_sentence, body) {
            Ok(mut p) => p.next()?.into_inner(),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error(
                        "access_not_understood",
                        span,
                        "this access line is not understood",
                    )
                    .with_hint(pattern_hint(body, ACCESS_PATTERNS)),
                );
                return None;
            }
        };
        let mut who = Vec::new();
        let mut tokens: Vec<(String, Span, bool)> = Vec::new();
        for p in pairs {
            match p.as_rule() {
                Rule::who_list_commas => who = self.who_list(start, p),
                Rule::access_rest => {
                    for t in p.into_inner() {
                        tokens.push((
                            t.as_str().to_lowercase(),
                            self.at(start, &t),
                            t.as_rule() == Rule::access_word,
                        ));
                    }
                }
                _ => {}
            }
        }
        // Actions: action words joined by `,`, `and`, `or`; the first other word starts
        // the object ("bookings", "a booking").
        let mut actions = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let (word, tspan, is_word) = &tokens[i];
            if !is_word {
                if word == "," {
                    i += 1;
                    continue;
                }
                break;
            }
            if (word == "and" || word == "or") && !actions.is_empty() {
                i += 1;
                continue;
            }
            if word == "do"
                && let Some((next, nspan, _)) = tokens.get(i + 1)
                && (next == "anything" || next == "everything")
            {
                actions.push(Spanned::new(ActionWord::All, tspan.to(*nspan)));
                i += 2;
                continue;
            }
            match action_word(word) {
                Some(a) => {
                    actions.push(Spanned::new(a, *tspan));
                    i += 1;
                }
                None => break,
            }
        }
        if actions.is_empty() {
            match tokens.first() {
                Some((word, tspan, _)) => {
                    let word = word.clone();
                    let tspan = *tspan;
                    self.unknown_action(&word, tspan);
                }
                None => self.diags.push(
                    Diagnostic::error(
                        "access_not_understood",
                        span,
                        "this access line says who but not what they can do",
                    )
                    .with_hint(pattern_hint(body, ACCESS_PATTERNS)),
                ),
            }
            return None;
        }
        // The object: the remaining words, without a final period.
        let mut rest: Vec<&(String, Span, bool)> = tokens[i..].iter().collect();
        while rest
            .last()
            .is_some_and(|(w, _, is_word)| !is_word && (w == "." || w == "!" || w == ";"))
        {
            rest.pop();
        }
        // `... while it is pending`: the condition starts at the first `while`, `when`, `if`.
        let mut when = None;
        if let Some(at) = rest
            .iter()
            .position(|(w, _, is_word)| *is_word && ["while", "when", "if"].contains(&w.as_str()))
        {
            let keyword = rest[at].1;
            let condition = &rest[at + 1..];
            match (condition.first(), condition.last()) {
                (Some(first), Some(last)) => {
                    when = Some(self.access_when(first.1.to(last.1))?);
                }
                _ => {
                    self.diags.push(
                        Diagnostic::error("access_not_understood", keyword, format!("`{}` needs a condition after it", pair_text(self.text, keyword)))
                            .with_hint("for example `The owner can change an expense while it is pending.` or `... while status = pending.`"),
                    );
                    return None;
                }
            }
            rest.truncate(at);
        }
        let object = match (rest.first(), rest.last()) {
            (Some(first), Some(last)) => {
                let ospan = first.1.to(last.1);
                Some(Spanned::new(
                    normalize(&self.text[ospan.start as usize..ospan.end as usize]),
                    ospan,
                ))
            }
            _ => None,
        };
        Some(AccessGrant::Sentence {
            who,
            actions,
            object,
            when,
        })
    }

    /// The condition of an access sentence, at `span`: `it is pending`, `status = pending`.
    fn access_when(&mut self, span: Span) -> Option<AccessWhen> {
        let start = span.start as usize;
        let body = &self.text[start..span.end as usize];
        let text = normalize(body);
        let parsed = SpecParser::parse(Rule::access_when, body)
            .ok()
            .and_then(|mut p| p.next())
            .and_then(|p| p.into_inner().next());
        let kind = match parsed {
            Some(p) if p.as_rule() == Rule::access_it => {
                let mut negated = false;
                let mut value = None;
                for part in p.into_inner() {
                    match part.as_rule() {
                        Rule::access_not => negated = true,
                        Rule::access_value => value = Some(self.spanned(start, &part)),
                        _ => {}
                    }
                }
                value.map(|value| AccessWhenKind::It { negated, value })
            }
            Some(p) => self.condition(start, &p).map(AccessWhenKind::Condition),
            None => None,
        };
        let Some(kind) = kind else {
            self.diags.push(
                Diagnostic::error("access_not_understood", span, format!("the condition `{text}` is not understood"))
                    .with_hint("write `it is <value>` (`while it is pending`), `it is not <value>`, or a condition as rules take it: `status = pending`, `returned at is empty`, `owner.plan = pro`"),
            );
            return None;
        };
        Some(AccessWhen { kind, text, span })
    }

    // ------------------------------------------------------------ rules

    fn rule_line(&mut self, start: usize, end: usize) -> RuleLine {
        let body = &self.text[start..end];
        let span = self.span(start, end);
        let (text, annotation) = match self.prose_and_annotation(start, end) {
            Ok(parts) => parts,
            Err(text) => {
                return RuleLine {
                    text,
                    span,
                    rule: None,
                };
            }
        };
        let (rs, re, at) = match annotation {
            Some((open, close)) => (
                start + open + 1,
                start + close,
                self.span(start + open, start + close + 1),
            ),
            None => (start, end, span),
        };
        let rule = match SpecParser::parse(Rule::rule_spec, &self.text[rs..re]) {
            Ok(mut pairs) => pairs
                .next()
                .and_then(|p| p.into_inner().next())
                .and_then(|k| self.rule_kind(rs, k)),
            Err(_) => {
                let (message, hint) = if annotation.is_some() {
                    (
                        "this rule annotation is not understood",
                        pattern_hint(body, RULE_PATTERNS),
                    )
                } else {
                    (
                        "this rule is not understood",
                        format!(
                            "add an annotation that states it precisely; {}",
                            pattern_hint(body, RULE_PATTERNS)
                        ),
                    )
                };
                self.diags
                    .push(Diagnostic::error("rule_not_understood", at, message).with_hint(hint));
                None
            }
        };
        RuleLine { text, span, rule }
    }

    fn rule_kind(&mut self, base: usize, pair: Pair<'_, Rule>) -> Option<RuleSpec> {
        let rule = pair.as_rule();
        let inner: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        Some(match rule {
            Rule::no_overlap => {
                let mut refs = inner.iter().filter(|p| p.as_rule() == Rule::field_ref);
                let start = self.field(base, refs.next()?);
                let end = self.field(base, refs.next()?);
                let per = inner
                    .iter()
                    .filter(|p| p.as_rule() == Rule::field_list)
                    .flat_map(|l| self.field_list(base, l))
                    .collect();
                RuleSpec::NoOverlap { start, end, per }
            }
            Rule::limit => {
                let field = inner.iter().find(|p| p.as_rule() == Rule::limit_field);
                let n = inner.iter().find(|p| p.as_rule() == Rule::int);
                let max = match (field, n) {
                    (Some(field), _) => {
                        let parts = self.path(base, field);
                        let [reference, number] = parts.as_slice() else {
                            return None;
                        };
                        Spanned::new(
                            LimitMaxAst::Field(reference.clone(), number.clone()),
                            self.at(base, field),
                        )
                    }
                    (None, Some(n)) => match n.as_str().parse::<u32>() {
                        Ok(v) => Spanned::new(LimitMaxAst::Count(v), self.at(base, n)),
                        Err(_) => {
                            self.diags.push(
                                Diagnostic::error(
                                    "number_too_large",
                                    self.at(base, n),
                                    format!("`{}` is too large for a limit", n.as_str()),
                                )
                                .with_hint("use a number below 4294967296"),
                            );
                            return None;
                        }
                    },
                    (None, None) => return None,
                };
                let mut pers = Vec::new();
                for per in inner.iter().filter(|p| p.as_rule() == Rule::path) {
                    let mut per_path = self.path(base, per);
                    if per_path.len() != 1 {
                        self.diags.push(
                            Diagnostic::error(
                                "invalid_limit",
                                self.at(base, per),
                                "a limit counts per reference fields of this entity",
                            )
                            .with_hint(
                                "name the reference field directly, for example `at most 3 per owner`",
                            ),
                        );
                        return None;
                    }
                    pers.push(per_path.remove(0));
                }
                if pers.is_empty() {
                    return None;
                }
                let per = pers.remove(0);
                let when = inner
                    .iter()
                    .find(|p| p.as_rule() == Rule::condition)
                    .and_then(|c| self.condition(base, c));
                RuleSpec::Limit {
                    max,
                    per,
                    also_per: pers,
                    when,
                }
            }
            Rule::unique_rule => {
                let fields = inner
                    .iter()
                    .filter(|p| p.as_rule() == Rule::field_list)
                    .flat_map(|l| self.field_list(base, l))
                    .collect();
                RuleSpec::Unique { fields }
            }
            Rule::immutable_rule => {
                let fields = inner
                    .iter()
                    .filter(|p| p.as_rule() == Rule::field_list)
                    .flat_map(|l| self.field_list(base, l))
                    .collect();
                let once = inner
                    .iter()
                    .find(|p| p.as_rule() == Rule::once)
                    .and_then(|o| {
                        o.clone()
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::condition)
                    })
                    .and_then(|c| self.condition(base, &c));
                RuleSpec::Immutable { fields, once }
            }
            Rule::window => {
                let actions = inner
                    .iter()
                    .filter(|p| p.as_rule() == Rule::window_action)
                    .filter_map(|p| {
                        action_word(p.as_str()).map(|a| Spanned::new(a, self.at(base, p)))
                    })
                    .collect();
                let w = inner
                    .iter()
                    .find(|p| matches!(p.as_rule(), Rule::within | Rule::until))?;
                let wr = w.as_rule();
                let parts: Vec<Pair<'_, Rule>> = w.clone().into_inner().collect();
                // `within .. of <field>`; `before <field>` or `before <reference>.<field>`.
                let names: Vec<Spanned<String>> = match parts
                    .iter()
                    .find(|p| p.as_rule() == Rule::path)
                {
                    Some(path) => path
                        .clone()
                        .into_inner()
                        .map(|p| self.field(base, &p))
                        .collect(),
                    None => vec![
                        self.field(base, parts.iter().find(|p| p.as_rule() == Rule::field_ref)?),
                    ],
                };
                let (through, field) = match names.as_slice() {
                    [field] => (None, field.clone()),
                    [through, field] => (Some(through.clone()), field.clone()),
                    _ => return None,
                };
                // `within N <unit> of`, or `N <unit> before`: the window's length or offset.
                let seconds = match parts.iter().find(|p| p.as_rule() == Rule::int) {
                    Some(n) => {
                        let unit = parts.iter().find(|p| p.as_rule() == Rule::unit)?;
                        self.window_seconds(base, n, unit)?
                    }
                    None => 0,
                };
                let window = if wr == Rule::within {
                    WindowAst::Within { seconds, field }
                } else {
                    WindowAst::Before {
                        seconds,
                        through,
                        field,
                    }
                };
                RuleSpec::Window { actions, window }
            }
            Rule::transitions => {
                let field =
                    self.field(base, inner.iter().find(|p| p.as_rule() == Rule::field_ref)?);
                let mut initial = None;
                let mut transitions = Vec::new();
                for item in &inner {
                    match item.as_rule() {
                        Rule::initial => {
                            if let Some(state) = item
                                .clone()
                                .into_inner()
                                .find(|p| p.as_rule() == Rule::state)
                            {
                                initial = Some(self.spanned(base, &state));
                            }
                        }
                        Rule::chain => {
                            let chain_span = self.at(base, item);
                            let parts: Vec<Pair<'_, Rule>> = item.clone().into_inner().collect();
                            let states: Vec<Spanned<String>> = parts
                                .iter()
                                .filter(|p| p.as_rule() == Rule::state)
                                .map(|p| self.spanned(base, p))
                                .collect();
                            let by = parts
                                .iter()
                                .find(|p| p.as_rule() == Rule::who_list)
                                .map(|w| self.who_list(base, w.clone()))
                                .unwrap_or_default();
                            for pair in states.windows(2) {
                                transitions.push(TransitionAst {
                                    from: pair[0].clone(),
                                    to: pair[1].clone(),
                                    by: by.clone(),
                                    span: chain_span,
                                });
                            }
                        }
                        _ => {}
                    }
                }
                RuleSpec::Transitions {
                    field,
                    initial,
                    transitions,
                }
            }
            Rule::compare_rule => {
                let mut refs = inner.iter().filter(|p| p.as_rule() == Rule::field_ref);
                let left = self.field(base, refs.next()?);
                let right = self.field(base, refs.next()?);
                let op = inner
                    .iter()
                    .find_map(|p| op_of(p.as_rule()))
                    .unwrap_or(Op::Eq);
                RuleSpec::Compare { left, op, right }
            }
            _ => return None,
        })
    }

    fn field_list(&self, base: usize, pair: &Pair<'_, Rule>) -> Vec<Spanned<String>> {
        pair.clone()
            .into_inner()
            .filter(|p| p.as_rule() == Rule::field_ref)
            .map(|p| self.field(base, &p))
            .collect()
    }

    fn path(&self, base: usize, pair: &Pair<'_, Rule>) -> Vec<Spanned<String>> {
        pair.clone()
            .into_inner()
            .filter(|p| p.as_rule() == Rule::field_ref)
            .map(|p| self.field(base, &p))
            .collect()
    }

    fn condition(&self, base: usize, pair: &Pair<'_, Rule>) -> Option<ConditionAst> {
        let inner: Vec<Pair<'_, Rule>> = pair.clone().into_inner().collect();
        let path = self.path(base, inner.iter().find(|p| p.as_rule() == Rule::path)?);
        let op = inner.iter().find_map(|p| op_of(p.as_rule()))?;
        let value = inner
            .iter()
            .find(|p| matches!(p.as_rule(), Rule::quoted | Rule::number | Rule::value_words))?;
        Some(ConditionAst {
            path,
            op,
            value: Spanned::new(self.literal(value), self.at(base, value)),
            span: self.at(base, pair),
        })
    }
}

/// Whether a line has the shape `<name> {...}` of a field.
fn looks_like_field(text: &str) -> bool {
    SpecParser::parse(Rule::field_line, text).is_ok()
}

/// Whether a sentence has the shape `<who> can <action> ...`.
fn looks_like_access(text: &str) -> bool {
    let Ok(mut pairs) = SpecParser::parse(Rule::access_sentence, text) else {
        return false;
    };
    let Some(sentence) = pairs.next() else {
        return false;
    };
    sentence
        .into_inner()
        .find(|p| p.as_rule() == Rule::access_rest)
        .and_then(|rest| rest.into_inner().next())
        .is_some_and(|first| {
            action_word(first.as_str()).is_some() || first.as_str().eq_ignore_ascii_case("do")
        })
}

fn blank(current: &mut Current, preamble: &mut Desc) {
    match current {
        Current::Preamble => preamble.blank(),
        Current::Entity(_, Sub::Fields, desc) => desc.blank(),
        _ => {}
    }
}

fn pair_text(text: &str, span: Span) -> &str {
    text.get(span.start as usize..span.end as usize)
        .unwrap_or("")
}

fn op_of(rule: Rule) -> Option<Op> {
    Some(match rule {
        Rule::op_eq => Op::Eq,
        Rule::op_ne => Op::Ne,
        Rule::op_lt => Op::Lt,
        Rule::op_le => Op::Le,
        Rule::op_gt => Op::Gt,
        Rule::op_ge => Op::Ge,
        _ => return None,
    })
}

fn number_lit(s: &str) -> NumberLit {
    let currency = s.contains(['$', '€', '£']);
    let text: String = s
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | '_' | '+'))
        .collect();
    NumberLit { text, currency }
}

/// Byte ranges of the comma-separated items of an annotation body, trimmed, skipping
/// empty ones. Commas inside double quotes do not split.
fn split_items(body: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    let mut push = |s: usize, e: usize| {
        let item = &body[s..e];
        let lead = item.len() - item.trim_start().len();
        let t = item.trim();
        if !t.is_empty() {
            out.push((s + lead, s + lead + t.len()));
        }
    };
    for (i, c) in body.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                push(start, i);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(start, body.len());
    out
}
