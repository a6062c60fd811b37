//! No input makes the compiler panic, and every diagnostic points inside its file.
//!
//! The examples are mutated (lines deleted, duplicated and swapped, characters
//! inserted, files truncated) and random specs are assembled from fragments, all with
//! a small deterministic PRNG so a failure reproduces. Very long and very deep specs
//! (names of 200,000 characters, 1,000 chained entities, 100 nested includes, a bullet
//! over 5,000 lines) must each compile within a few seconds. Bounded to run in a few
//! seconds.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use specgen_diagnostics::{SourceMap, Span, render};
use specgen_lower::{MemoryLoader, compile};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn examples() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut out = Vec::new();
    for name in [
        "studio-bookings.spec",
        "shop.spec",
        "task-tracker.spec",
        "publishing.spec",
        "publishing/taxonomy.spec",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap_or_default();
        assert!(!text.is_empty(), "cannot read example {name}");
        out.push((name.to_string(), text));
    }
    out
}

fn span_ok(sources: &SourceMap, span: Span) -> bool {
    let Some(file) = sources.files.get(span.file.0 as usize) else {
        return false;
    };
    let (s, e) = (span.start as usize, span.end as usize);
    s <= e && e <= file.text.len() && file.text.is_char_boundary(s) && file.text.is_char_boundary(e)
}

/// Compile `text` as `app.spec` (with the other files available for includes) and
/// check the invariants. Returns the number of diagnostics.
fn check(text: &str, others: &[(String, String)], what: &str) -> usize {
    check_codes(text, others, what).len()
}

/// [`check`], returning the diagnostics' codes.
fn check_codes(text: &str, others: &[(String, String)], what: &str) -> Vec<String> {
    let mut files: BTreeMap<String, String> = others.iter().cloned().collect();
    files.insert("app.spec".into(), text.to_string());
    let loader = MemoryLoader(files);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let compiled = compile("app.spec", &loader);
        let human = render::human(&compiled.sources, &compiled.diagnostics, false);
        let json = render::json(&compiled.sources, &compiled.diagnostics);
        (compiled, human.len() + json.len())
    }));
    let Ok((compiled, _)) = result else {
        panic!("compile panicked on {what}:\n{text}")
    };
    for d in &compiled.diagnostics {
        assert!(
            span_ok(&compiled.sources, d.span),
            "{what}: bad span {:?} for `{}` in:\n{text}",
            d.span,
            d.code
        );
        for l in &d.labels {
            assert!(
                span_ok(&compiled.sources, l.span),
                "{what}: bad label span {:?} for `{}`",
                l.span,
                d.code
            );
        }
        assert!(
            !d.code.is_empty() && !d.message.is_empty(),
            "{what}: empty diagnostic"
        );
    }
    let has_errors = compiled.diagnostics.iter().any(|d| d.is_error());
    assert_eq!(
        compiled.app.is_some(),
        !has_errors,
        "{what}: app present iff no errors"
    );
    compiled
        .diagnostics
        .iter()
        .map(|d| d.code.clone())
        .collect()
}

const INSERTS: &[&str] = &[
    "{",
    "}",
    "->",
    "|",
    "..",
    ":",
    ",",
    ";",
    "\n",
    "\n- ",
    "\n## ",
    "\n---\n",
    "#",
    "`",
    "\"",
    "é",
    "日本",
    "\t",
    "\r\n",
    " ",
    "{auth}",
    "{text}",
    "-> Nowhere",
    "many -> ",
    "default ",
    "per ",
    "when ",
    "once ",
    "starts ",
    "Access:\n",
    "Rules:\n",
    "can ",
    "do anything",
    "0",
    "-1",
    "99999999999999999999999",
    "1..",
    "..2",
    "$",
    "\u{0}",
    "\u{feff}",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    match rng.below(5) {
        0 if lines.len() > 1 => {
            let i = rng.below(lines.len());
            lines.remove(i);
            lines.join("\n")
        }
        1 => {
            let i = rng.below(lines.len());
            let line = lines[i];
            lines.insert(i, line);
            lines.join("\n")
        }
        2 => {
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            lines.swap(a, b);
            lines.join("\n")
        }
        _ => {
            let mut s = text.to_string();
            for _ in 0..1 + rng.below(3) {
                let mut at = rng.below(s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                let ins = rng.pick(INSERTS);
                s.insert_str(at, ins);
            }
            s
        }
    }
}

/// Rounds of mutation; `SPECGEN_FUZZ_ROUNDS` raises it for a longer local run.
fn rounds(default: usize) -> usize {
    std::env::var("SPECGEN_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_examples_never_panic() {
    let examples = examples();
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let mut total = 0;
    for round in 0..rounds(150) {
        for (name, text) in examples.iter().take(4) {
            let mut t = text.clone();
            for _ in 0..1 + round % 4 {
                t = mutate(&mut rng, &t);
            }
            total += check(&t, &examples, &format!("mutation {round} of {name}"));
        }
    }
    assert!(total > 0, "mutations should produce some diagnostics");
}

#[test]
fn truncated_examples_never_panic() {
    let examples = examples();
    for (name, text) in examples.iter().take(4) {
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                check(&text[..cut], &examples, &format!("{name} cut at {cut}"));
            }
            cut += 23;
        }
    }
}

#[test]
fn random_specs_never_panic() {
    let fragments = [
        "---\n",
        "app: demo\n",
        "database: postgres\n",
        "include:\n  - app.spec\n",
        "include: [x.spec]\n",
        "auth:\n  session: 2 days\n",
        "# Title\n",
        "Some prose.\n",
        "## Roles\n",
        "- member {default}: people\n",
        "- admin: staff\n",
        "## User {auth}\n",
        "- email {email, unique}\n",
        "## Thing\n",
        "## Other Thing\n",
        "- name {text, 1..80}\n",
        "- owner {-> User, the signed-in user}\n",
        "- parent {-> Thing, optional, set empty}\n",
        "- kind {a | b | c, default b}\n",
        "- at {datetime}\n",
        "- until {datetime, after at}\n",
        "- tags {many -> Other Thing}\n",
        "- n {integer, 0..10, default 3}\n",
        "Access:\n",
        "Rules:\n",
        "- Anyone can list and read things.\n",
        "- The owner can change a thing.\n",
        "- Admins can do anything.\n",
        "- x {no overlap: at..until per owner}\n",
        "- y {at most 2 per owner when owner.email = x}\n",
        "- z {kind: a -> b -> c by admins, starts a}\n",
        "- w {unique: name, kind}\n",
        "- v {immutable: name once kind = c}\n",
        "- u {delete within 2 days of at}\n",
        "### Fields\n",
        "  continued line\n",
        "\n",
    ];
    let mut rng = Rng(42);
    for round in 0..rounds(400) {
        let mut text = String::new();
        for _ in 0..1 + rng.below(25) {
            text.push_str(rng.pick(&fragments));
        }
        check(&text, &[], &format!("random spec {round}"));
    }
}

#[test]
fn include_cycles_and_self_includes_are_diagnosed() {
    let a = "---\ninclude:\n  - b.spec\n---\n## A\n- name {text}\n";
    let b = "---\ninclude:\n  - app.spec\n  - missing.spec\n---\n## B\n- name {text}\n";
    let n = check(a, &[("b.spec".into(), b.into())], "cycle");
    assert!(n >= 2, "cycle and missing file are both reported");
    let me = "---\ninclude: [app.spec]\n---\n## A\n- name {text}\n";
    assert!(check(me, &[], "self include") >= 1);
}

#[test]
fn pathological_inputs_never_panic() {
    let deep_yaml = format!("---\napp: {}\n---\n", "[".repeat(5000));
    let long_line = format!("## Thing\n- name {{text, {}}}\n", "a ".repeat(50_000));
    let many_braces = format!("## Thing\n- {}\n", "{".repeat(10_000));
    let long_rule = format!(
        "## Thing\n- at {{datetime}}\nRules:\n- x {{no overlap: {}at..at}}\n",
        "at ".repeat(10_000)
    );
    for (what, text) in [
        ("deep yaml", deep_yaml),
        ("long line", long_line),
        ("many braces", many_braces),
        ("long rule", long_rule),
    ] {
        check(&text, &[], what);
    }
    for text in [
        "",
        "\n",
        "---",
        "---\n---",
        "\u{feff}## A\n- b {text}",
        "\r\n\r\n## A\r\n- b {text}\r\n",
        "## A {auth}\n- email {email}\n",
    ] {
        check(text, &[], "tiny input");
    }
}

/// Compiles `text` (with `others` for includes) as [`check`] does, and fails when it takes
/// longer than a few seconds: lowering must stay about linear in the size of the spec.
fn check_fast(text: &str, others: &[(String, String)], what: &str) -> Vec<String> {
    let started = std::time::Instant::now();
    let codes = check_codes(text, others, what);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "{what} took {took:?}"
    );
    codes
}

#[test]
fn very_long_names_are_refused_quickly() {
    let long = "a".repeat(200_000);
    let words = "word ".repeat(40_000);
    let cases = [
        (
            "long app name",
            format!("---\napp: {long}\n---\n## Thing\n- name {{text}}\n"),
        ),
        ("long entity name", format!("## {long}\n- name {{text}}\n")),
        ("long field name", format!("## Thing\n- {long} {{text}}\n")),
        ("long field words", format!("## Thing\n- {words}{{text}}\n")),
        (
            "long link name",
            format!("## Thing\n- {long} {{many -> Thing}}\n"),
        ),
        (
            "long role name",
            format!("## Roles\n- {long}: x\n- admin: y\n## Thing\n- name {{text}}\n"),
        ),
        (
            "long enum value",
            format!("## Thing\n- kind {{a | {long}}}\n"),
        ),
        ("long type word", format!("## Thing\n- name {{{long}}}\n")),
        (
            "long name in a rule",
            format!("## Thing\n- at {{datetime}}\nRules:\n- x {{immutable: {long}}}\n"),
        ),
        (
            "long role in access",
            format!("## Thing\n- name {{text}}\nAccess:\n- {long} can read things.\n"),
        ),
        (
            "long reference",
            format!("## Thing\n- other {{-> {long}}}\n"),
        ),
    ];
    for (what, text) in cases {
        let codes = check_fast(&text, &[], what);
        assert!(!codes.is_empty(), "{what}: no diagnostic");
        if what.ends_with("name") || what == "long enum value" || what == "long field words" {
            assert!(
                codes.iter().any(|c| c == "name_too_long"),
                "{what}: {codes:?}"
            );
        }
    }
}

#[test]
fn very_large_and_deep_specs_never_panic() {
    // Many entities, each referencing the one before: a long, deep chain of references.
    let mut chain = String::from("---\napp: chain\n---\n");
    for i in 0..1000 {
        chain.push_str(&format!("## Thing {i}\n- name {{text, 1..80}}\n"));
        if i > 0 {
            chain.push_str(&format!("- parent {{-> Thing {}}}\n", i - 1));
        }
        chain.push_str("Access:\n- Anyone can do anything.\n");
    }
    assert!(check_fast(&chain, &[], "a chain of 1,000 entities").is_empty());

    // A transition chain through 2,000 values.
    let values: Vec<String> = (0..2000).map(|i| format!("s{i}")).collect();
    let deep_transitions = format!(
        "## Thing\n- status {{{}}}\nRules:\n- x {{status: {}}}\n",
        values.join(" | "),
        values.join(" -> ")
    );
    check_fast(&deep_transitions, &[], "a 2,000-step transition chain");

    // A bullet continued over 5,000 ever deeper lines, and a condition path of 10,000 steps.
    let mut continued = String::from("## Thing\n- name {text,\n");
    for i in 1..5_000 {
        continued.push_str(&" ".repeat(2 + i % 100));
        continued.push_str("1..80\n");
    }
    check_fast(&continued, &[], "a bullet over 5,000 lines");
    let path = format!(
        "## Thing\n- n {{integer}}\nRules:\n- x {{at most 2 per n when {}n = 1}}\n",
        "n.".repeat(10_000)
    );
    check_fast(&path, &[], "a 10,000-step condition path");

    // Includes 100 files deep, and brackets nested 2,000 deep in front matter and fields.
    let mut files = Vec::new();
    for i in 0..100 {
        files.push((
            format!("f{i}.spec"),
            format!(
                "---\ninclude:\n  - f{}.spec\n---\n## Part {i}\n- name {{text}}\n",
                i + 1
            ),
        ));
    }
    files.push(("f100.spec".into(), "## Last\n- name {text}\n".into()));
    let root = "---\ninclude:\n  - f0.spec\n---\n## Root\n- name {text}\n";
    check_fast(root, &files, "includes 100 deep");
    let nested = format!(
        "---\nauth: {}\n---\n## Thing\n- name {{text, {}}}\n",
        "{a: ".repeat(2_000),
        "(".repeat(2_000)
    );
    check_fast(&nested, &[], "nesting 2,000 deep");
}
