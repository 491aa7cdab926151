//! Queries of the admin UI: an image's tags page by page, and search across repositories by
//! name, version or digest.

use super::Catalogue;
use crate::Result;
use crate::model::Component;
use sqlx::Row;

/// One search hit.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// The repository's id.
    pub repository_id: String,
    /// The matching component.
    pub component: Component,
}

/// One asset whose blob's digest starts with the prefix searched for.
#[derive(Debug, Clone)]
pub struct DigestHit {
    /// The repository's id.
    pub repository_id: String,
    /// The asset's id.
    pub asset_id: String,
    /// The asset's path.
    pub path: String,
    /// The blob's lowercase hex sha256.
    pub sha256: String,
    /// The asset's component, if it has one.
    pub component: Option<Component>,
}

impl Catalogue {
    /// Components of repository `repo_id` named `name`, by version, after `after`, at most
    /// `limit`; and whether there are more.
    pub async fn components_named(
        &self,
        repo_id: &str,
        name: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Component>, bool)> {
        let rows = sqlx::query(
            "SELECT id, repository_id, grp, name, version, created_at FROM components \
             WHERE repository_id = $1 AND name = $2 AND version > $3 ORDER BY version LIMIT $4",
        )
        .bind(repo_id)
        .bind(name)
        .bind(after.unwrap_or(""))
        .bind(limit + 1)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        let mut out = rows
            .iter()
            .map(super::assets::component_from_row)
            .collect::<Result<Vec<_>>>()?;
        let more = out.len() as i64 > limit;
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok((out, more))
    }

    /// Components whose name or version contains `term` (case-insensitive), in the given
    /// repositories (all when empty), at most `limit`, by name and version.
    pub async fn search_components(
        &self,
        term: &str,
        repo_ids: &[String],
        limit: i64,
    ) -> Result<Vec<SearchHit>> {
        let pattern = format!(
            "%{}%",
            term.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(
            "SELECT id, repository_id, grp, name, version, created_at FROM components \
             WHERE (LOWER(name) LIKE $1 ESCAPE '\\' OR LOWER(version) LIKE $1 ESCAPE '\\') \
             ORDER BY name, version LIMIT $2",
        )
        .bind(&pattern)
        .bind(limit * 4)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        let mut hits = Vec::new();
        for r in &rows {
            let repository_id: String = r.try_get("repository_id")?;
            if repo_ids.is_empty() || repo_ids.contains(&repository_id) {
                hits.push(SearchHit {
                    repository_id,
                    component: super::assets::component_from_row(r)?,
                });
            }
            if hits.len() as i64 == limit {
                break;
            }
        }
        Ok(hits)
    }

    /// Assets whose blob's sha256 starts with `hex_prefix` (lowercase hex), at most `limit`,
    /// by digest and path. A range on the `(blob_store, blob_sha256)` index per blob store, so
    /// it reads only the matching rows.
    pub async fn search_digest(&self, hex_prefix: &str, limit: i64) -> Result<Vec<DigestHit>> {
        // Hex digits sort before `g` in every collation, so [prefix, prefix + "g") is exactly
        // the digests that start with the prefix.
        let rows = sqlx::query(
            "SELECT a.id AS asset_id, a.repository_id AS repository_id, a.path, a.blob_sha256, \
                    c.id AS id, c.grp, c.name, c.version, c.created_at \
             FROM blob_stores s \
             JOIN assets a ON a.blob_store = s.name AND a.blob_sha256 >= $1 AND a.blob_sha256 < $2 \
             LEFT JOIN components c ON c.id = a.component_id \
             ORDER BY a.blob_sha256, a.path LIMIT $3",
        )
        .bind(hex_prefix)
        .bind(format!("{hex_prefix}g"))
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        rows.iter()
            .map(|r| {
                let component = match r.try_get::<Option<String>, _>("id")? {
                    Some(_) => Some(super::assets::component_from_row(r)?),
                    None => None,
                };
                Ok(DigestHit {
                    repository_id: r.try_get("repository_id")?,
                    asset_id: r.try_get("asset_id")?,
                    path: r.try_get("path")?,
                    sha256: r.try_get("blob_sha256")?,
                    component,
                })
            })
            .collect()
    }
}
