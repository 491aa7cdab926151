//! One check per fuzz target. Each takes arbitrary bytes, feeds them to a parser that reads
//! client input, and asserts more than "does not panic": accepted input agrees with the grammar
//! it claims (a regular expression of the spec as an oracle), and what is accepted survives a
//! render → parse round trip.

pub mod continuation_token;
pub mod docker_reference;
pub mod manifest;
pub mod ranges;
pub mod raw_path;
pub mod www_authenticate;

/// The input as text, or `None` when it is not UTF-8 (every parser here takes `&str`).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Whether `s` could be an HTTP header value as actix hands it over (`to_str`: visible ASCII,
/// space and tab only).
fn header_text(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// A target's check: panics when the input breaks a property.
pub type Check = fn(&[u8]);

/// `(name, check)` for every target, for tools that walk the corpus directories.
pub const TARGETS: &[(&str, Check)] = &[
    ("continuation_token", continuation_token::check),
    ("docker_reference", docker_reference::check),
    ("manifest", manifest::check),
    ("ranges", ranges::check),
    ("raw_path", raw_path::check),
    ("www_authenticate", www_authenticate::check),
];
