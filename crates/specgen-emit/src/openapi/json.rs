//! Small JSON builders every part of the OpenAPI document uses.

use serde_json::{Value as Json, json};

pub(super) fn schema_ref(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(super) fn json_content(schema: Json) -> Json {
    json!({ "application/json": { "schema": schema } })
}

pub(super) fn error_response(description: &str) -> Json {
    json!({ "description": description, "content": json_content(schema_ref("Error")) })
}
