//! The `WWW-Authenticate` challenge an upstream registry answers a 401 with: its auth-params
//! (`realm`, `service`, `scope`) tell the proxy where to fetch a Bearer token.

use std::collections::HashMap;
use std::iter::Peekable;
use std::str::Chars;

/// The auth-params of the first challenge in a `WWW-Authenticate` value, as RFC 9110 §11.2
/// writes them: `name=token` or `name="quoted string"`, separated by commas, with optional
/// whitespace around `=` and `,`. Names are case-insensitive and returned lowercased; a quoted
/// value has its `\` escapes undone. A name followed by a space is the scheme of a second
/// challenge, where reading stops.
pub fn params(challenge: &str) -> HashMap<String, String> {
    let rest = challenge.split_once(' ').map_or("", |(_, r)| r);
    let mut out = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        let name = name.trim();
        if name.is_empty() && chars.peek().is_none() {
            return out;
        }
        if name.contains(char::is_whitespace) {
            return out;
        }
        if chars.next_if_eq(&'=').is_none() {
            // A parameter without a value (or a token68): nothing to read.
            continue;
        }
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let value = if chars.next_if_eq(&'"').is_some() {
            let v = quoted_string(&mut chars);
            // Anything between the closing quote and the next comma is not part of a value.
            while chars.next_if(|c| *c != ',').is_some() {}
            v
        } else {
            let v: String = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
            v.trim_end().to_owned()
        };
        if !name.is_empty() {
            out.insert(name.to_ascii_lowercase(), value);
        }
    }
}

/// The rest of a quoted string whose opening `"` has been read: up to the closing `"` (or the
/// end), with each `\x` read as `x`.
fn quoted_string(chars: &mut Peekable<Chars<'_>>) -> String {
    let mut value = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => value.extend(chars.next()),
            c => value.push(c),
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_challenges() {
        let p = params(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "registry.example");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        assert_eq!(params(r#"Basic realm="x""#)["realm"], "x");
    }

    /// Found by fuzzing against RFC 9110's grammar: names in another case, whitespace around
    /// `=`, and `\` escapes in quoted strings were misread.
    #[test]
    fn reads_what_the_rfc_allows() {
        let p = params(r#"Bearer Realm = "a\"b\\c" , SERVICE=reg ,scope="x,y""#);
        assert_eq!(p["realm"], r#"a"b\c"#);
        assert_eq!(p["service"], "reg");
        assert_eq!(p["scope"], "x,y");
        assert_eq!(p.len(), 3);
        // A valueless parameter, and a second challenge after the first.
        let p = params(r#"Bearer charset, realm="r", Basic realm="other""#);
        assert_eq!((p["realm"].as_str(), p.len()), ("r", 1));
    }
}
