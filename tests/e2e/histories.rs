//! What each spec history puts in its v1 database and expects back: the records a client
//! creates through the v1 API, and per later version how the API shows them (renamed
//! resources and fields, converted numbers, renamed enumeration values, removed and added
//! fields), then a few requests that use the new schema (new fields, new rules, a new
//! entity) on the migrated data.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::history::{Api, PASSWORD, Snapshot};

/// One history: `examples/<example>.spec`, then `tests/e2e/histories/<example>/<step>.spec`.
pub struct History {
    pub example: &'static str,
    /// `--set` fields of `create-admin` besides the email.
    pub admin_fields: &'static [(&'static str, &'static str)],
    /// Fills the v1 database through the API.
    pub fill: fn(&Api, &mut Seed) -> Result<(), String>,
    /// The v1 resources whose records the later versions must keep.
    pub v1_resources: &'static [&'static str],
    pub steps: &'static [Step],
}

/// One later version and how its API must show the records of the version before.
pub struct Step {
    /// The file in `tests/e2e/histories/<example>/`.
    pub spec: &'static str,
    /// `(old path, new path)` of renamed resources.
    pub resources: &'static [(&'static str, &'static str)],
    /// `(new path, old field, new field)`.
    pub renamed_fields: &'static [(&'static str, &'static str, &'static str)],
    /// `(new path, field)`: compared as numbers (integer to decimal).
    pub converted: &'static [(&'static str, &'static str)],
    /// `(path, field, old value, new value)` of renamed enumeration values.
    pub renamed_values: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// `(path, field)` of removed fields: gone from every answer.
    pub removed_fields: &'static [(&'static str, &'static str)],
    /// `(path, field, value of the existing records as JSON)` of added fields.
    pub added_fields: &'static [(&'static str, &'static str, &'static str)],
    /// Resources of new entities: they list nothing right after the migration.
    pub new_resources: &'static [&'static str],
    /// Requests that use the new schema on the migrated records.
    pub exercise: fn(&Api, &Seed, &Snapshot) -> Result<(), String>,
}

impl Step {
    /// A step to `spec` whose migration keeps every record as it was; a history's entry
    /// names what its step changes and takes the rest from here (`..Step::new(..)`).
    pub const fn new(
        spec: &'static str,
        exercise: fn(&Api, &Seed, &Snapshot) -> Result<(), String>,
    ) -> Step {
        Step {
            spec,
            resources: &[],
            renamed_fields: &[],
            converted: &[],
            renamed_values: &[],
            removed_fields: &[],
            added_fields: &[],
            new_resources: &[],
            exercise,
        }
    }

    /// How the new API must show `record` (as the previous version's API showed it) at
    /// `path` (the resource's new path).
    pub fn expect(&self, path: &str, record: &Value) -> Value {
        let mut record = record.as_object().cloned().unwrap_or_default();
        for (_, old, new) in self.renamed_fields.iter().filter(|(p, ..)| *p == path) {
            if let Some(value) = record.remove(*old) {
                record.insert((*new).to_owned(), value);
            }
        }
        for (_, field, old, new) in self.renamed_values.iter().filter(|(p, ..)| *p == path) {
            if record.get(*field) == Some(&json!(old)) {
                record.insert((*field).to_owned(), json!(new));
            }
        }
        for (_, field) in self.removed_fields.iter().filter(|(p, _)| *p == path) {
            record.remove(*field);
        }
        for (_, field, value) in self.added_fields.iter().filter(|(p, ..)| *p == path) {
            let value = serde_json::from_str(value).expect("an added field's value is JSON");
            record.insert((*field).to_owned(), value);
        }
        Value::Object(record)
    }

    /// The fields of `path` that compare as numbers.
    pub fn converted_in(&self, path: &str) -> Vec<&'static str> {
        self.converted
            .iter()
            .filter(|(p, _)| *p == path)
            .map(|(_, field)| *field)
            .collect()
    }
}

/// The accounts a history's client made.
pub struct Seed {
    /// The admin's session token.
    pub admin: String,
    pub members: Vec<Member>,
    /// Where the app writes email (verification codes).
    pub outbox: PathBuf,
}

/// A member who signed up, verified the address and signed in.
pub struct Member {
    pub id: String,
    pub token: String,
}

impl Seed {
    /// Signs up `member<n>@example.com` with each of `people`'s fields, numbering on from
    /// the members there are.
    pub fn sign_up_all(&mut self, api: &Api, people: &[Value]) -> Result<(), String> {
        for fields in people {
            let email = format!("member{}@example.com", self.members.len());
            self.sign_up(api, &email, fields.clone())?;
        }
        Ok(())
    }

    /// Signs up with `fields`; when the app verifies addresses (the answer holds no
    /// session), verifies it with the emailed code and signs in.
    pub fn sign_up(&mut self, api: &Api, email: &str, fields: Value) -> Result<(), String> {
        let mut body = fields;
        body["email"] = json!(email);
        body["password"] = json!(PASSWORD);
        let answer = api.call("POST", "/api/auth/sign-up", None, Some(&body), 200)?;
        if let Some(token) = answer["token"].as_str() {
            let id = id(&answer["user"])?;
            self.members.push(Member {
                id,
                token: token.to_owned(),
            });
            return Ok(());
        }
        // The email may go out after the answer: wait for it.
        let deadline = Instant::now() + Duration::from_secs(60);
        let code = loop {
            match self.verification_code(email) {
                Ok(code) => break code,
                Err(error) if Instant::now() > deadline => return Err(error),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        };
        let verify = json!({"email": email, "code": code});
        api.call("POST", "/api/auth/verify-email", None, Some(&verify), 200)?;
        let (token, id) = api.sign_in(email)?;
        self.members.push(Member { id, token });
        Ok(())
    }

    /// The code of the newest verification email to `email` in the outbox (files are
    /// named by time-ordered ids).
    fn verification_code(&self, email: &str) -> Result<String, String> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.outbox)
            .map_err(|e| format!("cannot read the outbox {}: {e}", self.outbox.display()))?
            .map(|entry| entry.expect("a readable outbox entry").path())
            .collect();
        files.sort();
        let to = format!("To: {email}");
        files
            .iter()
            .rev()
            .filter_map(|file| fs::read_to_string(file).ok())
            .filter(|text| text.lines().any(|line| line.trim() == to))
            .find_map(|text| {
                text.lines()
                    .map(str::trim)
                    .find(|line| line.len() == 6 && line.chars().all(|c| c.is_ascii_digit()))
                    .map(str::to_owned)
            })
            .ok_or_else(|| format!("no verification code for {email} in the outbox"))
    }

    pub fn member(&self, index: usize) -> &Member {
        &self.members[index]
    }

    /// The session tokens of the first `N` members, in the order they signed up.
    pub fn tokens<const N: usize>(&self) -> [&str; N] {
        std::array::from_fn(|index| self.member(index).token.as_str())
    }
}

/// The `id` of a record.
pub fn id(record: &Value) -> Result<String, String> {
    record["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("a record without an id: {record}"))
}

/// The one record of `records` whose `field` is `value`.
fn find<'a>(
    snapshot: &'a Snapshot,
    path: &str,
    field: &str,
    value: Value,
) -> Result<&'a Value, String> {
    snapshot
        .get(path)
        .into_iter()
        .flat_map(|records| records.values())
        .find(|record| record[field] == value)
        .ok_or_else(|| format!("no record of {path} has {field} = {value}"))
}

/// `<path>/<id>` of one record.
fn at(path: &str, record: &Value) -> String {
    format!("{path}/{}", record["id"].as_str().unwrap_or_default())
}

/// Creates a record at `path` as `token`'s owner; its id.
fn create(api: &Api, path: &str, token: &str, body: Value) -> Result<String, String> {
    id(&api.call("POST", path, Some(token), Some(&body), 200)?)
}

/// A write that must go through and answer every field of `body` as it was sent (numbers
/// by value: a quantity of `2` may come back as `2.0`); the record it answered.
fn sent(api: &Api, method: &str, path: &str, token: &str, body: Value) -> Result<Value, String> {
    let answer = api.call(method, path, Some(token), Some(&body), 200)?;
    for (field, value) in body.as_object().into_iter().flatten() {
        let got = &answer[field];
        let same = match (got.as_f64(), value.as_f64()) {
            (Some(got), Some(value)) => got == value,
            _ => got == value,
        };
        if !same {
            return Err(format!(
                "{method} {path}: `{field}` was sent as {value} and came back as {got}"
            ));
        }
    }
    Ok(answer)
}

/// A write the new schema must refuse with `status`; `what` says what it tries.
fn refused(
    api: &Api,
    (method, path): (&str, &str),
    token: &str,
    body: Value,
    status: u16,
    what: &str,
) -> Result<(), String> {
    api.call(method, path, Some(token), Some(&body), status)
        .map(drop)
        .map_err(|e| format!("{what}: {e}"))
}

/// The changes of `changes`, each `(token, body)`, made one after another to the record at
/// `path` (`PATCH`), as a client moves a record through its states.
fn change_in_turn(api: &Api, path: &str, changes: &[(&str, Value)]) -> Result<(), String> {
    for (token, change) in changes {
        api.call("PATCH", path, Some(token), Some(change), 200)?;
    }
    Ok(())
}

/// The admin gives member `index` the role `role` (`PUT <people>/{id}/role`).
fn set_role(api: &Api, seed: &Seed, people: &str, index: usize, role: &str) -> Result<(), String> {
    let path = format!("{people}/{}/role", seed.member(index).id);
    let body = json!({"role": role});
    api.call("PUT", &path, Some(&seed.admin), Some(&body), 200)
        .map(drop)
}

/// Every history the test knows; each has a folder in `tests/e2e/histories/`.
pub static ALL: &[History] = &[
    History {
        example: "studio-bookings",
        admin_fields: &[("name", "Ada Admin")],
        fill: fill_studio_bookings,
        v1_resources: &["/api/users", "/api/studios", "/api/bookings"],
        steps: &[
            // Studio becomes Room, capacity becomes size and a decimal, bookings get a band
            // name; the no-overlap rule now reads `per room`.
            Step {
                resources: &[("/api/studios", "/api/rooms")],
                renamed_fields: &[
                    ("/api/rooms", "capacity", "size"),
                    ("/api/bookings", "studio_id", "room_id"),
                ],
                converted: &[("/api/rooms", "size")],
                added_fields: &[("/api/bookings", "band_name", "null")],
                ..Step::new("v2.spec", exercise_studio_bookings_v2)
            },
            // Reviews of rooms, the booking note is removed, the plan `pro` is now `premium`,
            // and a member is in one room at a time.
            Step {
                renamed_values: &[("/api/users", "plan", "pro", "premium")],
                removed_fields: &[("/api/bookings", "note")],
                new_resources: &["/api/reviews"],
                ..Step::new("v3.spec", exercise_studio_bookings_v3)
            },
        ],
    },
    History {
        example: "shop",
        admin_fields: &[("name", "Ada Admin")],
        fill: fill_shop,
        v1_resources: &[
            "/api/customers",
            "/api/categories",
            "/api/products",
            "/api/orders",
            "/api/order-lines",
        ],
        steps: &[
            // The marketing opt-in becomes the newsletter, category names may be longer,
            // products get a barcode and orders a gift message, and loose goods sell by the
            // kilo: a line's quantity becomes a decimal.
            Step {
                renamed_fields: &[("/api/customers", "marketing_opt_in", "newsletter")],
                converted: &[("/api/order-lines", "quantity")],
                added_fields: &[
                    ("/api/products", "barcode", "null"),
                    ("/api/orders", "gift_message", "null"),
                ],
                ..Step::new("v2.spec", exercise_shop_v2)
            },
            // Coupons, used on an order once per customer; the product page is removed.
            Step {
                removed_fields: &[("/api/products", "product_page")],
                added_fields: &[("/api/orders", "coupon_id", "null")],
                new_resources: &["/api/coupons"],
                ..Step::new("v3.spec", exercise_shop_v3)
            },
        ],
    },
    History {
        example: "task-tracker",
        admin_fields: &[("display_name", "Ada Admin")],
        fill: fill_task_tracker,
        v1_resources: &[
            "/api/people",
            "/api/teams",
            "/api/projects",
            "/api/tasks",
            "/api/time-entries",
        ],
        steps: &[
            // Time entries become work logs, a task's details its description, project codes
            // may be longer, and people and tasks get pronouns and story points.
            Step {
                resources: &[("/api/time-entries", "/api/work-logs")],
                renamed_fields: &[("/api/tasks", "details", "description")],
                added_fields: &[
                    ("/api/people", "pronouns", "null"),
                    ("/api/tasks", "story_points", "null"),
                ],
                ..Step::new("v2.spec", exercise_task_tracker_v2)
            },
            // Milestones (named once per project) that tasks belong to, the priority `urgent`
            // is now `critical`, and the avatar is removed.
            Step {
                renamed_values: &[("/api/tasks", "priority", "urgent", "critical")],
                removed_fields: &[("/api/people", "avatar")],
                added_fields: &[("/api/tasks", "milestone_id", "null")],
                new_resources: &["/api/milestones"],
                ..Step::new("v3.spec", exercise_task_tracker_v3)
            },
        ],
    },
    History {
        example: "publishing",
        admin_fields: &[("pen_name", "Ada Admin")],
        fill: fill_publishing,
        v1_resources: &["/api/authors", "/api/tags", "/api/posts", "/api/comments"],
        steps: &[
            // The author's bio becomes `about`, posts get a subtitle and comments may be
            // longer. The taxonomy (`examples/publishing/taxonomy.spec`) stays as it was.
            Step {
                renamed_fields: &[("/api/authors", "bio", "about")],
                added_fields: &[("/api/posts", "subtitle", "null")],
                ..Step::new("v2.spec", exercise_publishing_v2)
            },
            // In the included taxonomy tags become topics with a description, and so does the
            // posts' link; bookmarks (once per reader), a published post keeps its title, and
            // the metadata is removed.
            Step {
                resources: &[("/api/tags", "/api/topics")],
                renamed_fields: &[("/api/posts", "tag_ids", "topic_ids")],
                removed_fields: &[("/api/posts", "metadata")],
                added_fields: &[("/api/topics", "description", "null")],
                new_resources: &["/api/bookmarks"],
                ..Step::new("v3.spec", exercise_publishing_v3)
            },
        ],
    },
];

/// Four studios (capacities at both ends of 1..50, one closed), three members (one moved to
/// the `pro` plan by the admin) and two bookings each, some with a note, none of one
/// member overlapping another of theirs (v3's rule), two touching in the same studio.
fn fill_studio_bookings(api: &Api, seed: &mut Seed) -> Result<(), String> {
    let studios = [
        ("Big Room", 4550, 50, true),
        ("Vocal Booth", 900, 1, true),
        ("Garage", 2000, 12, false),
        ("Loft", 3199, 37, true),
    ];
    let mut studio_ids = Vec::new();
    for (name, rate, capacity, open) in studios {
        let body = json!({"name": name, "hourly_rate": rate, "capacity": capacity, "open": open});
        let studio = api.call("POST", "/api/studios", Some(&seed.admin), Some(&body), 200)?;
        studio_ids.push(id(&studio)?);
    }
    let names = ["Nina Drums", "Otto Bass", "Pia Keys"];
    let people: Vec<Value> = names.iter().map(|name| json!({"name": name})).collect();
    seed.sign_up_all(api, &people)?;
    let pro = format!("/api/users/{}", seed.member(1).id);
    api.call(
        "PATCH",
        &pro,
        Some(&seed.admin),
        Some(&json!({"plan": "pro"})),
        200,
    )?;

    let bookings = [
        (
            0,
            0,
            "2031-03-01T10:00:00Z",
            "2031-03-01T12:00:00Z",
            Some("bring the drum kit"),
        ),
        (0, 1, "2031-03-02T09:00:00Z", "2031-03-02T10:30:00Z", None),
        (
            1,
            0,
            "2031-03-01T12:00:00Z",
            "2031-03-01T14:00:00Z",
            Some("quiet neighbours"),
        ),
        (1, 3, "2031-03-03T18:00:00Z", "2031-03-03T22:00:00Z", None),
        (
            2,
            3,
            "2031-03-01T10:00:00Z",
            "2031-03-01T11:00:00Z",
            Some("acoustic set"),
        ),
        (2, 1, "2031-03-04T08:00:00Z", "2031-03-04T08:30:00Z", None),
    ];
    for (member, studio, starts, ends, note) in bookings {
        let mut body =
            json!({"studio_id": studio_ids[studio], "starts_at": starts, "ends_at": ends});
        if let Some(note) = note {
            body["note"] = json!(note);
        }
        let token = seed.member(member).token.clone();
        api.call("POST", "/api/bookings", Some(&token), Some(&body), 200)?;
    }
    Ok(())
}

/// A room with a fractional size, a booking with a band name, and the no-overlap rule
/// (now per room) still refusing a booking over a migrated one.
fn exercise_studio_bookings_v2(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let body = json!({"name": "Half Room", "hourly_rate": 1000, "size": 12.5});
    let room = api.call("POST", "/api/rooms", Some(&seed.admin), Some(&body), 200)?;
    if room["size"].as_f64() != Some(12.5) {
        return Err(format!("a room of size 12.5 came back as {room}"));
    }
    let booking = json!({
        "room_id": id(&room)?, "starts_at": "2031-04-01T10:00:00Z",
        "ends_at": "2031-04-01T11:00:00Z", "band_name": "The Migrations",
    });
    let token = &seed.member(1).token;
    let made = api.call("POST", "/api/bookings", Some(token), Some(&booking), 200)?;
    if made["band_name"] != json!("The Migrations") {
        return Err(format!("the band name did not come back: {made}"));
    }
    // Over the drum kit booking, in its room, by someone else: refused.
    let migrated = find(
        records,
        "/api/bookings",
        "note",
        json!("bring the drum kit"),
    )?;
    let over = json!({
        "room_id": migrated["room_id"], "starts_at": "2031-03-01T11:00:00Z",
        "ends_at": "2031-03-01T11:30:00Z",
    });
    let token = &seed.member(2).token;
    api.call("POST", "/api/bookings", Some(token), Some(&over), 409)
        .map_err(|e| format!("no overlap per room on migrated bookings: {e}"))?;
    Ok(())
}

/// A review of a migrated room (once per member), the old plan value refused, and the new
/// no-overlap rule per owner refusing a booking over the member's migrated one.
fn exercise_studio_bookings_v3(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let loft = find(records, "/api/rooms", "name", json!("Loft"))?;
    let review = json!({"room_id": loft["id"], "stars": 4, "comment": "great sound"});
    let token = &seed.member(0).token;
    api.call("POST", "/api/reviews", Some(token), Some(&review), 200)?;
    api.call("POST", "/api/reviews", Some(token), Some(&review), 409)
        .map_err(|e| format!("a second review of the same room: {e}"))?;

    let user = format!("/api/users/{}", seed.member(2).id);
    api.call(
        "PATCH",
        &user,
        Some(&seed.admin),
        Some(&json!({"plan": "pro"})),
        422,
    )
    .map_err(|e| format!("the renamed-away plan value: {e}"))?;
    api.call(
        "PATCH",
        &user,
        Some(&seed.admin),
        Some(&json!({"plan": "premium"})),
        200,
    )?;

    // Member 0 already plays 10:00-12:00 on March 1st in the Big Room: not in the Loft too.
    let over = json!({
        "room_id": loft["id"], "starts_at": "2031-03-01T11:00:00Z",
        "ends_at": "2031-03-01T13:00:00Z",
    });
    api.call("POST", "/api/bookings", Some(token), Some(&over), 409)
        .map_err(|e| format!("no overlap per owner on migrated bookings: {e}"))?;
    Ok(())
}

/// Three categories (one nested), four products (one on sale, one inactive, two with a
/// product page), three customers (one on the newsletter, one made staff) and their orders:
/// carts, one placed, paid and shipped by staff, one cancelled, with lines of whole units.
fn fill_shop(api: &Api, seed: &mut Seed) -> Result<(), String> {
    let admin = seed.admin.clone();
    let category = |body: Value| create(api, "/api/categories", &admin, body);
    let bakery = category(json!({"name": "Bakery", "slug": "bakery"}))?;
    let bread =
        category(json!({"name": "Fresh Bread", "slug": "fresh-bread", "parent_id": bakery}))?;
    let cheese = category(json!({"name": "Cheese", "slug": "cheese"}))?;
    let products = [
        json!({
            "name": "Sourdough Loaf", "sku": "BRD-001", "category_id": bread, "price": 450,
            "stock": 20, "reserved": 2, "weight": 0.8, "details": {"flour": "rye"},
            "product_page": "https://shop.example.com/sourdough",
        }),
        json!({
            "name": "Croissant", "sku": "BRD-002", "category_id": bakery, "price": 180,
            "compare_at_price": 220, "stock": 50, "description": "Butter, folded 27 times.",
        }),
        json!({"name": "Comté 18 months", "sku": "CHS-018", "category_id": cheese, "price": 3200, "stock": 5}),
        json!({
            "name": "Gift Card", "sku": "GFT", "price": 10000000, "active": false,
            "product_page": "https://shop.example.com/gift-card",
        }),
    ];
    let mut product_ids = Vec::new();
    for product in products {
        product_ids.push(create(api, "/api/products", &admin, product)?);
    }
    seed.sign_up_all(
        api,
        &[
            json!({"name": "Carla Crumb", "phone": "+44 20 7946 0000"}),
            json!({"name": "Dev Dough", "marketing_opt_in": true}),
            json!({"name": "Sam Staff"}),
        ],
    )?;
    set_role(api, seed, "/api/customers", 2, "staff")?;

    let [carla, dev, sam] = seed.tokens();
    // (customer, address, lines as (product, quantity), status changes as (who, change))
    let orders = [
        (
            carla,
            "1 Baker Street, London",
            vec![(0, 2), (1, 6)],
            vec![],
        ),
        (
            carla,
            "1 Baker Street, London, back door",
            vec![(2, 1)],
            vec![
                (
                    carla,
                    json!({"status": "placed", "placed_at": "2031-05-01T10:00:00Z"}),
                ),
                (
                    carla,
                    json!({"status": "paid", "paid_at": "2031-05-01T10:05:00Z"}),
                ),
                (
                    sam,
                    json!({"status": "shipped", "tracking_code": "0190f2a4-7b1c-7d2e-9f3a-4b5c6d7e8f90"}),
                ),
            ],
        ),
        (dev, "22 Rye Lane, Peckham", vec![(1, 1)], vec![]),
        (
            dev,
            "22 Rye Lane, Peckham, flat 2",
            vec![],
            vec![(dev, json!({"status": "cancelled"}))],
        ),
    ];
    for (customer, address, lines, changes) in orders {
        let order = json!({"shipping_address": address});
        let order = create(api, "/api/orders", customer, order)?;
        for (product, quantity) in lines {
            let line = json!({"order_id": order, "product_id": product_ids[product], "quantity": quantity});
            create(api, "/api/order-lines", customer, line)?;
        }
        change_in_turn(api, &format!("/api/orders/{order}"), &changes)?;
    }
    Ok(())
}

/// A longer category name, a product with a barcode, half a kilo of cheese in a migrated
/// cart, a migrated line changed to a fraction, a gift message on a migrated order and the
/// renamed newsletter flag changed by its customer.
fn exercise_shop_v2(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let name = format!("{:.<80}", "Cheeses of the Alps and the Jura");
    let category = json!({"name": name, "slug": "alpine-cheese"});
    sent(api, "POST", "/api/categories", &seed.admin, category)?;
    let product =
        json!({"name": "Rye Crackers", "sku": "CRK-001", "price": 350, "barcode": "4006381333931"});
    sent(api, "POST", "/api/products", &seed.admin, product)?;

    let cart = find(
        records,
        "/api/orders",
        "shipping_address",
        json!("1 Baker Street, London"),
    )?;
    let comte = find(records, "/api/products", "sku", json!("CHS-018"))?;
    let customer = &seed.member(0).token;
    let line = json!({"order_id": cart["id"], "product_id": comte["id"], "quantity": 0.5});
    sent(api, "POST", "/api/order-lines", customer, line)?;
    let loaf = find(records, "/api/products", "sku", json!("BRD-001"))?;
    let loaves = records["/api/order-lines"]
        .values()
        .find(|line| line["product_id"] == loaf["id"])
        .ok_or("no migrated line of the sourdough loaf")?;
    let path = at("/api/order-lines", loaves);
    sent(api, "PATCH", &path, customer, json!({"quantity": 1.5}))?;
    let gift = json!({"gift_message": "Happy birthday, from Carla"});
    sent(api, "PATCH", &at("/api/orders", cart), customer, gift)?;
    let account = format!("/api/customers/{}", seed.member(0).id);
    sent(
        api,
        "PATCH",
        &account,
        customer,
        json!({"newsletter": true}),
    )?;
    Ok(())
}

/// A coupon used on migrated orders, once per customer (the new rule), and the removed
/// product page refused.
fn exercise_shop_v3(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let coupon = json!({"code": "SPRING10", "percent_off": 10, "starts_on": "2031-03-01", "ends_on": "2031-03-31"});
    let coupon = create(api, "/api/coupons", &seed.admin, coupon)?;
    let [carla, dev] = seed.tokens();
    let with_coupon = json!({"coupon_id": coupon});
    let cart = find(
        records,
        "/api/orders",
        "shipping_address",
        json!("1 Baker Street, London"),
    )?;
    sent(
        api,
        "PATCH",
        &at("/api/orders", cart),
        carla,
        with_coupon.clone(),
    )?;
    let shipped = find(records, "/api/orders", "status", json!("shipped"))?;
    let second = at("/api/orders", shipped);
    refused(
        api,
        ("PATCH", &second),
        carla,
        with_coupon.clone(),
        409,
        "a coupon used twice by one customer",
    )?;
    let other = find(
        records,
        "/api/orders",
        "shipping_address",
        json!("22 Rye Lane, Peckham"),
    )?;
    sent(api, "PATCH", &at("/api/orders", other), dev, with_coupon)?;
    let page = json!({
        "name": "Oat Cakes", "sku": "OAT-001", "price": 290,
        "product_page": "https://shop.example.com/oat-cakes",
    });
    refused(
        api,
        ("POST", "/api/products"),
        &seed.admin,
        page,
        422,
        "the removed product page",
    )?;
    Ok(())
}

/// The title of task-tracker's urgent task that one person logs time on.
const LANDING_PAGE: &str = "Design the landing page";

/// Three people (one made manager, one with an avatar), two teams, two projects (one
/// active), three tasks (two urgent, one in progress, one watched) and three time entries
/// of two people, two of them touching.
fn fill_task_tracker(api: &Api, seed: &mut Seed) -> Result<(), String> {
    seed.sign_up_all(
        api,
        &[
            json!({"display_name": "Mara Lead", "time_zone": "Europe/Berlin"}),
            json!({"display_name": "Ivo Dev", "avatar": "https://example.com/ivo.png"}),
            json!({"display_name": "Lena QA", "time_zone": "America/Chicago"}),
        ],
    )?;
    set_role(api, seed, "/api/people", 0, "manager")?;
    let [mara, ivo, lena] = seed.tokens();
    let web = create(api, "/api/teams", mara, json!({"name": "Web"}))?;
    let ops = create(api, "/api/teams", &seed.admin, json!({"name": "Ops"}))?;
    let relaunch = json!({
        "team_id": web, "name": "Website relaunch", "code": "WEB", "starts_on": "2031-01-05",
        "due_on": "2031-06-30", "budget": 1500000,
    });
    let relaunch = create(api, "/api/projects", mara, relaunch)?;
    let path = format!("/api/projects/{relaunch}");
    api.call(
        "PATCH",
        &path,
        Some(mara),
        Some(&json!({"status": "active"})),
        200,
    )?;
    let backups =
        json!({"team_id": ops, "name": "Backups", "code": "OPS", "starts_on": "2031-02-01"});
    let backups = create(api, "/api/projects", mara, backups)?;

    let landing = json!({
        "project_id": relaunch, "title": LANDING_PAGE,
        "details": "Hero, pricing and the sign-up form.", "assignee_id": seed.member(1).id,
        "priority": "urgent", "estimate": 8, "spent": 2.5, "due_at": "2031-03-10T17:00:00Z",
        "external_id": "0190f2a4-7b1c-7d2e-9f3a-4b5c6d7e8f90",
        "watcher_ids": [seed.member(0).id, seed.member(2).id],
    });
    let landing = create(api, "/api/tasks", ivo, landing)?;
    let path = format!("/api/tasks/{landing}");
    api.call(
        "PATCH",
        &path,
        Some(ivo),
        Some(&json!({"status": "in_progress"})),
        200,
    )?;
    let plan = json!({"project_id": relaunch, "title": "Write the test plan", "priority": "low"});
    create(api, "/api/tasks", lena, plan)?;
    let drill = json!({
        "project_id": backups, "title": "Restore drill", "assignee_id": seed.member(2).id,
        "priority": "urgent", "estimate": 0.25,
    });
    let drill = create(api, "/api/tasks", mara, drill)?;

    let entries = [
        (
            ivo,
            &landing,
            "2031-03-01T09:00:00Z",
            "2031-03-01T11:00:00Z",
            Some("wireframes"),
        ),
        (
            ivo,
            &landing,
            "2031-03-01T11:00:00Z",
            "2031-03-01T12:30:00Z",
            None,
        ),
        (
            lena,
            &drill,
            "2031-03-01T09:00:00Z",
            "2031-03-01T10:00:00Z",
            Some("restored Monday's dump"),
        ),
    ];
    for (token, task, started, ended, note) in entries {
        let mut body = json!({"task_id": task, "started_at": started, "ended_at": ended});
        if let Some(note) = note {
            body["note"] = json!(note);
        }
        create(api, "/api/time-entries", token, body)?;
    }
    Ok(())
}

/// Story points and the renamed description on a migrated task, a code longer than v1
/// allowed on a migrated project, pronouns, and the no-overlap rule of the renamed work
/// logs refusing a log over a migrated time entry of the same person.
fn exercise_task_tracker_v2(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let [mara, ivo, lena] = seed.tokens();
    let landing = find(records, "/api/tasks", "title", json!(LANDING_PAGE))?;
    let points = json!({"story_points": 5, "description": "Hero, pricing, sign-up and the FAQ."});
    sent(api, "PATCH", &at("/api/tasks", landing), ivo, points)?;
    let backups = find(records, "/api/projects", "code", json!("OPS"))?;
    sent(
        api,
        "PATCH",
        &at("/api/projects", backups),
        mara,
        json!({"code": "OPS-BACKUPS"}),
    )?;
    let person = format!("/api/people/{}", seed.member(2).id);
    sent(api, "PATCH", &person, lena, json!({"pronouns": "she/her"}))?;

    let plan = find(records, "/api/tasks", "title", json!("Write the test plan"))?;
    let over = json!({
        "task_id": plan["id"], "started_at": "2031-03-01T10:00:00Z", "ended_at": "2031-03-01T10:30:00Z",
    });
    refused(
        api,
        ("POST", "/api/work-logs"),
        ivo,
        over,
        409,
        "a work log over a migrated one",
    )?;
    let after = json!({
        "task_id": plan["id"], "started_at": "2031-03-01T13:00:00Z", "ended_at": "2031-03-01T14:00:00Z",
        "note": "reviewed the plan",
    });
    create(api, "/api/work-logs", ivo, after)?;
    Ok(())
}

/// A milestone of a migrated project (its name once per project, the new rule) set on a
/// migrated task, the renamed-away priority refused and its new name taken, and the
/// removed avatar refused.
fn exercise_task_tracker_v3(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let [mara, ivo, lena] = seed.tokens();
    let landing = find(records, "/api/tasks", "title", json!(LANDING_PAGE))?;
    let beta = json!({"project_id": landing["project_id"], "name": "Beta", "due_on": "2031-04-01"});
    let milestone = create(api, "/api/milestones", mara, beta.clone())?;
    refused(
        api,
        ("POST", "/api/milestones"),
        mara,
        beta,
        409,
        "a second milestone named Beta",
    )?;
    sent(
        api,
        "PATCH",
        &at("/api/tasks", landing),
        ivo,
        json!({"milestone_id": milestone}),
    )?;

    let plan = at(
        "/api/tasks",
        find(records, "/api/tasks", "title", json!("Write the test plan"))?,
    );
    refused(
        api,
        ("PATCH", &plan),
        lena,
        json!({"priority": "urgent"}),
        422,
        "the renamed-away priority",
    )?;
    sent(api, "PATCH", &plan, lena, json!({"priority": "critical"}))?;
    let person = format!("/api/people/{}", seed.member(1).id);
    let avatar = json!({"avatar": "https://example.com/ivo-2.png"});
    refused(
        api,
        ("PATCH", &person),
        ivo,
        avatar,
        422,
        "the removed avatar",
    )?;
    Ok(())
}

/// Four authors (two writers, an editor and a reader; one writer with a payout rate set by
/// the admin), three tags, three posts (published and featured, in review, draft) filed
/// under tags, some with metadata, and comments, one hidden by the editor.
fn fill_publishing(api: &Api, seed: &mut Seed) -> Result<(), String> {
    seed.sign_up_all(
        api,
        &[
            json!({"pen_name": "Wren Writer", "bio": "Writes about engineering.", "website": "https://wren.example.com"}),
            json!({"pen_name": "Sol Scribe"}),
            json!({"pen_name": "Eda Editor", "bio": "Edits the science desk."}),
            json!({"pen_name": "Rafi Reader"}),
        ],
    )?;
    for (member, role) in [(0, "writer"), (1, "writer"), (2, "editor")] {
        set_role(api, seed, "/api/authors", member, role)?;
    }
    let wren_path = format!("/api/authors/{}", seed.member(0).id);
    let rate = json!({"payout_rate": 2500});
    api.call("PATCH", &wren_path, Some(&seed.admin), Some(&rate), 200)?;
    let [wren, sol, eda, rafi] = seed.tokens();
    let mut tags = Vec::new();
    for (name, color) in [
        ("Science", Some("#3366ff")),
        ("Culture", None),
        ("Cities", Some("#ff8800")),
    ] {
        let mut body = json!({"name": name});
        if let Some(color) = color {
            body["color"] = json!(color);
        }
        tags.push(create(api, "/api/tags", eda, body)?);
    }

    // (writer, title, slug, tags, metadata, status changes as (who, change))
    let posts = [
        (
            wren,
            "Why bridges hum",
            "why-bridges-hum",
            vec![&tags[0], &tags[2]],
            json!({"seo_title": "The sound of bridges"}),
            vec![
                (wren, json!({"status": "in_review"})),
                (
                    eda,
                    json!({"status": "published", "published_at": "2031-02-01T08:00:00Z", "featured": true}),
                ),
            ],
        ),
        (
            wren,
            "Draft on trams",
            "trams",
            vec![&tags[2]],
            Value::Null,
            vec![],
        ),
        (
            sol,
            "Street food",
            "street-food",
            vec![&tags[1]],
            json!(["food", "markets"]),
            vec![(sol, json!({"status": "in_review"}))],
        ),
    ];
    let mut post_ids = Vec::new();
    for (writer, title, slug, tags, metadata, changes) in posts {
        let mut body = json!({"title": title, "slug": slug, "body": format!("{title}: the text."), "tag_ids": tags});
        if !metadata.is_null() {
            body["metadata"] = metadata;
        }
        let post = create(api, "/api/posts", writer, body)?;
        change_in_turn(api, &format!("/api/posts/{post}"), &changes)?;
        post_ids.push(post);
    }

    let comments = [
        (rafi, 0, "Lovely piece, I will listen next time."),
        (sol, 0, "The footbridge in my town does this too."),
        // A reader cannot see a post in review, so the editor comments on it.
        (eda, 2, "Buy cheap, buy twice."),
    ];
    let mut comment_ids = Vec::new();
    for (author, post, body) in comments {
        let comment = json!({"post_id": post_ids[post], "body": body});
        comment_ids.push(create(api, "/api/comments", author, comment)?);
    }
    let path = format!("/api/comments/{}", comment_ids[2]);
    api.call(
        "PATCH",
        &path,
        Some(eda),
        Some(&json!({"hidden": true})),
        200,
    )?;
    Ok(())
}

/// The renamed bio changed by its author, a comment longer than v1 allowed on a migrated
/// post, and a subtitle on a migrated post.
fn exercise_publishing_v2(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let [wren, sol, _, rafi] = seed.tokens();
    let wren_path = format!("/api/authors/{}", seed.member(0).id);
    sent(
        api,
        "PATCH",
        &wren_path,
        wren,
        json!({"about": "Writes about bridges and trams."}),
    )?;
    let bridges = find(records, "/api/posts", "slug", json!("why-bridges-hum"))?;
    let long = json!({"post_id": bridges["id"], "body": "So true. ".repeat(300)});
    sent(api, "POST", "/api/comments", rafi, long)?;
    let food = find(records, "/api/posts", "slug", json!("street-food"))?;
    sent(
        api,
        "PATCH",
        &at("/api/posts", food),
        sol,
        json!({"subtitle": "Markets of the old town"}),
    )?;
    Ok(())
}

/// A topic with a description added to a migrated post beside its renamed tags, a bookmark
/// of a migrated post (once per reader, a new rule), a published post's title kept (the
/// other new rule) and the removed metadata refused.
fn exercise_publishing_v3(api: &Api, seed: &Seed, records: &Snapshot) -> Result<(), String> {
    let [wren, _, eda, rafi] = seed.tokens();
    let topic = json!({"name": "Transport", "description": "Trains, trams and bikes."});
    let transport = create(api, "/api/topics", eda, topic)?;
    let trams = find(records, "/api/posts", "slug", json!("trams"))?;
    let mut topics = trams["topic_ids"].as_array().cloned().unwrap_or_default();
    topics.push(json!(transport));
    topics.sort_by_key(Value::to_string);
    let trams = at("/api/posts", trams);
    sent(api, "PATCH", &trams, wren, json!({"topic_ids": topics}))?;

    let bridges = find(records, "/api/posts", "slug", json!("why-bridges-hum"))?;
    let bookmark = json!({"post_id": bridges["id"]});
    create(api, "/api/bookmarks", rafi, bookmark.clone())?;
    refused(
        api,
        ("POST", "/api/bookmarks"),
        rafi,
        bookmark,
        409,
        "a second bookmark of one post",
    )?;
    let title = json!({"title": "Why bridges sing"});
    refused(
        api,
        ("PATCH", &at("/api/posts", bridges)),
        eda,
        title,
        422,
        "a published post's new title",
    )?;
    let metadata = json!({"metadata": {"seo_title": "Trams"}});
    refused(
        api,
        ("PATCH", &trams),
        wren,
        metadata,
        422,
        "the removed metadata",
    )?;
    Ok(())
}
