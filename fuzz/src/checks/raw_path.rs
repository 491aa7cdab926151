//! Raw repository paths: an accepted path is the input decoded once, can name nothing outside
//! the repository, and any percent-encoding of it parses back to the same path.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use stowage_core::CoreError;
use stowage_raw::RawPath;

/// What the server leaves unencoded in download URLs (`content::encode_path`).
const URL_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Input: the still-encoded path after `/repository/<name>/`.
pub fn check(data: &[u8]) {
    let Some(s) = super::text(data) else {
        return;
    };
    let p = match RawPath::parse(s) {
        Ok(p) => p,
        Err(e) => {
            assert!(
                matches!(&e, CoreError::Invalid { field, .. } if field == "path"),
                "{s:?}: {e}"
            );
            return;
        }
    };
    let path = p.as_str();
    let decoded = percent_decode_str(s)
        .decode_utf8()
        .expect("accepted, so UTF-8");
    assert_eq!(path, decoded, "the path is the input decoded once");
    assert!(!path.is_empty() && path.len() <= RawPath::MAX_LEN);
    assert!(
        !path.chars().any(|c| c.is_control() || c == '\\'),
        "{path:?}"
    );
    for segment in path.split('/') {
        assert!(
            !matches!(segment, "" | "." | ".."),
            "{s:?} has segment {segment:?}"
        );
    }
    assert_eq!(Some(p.file_name()), path.rsplit('/').next());
    assert!(!p.file_name().is_empty());
    let group = match path.rsplit_once('/') {
        Some((dir, _)) => format!("/{dir}"),
        None => "/".to_owned(),
    };
    assert_eq!(p.group(), group);
    for set in [URL_SET, NON_ALPHANUMERIC] {
        let encoded = utf8_percent_encode(path, set).to_string();
        assert_eq!(
            RawPath::parse(&encoded).ok().as_ref(),
            Some(&p),
            "{encoded:?}"
        );
    }
}
