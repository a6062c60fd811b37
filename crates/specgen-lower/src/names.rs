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
//! Pure functions over strings: this module must not depend on any other module of the
//! crate (it is public, and every layer of lowering uses it).

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};

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
