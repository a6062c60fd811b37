//! The syntax tree of one spec file.
//!
//! It records what was written and where (every name and item carries a [`Span`]), not
//! what it means: whether `datetme` is a type, which entity `-> Studio` names or which
//! role `Members` is, is decided by `specgen-lower`. Words that are part of the language
//! itself (actions such as `read`, time units, comparison words) are already classified.

use specgen_diagnostics::{FileId, Span};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// One parsed file (the root spec or an included one).
#[derive(Debug, Clone, PartialEq)]
pub struct SpecFile {
    pub file: FileId,
    pub front_matter: Option<FrontMatter>,
    /// The `# Title` heading.
    pub title: Option<Spanned<String>>,
    /// Prose between the title and the first `##` section.
    pub description: String,
    pub sections: Vec<Section>,
}

/// The YAML block between `---` lines at the top of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatter {
    /// The whole block including the `---` fences.
    pub span: Span,
    /// Top-level keys in file order.
    pub entries: Vec<FmEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FmEntry {
    pub key: Spanned<String>,
    pub value: FmValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FmValue {
    pub kind: FmKind,
    /// Where the value was written (best effort: the rest of the key's line, or the
    /// indented block under it).
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FmKind {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(String),
    String(String),
    List(Vec<FmValue>),
    Map(Vec<FmEntry>),
}

impl FmKind {
    /// A short name of the value's kind, for messages ("expected text, found a list").
    pub fn describe(&self) -> &'static str {
        match self {
            FmKind::Null => "nothing",
            FmKind::Bool(_) => "a boolean",
            FmKind::Number(_) => "a number",
            FmKind::String(_) => "text",
            FmKind::List(_) => "a list",
            FmKind::Map(_) => "a mapping",
        }
    }

    /// The value as text when it is a scalar (`30 days`, `true`, `10`).
    pub fn as_scalar(&self) -> Option<String> {
        match self {
            FmKind::Bool(b) => Some(b.to_string()),
            FmKind::Number(n) => Some(n.clone()),
            FmKind::String(s) => Some(s.clone()),
            FmKind::Null | FmKind::List(_) | FmKind::Map(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    Roles(RolesSection),
    Entity(EntitySection),
}

/// `## Roles` and its bullets.
#[derive(Debug, Clone, PartialEq)]
pub struct RolesSection {
    pub heading: Span,
    pub roles: Vec<RoleLine>,
}

/// `- editor {default}: writes posts`
#[derive(Debug, Clone, PartialEq)]
pub struct RoleLine {
    pub name: Spanned<String>,
    pub description: String,
    /// Words inside `{...}` on the line (`default`, `admin`).
    pub markers: Vec<Spanned<String>>,
    pub span: Span,
}

/// `## Order Line` and everything until the next `##` heading.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySection {
    /// The name as written in the heading (`Order Line`).
    pub name: Spanned<String>,
    /// Words inside `{...}` after the name (`auth`, `removed`), except `was` items.
    pub markers: Vec<Spanned<String>>,
    /// `{was Studio, was Space}`: the names the entity had before, newest first.
    pub previous: Vec<PreviousName>,
    /// The heading line.
    pub heading: Span,
    pub description: String,
    pub fields: Vec<FieldLine>,
    /// Whether an `Access:` label (or `### Access`) appears, even with no lines under it.
    pub has_access: bool,
    pub access: Vec<AccessLine>,
    pub rules: Vec<RuleLine>,
}

/// `was Studio` in a heading's annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousName {
    /// The old name as written (case kept); `None` when `was` has no name.
    pub name: Option<Spanned<String>>,
    /// The whole `was ...` item.
    pub span: Span,
}

/// `- starts at {datetime, after now}: when it begins`
#[derive(Debug, Clone, PartialEq)]
pub struct FieldLine {
    /// Words before the `{`, trimmed.
    pub name: Spanned<String>,
    pub items: Vec<FieldItem>,
    pub description: String,
    /// The whole bullet (without the `-`).
    pub span: Span,
}

/// One comma-separated item inside a field's `{...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldItem {
    pub kind: FieldItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldItemKind {
    /// One word: a type (`datetime`), a flag (`unique`, `optional`, `read-only`,
    /// `immutable`, `indexed`, `required`) or a word lowering does not know.
    Word(String),
    /// `draft | published (was live) | archived (removed)`
    Enum(Vec<EnumValue>),
    /// `-> Studio`, `many -> Tag` or `-> User with role doctor`.
    Reference {
        many: bool,
        target: Spanned<String>,
        /// The role the referenced account must have (`with role doctor`).
        role: Option<Spanned<String>>,
    },
    /// `1..80`, `..500`, `max 500`, `at least 1`.
    Range {
        min: Option<Spanned<NumberLit>>,
        max: Option<Spanned<NumberLit>>,
    },
    /// `default free`, `default 0`, `default now`, `default "n/a"`.
    Default(Spanned<Literal>),
    /// `the signed-in user`
    Owner,
    /// `cascade`, `restrict`, `set empty`.
    OnDelete(OnDeleteWord),
    /// `visible to admins and the owner`
    VisibleTo(Vec<Spanned<String>>),
    /// `set by admins`
    SetBy(Vec<Spanned<String>>),
    /// `after starts at`, `<= stock`: a comparison with another field of the entity.
    Compare { op: Op, field: Spanned<String> },
    /// `copied from product.price`: the path after `copied from` (a reference field, then a
    /// field of the record it names).
    CopiedFrom(Vec<Spanned<String>>),
    /// `was capacity`: the name the field or link had before (`None` when `was` has no
    /// name).
    Was(Option<Spanned<String>>),
    /// `removed`: the line is a tombstone for a field or link that is gone.
    Removed,
    /// Text that is none of the above.
    Unknown(String),
}

/// One value of an enumeration, with its note in parentheses, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    /// The value's words as written (`in review`).
    pub name: Spanned<String>,
    /// `(was published)`, `(removed)`; the span is the parenthesized note.
    pub note: Option<Spanned<ValueNote>>,
}

/// What a value's note in parentheses says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueNote {
    /// `(was published)`: rows holding the old value hold this one after the migration
    /// (`None` when `was` has no name).
    Was(Option<Spanned<String>>),
    /// `(removed)`: the value is no longer accepted.
    Removed,
    /// A note that is neither, as written.
    Unknown(String),
}

/// A number as written: sign and digits, without a currency sign or `_` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberLit {
    pub text: String,
    /// Written with a currency sign (`$9.99`).
    pub currency: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `"in review"`
    Quoted(String),
    Number(NumberLit),
    /// Bare words (`free`, `now`, `true`, `in review`).
    Words(String),
}

impl Literal {
    /// The literal as the user wrote it, for messages.
    pub fn display(&self) -> String {
        match self {
            Literal::Quoted(s) => format!("\"{s}\""),
            Literal::Number(n) => n.text.clone(),
            Literal::Words(w) => w.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDeleteWord {
    Cascade,
    Restrict,
    SetEmpty,
}

/// A comparison, from a symbol (`<=`) or words (`after`, `at least`, `is not`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    /// Words for messages: `ends at must be after starts at`.
    pub fn words(self) -> &'static str {
        match self {
            Op::Eq => "equal to",
            Op::Ne => "different from",
            Op::Lt => "before",
            Op::Le => "at most",
            Op::Gt => "after",
            Op::Ge => "at least",
        }
    }
}

/// An action word of the language, already classified (`see` is [`ActionWord::Read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActionWord {
    List,
    Read,
    Create,
    Update,
    Delete,
    /// `do anything`, `manage`, `all`: every action.
    All,
}

/// One line under `Access:`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLine {
    /// The sentence without its `{...}` annotation, whitespace normalized.
    pub text: String,
    pub span: Span,
    /// `None` when the line was not understood (a diagnostic says why).
    pub grant: Option<AccessGrant>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccessGrant {
    /// A plain sentence: `Members and editors can create and change posts.`
    Sentence {
        who: Vec<Spanned<String>>,
        actions: Vec<Spanned<ActionWord>>,
        /// The words after the actions (`posts`, `a booking`, `published posts`), if any,
        /// up to a `while`, `when` or `if`.
        object: Option<Spanned<String>>,
        /// The condition after `while`, `when` or `if`, if any.
        when: Option<AccessWhen>,
    },
    /// An explicit annotation, which wins over the prose: `{read, update: owner; list: anyone}`.
    Annotation(Vec<AccessGroup>),
}

/// The rows an access sentence grants: `... while it is pending`, `... when status = open`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessWhen {
    pub kind: AccessWhenKind,
    /// The words after `while` (without the final period).
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccessWhenKind {
    /// `it is pending`, `it is not a draft`: a value of one of the entity's fields.
    It {
        negated: bool,
        value: Spanned<String>,
    },
    /// A rule condition: `status = pending`, `returned at is empty`, `owner.plan = pro`.
    Condition(ConditionAst),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessGroup {
    pub actions: Vec<Spanned<ActionWord>>,
    pub who: Vec<Spanned<String>>,
}

/// One line under `Rules:`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleLine {
    /// The sentence without its `{...}` annotation, whitespace normalized. Empty when
    /// the line is only an annotation.
    pub text: String,
    pub span: Span,
    /// `None` when the line was not understood (a diagnostic says why).
    pub rule: Option<RuleSpec>,
}

/// A rule as written. Field names are as written (lowering resolves them).
/// The most a limit allows: a number, or a number field of the record counted per
/// (`event.capacity`: the reference, then its field).
#[derive(Debug, Clone, PartialEq)]
pub enum LimitMaxAst {
    Count(u32),
    Field(Spanned<String>, Spanned<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleSpec {
    /// `no overlap: starts at..ends at per studio`
    NoOverlap {
        start: Spanned<String>,
        end: Spanned<String>,
        per: Vec<Spanned<String>>,
    },
    /// `at most 3 per owner when owner.plan = free`, `at most 4 per buyer per event`
    Limit {
        max: Spanned<LimitMaxAst>,
        per: Spanned<String>,
        /// The references after the first `per` (`event`).
        also_per: Vec<Spanned<String>>,
        when: Option<ConditionAst>,
    },
    /// `delete within 24 hours of created`, `update, delete only before starts at`
    Window {
        actions: Vec<Spanned<ActionWord>>,
        window: WindowAst,
    },
    /// `ends at after starts at`, `quantity <= stock`
    Compare {
        left: Spanned<String>,
        op: Op,
        right: Spanned<String>,
    },
    /// `immutable: total`, `total is immutable once status = paid`
    Immutable {
        fields: Vec<Spanned<String>>,
        once: Option<ConditionAst>,
    },
    /// `status: draft -> published by editors, starts draft`
    Transitions {
        field: Spanned<String>,
        initial: Option<Spanned<String>>,
        transitions: Vec<TransitionAst>,
    },
    /// `unique: studio, starts at`
    Unique { fields: Vec<Spanned<String>> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum WindowAst {
    Within {
        seconds: u64,
        field: Spanned<String>,
    },
    /// `only before starts at` (`seconds` 0), `only more than 24 hours before starts at`.
    /// With `through`: `only before order.placed at` (`through` is `order`).
    Before {
        seconds: u64,
        through: Option<Spanned<String>>,
        field: Spanned<String>,
    },
}

/// `owner.plan = free`
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionAst {
    /// One or two steps (`owner`, `plan`).
    pub path: Vec<Spanned<String>>,
    pub op: Op,
    pub value: Spanned<Literal>,
    pub span: Span,
}

/// `draft -> published by editors`
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionAst {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub by: Vec<Spanned<String>>,
    pub span: Span,
}
