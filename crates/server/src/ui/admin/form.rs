//! The repository form: the common fields, then the recipe's own ([`Recipe::form`]), turned into
//! inputs with values and errors, and back into a Nexus request body.

#[allow(unused_imports)]
use super::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use stowage_core::format::Recipe;
use stowage_core::format::ui::{FieldSpec, Input, field as f};

pub(super) const COMMON: &[FieldSpec] = &[
    f(
        "name",
        "Name",
        Input::Text,
        "Lowercase letters, digits, '.', '_' and '-'. It appears in every URL and cannot be changed.",
    ),
    f(
        "online",
        "Online",
        Input::Check,
        "An offline repository answers 503.",
    ),
    f(
        "storage.blobStoreName",
        "Blob store",
        Input::Select(&[]),
        "Where the content is stored. Cannot be changed later.",
    ),
    f(
        "storage.strictContentTypeValidation",
        "Strict content type validation",
        Input::Check,
        "Stored for Nexus compatibility; uploads are not checked against it yet.",
    ),
    f(
        "storage.writePolicy",
        "Deployment policy",
        Input::Select(&["ALLOW", "ALLOW_ONCE", "DENY"]),
        "ALLOW: redeploy freely. ALLOW_ONCE: an existing path or tag cannot change. DENY: read-only.",
    ),
];

/// A form input as a template shows it.
pub struct FormInput {
    pub name: &'static str,
    pub id: String,
    pub label: &'static str,
    pub help: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<String>,
    pub error: String,
    pub disabled: bool,
}

/// The request body of a repository form of `recipe`.
pub(super) fn body_of(recipe: &dyn Recipe, fields: &Fields) -> Value {
    let mut body = json!({});
    for spec in COMMON.iter().chain(recipe.form()) {
        let text = field(fields, spec.name).trim();
        let value = match spec.input {
            Input::Check => json!(!text.is_empty()),
            Input::Number if text.is_empty() => Value::Null,
            Input::Number => text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| json!(text)),
            Input::List => json!(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            ),
            _ => json!(text),
        };
        let mut at = &mut body;
        let mut parts = spec.name.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                at[part] = value.clone();
            } else {
                if !at[part].is_object() {
                    at[part] = json!({});
                }
                at = &mut at[part];
            }
        }
    }
    body
}

/// Writes every leaf of `top` over `base`.
pub(super) fn overlay(base: &mut Value, top: Value) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => overlay(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, t) => *b = t,
    }
}

/// The form's inputs with `values` (REST-shaped), `errors` by field, for recipe `id`.
pub(super) fn inputs(
    recipe: &dyn Recipe,
    values: &Value,
    errors: &HashMap<String, String>,
    blob_stores: &[String],
    editing: bool,
) -> Vec<FormInput> {
    COMMON
        .iter()
        .chain(recipe.form())
        .map(|spec| {
            let pointer = format!("/{}", spec.name.replace('.', "/"));
            let v = values.pointer(&pointer).unwrap_or(&Value::Null);
            let (kind, options) = match spec.input {
                Input::Text => ("text", Vec::new()),
                Input::Password => ("password", Vec::new()),
                Input::Number => ("number", Vec::new()),
                Input::Check => ("checkbox", Vec::new()),
                Input::List => ("text", Vec::new()),
                Input::Select(opts) if spec.name == "storage.blobStoreName" && opts.is_empty() => {
                    ("select", blob_stores.to_vec())
                }
                Input::Select(opts) => ("select", opts.iter().map(|o| (*o).to_owned()).collect()),
            };
            let value = match v {
                _ if spec.input == Input::Password => String::new(),
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::new(),
            };
            FormInput {
                name: spec.name,
                id: format!("f-{}", spec.name.replace('.', "-")),
                label: spec.label,
                help: spec.help,
                kind,
                value,
                checked: v.as_bool().unwrap_or(false),
                options,
                error: errors.get(spec.name).cloned().unwrap_or_default(),
                disabled: editing && (spec.name == "name" || spec.name == "storage.blobStoreName"),
            }
        })
        .collect()
}

/// Defaults of a new repository of `recipe`: the common ones, then the recipe's.
pub(super) fn defaults(recipe: &dyn Recipe) -> Value {
    let mut v = json!({
        "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "ALLOW"},
    });
    overlay(&mut v, recipe.defaults());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use stowage_core::model::RepoKind;

    /// A recipe with a proxy's form, to drive the form machinery.
    struct ProxyForm;

    #[async_trait::async_trait(?Send)]
    impl Recipe for ProxyForm {
        fn format(&self) -> &'static str {
            "test"
        }
        fn kind(&self) -> RepoKind {
            RepoKind::Proxy
        }
        fn form(&self) -> &'static [FieldSpec] {
            const FORM: &[FieldSpec] = &[
                f("proxy.remoteUrl", "Remote", Input::Text, ""),
                f("negativeCache.enabled", "Negative cache", Input::Check, ""),
                f(
                    "httpClient.authentication.username",
                    "User",
                    Input::Text,
                    "",
                ),
                f(
                    "httpClient.authentication.password",
                    "Password",
                    Input::Password,
                    "",
                ),
            ];
            FORM
        }
        fn parse_request(
            &self,
            _: &Value,
        ) -> stowage_core::Result<stowage_core::format::RepositorySpec> {
            Err(CoreError::Internal("not used".into()))
        }
        async fn handle(
            &self,
            _: stowage_core::format::ContentContext,
            _: HttpRequest,
            _: actix_web::web::Payload,
        ) -> stowage_core::Result<HttpResponse> {
            Err(CoreError::Internal("not used".into()))
        }
    }

    #[test]
    fn an_edit_form_keeps_what_it_does_not_show() {
        let mut stored = json!({
            "httpClient": {"blocked": true, "connection": {"timeout": 30},
                           "authentication": {"type": "username", "username": "u", "password": "#~NXRM~PLACEHOLDER~PASSWORD~#"}},
            "proxy": {"remoteUrl": "http://old", "metadataMaxAge": 5},
        });
        let form: Fields = vec![
            ("proxy.remoteUrl".into(), "http://new".into()),
            ("httpClient.authentication.username".into(), "u".into()),
            ("httpClient.authentication.password".into(), String::new()),
        ];
        overlay(&mut stored, body_of(&ProxyForm, &form));
        assert_eq!(stored["proxy"]["remoteUrl"], "http://new");
        assert_eq!(
            stored["httpClient"]["blocked"], true,
            "not on the form: kept"
        );
        assert_eq!(stored["httpClient"]["connection"]["timeout"], 30);
        assert_eq!(stored["httpClient"]["authentication"]["username"], "u");
        // The empty password is turned back into the stored one by the update.
        assert_eq!(stored["httpClient"]["authentication"]["password"], "");
        assert_eq!(
            stored["negativeCache"]["enabled"], false,
            "an unchecked box is false"
        );
    }
}
