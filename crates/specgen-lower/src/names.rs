//! Naming: plurals, case conversions and reserved words.
//!
//! Every identifier an emitter prints is decided here. The policy for reserved words is
//! to **map them safely**, never to emit them raw:
//!
//! - a Rust identifier that is a keyword gets a trailing underscore (`type` -> `type_`);
//!   its JSON name stays the word (`type`);
//! - an SQL table or column name that is a reserved word in PostgreSQL or SQLite gets a
//!   trailing underscore (`order` -> `order_`); so do table names the generated backend
//!   uses for itself (`sessions`).
//!
//! Names that would clash with the implicit columns (`id`, `created at`, `updated at`)
//! and a few Rust type names used by every generated backend are rejected instead (see
//! `entities.rs` and `fields.rs`), because mapping them would surprise the reader.
//!
//! Lengths: a name a person writes (of the app, an entity, a field or link, a role, an
//! enumeration value) has at most [`MAX_NAME_LENGTH`] characters ([`too_long`] says so),
//! and every SQL identifier decided here fits [`MAX_SQL_IDENTIFIER`] bytes
//! ([`sql_identifier`] shortens the few composed ones that would not, with a hash).
//!
//! Pure functions over strings: this module must not depend on any other module of the
//! crate (it is public, and every layer of lowering uses it).

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
use specgen_diagnostics::{Diagnostic, Span};

/// The most characters a name may have. Names a person writes are a few words; 60 keeps
/// every table (a plural adds at most 3 characters) and every column (a reference adds
/// `_id`) within PostgreSQL's 63 bytes unshortened, so the schema reads as the spec does.
pub const MAX_NAME_LENGTH: usize = 60;

/// PostgreSQL's limit on identifiers, in bytes; it silently cuts longer ones, so two long
/// names sharing a prefix would become one.
pub const MAX_SQL_IDENTIFIER: usize = 63;

/// A `name_too_long` error when `name` (a name as written) has more than
/// [`MAX_NAME_LENGTH`] characters. `what` names the kind of name (`field name`), `hint`
/// says where the detail goes instead.
pub fn too_long(what: &str, name: &str, span: Span, hint: &str) -> Option<Diagnostic> {
    let length = name.trim().chars().count();
    if length <= MAX_NAME_LENGTH {
        return None;
    }
    let start: String = name.trim().chars().take(24).collect();
    Some(
        Diagnostic::error(
            "name_too_long",
            span,
            format!(
                "this {what} is {length} characters long (`{}...`); names have at most {MAX_NAME_LENGTH}",
                start.trim_end()
            ),
        )
        .with_hint(hint.to_owned()),
    )
}

/// `name` when it fits [`MAX_SQL_IDENTIFIER`] bytes; else its start and `_` and 8 hex
/// digits of a hash of the whole name, 63 bytes in all. Deterministic, and two long names
/// that share their start still differ (their hashes do).
pub fn sql_identifier(name: &str) -> String {
    if name.len() <= MAX_SQL_IDENTIFIER {
        return name.to_owned();
    }
    let mut cut = MAX_SQL_IDENTIFIER - 9;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{:08x}", &name[..cut], fnv(name))
}

/// 32-bit FNV-1a: a small stable hash (std's hasher is randomized).
pub fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Rust keywords (strict, reserved and edition 2024 `gen`) that cannot be identifiers.
pub const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Words reserved in PostgreSQL (reserved, and reserved-but-function-or-type) or in
/// SQLite (keywords that cannot be used as bare identifiers). Table and column names
/// never equal one of these.
pub const SQL_RESERVED: &[&str] = &[
    "add",
    "all",
    "alter",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "autoincrement",
    "between",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "commit",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "delete",
    "desc",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "escape",
    "except",
    "exists",
    "false",
    "fetch",
    "filter",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "glob",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "nothing",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "over",
    "overlaps",
    "placing",
    "primary",
    "references",
    "regexp",
    "returning",
    "right",
    "rollback",
    "select",
    "session_user",
    "set",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "transaction",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Tables the generated backend keeps for itself; an entity table never takes these names.
pub const BACKEND_TABLES: &[&str] = &[
    "sessions",
    "auth_codes",
    "rate_limits",
    "_sqlx_migrations",
    "schema_migrations",
];

/// Type names every generated backend uses; an entity may not be called one of these.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Self", "Option", "Result", "Some", "None", "Ok", "Err", "String", "Vec", "Box", "Error",
    "Json", "Uuid",
];

pub fn is_rust_keyword(s: &str) -> bool {
    RUST_KEYWORDS.contains(&s)
}

pub fn is_sql_reserved(s: &str) -> bool {
    SQL_RESERVED.contains(&s)
}

/// A Rust identifier: the snake name, with `_` appended to keywords.
pub fn rust_ident(snake: &str) -> String {
    if is_rust_keyword(snake) {
        format!("{snake}_")
    } else {
        snake.to_string()
    }
}

/// An SQL column name: the snake name, with `_` appended to reserved words.
pub fn sql_column(snake: &str) -> String {
    if is_sql_reserved(snake) {
        format!("{snake}_")
    } else {
        snake.to_string()
    }
}

/// An SQL table name: like a column, also avoiding the backend's own tables.
pub fn sql_table(snake: &str) -> String {
    if is_sql_reserved(snake) || BACKEND_TABLES.contains(&snake) {
        format!("{snake}_")
    } else {
        snake.to_string()
    }
}

/// The SQL table of an entity named by these words (`order line` -> `order_lines`,
/// `order` -> `orders`): plural snake_case, never reserved, at most 63 bytes. An entity's
/// previous names and removed entities get their tables from here too.
pub fn entity_table(words: &str) -> String {
    sql_identifier(&sql_table(&snake(&pluralize(words))))
}

/// The column and JSON stem of a reference field named `snake`: `studio` -> `studio_id`
/// (a name already ending in `_id` is kept).
pub fn reference_stem(snake: &str) -> String {
    if snake.ends_with("_id") {
        snake.to_string()
    } else {
        format!("{snake}_id")
    }
}

/// The SQL column for a field's stem (`studio_id`, `order` -> `order_`).
pub fn column(stem: &str) -> String {
    sql_identifier(&sql_column(stem))
}

/// The join table of a link named `link_snake` on the entity `source_snake`
/// (`post` + `tags` -> `post_tags`).
pub fn join_table(source_snake: &str, link_snake: &str) -> String {
    sql_identifier(&sql_table(&format!("{source_snake}_{link_snake}")))
}

/// Lowercase words separated by single spaces (`OrderLine` and `order  line` both give
/// `order line`).
pub fn words(s: &str) -> String {
    s.to_snake_case().replace('_', " ")
}

pub fn snake(s: &str) -> String {
    s.to_snake_case()
}

pub fn pascal(s: &str) -> String {
    s.to_upper_camel_case()
}

pub fn kebab(s: &str) -> String {
    s.to_kebab_case()
}

/// A key for matching names loosely: lowercase letters and digits only, so `Order Line`,
/// `order-line`, `OrderLine` and `order_line` are the same name.
pub fn key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a snake_case name is usable as an identifier everywhere: ASCII lowercase
/// letters, digits and underscores, starting with a letter.
pub fn is_valid_snake(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Irregular plurals (singular, plural).
const IRREGULAR: &[(&str, &str)] = &[
    ("person", "people"),
    ("man", "men"),
    ("woman", "women"),
    ("child", "children"),
    ("foot", "feet"),
    ("tooth", "teeth"),
    ("goose", "geese"),
    ("mouse", "mice"),
    ("ox", "oxen"),
    ("criterion", "criteria"),
    ("phenomenon", "phenomena"),
    ("datum", "data"),
    ("quiz", "quizzes"),
    ("leaf", "leaves"),
    ("loaf", "loaves"),
    ("thief", "thieves"),
    ("half", "halves"),
    ("shelf", "shelves"),
    ("wolf", "wolves"),
    ("calf", "calves"),
    ("self", "selves"),
    ("knife", "knives"),
    ("wife", "wives"),
    ("life", "lives"),
    ("hero", "heroes"),
    ("potato", "potatoes"),
    ("tomato", "tomatoes"),
    ("echo", "echoes"),
    ("veto", "vetoes"),
    ("cactus", "cacti"),
    ("analysis", "analyses"),
    ("basis", "bases"),
    ("crisis", "crises"),
    ("diagnosis", "diagnoses"),
    ("thesis", "theses"),
    ("axis", "axes"),
    ("index", "indexes"),
    ("matrix", "matrices"),
    ("vertex", "vertices"),
    ("appendix", "appendices"),
    ("movie", "movies"),
    ("cookie", "cookies"),
    ("pie", "pies"),
    ("tie", "ties"),
    ("calorie", "calories"),
    ("rookie", "rookies"),
    ("zombie", "zombies"),
    ("selfie", "selfies"),
    ("cache", "caches"),
    ("niche", "niches"),
];

/// Irregular words that also end compounds (`salesperson`, `grandchild`).
const COMPOUNDABLE: &[(&str, &str)] = &[
    ("person", "people"),
    ("woman", "women"),
    ("child", "children"),
];

/// Words that are the same in singular and plural.
const UNCOUNTABLE: &[&str] = &[
    "equipment",
    "information",
    "rice",
    "money",
    "species",
    "series",
    "fish",
    "sheep",
    "deer",
    "news",
    "feedback",
    "software",
    "hardware",
    "staff",
    "metadata",
    "data",
    "media",
    "inventory",
    "furniture",
    "luggage",
    "baggage",
    "music",
    "advice",
    "police",
    "aircraft",
    "moose",
    "salmon",
    "trout",
    "bison",
    "swine",
    "offspring",
];

/// The plural of a lowercase word sequence; only the last word changes
/// (`order line` -> `order lines`, `person` -> `people`).
pub fn pluralize(words: &str) -> String {
    match words.rsplit_once(' ') {
        Some((head, last)) => format!("{head} {}", plural_word(last)),
        None => plural_word(words),
    }
}

/// The singular of a lowercase word sequence; only the last word changes.
pub fn singularize(words: &str) -> String {
    match words.rsplit_once(' ') {
        Some((head, last)) => format!("{head} {}", singular_word(last)),
        None => singular_word(words),
    }
}

fn plural_word(w: &str) -> String {
    if w.is_empty() || UNCOUNTABLE.contains(&w) {
        return w.to_string();
    }
    if let Some((_, p)) = IRREGULAR.iter().find(|(s, _)| *s == w) {
        return (*p).to_string();
    }
    // Compound words end in an irregular word: `salesperson` -> `salespeople`.
    for (s, p) in COMPOUNDABLE {
        if w.len() > s.len() && w.ends_with(s) {
            return format!("{}{}", &w[..w.len() - s.len()], p);
        }
    }
    let bytes = w.as_bytes();
    let last = bytes[bytes.len() - 1];
    let before = if bytes.len() >= 2 {
        bytes[bytes.len() - 2]
    } else {
        b' '
    };
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    if w.ends_with("s")
        || w.ends_with("sh")
        || w.ends_with("ch")
        || w.ends_with('x')
        || w.ends_with('z')
    {
        return format!("{w}es");
    }
    if last == b'y' && !vowel(before) && bytes.len() > 1 {
        return format!("{}ies", &w[..w.len() - 1]);
    }
    format!("{w}s")
}

fn singular_word(w: &str) -> String {
    if w.is_empty() || UNCOUNTABLE.contains(&w) {
        return w.to_string();
    }
    if let Some((s, _)) = IRREGULAR.iter().find(|(_, p)| *p == w) {
        return (*s).to_string();
    }
    for (s, p) in COMPOUNDABLE {
        if w.len() > p.len() && w.ends_with(p) {
            return format!("{}{}", &w[..w.len() - p.len()], s);
        }
    }
    if let Some(stem) = w.strip_suffix("ies")
        && !stem.is_empty()
    {
        return format!("{stem}y");
    }
    for ending in ["sses", "shes", "ches", "xes", "zzes"] {
        if w.ends_with(ending) {
            return w[..w.len() - 2].to_string();
        }
    }
    // `statuses`, `buses` -> `status`, `bus`; but `houses`, `causes` -> `house`, `cause`.
    if let Some(stem) = w.strip_suffix("uses") {
        let consonant_before = stem
            .chars()
            .last()
            .is_some_and(|c| !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u'));
        return if consonant_before {
            format!("{stem}us")
        } else {
            format!("{stem}use")
        };
    }
    if w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") {
        return w.to_string();
    }
    match w.strip_suffix('s') {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => w.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_singulars_round_trip() {
        let cases = [
            ("person", "people"),
            ("category", "categories"),
            ("status", "statuses"),
            ("address", "addresses"),
            ("booking", "bookings"),
            ("studio", "studios"),
            ("order line", "order lines"),
            ("box", "boxes"),
            ("match", "matches"),
            ("wish", "wishes"),
            ("quiz", "quizzes"),
            ("day", "days"),
            ("key", "keys"),
            ("company", "companies"),
            ("child", "children"),
            ("leaf", "leaves"),
            ("roof", "roofs"),
            ("hero", "heroes"),
            ("photo", "photos"),
            ("video", "videos"),
            ("analysis", "analyses"),
            ("index", "indexes"),
            ("bus", "buses"),
            ("campus", "campuses"),
            ("news", "news"),
            ("staff", "staff"),
            ("equipment", "equipment"),
            ("salesperson", "salespeople"),
            ("sales person", "sales people"),
            ("tag", "tags"),
            ("user", "users"),
            ("member", "members"),
            ("admin", "admins"),
            ("post", "posts"),
            ("comment", "comments"),
            ("team", "teams"),
            ("task", "tasks"),
            ("product", "products"),
            ("order", "orders"),
            ("inventory", "inventory"),
            ("reply", "replies"),
            ("toy", "toys"),
            ("class", "classes"),
            ("tax", "taxes"),
            ("fizz", "fizzes"),
            ("woman", "women"),
            ("house", "houses"),
            ("movie", "movies"),
            ("size", "sizes"),
            ("response", "responses"),
            ("purchase", "purchases"),
            ("use", "uses"),
        ];
        for (singular, plural) in cases {
            assert_eq!(pluralize(singular), plural, "plural of {singular}");
            assert_eq!(singularize(plural), singular, "singular of {plural}");
        }
    }

    #[test]
    fn singularize_leaves_singulars_alone() {
        for w in ["status", "address", "class", "analysis", "bus", "campus"] {
            assert_eq!(singularize(w), w);
        }
    }

    #[test]
    fn reserved_words_are_mapped() {
        assert_eq!(rust_ident("type"), "type_");
        assert_eq!(rust_ident("starts_at"), "starts_at");
        assert_eq!(sql_column("order"), "order_");
        assert_eq!(sql_column("type"), "type");
        assert_eq!(sql_table("sessions"), "sessions_");
        assert_eq!(sql_table("users"), "users");
    }

    #[test]
    fn long_sql_identifiers_are_shortened_stably_and_distinctly() {
        assert_eq!(sql_identifier("post_tags"), "post_tags");
        let a = format!("{}_a", "x".repeat(70));
        let b = format!("{}_b", "x".repeat(70));
        assert_eq!(sql_identifier(&a).len(), MAX_SQL_IDENTIFIER);
        assert_eq!(sql_identifier(&a), sql_identifier(&a));
        assert_ne!(sql_identifier(&a), sql_identifier(&b));
        let exact = "y".repeat(MAX_SQL_IDENTIFIER);
        assert_eq!(sql_identifier(&exact), exact);
    }

    #[test]
    fn long_names_are_refused_with_a_short_preview() {
        let span = Span::new(specgen_diagnostics::FileId(0), 0, 1);
        assert!(too_long("field name", &"a".repeat(MAX_NAME_LENGTH), span, "h").is_none());
        let d = too_long("field name", &"a".repeat(200_000), span, "h").expect("too long");
        assert_eq!(d.code, "name_too_long");
        assert!(d.message.len() < 120, "{}", d.message);
    }

    #[test]
    fn words_and_keys_normalize_spelling() {
        assert_eq!(words("OrderLine"), "order line");
        assert_eq!(words("Order  Line"), "order line");
        assert_eq!(key("Order-Line"), key("order_line"));
        assert_eq!(pascal("order line"), "OrderLine");
        assert_eq!(kebab("order line"), "order-line");
        assert!(is_valid_snake("order_line_2"));
        assert!(!is_valid_snake("2nd_order"));
        assert!(!is_valid_snake("café"));
    }
}
