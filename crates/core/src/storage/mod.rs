//! Content-addressed blob storage on the `object_store` crate: a local directory (`File`, the
//! default) or an S3-compatible bucket (`S3`). Every blob store is an `Arc<dyn ObjectStore>`
//! behind the thin [`BlobStore`]; [`BlobStores`] holds the configured ones by name.

mod blob_store;
mod file_path;
mod keys;
mod local_write;
mod settings;
mod tmp_objects;

pub use blob_store::{BlobRead, BlobStore, ByteRange, TmpObject};
pub use keys::StorageKey;
pub use settings::{S3Settings, StoreSettings};
pub use tmp_objects::{PURGE_GRACE, TmpPurge, TmpUsage};

use crate::{CoreError, Result};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The configured blob stores, by name.
#[derive(Default)]
pub struct BlobStores {
    stores: RwLock<HashMap<String, Arc<BlobStore>>>,
}

impl BlobStores {
    /// Adds (or replaces) a store.
    pub fn insert(&self, store: BlobStore) {
        let mut map = self.stores.write().unwrap_or_else(|p| p.into_inner());
        map.insert(store.name().to_owned(), Arc::new(store));
    }

    /// Removes a store.
    pub fn remove(&self, name: &str) {
        let mut map = self.stores.write().unwrap_or_else(|p| p.into_inner());
        map.remove(name);
    }

    /// The store called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<BlobStore>> {
        let map = self.stores.read().unwrap_or_else(|p| p.into_inner());
        map.get(name)
            .cloned()
            .ok_or_else(|| CoreError::NotFound(format!("blob store '{name}'")))
    }
}
