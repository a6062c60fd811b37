// {{ header }}
//! Test helpers. [`spawn_app`] starts the app on a free port with a fresh database: a
//! temporary SQLite file, or on PostgreSQL a new database created through the admin
//! connection in `TEST_DATABASE_URL` (and dropped afterwards). Set `TEST_LOG=1` to see the
//! app's logs. Sample bodies satisfy every constraint of the spec; `n` makes unique values.

// Not every app's tests use every helper.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, header};
use chrono::{DateTime, Days, NaiveDate, TimeDelta};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use uuid::Uuid;

use {{ crate_name }}::config::Config;
use {{ crate_name }}::db::{self, DbPool};
use {{ crate_name }}::startup::Application;
{%- if has_auth %}

use crate::auth_support::{Caller, Outbox};
{%- endif %}

/// A running app with its own database.
pub struct TestApp {
    pub address: String,
    /// A pool on the app's database, to look inside it.
    pub db: DbPool,
{%- if has_auth %}
    /// The app's development outbox, where its email goes.
    pub outbox: Arc<Outbox>,
    /// An admin with a session: [`TestApp::get`], [`TestApp::post`] and the other shortcuts
    /// send as them.
    admin: Option<Caller>,
{%- endif %}
    client: Client<HttpConnector, Full<Bytes>>,
    counter: AtomicU64,
    database: Arc<TestDatabase>,
    /// The settings given to [`spawn_app_with`], for replicas.
    vars: Vec<(String, String)>,
}

/// Requests sent as one caller: anonymous, or with a session's bearer token.
pub struct Requests<'a> {
    app: &'a TestApp,
    token: Option<String>,
    headers: Vec<(String, String)>,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub request_id: Option<String>,
    pub headers: HeaderMap,
    /// The JSON body; `Null` when empty.
    pub body: Value,
}

/// Starts the app on a free port with a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app on a free port with a fresh database and the settings `vars` (such as
/// `("CORS_ALLOWED_ORIGINS", "https://app.example")`) on top of the test defaults.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    init_logs();
    let database = Arc::new(TestDatabase::create().await);
    let vars = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
{%- if has_auth %}
    let mut app = start(database, Arc::new(Outbox::create()), vars).await;
    app.admin = Some(app.caller("{{ admin_role }}").await);
    app
{%- else %}
    start(database, vars).await
{%- endif %}
}

/// Starts an instance of the app on `database`.
{%- if has_auth %}
async fn start(
    database: Arc<TestDatabase>,
    outbox: Arc<Outbox>,
    vars: Vec<(String, String)>,
) -> TestApp {
{%- else %}
async fn start(database: Arc<TestDatabase>, vars: Vec<(String, String)>) -> TestApp {
{%- endif %}
    let config = Config::from_vars(|name| {
        if let Some((_, value)) = vars.iter().find(|(var, _)| var == name) {
            return Some(value.clone());
        }
        match name {
            "HOST" => Some("127.0.0.1".to_owned()),
            "PORT" => Some("0".to_owned()),
            "DATABASE_URL" => Some(database.url.clone()),
{%- if has_auth %}
            "OUTBOX_DIR" => Some(outbox.path.display().to_string()),
{%- endif %}
            _ => None,
        }
    })
    .expect("the test configuration is valid");
    let app = Application::build(config).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = db::connect(&database.url)
        .await
        .expect("a pool on the test database");
    TestApp {
        address,
        db,
{%- if has_auth %}
        outbox,
        admin: None,
{%- endif %}
        client: Client::builder(TokioExecutor::new()).build_http(),
        counter: AtomicU64::new(0),
        database,
        vars,
    }
}

impl TestApp {
    /// A second instance of the app on this app's database, with its own pool and port: what
    /// a second replica behind a load balancer is.
    pub async fn spawn_replica(&self) -> TestApp {
{%- if has_auth %}
        let database = Arc::clone(&self.database);
        let outbox = Arc::clone(&self.outbox);
        let mut replica = start(database, outbox, self.vars.clone()).await;
        replica.admin.clone_from(&self.admin);
        replica
{%- else %}
        start(Arc::clone(&self.database), self.vars.clone()).await
{%- endif %}
    }

    /// The `DATABASE_URL` of this app's database.
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    /// Requests without a session.
    pub fn anonymous(&self) -> Requests<'_> {
        Requests {
            app: self,
            token: None,
            headers: Vec::new(),
        }
    }

    /// Requests with `token` as the bearer token.
    pub fn with_token(&self, token: &str) -> Requests<'_> {
        Requests {
            token: Some(token.to_owned()),
            ..self.anonymous()
        }
    }
{%- if has_auth %}

    /// Requests as `caller`.
    pub fn as_caller(&self, caller: &Caller) -> Requests<'_> {
        self.with_token(&caller.token)
    }

    /// The admin the shortcuts ([`TestApp::get`], ...) send as.
    pub fn admin(&self) -> &Caller {
        self.admin
            .as_ref()
            .expect("the test admin is made when the app starts")
    }
{%- endif %}

    /// Who the shortcuts send as:
{%- if has_auth %} the test admin, who may do anything (anonymous while the
    /// admin is being made).
    fn requests(&self) -> Requests<'_> {
        match &self.admin {
            Some(admin) => self.as_caller(admin),
            None => self.anonymous(),
        }
    }
{%- else %} anonymous (nobody signs in to this app).
    fn requests(&self) -> Requests<'_> {
        self.anonymous()
    }
{%- endif %}

    pub async fn get(&self, path: &str) -> TestResponse {
        self.requests().get(path).await
    }

    /// `GET path?name=value&...`, the values percent-encoded.
    pub async fn get_with(&self, path: &str, query: &[(&str, &str)]) -> TestResponse {
        self.requests().get_with(path, query).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.requests().post(path, body).await
    }

    /// Sends `body` as it is, with `content_type`: for malformed requests.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: String) -> TestResponse {
        self.requests().post_raw(path, content_type, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> TestResponse {
        self.requests().put(path, body).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> TestResponse {
        self.requests().patch(path, body).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.requests().delete(path).await
    }

    /// Creates a record, failing the test unless the answer is 201, and returns it.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body).await;
        assert_eq!(response.status, 201, "POST {path} {body}: {response:?}");
        response.body
    }

    /// A number never returned before by this app, for unique values.
    pub fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }
{%- for b in h.bodies %}
{%- if b.creatable %}

    /// A valid body for `POST {{ b.route }}`; creates the records it references.
    pub async fn {{ b.snake }}_body(&self) -> Value {
{%- if b.uses_n %}
        let n = self.next();
{%- endif %}
{{ b.json }}
    }

    /// Creates {{ b.words }} from [`TestApp::{{ b.snake }}_body`].
    pub async fn create_{{ b.snake }}(&self) -> Value {
        let route = "{{ b.route }}";
{{ b.body_line }}
        self.create(route, &body).await
    }
{%- endif %}
{%- endfor %}
}

impl Requests<'_> {
    /// Adds a header to every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Method::GET, path, None).await
    }

    /// `GET path?name=value&...`, the values percent-encoded.
    pub async fn get_with(&self, path: &str, query: &[(&str, &str)]) -> TestResponse {
        let query: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
            .collect();
        self.get(&format!("{path}?{}", query.join("&"))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Sends `body` as it is, with `content_type`: for malformed requests.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: String) -> TestResponse {
        self.send_bytes(Method::POST, path, Some(content_type), body.into_bytes())
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> TestResponse {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> TestResponse {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(Method::DELETE, path, None).await
    }

    /// Sends `body` as JSON (or no body) with any method.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> TestResponse {
        match body {
            Some(body) => {
                let bytes = body.to_string().into_bytes();
                self.send_bytes(method, path, Some("application/json"), bytes)
                    .await
            }
            None => self.send_bytes(method, path, None, Vec::new()).await,
        }
    }

    async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.app.address));
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .expect("a valid request");
        let response = self
            .app
            .client
            .request(request)
            .await
            .expect("the app answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let request_id = headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a whole body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        TestResponse {
            status,
            request_id,
            headers,
            body,
        }
    }
}

impl TestResponse {
    /// The value of the header `name`, if it is there and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// `error.code` of an error body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// Whether `error.fields` lists `field` with `code`.
    pub fn has_field_error(&self, field: &str, code: &str) -> bool {
        self.body["error"]["fields"]
            .as_array()
            .is_some_and(|fields| {
                fields
                    .iter()
                    .any(|f| f["field"] == field && f["code"] == code)
            })
    }

    /// Fails the test unless `error.fields` lists `field` with `code`.
    #[track_caller]
    pub fn assert_field_error(&self, field: &str, code: &str) {
        assert!(
            self.has_field_error(field, code),
            "expected `{field}` to fail with `{code}`: {self:?}"
        );
    }

    /// Fails the test unless the list includes `record` (by id).
    #[track_caller]
    pub fn assert_lists(&self, record: &Value) {
        assert!(
            self.items().any(|item| item["id"] == record["id"]),
            "expected {} in the list: {self:?}",
            record["id"]
        );
    }

    /// Fails the test unless every listed item has `value` in `field`.
    #[track_caller]
    pub fn assert_all_items_have(&self, field: &str, value: &Value) {
        assert!(
            self.items().all(|item| item[field] == *value),
            "expected every `{field}` to be {value}: {self:?}"
        );
    }

    /// The values of `field` of the listed items, in order.
    pub fn item_values(&self, field: &str) -> Vec<Value> {
        self.items().map(|item| item[field].clone()).collect()
    }

    /// The `id` of a record body.
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .expect("a record with an id")
            .to_owned()
    }

    /// The items of a list body.
    pub fn items(&self) -> impl Iterator<Item = &Value> {
        self.body["items"].as_array().into_iter().flatten()
    }
}

/// Text of `min..=max` characters, unique for `n` (as far as `max` allows), fixed width so
/// that text order is `n` order.
pub fn text(n: u64, min: usize, max: usize) -> String {
    let digits = format!("{n:06}");
    let mut text = if max >= 13 {
        format!("sample {digits}")
    } else {
        digits[digits.len().saturating_sub(max)..].to_owned()
    };
    while text.chars().count() < min {
        text.push('x');
    }
    text
}

/// A whole number in `min..=max`, unique for `n` while the range allows.
pub fn integer(n: u64, min: i64, max: i64) -> i64 {
    let span = max.saturating_sub(min).saturating_add(1).max(1);
    let offset = i64::try_from(n).unwrap_or(i64::MAX) % span;
    min.saturating_add(offset)
}

/// A date in 2030, later for larger `n` and, within one `n`, for larger `rank`.
pub fn date(n: u64, rank: u64) -> String {
    let start = NaiveDate::from_ymd_opt(2030, 1, 1).expect("a valid date");
    let date = start + Days::new(n * 10 + rank);
    date.format("%Y-%m-%d").to_string()
}

/// An instant in 2030 (UTC), later for larger `n` and, within one `n`, for larger `rank`.
pub fn datetime(n: u64, rank: u64) -> String {
    let start = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").expect("a valid instant");
    let hours = i64::try_from(n * 24 + rank).unwrap_or_default();
    let instant = start + TimeDelta::hours(hours);
    instant.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whether `values` are in descending order, nulls first (the app's order for `-field`).
pub fn is_descending(values: &[Value]) -> bool {
    values.windows(2).all(|pair| match (&pair[0], &pair[1]) {
        (Value::Null, _) => true,
        (_, Value::Null) => false,
        (Value::Number(a), Value::Number(b)) => a.as_f64() >= b.as_f64(),
        (Value::String(a), Value::String(b)) => a >= b,
        (Value::Bool(a), Value::Bool(b)) => a >= b,
        _ => false,
    })
}

/// Percent-encodes a query string component.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn init_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt().with_test_writer().init();
        }
    });
}

/// A fresh SQLite database in a temporary file, removed afterwards.
#[cfg(feature = "sqlite")]
pub struct TestDatabase {
    pub url: String,
    path: std::path::PathBuf,
}

#[cfg(feature = "sqlite")]
impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let path = std::env::temp_dir().join(format!("api-test-{}.db", Uuid::now_v7()));
        TestDatabase {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            path,
        }
    }
}

#[cfg(feature = "sqlite")]
impl Drop for TestDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            std::fs::remove_file(path).ok();
        }
    }
}

/// A fresh PostgreSQL database, created through `TEST_DATABASE_URL` and dropped afterwards.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
impl TestDatabase {
    pub async fn create() -> TestDatabase {
        use sqlx::{AssertSqlSafe, Connection, Executor};

        let admin_url = std::env::var("TEST_DATABASE_URL").expect(
            "PostgreSQL tests need TEST_DATABASE_URL: the URL of a role that may create \
             databases, e.g. postgres://postgres@localhost:5432/postgres",
        );
        let name = format!("test_{}", Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("cannot connect with TEST_DATABASE_URL");
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .expect("cannot create the test database");
        TestDatabase {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        }
    }
}

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
impl Drop for TestDatabase {
    fn drop(&mut self) {
        use sqlx::{AssertSqlSafe, Connection, Executor};

        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await: drop the database from a thread with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                admin.execute(AssertSqlSafe(sql)).await.ok()
            })
        });
        dropped.join().ok();
    }
}

/// `url` with its database name replaced by `name`.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut url = format!("{}/{name}", &base[..path]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}
