//! Changing the spec of a deployed app, through the CLI: a rebuild writes the next
//! migration and leaves the ones before it byte for byte; `plan` says what it will do;
//! a change that would lose data unsaid stops `build` and `check` with a located error and
//! writes nothing; `check` fails while a schema change has no migration.

use super::{Regen, read_tree};

const SQLITE_0001: &str = "out/migrations/sqlite/0001_initial.sql";
const POSTGRES_0001: &str = "out/migrations/postgres/0001_initial.sql";
const CAPACITY: &str = "- capacity {integer, 1..50}\n";

fn rename_capacity(regen: &mut Regen) {
    assert!(
        regen.spec.contains(CAPACITY),
        "the example changed; update this test"
    );
    regen.spec = regen
        .spec
        .replacen(CAPACITY, "- size {integer, 1..50, was capacity}\n", 1);
    std::fs::write(regen.path("app.spec"), &regen.spec).unwrap();
}

#[test]
fn a_schema_change_becomes_the_next_migration_and_earlier_ones_stay_as_written() {
    let mut regen = Regen::new();
    let sqlite = regen.read(SQLITE_0001);
    let postgres = regen.read(POSTGRES_0001);
    rename_capacity(&mut regen);
    regen.add_field("- band name {text, optional, max 80}");

    // Before the rebuild: check fails and says a migration is missing.
    let check = regen.run(&["check"]).run().expect(1);
    assert!(
        check.stderr.contains("no migration covers it yet"),
        "{}",
        check.stderr
    );

    let plan = regen.run(&["plan"]).run().expect(0);
    for words in [
        "Next migration: 0002_rename_studios_capacity_to_size_and_more.sql",
        "rename column studios.capacity to size; its values are kept",
        "add column bookings.band_name (existing rows have no value)",
        "Breaks a rolling deploy",
        "old replicas still read and write studios.capacity",
    ] {
        assert!(
            plan.stdout.contains(words),
            "no `{words}` in:\n{}",
            plan.stdout
        );
    }
    let before = read_tree(regen.dir.path());
    regen.run(&["plan"]).run().expect(0);
    assert_eq!(read_tree(regen.dir.path()), before, "plan writes nothing");

    regen.run(&["build"]).run().expect(0);
    assert_eq!(regen.read(SQLITE_0001), sqlite, "0001 is history");
    assert_eq!(regen.read(POSTGRES_0001), postgres, "0001 is history");
    let name = "0002_rename_studios_capacity_to_size_and_more.sql";
    let sqlite_0002 = regen.read(&format!("out/migrations/sqlite/{name}"));
    assert!(sqlite_0002.contains("capacity AS size"), "{sqlite_0002}");
    let postgres_0002 = regen.read(&format!("out/migrations/postgres/{name}"));
    assert!(
        postgres_0002.contains("ALTER TABLE studios RENAME COLUMN capacity TO size;"),
        "{postgres_0002}"
    );
    regen.run(&["check"]).run().expect(0);

    // Nothing changed since: no new migration, and the `was` may stay in the spec.
    let again = regen.run(&["plan"]).run().expect(0);
    assert!(
        again.stdout.contains("No schema change"),
        "{}",
        again.stdout
    );
    regen.run(&["build"]).run().expect(0);
    let migrations = std::fs::read_dir(regen.path("out/migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(migrations, 2);

    // A hand-written migration takes a number: specgen's next one comes after it.
    std::fs::write(
        regen.path("out/migrations/sqlite/0003_add_reporting_view.sql"),
        "CREATE VIEW busy AS SELECT 1;\n",
    )
    .unwrap();
    regen.add_field("- gear {text, optional, max 200}");
    let plan = regen.run(&["plan"]).run().expect(0);
    assert!(
        plan.stdout
            .contains("Next migration: 0004_add_bookings_gear.sql"),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_field_dropped_without_removed_stops_the_build_and_writes_nothing() {
    let mut regen = Regen::new();
    assert!(regen.spec.contains(CAPACITY));
    regen.spec = regen
        .spec
        .replacen(CAPACITY, "- size {integer, 1..50}\n", 1);
    std::fs::write(regen.path("app.spec"), &regen.spec).unwrap();
    let before = read_tree(regen.dir.path());
    let run = regen.run(&["build"]).run().expect(1);
    for words in [
        "error[column_removed_silently]",
        "the column `capacity` of `studios` is not in the spec any more",
        "app.spec:30:3",
        "add `was capacity` to its braces",
        "- capacity {removed}",
        "nothing was written",
    ] {
        assert!(
            run.stderr.contains(words),
            "no `{words}` in:\n{}",
            run.stderr
        );
    }
    assert_eq!(read_tree(regen.dir.path()), before, "nothing written");
    regen.run(&["check"]).run().expect(1);
    regen.run(&["plan"]).run().expect(1);

    // Said in the spec, the drop is planned, and explain lists it.
    regen.spec = regen.spec.replacen(
        "- size {integer, 1..50}\n",
        "- size {integer, 1..50}\n- capacity {removed}\n",
        1,
    );
    std::fs::write(regen.path("app.spec"), &regen.spec).unwrap();
    let plan = regen.run(&["plan"]).run().expect(0);
    assert!(
        plan.stdout
            .contains("drop column studios.capacity and its values"),
        "{}",
        plan.stdout
    );
    let explain = super::specgen(&["explain", "app.spec"])
        .in_dir(regen.dir.path())
        .run()
        .expect(0);
    assert!(
        explain
            .stdout
            .contains("Studio.capacity: removed; the next migration drops capacity"),
        "{}",
        explain.stdout
    );
}

#[test]
fn a_damaged_schema_record_is_an_error_that_says_how_to_recover() {
    let regen = Regen::new();
    for path in [
        "out/migrations/schema.json",
        "out/.specgen/base/migrations/schema.json",
    ] {
        std::fs::write(regen.path(path), "{ not json").unwrap();
    }
    let run = regen.run(&["build"]).run().expect(2);
    assert!(
        run.stderr.contains("restore it from version control"),
        "{}",
        run.stderr
    );
}

/// A repo from a specgen that recorded no schema: what `migrations/schema.json` and its
/// manifest entry looked like before they existed.
fn forget_schema_record(regen: &Regen) {
    for path in [
        "out/migrations/schema.json",
        "out/.specgen/base/migrations/schema.json",
    ] {
        std::fs::remove_file(regen.path(path)).unwrap();
    }
    let manifest = regen.path("out/.specgen/manifest.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    json["files"]
        .as_object_mut()
        .unwrap()
        .remove("migrations/schema.json")
        .expect("the manifest lists the record");
    std::fs::write(&manifest, serde_json::to_string_pretty(&json).unwrap()).unwrap();
}

#[test]
fn a_repo_without_a_schema_record_is_adopted_only_when_its_migrations_match_the_spec() {
    let mut regen = Regen::new();
    let sqlite = regen.read(SQLITE_0001);
    forget_schema_record(&regen);
    // The spec changed since 0001 was written: the change cannot be computed, and 0001 is
    // not rewritten.
    rename_capacity(&mut regen);
    let run = regen.run(&["build"]).run().expect(2);
    assert!(
        run.stderr.contains("did not record its schema"),
        "{}",
        run.stderr
    );
    assert_eq!(regen.read(SQLITE_0001), sqlite);
    assert!(!regen.path("out/migrations/schema.json").exists());

    // Built from the spec 0001 came from, the schema is recorded and nothing else changes;
    // then the change becomes 0002.
    let original = regen
        .spec
        .replacen("- size {integer, 1..50, was capacity}\n", CAPACITY, 1);
    std::fs::write(regen.path("app.spec"), &original).unwrap();
    regen.run(&["build"]).run().expect(0);
    assert_eq!(regen.read(SQLITE_0001), sqlite);
    assert!(regen.path("out/migrations/schema.json").exists());
    std::fs::write(regen.path("app.spec"), &regen.spec).unwrap();
    regen.run(&["build"]).run().expect(0);
    assert!(
        regen
            .path("out/migrations/sqlite/0002_rename_studios_capacity_to_size.sql")
            .exists()
    );
}
