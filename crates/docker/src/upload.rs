//! The arithmetic of chunked blob uploads: checking a chunk's `Content-Range` against what the
//! upload session already holds, and the `Range` header that reports progress.

use crate::errors::{ErrorCode, RegistryError};

/// Checks a `PATCH` chunk. `content_range` is the request's `Content-Range` (`<start>-<end>`,
/// inclusive; a `bytes ` prefix is tolerated), `content_length` its `Content-Length`, `offset`
/// the bytes the session holds so far. Without `Content-Range` the chunk is docker's streamed
/// upload and simply continues at `offset`. Returns the expected chunk length, if known.
pub fn check_chunk(
    content_range: Option<&str>,
    content_length: Option<u64>,
    offset: u64,
) -> Result<Option<u64>, RegistryError> {
    let Some(range) = content_range else {
        return Ok(content_length);
    };
    let bad = |detail: String| RegistryError::new(ErrorCode::RangeInvalid, detail);
    let spec = range.trim().trim_start_matches("bytes ").trim();
    // Digits only: `parse` alone would also take a sign (`+0-+9`).
    let number = |s: &str| {
        let s = s.trim();
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let (start, end) = spec
        .split_once('-')
        .and_then(|(s, e)| Some((number(s)?, number(e)?)))
        .ok_or_else(|| bad(format!("Content-Range {range:?} is not <start>-<end>")))?;
    if end < start {
        return Err(bad(format!(
            "Content-Range {range:?} ends before it starts"
        )));
    }
    if start != offset {
        return Err(bad(format!(
            "chunk starts at byte {start} but the upload holds {offset} bytes; send chunks in order"
        )));
    }
    // `0-18446744073709551615` is 2^64 bytes: more than a length can say (and than any upload).
    let len = (end - start)
        .checked_add(1)
        .ok_or_else(|| bad(format!("Content-Range {range:?} is longer than any upload")))?;
    if let Some(cl) = content_length
        && cl != len
    {
        return Err(bad(format!(
            "Content-Range covers {len} bytes but Content-Length is {cl}"
        )));
    }
    Ok(Some(len))
}

/// The `Range` header value reporting `size` bytes received (`0-<last byte>`; `0-0` when empty,
/// as distribution answers).
pub fn progress_header(size: u64) -> String {
    format!("0-{}", size.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_in_order_are_accepted() {
        assert_eq!(check_chunk(None, Some(10), 0).unwrap(), Some(10));
        assert_eq!(check_chunk(None, None, 5).unwrap(), None);
        assert_eq!(check_chunk(Some("0-9"), Some(10), 0).unwrap(), Some(10));
        assert_eq!(check_chunk(Some("10-19"), None, 10).unwrap(), Some(10));
        assert_eq!(
            check_chunk(Some("bytes 10-19"), Some(10), 10).unwrap(),
            Some(10)
        );
    }

    #[test]
    fn out_of_order_or_inconsistent_chunks_are_416() {
        for (range, len, offset) in [
            ("5-9", Some(5), 0),
            ("0-9", Some(10), 10),
            ("9-0", None, 9),
            ("0-9", Some(11), 0),
            ("abc", None, 0),
            ("1", None, 1),
            // Found by the fuzz target's oracle: a signed number, and a length of 2^64 that
            // overflowed (a panic in debug builds, a 0-byte chunk in release).
            ("+0-+9", Some(10), 0),
            ("0-18446744073709551615", None, 0),
        ] {
            let e = check_chunk(Some(range), len, offset).unwrap_err();
            assert_eq!(e.code, ErrorCode::RangeInvalid, "{range}");
            assert_eq!(e.status(), 416);
        }
    }

    #[test]
    fn progress() {
        assert_eq!(progress_header(0), "0-0");
        assert_eq!(progress_header(1), "0-0");
        assert_eq!(progress_header(1024), "0-1023");
    }
}
