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

/// Where a code is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The OCI Distribution Spec v1.1 error code table.
    Spec,
    /// Not in the spec: registered by distribution (`registry/api/errcode`), which docker and
    /// containerd understand.
    Distribution,
}

/// One row of the table, as distribution's `errcode.Register` keeps it: code, HTTP status,
/// message and description.
pub struct ErrorInfo {
    /// The code.
    pub code: ErrorCode,
    /// HTTP status the code is answered with.
    pub status: u16,
    /// The message sent in the body (the spec's table text).
    pub message: &'static str,
    /// When the code is returned, for a person (after distribution's descriptions).
    pub description: &'static str,
    /// Where the code is defined.
    pub source: Source,
}

/// Every code with its status, message and description.
pub const ERROR_TABLE: &[ErrorInfo] = &[
    ErrorInfo {
        code: ErrorCode::BlobUnknown,
        status: 404,
        message: "blob unknown to registry",
        description: "The registry (or this repository) does not have the blob: a pull of a missing layer, or a manifest that references one.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::BlobUploadInvalid,
        status: 400,
        message: "blob upload invalid",
        description: "The blob upload hit an error and cannot go on; start a new one.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::BlobUploadUnknown,
        status: 404,
        message: "blob upload unknown to registry",
        description: "The upload session was cancelled, has expired or was never started.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::DigestInvalid,
        status: 400,
        message: "provided digest did not match uploaded content",
        description: "The uploaded content does not match the digest the client gave, or a digest is malformed; also returned when a manifest names an invalid layer digest.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::ManifestBlobUnknown,
        status: 400,
        message: "manifest references a manifest or blob unknown to registry",
        description: "A manifest being pushed references a blob or manifest the repository does not have.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::ManifestInvalid,
        status: 400,
        message: "manifest invalid",
        description: "A pushed manifest failed validation (malformed JSON, an unsupported media type, a bad field); the detail says which check failed.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::ManifestUnknown,
        status: 404,
        message: "manifest unknown to registry",
        description: "No manifest by that tag or digest in the repository.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::NameInvalid,
        status: 400,
        message: "invalid repository name",
        description: "The repository name in the URL is not valid under the spec's grammar.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::NameUnknown,
        status: 404,
        message: "repository name not known to registry",
        description: "The repository name is not known to the registry.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::SizeInvalid,
        status: 400,
        message: "provided length did not match content length",
        description: "The length the client gave does not match the content, or the content is too large (an oversized manifest is answered 413).",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::Unauthorized,
        status: 401,
        message: "authentication required",
        description: "The client is not authenticated; the `WWW-Authenticate` header says how to authenticate.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::Denied,
        status: 403,
        message: "requested access to the resource is denied",
        description: "The client is authenticated but may not do this to the resource (or the repository's write policy refuses it).",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::Unsupported,
        status: 405,
        message: "the operation is unsupported",
        description: "The operation is not implemented here, or its parameters are not supported.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::Toomanyrequests,
        status: 429,
        message: "too many requests",
        description: "The client (or, through a proxy, its upstream) made too many requests; retry after `Retry-After`.",
        source: Source::Spec,
    },
    ErrorInfo {
        code: ErrorCode::RangeInvalid,
        status: 416,
        message: "invalid content range",
        description: "A chunk's `Content-Range` does not continue the upload where it stands.",
        source: Source::Distribution,
    },
    ErrorInfo {
        code: ErrorCode::Unavailable,
        status: 503,
        message: "service unavailable",
        description: "The service cannot answer now, e.g. a proxy whose upstream is down or blocked.",
        source: Source::Distribution,
    },
];

/// [`ERROR_TABLE`] as a Markdown table, the one `docs/docker-errors.md` shows (a test keeps
/// the two equal).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Code | HTTP status | Message | Defined by | Description |\n\
         |------|-------------|---------|------------|-------------|\n",
    );
    for info in ERROR_TABLE {
        let source = match info.source {
            Source::Spec => "OCI Distribution Spec v1.1",
            Source::Distribution => "distribution",
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            info.code.as_str(),
            info.status,
            info.message,
            source,
            info.description.replace('|', "\\|"),
        ));
    }
    out
}

impl ErrorCode {
    /// The code as sent, e.g. `BLOB_UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlobUnknown => "BLOB_UNKNOWN",
            Self::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Self::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Self::DigestInvalid => "DIGEST_INVALID",
            Self::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Self::ManifestInvalid => "MANIFEST_INVALID",
            Self::ManifestUnknown => "MANIFEST_UNKNOWN",
            Self::NameInvalid => "NAME_INVALID",
            Self::NameUnknown => "NAME_UNKNOWN",
            Self::SizeInvalid => "SIZE_INVALID",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Denied => "DENIED",
            Self::Unsupported => "UNSUPPORTED",
            Self::Toomanyrequests => "TOOMANYREQUESTS",
            Self::RangeInvalid => "RANGE_INVALID",
            Self::Unavailable => "UNAVAILABLE",
        }
    }

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
    fn codes_are_sent_as_named() {
        for info in ERROR_TABLE {
            assert_eq!(
                serde_json::to_value(info.code).unwrap(),
                info.code.as_str(),
                "{:?}",
                info.code
            );
        }
    }

    /// The generated part of the docs, between these markers.
    const BEGIN: &str = "<!-- BEGIN GENERATED: stowage_docker::errors::markdown_table -->\n";
    const END: &str = "<!-- END GENERATED -->";

    #[test]
    fn docs_error_table_is_generated_from_the_table() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/docker-errors.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let start = doc.find(BEGIN).expect("begin marker") + BEGIN.len();
        let end = start + doc[start..].find(END).expect("end marker");
        let table = markdown_table();
        if doc[start..end] == table {
            return;
        }
        if std::env::var_os("STOWAGE_BLESS").is_some_and(|v| v == "1") {
            let blessed = format!("{}{table}{}", &doc[..start], &doc[end..]);
            std::fs::write(&path, blessed).unwrap();
            return;
        }
        panic!(
            "docs/docker-errors.md does not show the error table of crates/docker/src/errors.rs; \
             regenerate it with `STOWAGE_BLESS=1 cargo test -p stowage-docker errors` and commit it"
        );
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
