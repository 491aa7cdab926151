//! What every group recipe shares, whatever its format: the `group.memberNames` list (parsed
//! from a request, read from stored attributes), the checks made when a group is saved
//! (members exist, are of the group's format, and do not lead back to the group), and the empty
//! body a group sends its members when it asks them on a client's behalf, and the repositories
//! whose content a group serves, in order.

use crate::catalogue::Catalogue;
use crate::format::Services;
use crate::model::{RepoKind, Repository};
use crate::names::same_repository;
use crate::{CoreError, Result};
use actix_web::{FromRequest, HttpRequest, web};
use serde_json::Value;
use std::collections::HashSet;

const FIELD: &str = "group.memberNames";

/// The member names stored in a group's attributes, in order.
pub fn member_names(attributes: &Value) -> Vec<String> {
    attributes
        .pointer("/group/memberNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `group.memberNames` of a create or update request: a list of at least one repository name,
/// none twice.
pub fn parse_member_names(body: &Value) -> Result<Vec<String>> {
    let members: Vec<String> = match body.pointer("/group/memberNames") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|m| {
                m.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| CoreError::invalid(FIELD, "must be a list of repository names"))
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(CoreError::invalid(
                FIELD,
                "is required (a list of repository names)",
            ));
        }
    };
    if members.is_empty() {
        return Err(CoreError::invalid(
            FIELD,
            "must name at least one repository",
        ));
    }
    let mut seen = HashSet::new();
    if let Some(dup) = members
        .iter()
        .find(|m| !seen.insert(m.to_ascii_lowercase()))
    {
        return Err(CoreError::invalid(FIELD, format!("names '{dup}' twice")));
    }
    Ok(members)
}

/// Checks the members of group `name` (about to be saved with `attributes`): each exists and is
/// a `format` repository, and none is the group itself or a group that reaches it, however
/// deep. Errors name `group.memberNames`.
pub async fn check_members(
    services: &Services,
    name: &str,
    format: &str,
    attributes: &Value,
) -> Result<()> {
    let catalogue = &services.catalogue;
    for m in member_names(attributes) {
        if same_repository(&m, name) {
            return Err(CoreError::invalid(FIELD, "a group cannot contain itself"));
        }
        let Some(repo) = catalogue.find_repository(&m).await? else {
            return Err(CoreError::invalid(
                FIELD,
                format!("repository '{m}' does not exist"),
            ));
        };
        if repo.format != format {
            return Err(CoreError::invalid(
                FIELD,
                format!(
                    "'{m}' is a {} repository; a {format} group holds {format} repositories",
                    repo.format
                ),
            ));
        }
        let mut todo = vec![repo];
        let mut visited = HashSet::new();
        while let Some(r) = todo.pop() {
            if !visited.insert(r.name.to_ascii_lowercase()) || r.kind != RepoKind::Group {
                continue;
            }
            for inner in member_names(&r.attributes) {
                if same_repository(&inner, name) {
                    return Err(CoreError::invalid(
                        FIELD,
                        format!(
                            "'{m}' contains '{name}' (through '{}'), which would make a cycle",
                            r.name
                        ),
                    ));
                }
                if let Some(next) = catalogue.find_repository(&inner).await? {
                    todo.push(next);
                }
            }
        }
    }
    Ok(())
}

/// The repositories whose content `repo` serves, in the order it asks them: a group's members,
/// each member that is a group replaced by its own members, each repository once; a repository
/// that is not a group is its only source. Who serves a path or tag is the first source that
/// has it.
pub async fn content_sources(catalogue: &Catalogue, repo: &Repository) -> Result<Vec<Repository>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut todo = vec![repo.clone()];
    while let Some(r) = todo.pop() {
        if !seen.insert(r.name.clone()) {
            continue;
        }
        if r.kind != RepoKind::Group {
            out.push(r);
            continue;
        }
        let mut members = Vec::new();
        for name in member_names(&r.attributes) {
            if let Some(m) = catalogue.find_repository(&name).await? {
                members.push(m);
            }
        }
        // Depth first, in order: the first member's sources come before the second's.
        todo.extend(members.into_iter().rev());
    }
    Ok(out)
}

/// An empty request body, for asking a member on behalf of a request whose own body is not
/// passed on (a `GET` or `HEAD`).
pub fn no_body(req: &HttpRequest) -> Result<web::Payload> {
    let mut none = actix_web::dev::Payload::None;
    web::Payload::from_request(req, &mut none)
        .into_inner()
        .map_err(|e| CoreError::Internal(format!("an empty body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_names_are_parsed_and_refused_with_their_field() {
        let ok = json!({"group": {"memberNames": ["a", "b"]}});
        assert_eq!(parse_member_names(&ok).unwrap(), ["a", "b"]);
        assert_eq!(member_names(&ok), ["a", "b"]);
        for (body, says) in [
            (json!({}), "is required"),
            (json!({"group": {"memberNames": "a"}}), "is required"),
            (json!({"group": {"memberNames": []}}), "at least one"),
            (
                json!({"group": {"memberNames": ["a", 1]}}),
                "list of repository names",
            ),
            (
                json!({"group": {"memberNames": ["a", "b", "a"]}}),
                "'a' twice",
            ),
        ] {
            let e = parse_member_names(&body).unwrap_err();
            assert!(
                matches!(&e, CoreError::Invalid { field, .. } if field == FIELD),
                "{e}"
            );
            assert!(e.to_string().contains(says), "{body}: {e}");
        }
        assert!(member_names(&json!({"group": {}})).is_empty());
    }
}
