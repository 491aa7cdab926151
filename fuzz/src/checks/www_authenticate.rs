//! What an upstream registry's 401 says (`WWW-Authenticate`, read by the proxy) and what a
//! client asks the token endpoint for (`scope`, and the Bearer token it sends back).

use std::collections::HashMap;
use stowage_core::security::tokens::{Access, TokenSigner};
use stowage_docker::ImageName;
use stowage_docker_proxy::challenge;

/// Checks `data` as a challenge header, as the source of a well-formed challenge, as a token
/// `scope` and as a Bearer token.
pub fn check(data: &[u8]) {
    let Some(s) = super::text(data) else {
        return;
    };
    if super::header_text(s) {
        parsed_challenge_round_trips(s);
        generated_challenge_parses(s);
    }
    scope(s);
    assert!(
        TokenSigner::new(&[7; 32]).verify(s).is_err(),
        "a token not signed by us is refused"
    );
}

/// RFC 9110's `tchar`: what an auth-param name (and a bare value) is made of.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whatever a header parses to, written back as a challenge, parses to the same.
fn parsed_challenge_round_trips(header: &str) {
    let params = challenge::params(header);
    if !params.keys().all(|k| is_token(k)) {
        return;
    }
    let rendered: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", quoted(v)))
        .collect();
    let rendered = format!("Bearer {}", rendered.join(","));
    assert_eq!(
        challenge::params(&rendered),
        params,
        "{header:?} → {rendered:?}"
    );
}

/// `k=v&k=v…` in the input, written as RFC 9110 allows (names in any case, optional whitespace
/// around `=` and `,`, values as tokens or quoted strings with `\` escapes), parses to the
/// pairs, with names lowercased.
fn generated_challenge_parses(input: &str) {
    let mut expected = HashMap::new();
    let mut parts = Vec::new();
    for (i, pair) in input.split('&').enumerate() {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if !is_token(name) || expected.contains_key(&name.to_ascii_lowercase()) {
            continue;
        }
        expected.insert(name.to_ascii_lowercase(), value.to_owned());
        let value = if i % 2 == 1 && is_token(value) {
            value.to_owned()
        } else {
            quoted(value)
        };
        parts.push(if i % 3 == 1 {
            format!("{name} = {value}")
        } else {
            format!("{name}={value}")
        });
    }
    let header = format!("Bearer {}", parts.join(" , "));
    assert_eq!(challenge::params(&header), expected, "{header:?}");
}

/// A `scope` the token endpoint accepts renders back to itself, and every image name makes a
/// scope naming that image.
fn scope(s: &str) {
    if let Some(a) = Access::parse_scope(s) {
        assert!(!a.kind.contains(':'));
        assert!(
            a.actions
                .iter()
                .all(|x| !x.is_empty() && !x.contains([',', ':']))
        );
        let rendered = format!("{}:{}:{}", a.kind, a.name, a.actions.join(","));
        assert_eq!(Access::parse_scope(&rendered), Some(a), "{s:?}");
    }
    if let Ok(name) = ImageName::parse(s) {
        let a = Access::parse_scope(&format!("repository:{name}:pull,push")).expect("scope");
        assert_eq!((a.kind.as_str(), a.name.as_str()), ("repository", s));
        assert_eq!(a.actions, ["pull", "push"]);
    }
}
