//! A large, valid spec for timing: a signing-in `User` plus N-1 entities that use every
//! kind of field, reference the previous entity, and have access lines and a rule.

use std::fmt::Write as _;

const ADJECTIVES: [&str; 10] = [
    "Red", "Green", "Blue", "Amber", "Silver", "Golden", "Quiet", "Rapid", "Bright", "Solid",
];
/// Nouns whose plural adds an `s`, so access lines can name them.
const NOUNS: [&str; 10] = [
    "Ledger", "Ticket", "Parcel", "Invoice", "Report", "Session", "Journey", "Review", "Badge",
    "Voucher",
];

/// A spec with `entities` entities (at most 101), the sign-in entity included.
pub fn synthetic_spec(entities: usize) -> String {
    assert!(
        (1..=ADJECTIVES.len() * NOUNS.len() + 1).contains(&entities),
        "the synthetic spec has names for 1 to 101 entities"
    );
    let mut spec = String::from(
        "---\n\
         app: synthetic\n\
         database: sqlite\n\
         auth:\n  sign-in: email-password\n  verify-email: false\n  session: 30 days\n\
         ---\n\n\
         # Synthetic\n\
         A generated spec for timing specgen.\n\n\
         ## Roles\n\
         - member: everyone who signs up\n\
         - admin: staff\n\n\
         ## User {auth}\n\
         People who use the app.\n\
         - email {email, unique}: where we reach them\n\
         - name {text, 1..80}\n\
         - plan {free | pro, default free}\n",
    );
    let names: Vec<(String, String)> = ADJECTIVES
        .iter()
        .flat_map(|adjective| NOUNS.iter().map(move |noun| (*adjective, *noun)))
        .take(entities - 1)
        .map(|(adjective, noun)| {
            let name = format!("{adjective} {noun}");
            let plural = format!("{}s", name.to_lowercase());
            (name, plural)
        })
        .collect();
    for (index, (name, plural)) in names.iter().enumerate() {
        let singular = name.to_lowercase();
        write!(
            spec,
            "\n## {name}\n\
             Record kind number {number} of the synthetic spec.\n\
             - title {{text, 1..120}}\n\
             - owner {{-> User, the signed-in user}}\n\
             - status {{draft | active | done, default draft}}\n\
             - amount {{money}}\n\
             - quantity {{integer, 0..1000}}\n\
             - ratio {{decimal, 0..1}}\n\
             - public {{boolean, default false}}\n\
             - due on {{date, optional}}\n\
             - starts at {{datetime}}\n\
             - ends at {{datetime, after starts at}}\n\
             - website {{url, optional}}\n\
             - note {{text, optional, max 500}}\n",
            number = index + 1
        )
        .expect("writing to a String");
        if let Some((previous, _)) = index.checked_sub(1).map(|i| &names[i]) {
            writeln!(spec, "- previous {{-> {previous}, optional}}").expect("writing to a String");
        }
        write!(
            spec,
            "\nAccess:\n\
             - Anyone can list and read {plural}.\n\
             - Members can create {plural}.\n\
             - The owner can read, change and delete a {singular} {{read, update, delete: owner}}.\n\
             - Admins can do anything.\n\n\
             Rules:\n\
             - A member holds at most 20 {plural} {{at most 20 per owner}}.\n"
        )
        .expect("writing to a String");
    }
    spec
}

/// [`synthetic_spec`] after a change to every entity but the sign-in one: its `note` is
/// renamed `remark` (`was note`) and it gains an optional `rating`, so the rebuild diffs and
/// migrates every table.
pub fn changed_synthetic_spec(entities: usize) -> String {
    let spec = synthetic_spec(entities);
    let note = "- note {text, optional, max 500}\n";
    assert!(spec.contains(note), "the synthetic spec has a note field");
    spec.replace(
        note,
        "- remark {text, optional, max 500, was note}\n- rating {integer, optional, 1..5}\n",
    )
}
