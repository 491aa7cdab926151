//! `/v1/blobstores`: list, create (`file`, `s3`), read and delete blob stores, in Nexus's shapes.

use super::{RestResult, audit, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::CoreError;
use stowage_core::format::SECRET_PLACEHOLDER;
use stowage_core::model::BlobStoreRecord;
use stowage_core::names::parse_blob_store_name;
use stowage_core::storage::{BlobStore, StoreSettings, TmpPurge};

pub(crate) async fn list(state: State) -> RestResult<HttpResponse> {
    let services = &state.services;
    let mut out = Vec::new();
    for rec in services.catalogue.list_blob_stores().await? {
        let (count, bytes) = services.catalogue.blob_store_usage(&rec.name).await?;
        let store = services.blob_store(&rec.name).await.ok();
        let temp = match &store {
            Some(s) => s.tmp_usage().await.ok(),
            None => None,
        };
        out.push(json!({
            "name": rec.name,
            "type": rec.kind,
            "unavailable": store.is_none(),
            "blobCount": count,
            "totalSizeInBytes": bytes,
            "availableSpaceInBytes": store.and_then(|s| s.available_space()),
            "softQuota": rec.attributes.get("softQuota").cloned().unwrap_or(Value::Null),
            "tempFileCount": temp.map(|t| t.count),
            "tempSizeInBytes": temp.map(|t| t.bytes),
        }));
    }
    Ok(HttpResponse::Ok().json(out))
}

/// Validates, opens and probes a new store, then records it. Nothing is saved on failure.
async fn create(state: &State, kind: &str, mut body: Value) -> Result<String, CoreError> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| CoreError::invalid("name", "is required"))?;
    let name = parse_blob_store_name(name)?;
    let data_dir = &state.services.config.data_dir;
    let settings = StoreSettings::parse(kind, &body, data_dir)?;
    let existing: Vec<(String, StoreSettings)> = state
        .services
        .catalogue
        .list_blob_stores()
        .await?
        .into_iter()
        .filter_map(|r| {
            let s = StoreSettings::parse(&r.kind, &r.attributes, data_dir).ok()?;
            Some((r.name, s))
        })
        .collect();
    let others: Vec<(&str, &StoreSettings)> =
        existing.iter().map(|(n, s)| (n.as_str(), s)).collect();
    settings.check_clear_of(data_dir, &others)?;
    let field = if kind == "S3" {
        "bucketConfiguration"
    } else {
        "path"
    };
    let store = BlobStore::open(&name, settings).map_err(|e| {
        CoreError::invalid(
            field,
            format!("cannot open the store: {}", crate::error::chain(&e)),
        )
    })?;
    store.size_of(&"0".repeat(64)).await.map_err(|e| {
        CoreError::invalid(
            field,
            format!("the store is not reachable: {}", crate::error::chain(&e)),
        )
    })?;
    if let Some(o) = body.as_object_mut() {
        o.remove("name");
        o.remove("type");
    }
    state
        .services
        .catalogue
        .create_blob_store(&BlobStoreRecord {
            name: name.clone(),
            kind: kind.to_owned(),
            attributes: body,
        })
        .await?;
    state.services.blob_stores.insert(store);
    tracing::info!(blob_store = %name, kind, "blob store created");
    Ok(name.to_string())
}

pub(crate) async fn create_file(
    req: HttpRequest,
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let name = create(&state, "File", json_body(&body)?).await?;
    audit(&req, &state, &caller, "blobstore.create", &name);
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn create_s3(
    req: HttpRequest,
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let name = create(&state, "S3", json_body(&body)?).await?;
    audit(&req, &state, &caller, "blobstore.create", &name);
    Ok(HttpResponse::Created().finish())
}

async fn record(state: &State, kind: &str, name: &str) -> Result<BlobStoreRecord, CoreError> {
    state
        .services
        .catalogue
        .list_blob_stores()
        .await?
        .into_iter()
        .find(|r| r.name == name && r.kind == kind)
        .ok_or_else(|| CoreError::NotFound(format!("{kind} blob store '{name}'")))
}

pub(crate) async fn get_file(state: State, name: web::Path<String>) -> RestResult<HttpResponse> {
    let rec = record(&state, "File", &name).await?;
    Ok(HttpResponse::Ok().json(json!({
        "path": rec.attributes.get("path"),
        "softQuota": rec.attributes.get("softQuota"),
    })))
}

pub(crate) async fn get_s3(state: State, name: web::Path<String>) -> RestResult<HttpResponse> {
    let mut rec = record(&state, "S3", &name).await?;
    for key in ["secretAccessKey", "sessionToken"] {
        if let Some(v) = rec
            .attributes
            .pointer_mut(&format!("/bucketConfiguration/bucketSecurity/{key}"))
        {
            *v = json!(SECRET_PLACEHOLDER);
        }
    }
    let mut out = rec.attributes;
    if let Some(o) = out.as_object_mut() {
        o.insert("name".into(), json!(rec.name));
        o.insert("type".into(), json!("S3"));
    }
    Ok(HttpResponse::Ok().json(out))
}

pub(crate) async fn delete(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
) -> RestResult<HttpResponse> {
    let catalogue = &state.services.catalogue;
    if catalogue.blob_store_in_use(&name).await? {
        return Err(CoreError::invalid(
            "name",
            format!("blob store '{name}' is used by a repository; delete or move those first"),
        )
        .into());
    }
    catalogue.delete_blob_store(&name).await?;
    state.services.blob_stores.remove(&name);
    audit(&req, &state, &caller, "blobstore.delete", &name);
    Ok(HttpResponse::NoContent().finish())
}

/// Removes the temporary objects of store `name` that no upload needs (see
/// `stowage_core::storage::TmpPurge`), and says how many went and how many stayed.
pub(crate) async fn purge_temp(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
) -> RestResult<HttpResponse> {
    let done = purge_temp_of(&state, &name).await?;
    audit(&req, &state, &caller, "blobstore.purge-temp", &name);
    Ok(HttpResponse::Ok().json(json!({
        "removedCount": done.removed.count,
        "removedBytes": done.removed.bytes,
        "keptCount": done.kept.count,
        "keptBytes": done.kept.bytes,
    })))
}

/// The purge itself, shared with the admin UI.
pub(crate) async fn purge_temp_of(state: &State, name: &str) -> Result<TmpPurge, CoreError> {
    let services = &state.services;
    if !services
        .catalogue
        .list_blob_stores()
        .await?
        .iter()
        .any(|r| r.name == name)
    {
        return Err(CoreError::NotFound(format!("blob store '{name}'")));
    }
    let store = services.blob_store(name).await?;
    let parts = services.catalogue.upload_parts_on_store(name).await?;
    store.purge_tmp(&parts).await
}
