//! Where bytes live inside a blob store. This is the one place that builds storage keys.
//!
//! ```text
//! <file store root, or S3 bucket/prefix>/
//! ├── blobs/
//! │   └── sha256/
//! │       └── ab/
//! │           └── abcdef0123…   content named by its full lowercase hex sha256; written once,
//! │                              shared by every repository and asset on this store
//! └── tmp/
//!     └── <uuid>                 an upload in progress; renamed into blobs/ once its digest is
//!                                known and the bytes are durable, deleted on failure, swept at
//!                                start-up when older than a day, or purged on demand when no
//!                                upload needs it (`tmp_objects`)
//! ```

use crate::digest::Sha256;
use object_store::path::Path;

/// Builders for the keys above.
pub struct StorageKey;

impl StorageKey {
    /// The content address of the blob with digest `sha256`.
    pub fn blob(sha256: &Sha256) -> Path {
        Path::from(format!("blobs/sha256/{}/{}", sha256.prefix(), sha256.hex()))
    }

    /// The temporary object of upload `id`.
    pub fn tmp(id: &str) -> Path {
        Path::from(format!("tmp/{id}"))
    }

    /// The folder of temporary objects.
    pub fn tmp_dir() -> Path {
        Path::from("tmp")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_keys_fan_out_by_first_byte() {
        let hex = "ab".repeat(32);
        assert_eq!(
            StorageKey::blob(&Sha256::from_hex(&hex).unwrap()).as_ref(),
            format!("blobs/sha256/ab/{hex}")
        );
        assert_eq!(StorageKey::tmp("u1").as_ref(), "tmp/u1");
    }
}
