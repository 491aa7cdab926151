//! Components, assets and blob references.
//!
//! Writing an asset is one transaction: the blob row (content already durable in the blob
//! store), the component, then the asset itself. A crash before the commit leaves only an
//! unreferenced blob, never an asset pointing at missing bytes.
//!
//! Over 400 lines on purpose: every query of the assets, components and asset_refs tables
//! is here, sharing one row mapper and one transaction pattern; split, each half would need
//! the other's private helpers.

use super::{Catalogue, PageToken, new_id};
use crate::model::{Asset, BlobRef, Component, NewAsset, Repository};
use crate::{CoreError, Result, now_millis};
use sqlx::Row;
use sqlx::any::AnyRow;

macro_rules! asset_columns_prefixed {
    () => {
        "a.id, a.repository_id, a.component_id, a.path, a.blob_store, a.blob_sha256, a.size, \
         a.content_type, a.created_at, a.last_modified, a.last_downloaded, a.uploader, a.uploader_ip"
    };
}

macro_rules! asset_columns {
    () => {
        "id, repository_id, component_id, path, blob_store, blob_sha256, size, \
     content_type, created_at, last_modified, last_downloaded, uploader, uploader_ip"
    };
}

fn asset_from_row(r: &AnyRow) -> Result<Asset> {
    Ok(Asset {
        id: r.try_get("id")?,
        repository_id: r.try_get("repository_id")?,
        component_id: r.try_get("component_id")?,
        path: r.try_get("path")?,
        blob: BlobRef {
            blob_store: r.try_get("blob_store")?,
            digest: crate::Sha256::from_hex(&r.try_get::<String, _>("blob_sha256")?)
                .map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
            size: r.try_get("size")?,
        },
        content_type: r.try_get("content_type")?,
        created_at: r.try_get("created_at")?,
        last_modified: r.try_get("last_modified")?,
        last_downloaded: r.try_get("last_downloaded")?,
        uploader: r.try_get("uploader")?,
        uploader_ip: r.try_get("uploader_ip")?,
    })
}

pub(super) fn component_from_row(r: &AnyRow) -> Result<Component> {
    Ok(Component {
        id: r.try_get("id")?,
        repository_id: r.try_get("repository_id")?,
        group: r.try_get("grp")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
    })
}

/// How stale `lastDownloaded` may get before a download updates it (one hour).
pub const DOWNLOAD_RECORD_INTERVAL_MS: i64 = 3_600_000;

/// One page of assets and the token for the next, as Nexus pages its lists.
#[derive(Debug)]
pub struct AssetPage<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass back as `continuationToken` for the next page; `None` on the last.
    pub continuation_token: Option<String>,
}

/// A component with its assets.
#[derive(Debug)]
pub struct ComponentWithAssets {
    /// The component.
    pub component: Component,
    /// Its assets.
    pub assets: Vec<Asset>,
}

impl Catalogue {
    /// Records a written asset. With `overwrite` false an existing asset at the same path is a
    /// conflict (write policy ALLOW_ONCE) and nothing changes. Returns the stored asset and, when
    /// it replaced one, the blob the old asset pointed at.
    pub async fn put_asset(
        &self,
        repo: &Repository,
        new: &NewAsset,
        overwrite: bool,
    ) -> Result<(Asset, Option<BlobRef>)> {
        match self.put_asset_once(repo, new, overwrite).await {
            // Another request inserted the same path between our check and our insert; when
            // overwriting is allowed, the second attempt updates that asset instead.
            Err(CoreError::Conflict(_)) if overwrite => self.put_asset_once(repo, new, true).await,
            other => other,
        }
    }

    async fn put_asset_once(
        &self,
        repo: &Repository,
        new: &NewAsset,
        overwrite: bool,
    ) -> Result<(Asset, Option<BlobRef>)> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO blobs (blob_store, sha256, size, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (blob_store, sha256) DO NOTHING",
        )
        .bind(&new.blob.blob_store)
        .bind(new.blob.digest.hex())
        .bind(new.blob.size)
        .bind(now)
        .execute(&mut *tx)
        .await?;

        let component_id = match &new.component {
            None => None,
            Some((group, name, version)) => {
                sqlx::query(
                    "INSERT INTO components (id, repository_id, grp, name, version, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (repository_id, grp, name, version) DO NOTHING",
                )
                .bind(new_id())
                .bind(&repo.id)
                .bind(group)
                .bind(name)
                .bind(version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let row = sqlx::query(
                    "SELECT id FROM components WHERE repository_id = $1 AND grp = $2 \
                     AND name = $3 AND version = $4",
                )
                .bind(&repo.id)
                .bind(group)
                .bind(name)
                .bind(version)
                .fetch_one(&mut *tx)
                .await?;
                Some(row.try_get::<String, _>("id")?)
            }
        };

        let previous = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE repository_id = $1 AND path = $2"
        ))
        .bind(&repo.id)
        .bind(&new.path)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(asset_from_row)
        .transpose()?;

        if let Some(old) = &previous {
            if !overwrite {
                return Err(CoreError::Conflict(format!(
                    "repository '{}' does not allow updating assets: '{}' already exists",
                    repo.name, new.path
                )));
            }
            sqlx::query(
                "UPDATE assets SET component_id = $1, blob_store = $2, blob_sha256 = $3, size = $4, \
                 content_type = $5, last_modified = $6, uploader = $7, uploader_ip = $8 WHERE id = $9",
            )
            .bind(&component_id)
            .bind(&new.blob.blob_store)
            .bind(new.blob.digest.hex())
            .bind(new.blob.size)
            .bind(&new.content_type)
            .bind(now)
            .bind(&new.uploader)
            .bind(&new.uploader_ip)
            .bind(&old.id)
            .execute(&mut *tx)
            .await?;
        } else {
            let inserted = sqlx::query(concat!(
                "INSERT INTO assets (",
                asset_columns!(),
                ") VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12) \
                 ON CONFLICT (repository_id, path) DO NOTHING"
            ))
            .bind(new_id())
            .bind(&repo.id)
            .bind(&component_id)
            .bind(&new.path)
            .bind(&new.blob.blob_store)
            .bind(new.blob.digest.hex())
            .bind(new.blob.size)
            .bind(&new.content_type)
            .bind(now)
            .bind(now)
            .bind(&new.uploader)
            .bind(&new.uploader_ip)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(CoreError::Conflict(format!(
                    "'{}' was written by another request at the same time; retry",
                    new.path
                )));
            }
        }
        let asset = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE repository_id = $1 AND path = $2"
        ))
        .bind(&repo.id)
        .bind(&new.path)
        .fetch_one(&mut *tx)
        .await?;
        let asset = asset_from_row(&asset)?;
        // A component left without assets by the overwrite (its path moved) is removed.
        if let Some(old) = &previous
            && old.component_id != asset.component_id
        {
            delete_component_if_empty(&mut tx, old.component_id.as_deref()).await?;
        }
        tx.commit().await?;
        Ok((asset, previous.map(|a| a.blob)))
    }

    /// The asset at `path` in repository `repo_id`, if any.
    pub async fn find_asset(&self, repo_id: &str, path: &str) -> Result<Option<Asset>> {
        sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE repository_id = $1 AND path = $2"
        ))
        .bind(repo_id)
        .bind(path)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .as_ref()
        .map(asset_from_row)
        .transpose()
    }

    /// The asset with id `id`, or NotFound.
    pub async fn asset(&self, id: &str) -> Result<Asset> {
        sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .as_ref()
        .map(asset_from_row)
        .transpose()?
        .ok_or_else(|| CoreError::NotFound(format!("asset '{id}'")))
    }

    /// Deletes an asset (and its component once empty). The blob stays for the collector.
    pub async fn delete_asset(&self, id: &str) -> Result<Asset> {
        let mut tx = self.begin_write().await?;
        let asset = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(asset_from_row)
        .transpose()?
        .ok_or_else(|| CoreError::NotFound(format!("asset '{id}'")))?;
        sqlx::query("DELETE FROM assets WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        delete_component_if_empty(&mut tx, asset.component_id.as_deref()).await?;
        tx.commit().await?;
        Ok(asset)
    }

    /// A page of a repository's assets, ordered by id, after the `after` token.
    pub async fn list_assets(
        &self,
        repo_id: &str,
        after: Option<&PageToken>,
        limit: i64,
    ) -> Result<AssetPage<Asset>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE repository_id = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        ))
        .bind(repo_id)
        .bind(after.map_or("", PageToken::as_str))
        .bind(limit + 1)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        let mut items = rows
            .iter()
            .map(asset_from_row)
            .collect::<Result<Vec<_>>>()?;
        let continuation_token = page_token(&mut items, limit, |a| a.id.clone());
        Ok(AssetPage {
            items,
            continuation_token,
        })
    }

    /// All assets whose path starts with `prefix`, ordered by path (for browse listings).
    pub async fn assets_under(&self, repo_id: &str, prefix: &str) -> Result<Vec<Asset>> {
        sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE repository_id = $1 \
             AND substr(path, 1, CAST($2 AS INTEGER)) = $3 ORDER BY path"
        ))
        .bind(repo_id)
        .bind(prefix.chars().count() as i64)
        .bind(prefix)
        .fetch_all(&mut *self.conn().await?)
        .await?
        .iter()
        .map(asset_from_row)
        .collect()
    }

    /// A page of a repository's components with their assets.
    pub async fn list_components(
        &self,
        repo_id: &str,
        after: Option<&PageToken>,
        limit: i64,
    ) -> Result<AssetPage<ComponentWithAssets>> {
        let rows = sqlx::query(
            "SELECT id, repository_id, grp, name, version, created_at FROM components \
             WHERE repository_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(repo_id)
        .bind(after.map_or("", PageToken::as_str))
        .bind(limit + 1)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        let mut components = rows
            .iter()
            .map(component_from_row)
            .collect::<Result<Vec<_>>>()?;
        let continuation_token = page_token(&mut components, limit, |c| c.id.clone());
        let mut items = Vec::with_capacity(components.len());
        for component in components {
            let assets = self.component_assets(&component.id).await?;
            items.push(ComponentWithAssets { component, assets });
        }
        Ok(AssetPage {
            items,
            continuation_token,
        })
    }

    /// The component with id `id` and its assets, or NotFound.
    pub async fn component(&self, id: &str) -> Result<ComponentWithAssets> {
        let component = sqlx::query(
            "SELECT id, repository_id, grp, name, version, created_at FROM components WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .as_ref()
        .map(component_from_row)
        .transpose()?
        .ok_or_else(|| CoreError::NotFound(format!("component '{id}'")))?;
        let assets = self.component_assets(id).await?;
        Ok(ComponentWithAssets { component, assets })
    }

    /// Deletes a component and its assets; returns what was deleted.
    pub async fn delete_component(&self, id: &str) -> Result<ComponentWithAssets> {
        let found = self.component(id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM assets WHERE component_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM components WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Records that asset `asset_id` points at `target` in the sense `kind` (e.g. `subject`).
    pub async fn add_asset_ref(&self, asset_id: &str, kind: &str, target: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO asset_refs (asset_id, kind, target) VALUES ($1, $2, $3) \
             ON CONFLICT (asset_id, kind, target) DO NOTHING",
        )
        .bind(asset_id)
        .bind(kind)
        .bind(target)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// Replaces what asset `asset_id` points at in the sense `kind` with `targets`.
    pub async fn set_asset_refs(
        &self,
        asset_id: &str,
        kind: &str,
        targets: &[String],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM asset_refs WHERE asset_id = $1 AND kind = $2")
            .bind(asset_id)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
        for t in targets {
            sqlx::query(
                "INSERT INTO asset_refs (asset_id, kind, target) VALUES ($1, $2, $3) \
                 ON CONFLICT (asset_id, kind, target) DO NOTHING",
            )
            .bind(asset_id)
            .bind(kind)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Assets of repository `repo_id` under `path_prefix` that point at `target` as `kind`.
    pub async fn assets_referring(
        &self,
        repo_id: &str,
        path_prefix: &str,
        kind: &str,
        target: &str,
    ) -> Result<Vec<Asset>> {
        sqlx::query(concat!(
            "SELECT ",
            asset_columns_prefixed!(),
            " FROM assets a JOIN asset_refs r ON r.asset_id = a.id \
             WHERE a.repository_id = $1 AND r.kind = $2 AND r.target = $3 \
             AND substr(a.path, 1, CAST($4 AS INTEGER)) = $5 ORDER BY a.path"
        ))
        .bind(repo_id)
        .bind(kind)
        .bind(target)
        .bind(path_prefix.chars().count() as i64)
        .bind(path_prefix)
        .fetch_all(&mut *self.conn().await?)
        .await?
        .iter()
        .map(asset_from_row)
        .collect()
    }

    /// Distinct component names of a repository, sorted (docker: its tagged images).
    pub async fn component_names(&self, repo_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT name FROM components WHERE repository_id = $1 ORDER BY name",
        )
        .bind(repo_id)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("name")?)).collect()
    }

    /// A component's assets: those it owns, and those its assets name as `member`s (a docker
    /// tag's manifest, config and layers, which other tags share).
    async fn component_assets(&self, component_id: &str) -> Result<Vec<Asset>> {
        sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE component_id = $1 \
             UNION SELECT ",
            asset_columns_prefixed!(),
            " FROM assets o JOIN asset_refs r ON r.asset_id = o.id AND r.kind = 'member' \
             JOIN assets a ON a.repository_id = o.repository_id AND a.path = r.target \
             WHERE o.component_id = $1 ORDER BY path"
        ))
        .bind(component_id)
        .fetch_all(&mut *self.conn().await?)
        .await?
        .iter()
        .map(asset_from_row)
        .collect()
    }
}

/// Trims a page fetched with `limit + 1` rows and returns the next token when there is more.
fn page_token<T>(items: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if items.len() > limit {
        items.truncate(limit);
        items.last().map(key)
    } else {
        None
    }
}

async fn delete_component_if_empty(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    component_id: Option<&str>,
) -> Result<()> {
    if let Some(cid) = component_id {
        sqlx::query(
            "DELETE FROM components WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM assets WHERE component_id = $1)",
        )
        .bind(cid)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
