//! The Distribution API's error codes, each with its HTTP status and message, in one table used
//! for responses and for documentation. Bodies are `{"errors":[{"code","message","detail"}]}`.

use serde::Serialize;

/// An OCI Distribution Spec error code (plus distribution's `RANGE_INVALID` and `UNAVAILABLE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Blob unknown to the registry.
    BlobUnknown,
    /// The blob upload encountered an error and can no longer proceed.
    BlobUploadInvalid,
    /// The upload was cancelled or never started.
    BlobUploadUnknown,
    /// Content does not match its digest, or a digest is malformed.
    DigestInvalid,
    /// A manifest references a blob or manifest the repository does not have.
    ManifestBlobUnknown,
    /// The manifest is malformed or of an unsupported kind.
    ManifestInvalid,
    /// Manifest unknown to the repository.
    ManifestUnknown,
    /// Invalid repository name.
    NameInvalid,
    /// Repository name not known to the registry.
    NameUnknown,
    /// Content length does not match, or content is too large.
    SizeInvalid,
    /// Authentication required.
    Unauthorized,
    /// Access to the resource is denied.
    Denied,
    /// The operation is unsupported.
    Unsupported,
    /// Too many requests.
    Toomanyrequests,
    /// A chunk's `Content-Range` does not continue the upload.
    RangeInvalid,
    /// The registry cannot answer now (distribution's code; a proxy whose upstream is down).
    Unavailable,
}

/// One row of the table: code, HTTP status, message.
pub struct ErrorInfo {
    /// The code.
    pub code: ErrorCode,
    /// HTTP status the code is answered with.
    pub status: u16,
    /// The spec's message.
    pub message: &'static str,
}

/// Every code with its status and message.
pub const ERROR_TABLE: &[ErrorInfo] = &[
    ErrorInfo {
        code: ErrorCode::BlobUnknown,
        status: 404,
        message: "blob unknown to registry",
    },
    ErrorInfo {
        code: ErrorCode::BlobUploadInvalid,
        status: 400,
        message: "blob upload invalid",
    },
    ErrorInfo {
        code: ErrorCode::BlobUploadUnknown,
        status: 404,
        message: "blob upload unknown to registry",
    },
    ErrorInfo {
        code: ErrorCode::DigestInvalid,
        status: 400,
        message: "provided digest did not match uploaded content",
    },
    ErrorInfo {
        code: ErrorCode::ManifestBlobUnknown,
        status: 400,
        message: "manifest references a manifest or blob unknown to registry",
    },
    ErrorInfo {
        code: ErrorCode::ManifestInvalid,
        status: 400,
        message: "manifest invalid",
    },
    ErrorInfo {
        code: ErrorCode::ManifestUnknown,
        status: 404,
        message: "manifest unknown to registry",
    },
    ErrorInfo {
        code: ErrorCode::NameInvalid,
        status: 400,
        message: "invalid repository name",
    },
    ErrorInfo {
        code: ErrorCode::NameUnknown,
        status: 404,
        message: "repository name not known to registry",
    },
    ErrorInfo {
        code: ErrorCode::SizeInvalid,
        status: 400,
        message: "provided length did not match content length",
    },
    ErrorInfo {
        code: ErrorCode::Unauthorized,
        status: 401,
        message: "authentication required",
    },
    ErrorInfo {
        code: ErrorCode::Denied,
        status: 403,
        message: "requested access to the resource is denied",
    },
    ErrorInfo {
        code: ErrorCode::Unsupported,
        status: 405,
        message: "the operation is unsupported",
    },
    ErrorInfo {
        code: ErrorCode::Toomanyrequests,
        status: 429,
        message: "too many requests",
    },
    ErrorInfo {
        code: ErrorCode::RangeInvalid,
        status: 416,
        message: "invalid content range",
    },
    ErrorInfo {
        code: ErrorCode::Unavailable,
        status: 503,
        message: "service unavailable",
    },
];

impl ErrorCode {
    /// This code's row of [`ERROR_TABLE`].
    pub fn info(self) -> &'static ErrorInfo {
        ERROR_TABLE
            .iter()
            .find(|i| i.code == self)
            .unwrap_or(&ERROR_TABLE[0])
    }
}

/// A registry error: a code plus a detail for a person.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {detail}", code.info().message)]
pub struct RegistryError {
    /// The code.
    pub code: ErrorCode,
    /// What exactly went wrong.
    pub detail: String,
    /// The status, when it differs from the table's (e.g. 413 for an oversized manifest).
    pub status_override: Option<u16>,
    /// The message, when the table's would mislead (see [`RegistryError::with_message`]).
    pub message_override: Option<String>,
}

impl RegistryError {
    /// An error with `code` and `detail`.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            status_override: None,
            message_override: None,
        }
    }

    /// This error with `message` in place of the table's. The docker CLI shows only
    /// `code: message`, never the detail: an error whose cause the table's words would hide
    /// (`denied: requested access to the resource is denied` reads as missing privileges) says
    /// its cause here.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message_override = Some(message.into());
        self
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.status_override.unwrap_or(self.code.info().status)
    }

    /// The response body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "errors": [{
                "code": self.code,
                "message": self.message_override.as_deref().unwrap_or(self.code.info().message),
                "detail": self.detail,
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_row() {
        let codes = [
            ErrorCode::BlobUnknown,
            ErrorCode::BlobUploadInvalid,
            ErrorCode::BlobUploadUnknown,
            ErrorCode::DigestInvalid,
            ErrorCode::ManifestBlobUnknown,
            ErrorCode::ManifestInvalid,
            ErrorCode::ManifestUnknown,
            ErrorCode::NameInvalid,
            ErrorCode::NameUnknown,
            ErrorCode::SizeInvalid,
            ErrorCode::Unauthorized,
            ErrorCode::Denied,
            ErrorCode::Unsupported,
            ErrorCode::Toomanyrequests,
            ErrorCode::RangeInvalid,
            ErrorCode::Unavailable,
        ];
        assert_eq!(codes.len(), ERROR_TABLE.len());
        for c in codes {
            assert_eq!(
                ERROR_TABLE.iter().filter(|i| i.code == c).count(),
                1,
                "{c:?}"
            );
        }
    }

    #[test]
    fn body_shape() {
        let e = RegistryError::new(ErrorCode::ManifestUnknown, "tag v9 not found");
        assert_eq!(e.status(), 404);
        assert_eq!(
            e.body(),
            serde_json::json!({"errors": [{
                "code": "MANIFEST_UNKNOWN",
                "message": "manifest unknown to registry",
                "detail": "tag v9 not found"
            }]})
        );
        let mut big = RegistryError::new(ErrorCode::SizeInvalid, "manifest over 4 MiB");
        big.status_override = Some(413);
        assert_eq!(big.status(), 413);
    }
}
