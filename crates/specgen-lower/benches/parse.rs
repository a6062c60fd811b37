//! Compile time against spec size: synthetic specs of 10, 100 and 1,000 entities (each
//! with 8 fields, access lines and rules) through `compile`. Prints the median time per
//! size and per entity; the per-entity time should stay flat (linear growth).
//!
//! Run with `cargo bench -p specgen-lower`. Target: 1,000 entities under 200 ms.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use specgen_lower::{MemoryLoader, compile};

/// A spec with `n` entities. Entity `i` references entity `i - 1`, so references,
/// owners, rules and access lines are all resolved.
fn synthetic(n: usize) -> String {
    let mut s = String::from(
        "---\napp: bench\ndatabase: postgres\nauth:\n  sign-in: email-password\n  session: 30 days\n---\n\n# Bench\nA synthetic app.\n\n## Roles\n- member: everyone\n- editor: edits\n- admin: staff\n\n## User {auth}\n- email {email, unique}\n- name {text, 1..80}\n",
    );
    for i in 0..n {
        let parent = if i == 0 {
            "User".to_string()
        } else {
            format!("Thing {}", to_words(i - 1))
        };
        let name = format!("Thing {}", to_words(i));
        s.push_str(&format!(
            "\n## {name}\nEntity number {i}.\n\
             - title {{text, 1..120}}: what it is\n\
             - parent {{-> {parent}, optional, set empty}}\n\
             - owner {{-> User, the signed-in user}}\n\
             - status {{draft | active | done, default draft}}\n\
             - quantity {{integer, 0..1000, default 1}}\n\
             - price {{money, 0..10000}}\n\
             - starts at {{datetime}}\n\
             - ends at {{datetime, after starts at}}\n\
             \nAccess:\n\
             - Anyone can list and read {plural}.\n\
             - Members and editors can create {plural}.\n\
             - The owner can change and delete a {singular} {{update, delete: owner}}.\n\
             - Admins can do anything.\n\
             \nRules:\n\
             - No overlaps {{no overlap: starts at..ends at per owner}}.\n\
             - Limit {{at most 5 per owner when status = draft}}.\n\
             - Flow {{status: draft -> active -> done by editors, starts draft}}.\n\
             - Unique titles {{unique: title, owner}}.\n\
             - Late {{delete within 24 hours of created}}.\n",
            plural = specgen_lower::names::pluralize(&format!("thing {}", to_words(i))),
            singular = format!("thing {}", to_words(i)).to_lowercase(),
        ));
    }
    s
}

/// Entity names are words (`Thing Bcd`), not digits, to stay valid names.
fn to_words(mut i: usize) -> String {
    let mut out = String::new();
    loop {
        out.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            break;
        }
    }
    out.chars().rev().collect::<String>() + "x"
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    println!(
        "{:>9} {:>10} {:>12} {:>14}",
        "entities", "spec KiB", "median", "per entity"
    );
    for (n, iterations) in [(10, 51), (100, 21), (1000, 9)] {
        let text = synthetic(n);
        let mut files = BTreeMap::new();
        files.insert("bench.spec".to_string(), text.clone());
        let loader = MemoryLoader(files);
        // Warm up and check the spec really compiles.
        let compiled = compile("bench.spec", &loader);
        if compiled.app.is_none() {
            eprintln!(
                "{}",
                specgen_diagnostics::render::human(&compiled.sources, &compiled.diagnostics, false)
            );
            std::process::exit(1);
        }
        let mut times = Vec::new();
        for _ in 0..iterations {
            let start = Instant::now();
            let compiled = compile("bench.spec", &loader);
            times.push(start.elapsed());
            std::hint::black_box(compiled);
        }
        let m = median(times);
        println!(
            "{n:>9} {:>10.1} {:>10.2}ms {:>12.1}µs",
            text.len() as f64 / 1024.0,
            m.as_secs_f64() * 1000.0,
            m.as_secs_f64() * 1e6 / n as f64
        );
    }
}
