//! The sentence patterns and words the language understands.
//!
//! These tables are the single source for parsing, for "did you mean" hints and for the
//! reference in `docs/spec-language.md`: when a line is not understood, the closest
//! pattern here is suggested.

use crate::ast::ActionWord;

/// Action words in access lines and their meaning. `do anything` is handled as a phrase.
pub const ACTION_WORDS: &[(&str, ActionWord)] = &[
    ("list", ActionWord::List),
    ("browse", ActionWord::List),
    ("search", ActionWord::List),
    ("see", ActionWord::Read),
    ("view", ActionWord::Read),
    ("read", ActionWord::Read),
    ("create", ActionWord::Create),
    ("add", ActionWord::Create),
    ("make", ActionWord::Create),
    ("change", ActionWord::Update),
    ("edit", ActionWord::Update),
    ("update", ActionWord::Update),
    ("delete", ActionWord::Delete),
    ("remove", ActionWord::Delete),
    ("cancel", ActionWord::Delete),
    ("manage", ActionWord::All),
    ("all", ActionWord::All),
    ("anything", ActionWord::All),
    ("everything", ActionWord::All),
];

/// Classify one action word (case-insensitive).
pub fn action_word(word: &str) -> Option<ActionWord> {
    let w = word.to_lowercase();
    ACTION_WORDS
        .iter()
        .find(|(name, _)| *name == w)
        .map(|(_, a)| *a)
}

/// Time units of rule windows, in seconds.
pub const TIME_UNITS: &[(&str, u64)] = &[
    ("minute", 60),
    ("minutes", 60),
    ("hour", 3600),
    ("hours", 3600),
    ("day", 86_400),
    ("days", 86_400),
    ("week", 604_800),
    ("weeks", 604_800),
];

pub fn time_unit(word: &str) -> Option<u64> {
    let w = word.to_lowercase();
    TIME_UNITS
        .iter()
        .find(|(name, _)| *name == w)
        .map(|(_, s)| *s)
}

/// A documented sentence pattern: its shape and a real example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    pub name: &'static str,
    pub shape: &'static str,
    pub example: &'static str,
    /// Words whose presence in a line that was not understood suggests this pattern.
    pub cues: &'static [&'static str],
}

/// Every access sentence pattern.
pub const ACCESS_PATTERNS: &[Pattern] = &[
    Pattern {
        name: "grant",
        shape: "<who> can <actions> <things>.",
        example: "Members can list, read and create bookings.",
        cues: &[
            "can", "may", "list", "read", "see", "create", "change", "delete",
        ],
    },
    Pattern {
        name: "everything",
        shape: "<who> can do anything.",
        example: "Admins can do anything.",
        cues: &["anything", "everything", "all", "manage", "full"],
    },
    Pattern {
        name: "owner",
        shape: "The owner can <actions> <a thing>.",
        example: "The owner can read, change and cancel a booking.",
        cues: &["owner", "own", "their", "his", "her", "mine", "themselves"],
    },
    Pattern {
        name: "annotation",
        shape: "<any sentence> {<actions>: <who>; <actions>: <who>}",
        example: "Owners manage their bookings {read, update, delete: owner}.",
        cues: &["{", ":"],
    },
];

/// Every rule pattern (the text inside `{...}` on a rule line, or the whole sentence).
pub const RULE_PATTERNS: &[Pattern] = &[
    Pattern {
        name: "no overlap",
        shape: "{no overlap: <start field>..<end field> per <field>}",
        example: "Bookings of a studio never overlap {no overlap: starts at..ends at per studio}.",
        cues: &[
            "overlap",
            "overlaps",
            "overlapping",
            "clash",
            "clashes",
            "double",
            "..",
            "conflict",
        ],
    },
    Pattern {
        name: "limit",
        shape: "{at most <number> per <reference field> [when <field> = <value>]}",
        example: "A free member holds at most 3 bookings {at most 3 per owner when owner.plan = free}.",
        cues: &["most", "limit", "maximum", "max", "per"],
    },
    Pattern {
        name: "window",
        shape: "{<update|delete> within <number> <minutes|hours|days|weeks> of <field>} or {<update|delete> only before <field>}",
        example: "A booking can be cancelled within 24 hours of being made {delete within 24 hours of created}.",
        cues: &[
            "within", "until", "hours", "days", "minutes", "weeks", "deadline",
        ],
    },
    Pattern {
        name: "compare",
        shape: "{<field> after|before|<|<=|>|>=|=|!= <field>}",
        example: "A booking ends after it starts {ends at after starts at}.",
        cues: &[
            "after", "before", "<", ">", "=", "less", "greater", "exceed", "exceeds", "later",
            "earlier", "least",
        ],
    },
    Pattern {
        name: "immutable",
        shape: "{immutable: <fields>} or {<field> is immutable once <field> = <value>}",
        example: "The total never changes once paid {total is immutable once status = paid}.",
        cues: &["immutable", "changed", "frozen", "locked", "fixed", "once"],
    },
    Pattern {
        name: "transitions",
        shape: "{<field>: <from> -> <to> [by <who>], ..., starts <value>}",
        example: "Posts move through review {status: draft -> published by editors, published -> archived, starts draft}.",
        cues: &[
            "->",
            "move",
            "moves",
            "goes",
            "status",
            "transition",
            "transitions",
            "state",
            "becomes",
        ],
    },
    Pattern {
        name: "unique",
        shape: "{unique: <field>, <field>}",
        example: "A studio has one booking per start time {unique: studio, starts at}.",
        cues: &[
            "unique",
            "distinct",
            "twice",
            "duplicate",
            "duplicates",
            "together",
        ],
    },
];

/// The pattern whose cue words best match `text`, or `None` when no cue occurs.
pub fn closest_pattern<'a>(text: &str, patterns: &'a [Pattern]) -> Option<&'a Pattern> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| {
            !(c.is_alphanumeric()
                || c == '-'
                || c == '>'
                || c == '<'
                || c == '='
                || c == '.'
                || c == '{')
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut best: Option<(usize, &Pattern)> = None;
    for pattern in patterns {
        let score = pattern
            .cues
            .iter()
            .filter(|cue| {
                if cue.chars().all(char::is_alphanumeric) {
                    words.iter().any(|w| w.trim_matches('.') == **cue)
                } else {
                    lower.contains(**cue)
                }
            })
            .count();
        if score > 0 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, pattern));
        }
    }
    best.map(|(_, p)| p)
}

/// A hint naming the closest pattern, or listing every pattern when none is close.
pub fn pattern_hint(text: &str, patterns: &[Pattern]) -> String {
    match closest_pattern(text, patterns) {
        Some(p) => format!(
            "the closest pattern is `{}`, for example: {}",
            p.shape, p.example
        ),
        None => format!(
            "the patterns are {}",
            patterns
                .iter()
                .map(|p| format!("`{}`", p.shape))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}
