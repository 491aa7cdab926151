//! `/v1/security/privileges`: list, read and delete privileges; create and update the
//! `repository-view`, `repository-admin`, `application` and `wildcard` kinds (Nexus's
//! `ApiPrivilege…Request` shapes). Built-in privileges are read-only.

use super::{RestResult, audit, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::CoreError;
use stowage_core::security::privileges::{
    APPLICATION_ACTIONS, Pattern, Privilege, PrivilegeKind, REPOSITORY_ACTIONS, parse_actions,
    valid_name,
};

/// Actions as Nexus shows them: upper case, `*` as `ALL`, create and update as `ADD`, `EDIT`.
fn shown(actions: &[String]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a.as_str() {
            "*" => "ALL".to_owned(),
            "create" => "ADD".to_owned(),
            "update" => "EDIT".to_owned(),
            other => other.to_ascii_uppercase(),
        })
        .collect()
}

/// Nexus's `ApiPrivilege…` response for `p`.
fn privilege_xo(p: &Privilege) -> Value {
    let mut out = json!({
        "type": p.kind.type_name(),
        "name": p.name,
        "description": p.description,
        "readOnly": p.read_only,
    });
    let extra = match &p.kind {
        PrivilegeKind::RepositoryView {
            format,
            repository,
            actions,
        }
        | PrivilegeKind::RepositoryAdmin {
            format,
            repository,
            actions,
        } => json!({"format": format, "repository": repository, "actions": shown(actions)}),
        PrivilegeKind::Application { domain, actions } => {
            json!({"domain": domain, "actions": shown(actions)})
        }
        PrivilegeKind::Wildcard { pattern } => json!({"pattern": pattern}),
    };
    if let (Some(o), Value::Object(e)) = (out.as_object_mut(), extra) {
        o.extend(e);
    }
    out
}

pub(crate) async fn list(state: State) -> RestResult<HttpResponse> {
    let policy = state.security.policy();
    let out: Vec<Value> = policy.privileges().into_iter().map(privilege_xo).collect();
    Ok(HttpResponse::Ok().json(out))
}

pub(crate) async fn get_one(state: State, name: web::Path<String>) -> RestResult<HttpResponse> {
    let policy = state.security.policy();
    let p = policy
        .privilege(&name)
        .ok_or_else(|| CoreError::NotFound(format!("privilege '{name}'")))?;
    Ok(HttpResponse::Ok().json(privilege_xo(p)))
}

fn text<'a>(body: &'a Value, field: &str) -> Result<&'a str, CoreError> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CoreError::invalid(field, "is required"))
}

fn actions(body: &Value, allowed: &[&str]) -> Result<Vec<String>, CoreError> {
    let given: Vec<String> = match body.get("actions") {
        Some(v @ Value::Array(_)) => serde_json::from_value(v.clone())
            .map_err(|_| CoreError::invalid("actions", "must be a list of action names"))?,
        _ => return Err(CoreError::invalid("actions", "is required")),
    };
    parse_actions("actions", &given, allowed)
}

/// A privilege of kind `kind` from a request body.
async fn parse(state: &State, kind: &str, body: &Value) -> Result<Privilege, CoreError> {
    let name = text(body, "name")?.to_owned();
    if !valid_name(&name) {
        return Err(CoreError::invalid(
            "name",
            "may contain letters, digits, '-', '_' and '.', and must start with a letter, digit or '-'",
        ));
    }
    let repository_target = || -> Result<(String, String), CoreError> {
        let format = text(body, "format")?.to_owned();
        let repository = text(body, "repository")?.to_owned();
        if format != "*" && !state.services.formats.names().contains(&format) {
            return Err(CoreError::invalid(
                "format",
                format!("unknown format '{format}'"),
            ));
        }
        Ok((format, repository))
    };
    let kind = match kind {
        "repository-view" | "repository-admin" => {
            let (format, repository) = repository_target()?;
            if repository != "*" {
                let repo = state
                    .services
                    .catalogue
                    .find_repository(&repository)
                    .await?;
                match repo {
                    None => {
                        return Err(CoreError::invalid(
                            "repository",
                            format!("repository '{repository}' does not exist"),
                        ));
                    }
                    Some(r) if format != "*" && r.format != format => {
                        return Err(CoreError::invalid(
                            "format",
                            format!("repository '{repository}' is a {} repository", r.format),
                        ));
                    }
                    Some(_) => {}
                }
            }
            let actions = actions(body, REPOSITORY_ACTIONS)?;
            if kind == "repository-view" {
                PrivilegeKind::RepositoryView {
                    format,
                    repository,
                    actions,
                }
            } else {
                PrivilegeKind::RepositoryAdmin {
                    format,
                    repository,
                    actions,
                }
            }
        }
        "application" => PrivilegeKind::Application {
            domain: text(body, "domain")?.to_ascii_lowercase(),
            actions: actions(body, APPLICATION_ACTIONS)?,
        },
        "wildcard" => {
            let pattern = text(body, "pattern")?.to_owned();
            if !Pattern::parse(&pattern).is_valid() {
                return Err(CoreError::invalid(
                    "pattern",
                    "must be parts separated by ':' with no empty part, e.g. nexus:repository-view:*:*:read",
                ));
            }
            PrivilegeKind::Wildcard { pattern }
        }
        other => {
            return Err(CoreError::NotFound(format!(
                "privilege type '{other}' (this server supports repository-view, repository-admin, application and wildcard)"
            )));
        }
    };
    Ok(Privilege {
        name,
        description: body
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        kind,
        read_only: false,
    })
}

pub(crate) async fn create(
    req: HttpRequest,
    state: State,
    caller: Caller,
    kind: web::Path<String>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let p = parse(&state, &kind, &json_body(&body)?).await?;
    if state.security.policy().privilege(&p.name).is_some() {
        return Err(
            CoreError::invalid("name", format!("a privilege '{}' already exists", p.name)).into(),
        );
    }
    state.services.catalogue.create_privilege(&p).await?;
    state.security.refresh().await?;
    audit(&req, &state, &caller, "privilege.create", &p.name);
    Ok(HttpResponse::Created().json(privilege_xo(&p)))
}

fn custom(state: &State, name: &str) -> Result<(), CoreError> {
    match state.security.policy().privilege(name) {
        None => Err(CoreError::NotFound(format!("privilege '{name}'"))),
        Some(p) if p.read_only => Err(CoreError::invalid(
            "name",
            format!("the built-in privilege '{name}' cannot be changed or deleted"),
        )),
        Some(_) => Ok(()),
    }
}

pub(crate) async fn update(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let (kind, name) = path.into_inner();
    custom(&state, &name)?;
    let p = parse(&state, &kind, &json_body(&body)?).await?;
    if p.name != name {
        return Err(CoreError::invalid("name", "must match the privilege in the URL").into());
    }
    state.services.catalogue.update_privilege(&p).await?;
    state.security.refresh().await?;
    audit(&req, &state, &caller, "privilege.update", &name);
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn delete(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
) -> RestResult<HttpResponse> {
    custom(&state, &name)?;
    state.services.catalogue.delete_privilege(&name).await?;
    state.security.refresh().await?;
    audit(&req, &state, &caller, "privilege.delete", &name);
    Ok(HttpResponse::NoContent().finish())
}
