//! `Range` on blob downloads (core's `parse_range`) and `Content-Range` on chunked uploads
//! (docker's `check_chunk`), against a reference reading of RFC 9110 §14 and the Distribution
//! Spec's chunk rules.

use regex_lite::Regex;
use std::ops::Range;
use std::sync::LazyLock;
use stowage_core::http::{RangeRequest, parse_range};
use stowage_docker::ErrorCode;
use stowage_docker::upload::{check_chunk, progress_header};

/// `bytes=<first>-<last>`, `bytes=<first>-` or `bytes=-<suffix>`, with the optional whitespace
/// the parser tolerates.
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^bytes=[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*$").expect("range")
});
/// A chunk's `<start>-<end>`, optionally after `bytes `.
static CHUNK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[ \t]*(?:bytes )*[ \t]*([0-9]+)[ \t]*-[ \t]*([0-9]+)[ \t]*$").expect("chunk")
});

/// Input: newline-separated fields, each optional: content size, `Range`, upload offset,
/// `Content-Length`, `Content-Range`.
pub fn check(data: &[u8]) {
    let Some(s) = super::text(data) else {
        return;
    };
    let mut fields = s.split('\n');
    let size = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
    let range = fields.next().filter(|f| super::header_text(f));
    let offset = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
    let content_length = fields.next().and_then(|f| f.parse().ok());
    let content_range = fields.next().filter(|f| super::header_text(f));

    let got = parse_range(range, size);
    if let RangeRequest::Partial(r) = &got {
        assert!(
            r.start < r.end && r.end <= size,
            "{range:?} of {size}: {r:?}"
        );
    }
    assert_eq!(
        got,
        expected_range(range, size),
        "Range {range:?} of {size} bytes"
    );

    let got = check_chunk(content_range, content_length, offset);
    match (&got, expected_chunk(content_range, content_length, offset)) {
        (Ok(len), Ok(expected)) => assert_eq!(*len, expected, "{content_range:?}"),
        (Err(e), Err(())) => {
            assert_eq!(e.code, ErrorCode::RangeInvalid);
            assert_eq!(e.status(), 416);
        }
        (got, expected) => panic!(
            "Content-Range {content_range:?}, Content-Length {content_length:?} at {offset}: \
             {:?}, expected {expected:?}",
            got.as_ref().map_err(|e| &e.detail)
        ),
    }

    // What the upload reports as progress is a range the next chunk's check understands.
    if size > 0 {
        let progress = progress_header(size);
        assert_eq!(
            check_chunk(Some(&progress), None, 0).ok(),
            Some(Some(size)),
            "{progress}"
        );
    }
}

/// Digits as a number, saturating: a position past any real size is still a position.
fn number(digits: &str) -> u64 {
    digits.parse().unwrap_or(u64::MAX)
}

/// RFC 9110: a syntactically invalid or multi-range header is ignored (the whole content);
/// `first-last` with `last < first` is invalid; a first position at or past the end, or a
/// zero-length suffix, is unsatisfiable; `last` is clamped to the end.
fn expected_range(value: Option<&str>, size: u64) -> RangeRequest {
    let Some(c) = value.and_then(|v| RANGE.captures(v.trim())) else {
        return RangeRequest::Full;
    };
    let (first, last) = (&c[1], &c[2]);
    let range: Range<u64> = match (first.is_empty(), last.is_empty()) {
        (true, true) => return RangeRequest::Full,
        (true, false) => size.saturating_sub(number(last))..size,
        (false, _) => {
            let first = number(first);
            let last = if last.is_empty() {
                u64::MAX
            } else {
                number(last)
            };
            if last < first {
                return RangeRequest::Full;
            }
            if first >= size {
                return RangeRequest::Unsatisfiable;
            }
            first..last.min(size - 1) + 1
        }
    };
    if range.is_empty() {
        RangeRequest::Unsatisfiable
    } else {
        RangeRequest::Partial(range)
    }
}

/// The Distribution Spec: a chunk must start where the upload ends, `end >= start`, and its
/// length must agree with `Content-Length`. Positions past `u64` cannot be in order.
fn expected_chunk(
    content_range: Option<&str>,
    content_length: Option<u64>,
    offset: u64,
) -> Result<Option<u64>, ()> {
    let Some(header) = content_range else {
        return Ok(content_length);
    };
    let c = CHUNK.captures(header).ok_or(())?;
    let start: u64 = c[1].parse().map_err(|_| ())?;
    let end: u64 = c[2].parse().map_err(|_| ())?;
    if end < start || start != offset {
        return Err(());
    }
    let len = (end - start).checked_add(1).ok_or(())?;
    match content_length {
        Some(cl) if cl != len => Err(()),
        _ => Ok(Some(len)),
    }
}
