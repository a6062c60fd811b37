//! Small JSON builders every part of the OpenAPI document uses.

use serde_json::{Map, Value as Json, json};

/// An object of `entries`, moved in: `json!` would copy every interpolated value whole.
pub(super) fn object(entries: impl IntoIterator<Item = (&'static str, Json)>) -> Json {
    Json::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect::<Map<String, Json>>(),
    )
}

pub(super) fn schema_ref(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(super) fn json_content(schema: Json) -> Json {
    json!({ "application/json": { "schema": schema } })
}

pub(super) fn error_response(description: &str) -> Json {
    json!({ "description": description, "content": json_content(schema_ref("Error")) })
}
