//! What every group recipe shares, whatever its format: the `group.memberNames` list (parsed
//! from a request, read from stored attributes), the checks made when a group is saved
//! (members exist, are of the group's format, and do not lead back to the group), the rule by
//! which a group reads through its members ([`first_answer`]: a typed content operation run on
//! each member in order, failing members skipped), and the repositories whose content a group
//! serves, in order.

use crate::attributes::{Given, GroupAttributes};
use crate::catalogue::Catalogue;
use crate::format::{ContentContext, Services};
use crate::model::{RepoKind, Repository};
use crate::names::same_repository;
use crate::{CoreError, Result};
use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use serde_json::Value;
use std::collections::HashSet;

const FIELD: &str = "group.memberNames";

/// The member names stored in a group's attributes, in order.
pub fn member_names(attributes: &Value) -> Vec<String> {
    GroupAttributes::of(attributes).member_names()
}

/// `group.memberNames` of a create or update request: a list of at least one repository name,
/// none twice.
pub fn parse_member_names(group: &GroupAttributes) -> Result<Vec<String>> {
    let members: Vec<String> = match &group.member_names {
        Given::Valid(names) => names
            .iter()
            .map(|m| {
                m.valid()
                    .cloned()
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

/// The group's members that exist, in order (a member deleted since the group was saved is
/// left out).
pub async fn members(ctx: &ContentContext) -> Result<Vec<Repository>> {
    let mut out = Vec::new();
    for name in member_names(&ctx.repository.attributes) {
        if let Some(r) = ctx.services.catalogue.find_repository(&name).await? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Why a member's content operation gave no content (`Ok(None)` is "does not have it").
pub enum MemberError {
    /// The member answered with an error of its own instead of content: a proxy whose upstream
    /// is down, rate-limiting or auto-blocked. The member is skipped; the response is kept so
    /// the group may pass it on (a docker group passes on `UNAVAILABLE` or `TOOMANYREQUESTS`
    /// with its `Retry-After`).
    Refused(HttpResponse),
    /// An error: one that is the request's fault (bad input, privileges) is the group's answer
    /// too; any other (offline, its blob store or catalogue failed) makes the member skipped.
    Core(CoreError),
}

impl From<CoreError> for MemberError {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

/// A member that could not answer a read the group passed on.
pub struct MemberFailure {
    /// The member's name.
    pub member: String,
    /// What went wrong, for a person: the member's status and error text, or its error.
    pub reason: String,
    /// The member's own error response, when it sent one ([`MemberError::Refused`]).
    pub response: Option<HttpResponse>,
}

/// How one member answered a read.
pub enum Answer<T> {
    /// It has the content: what the operation found.
    Has(T),
    /// It answered and does not have it.
    Lacks,
    /// It did not answer ([`MemberError`]).
    Failed(MemberFailure),
}

/// What a group's members made of a read, asked in order.
pub enum Resolution<T> {
    /// A member has it: what the operation found there.
    Found(T),
    /// No member that answered has it (some member answered, or the group has no members).
    Missing,
    /// No member answered: every one failed, in member order.
    Unavailable(Vec<MemberFailure>),
}

/// Runs the content operation `op` on `member` on the group's behalf: `op` gets the member's
/// context (the group's request, caller and mount, the member's repository). An offline member
/// is not asked and fails. A failure is logged at WARN naming the group and the member. Errors
/// that are the request's fault (bad input, privileges) are returned, as the group would give
/// them too.
pub async fn ask<T, Fut>(
    ctx: &ContentContext,
    member: Repository,
    op: impl FnOnce(ContentContext) -> Fut,
) -> Result<Answer<T>>
where
    Fut: Future<Output = std::result::Result<Option<T>, MemberError>>,
{
    let name = member.name.clone();
    let outcome = if member.online {
        let member_ctx = ContentContext {
            repository: member,
            ..ctx.clone()
        };
        op(member_ctx).await
    } else {
        Err(MemberError::Core(crate::format::offline(&member)))
    };
    let failure = match outcome {
        Ok(Some(found)) => return Ok(Answer::Has(found)),
        Ok(None) | Err(MemberError::Core(CoreError::NotFound(_))) => return Ok(Answer::Lacks),
        Err(MemberError::Refused(resp)) => {
            let (head, body) = resp.into_parts();
            let (text, body) = match body.try_into_bytes() {
                Ok(bytes) => (
                    String::from_utf8_lossy(&bytes).trim().to_owned(),
                    BoxBody::new(bytes),
                ),
                Err(body) => (String::new(), body),
            };
            let mut reason = format!("HTTP {}", head.status());
            if !text.is_empty() {
                reason = format!("{reason}: {}", text.chars().take(300).collect::<String>());
            }
            MemberFailure {
                member: name,
                reason,
                response: Some(head.set_body(body)),
            }
        }
        Err(MemberError::Core(
            e @ (CoreError::Invalid { .. }
            | CoreError::Conflict(_)
            | CoreError::Unauthenticated
            | CoreError::Forbidden(_)
            | CoreError::Throttled(_)
            | CoreError::Interrupted(_)
            | CoreError::DigestMismatch { .. }),
        )) => return Err(e),
        Err(MemberError::Core(e)) => {
            tracing::warn!(
                group = %ctx.repository.name,
                member = %name,
                error = %crate::chain(&e),
                "group member failed; skipped"
            );
            let reason = match e {
                CoreError::Unavailable(why) => why,
                _ => "an internal error; see the server log".into(),
            };
            return Ok(Answer::Failed(MemberFailure {
                member: name,
                reason,
                response: None,
            }));
        }
    };
    tracing::warn!(
        group = %ctx.repository.name,
        member = %failure.member,
        reason = %failure.reason,
        "group member failed; skipped"
    );
    Ok(Answer::Failed(failure))
}

/// Runs `op` on the group's members in order ([`ask`]) and stops at the first that has the
/// content. A member that fails is skipped: it hides neither the members after it nor the fact
/// that the others do not have the content. So the answer is [`Resolution::Missing`] when no
/// member that answered has it, and "unavailable" only when no member answered at all.
pub async fn first_answer<T, F, Fut>(ctx: &ContentContext, mut op: F) -> Result<Resolution<T>>
where
    F: FnMut(ContentContext) -> Fut,
    Fut: Future<Output = std::result::Result<Option<T>, MemberError>>,
{
    let mut failures = Vec::new();
    let mut answered = false;
    for member in members(ctx).await? {
        match ask(ctx, member, &mut op).await? {
            Answer::Has(found) => return Ok(Resolution::Found(found)),
            Answer::Lacks => answered = true,
            Answer::Failed(f) => failures.push(f),
        }
    }
    Ok(if answered || failures.is_empty() {
        Resolution::Missing
    } else {
        Resolution::Unavailable(failures)
    })
}

/// The members that failed and why, for an error message: `'a' (why); 'b' (why)`.
pub fn describe_failures(failures: &[MemberFailure]) -> String {
    failures
        .iter()
        .map(|f| format!("'{}' ({})", f.member, f.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_names_are_parsed_and_refused_with_their_field() {
        let parse = |body: &Value| {
            parse_member_names(
                &crate::attributes::read::<crate::attributes::RepositoryRequest>(body).group,
            )
        };
        let ok = json!({"group": {"memberNames": ["a", "b"]}});
        assert_eq!(parse(&ok).unwrap(), ["a", "b"]);
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
            let e = parse(&body).unwrap_err();
            assert!(
                matches!(&e, CoreError::Invalid { field, .. } if field == FIELD),
                "{e}"
            );
            assert!(e.to_string().contains(says), "{body}: {e}");
        }
        assert!(member_names(&json!({"group": {}})).is_empty());
    }
}
