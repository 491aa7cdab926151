//! HTTP pieces every format needs to serve stored bytes: `Range` parsing and a blob response
//! with `ETag`, `Last-Modified`, conditional and ranged GET, and HEAD.

use crate::Result;
use crate::format::Services;
use crate::model::BlobRef;
use actix_web::body::SizedStream;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use std::ops::Range;

/// What a `Range` header asks for, resolved against the content's size.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No (usable) range: the whole content.
    Full,
    /// One satisfiable range, end exclusive.
    Partial(Range<u64>),
    /// A range beyond the content: 416.
    Unsatisfiable,
}

/// A byte position: ASCII digits only (`+5` is not a position), saturating at `u64::MAX` since
/// a position past any content is still a well-formed one (RFC 9110 puts no bound on it).
fn position(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// Parses a single-range `bytes=` header (`a-b`, `a-`, `-n`). Multiple ranges, other units and
/// malformed ranges are ignored (the whole content is served), as RFC 9110 allows; a first
/// position at or past the end, or an empty suffix, is unsatisfiable.
pub fn parse_range(value: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        match position(end) {
            Some(0) => return RangeRequest::Unsatisfiable,
            Some(n) => size.saturating_sub(n)..size,
            None => return RangeRequest::Full,
        }
    } else {
        let Some(first) = position(start) else {
            return RangeRequest::Full;
        };
        let last = if end.is_empty() {
            size.saturating_sub(1)
        } else {
            match position(end) {
                Some(l) if l >= first => l.min(size.saturating_sub(1)),
                _ => return RangeRequest::Full,
            }
        };
        if first >= size {
            return RangeRequest::Unsatisfiable;
        }
        first..last + 1
    };
    if range.start >= range.end {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Partial(range)
}

/// How to present a blob.
pub struct BlobMeta<'a> {
    /// The stored content.
    pub blob: &'a BlobRef,
    /// Its MIME type.
    pub content_type: &'a str,
    /// Last modification, ms since the epoch.
    pub last_modified: Option<i64>,
}

/// Answers GET or HEAD for a blob: 304 when `If-None-Match` matches, 206 for a satisfiable
/// `Range`, 416 for an unsatisfiable one. `builder` carries format-specific headers.
pub async fn serve_blob(
    req: &HttpRequest,
    services: &Services,
    meta: BlobMeta<'_>,
    mut builder: HttpResponseBuilder,
) -> Result<HttpResponse> {
    let size = u64::try_from(meta.blob.size).unwrap_or(0);
    let etag = format!("\"{}\"", meta.blob.digest.hex());
    builder
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    if let Some(ms) = meta.last_modified {
        let t = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        builder.insert_header((header::LAST_MODIFIED, httpdate::fmt_http_date(t)));
    }
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok(builder.status(StatusCode::NOT_MODIFIED).finish());
    }
    let range_header = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let range = match parse_range(range_header, size) {
        RangeRequest::Full => None,
        RangeRequest::Partial(r) => Some(r),
        RangeRequest::Unsatisfiable => {
            return Ok(builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .finish());
        }
    };
    builder.insert_header((header::CONTENT_TYPE, meta.content_type));
    if let Some(r) = &range {
        builder.status(StatusCode::PARTIAL_CONTENT).insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", r.start, r.end - 1),
        ));
    }
    let len = range.as_ref().map_or(size, |r| r.end - r.start);
    if req.method() == Method::HEAD {
        // actix sends the headers (with this Content-Length) and no body for HEAD.
        let empty = futures_util::stream::empty::<std::io::Result<bytes::Bytes>>();
        return Ok(builder.body(SizedStream::new(len, empty)));
    }
    let store = services.blob_store(&meta.blob.blob_store).await?;
    let read = store.read(meta.blob.digest.hex(), range).await?;
    Ok(builder.body(SizedStream::new(len, read.stream)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), RangeRequest::Full);
        assert_eq!(
            parse_range(Some("bytes=0-4"), 10),
            RangeRequest::Partial(0..5)
        );
        assert_eq!(
            parse_range(Some("bytes=5-"), 10),
            RangeRequest::Partial(5..10)
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10),
            RangeRequest::Partial(7..10)
        );
        assert_eq!(
            parse_range(Some("bytes=8-100"), 10),
            RangeRequest::Partial(8..10)
        );
        assert_eq!(
            parse_range(Some("bytes=10-"), 10),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some("bytes=-0"), 10),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), RangeRequest::Full);
        assert_eq!(parse_range(Some("items=0-1"), 10), RangeRequest::Full);
        assert_eq!(parse_range(Some("bytes=4-2"), 10), RangeRequest::Full);
    }

    /// Found by fuzzing `parse_range` against a reading of RFC 9110: positions too large for
    /// `u64` are still positions, and a sign is not part of one.
    #[test]
    fn huge_and_signed_positions() {
        let huge = "99999999999999999999";
        assert_eq!(
            parse_range(Some(&format!("bytes={huge}-")), 10),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            parse_range(Some(&format!("bytes=2-{huge}")), 10),
            RangeRequest::Partial(2..10)
        );
        assert_eq!(
            parse_range(Some(&format!("bytes=-{huge}")), 10),
            RangeRequest::Partial(0..10)
        );
        assert_eq!(parse_range(Some("bytes=+1-3"), 10), RangeRequest::Full);
        assert_eq!(parse_range(Some("bytes=1-+3"), 10), RangeRequest::Full);
        assert_eq!(parse_range(Some("bytes=-+3"), 10), RangeRequest::Full);
    }
}
