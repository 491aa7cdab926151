//! Docker hosted repositories through the path-routed Distribution API (`/v2/<repo>/…`): a
//! push and pull of every kind of upload, manifests, tags, components, Nexus's URL form,
//! deletes and mounts.

use crate::both_backends;
use crate::helpers::{
    ADMIN_PASSWORD, OCI_INDEX, OCI_MANIFEST, TestApp, digest, error_code, image_manifest,
};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};

both_backends!(push_and_pull_through_path_routing);

async fn push_and_pull_through_path_routing(app: TestApp) {
    app.create_docker("docker-hosted", "ALLOW").await;

    // Version check: a challenge without credentials, 200 with them.
    let r = app.send_anonymous(Method::GET, "/v2/").await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(
        r.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    assert_eq!(error_code(r).await, "UNAUTHORIZED");
    assert_eq!(app.send(Method::GET, "/v2/").await.status(), 200);

    // Config: monolithic upload.
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_d = app.push_blob("docker-hosted", "team/app", config).await;

    // Layer: docker's way, one streamed PATCH then PUT.
    let layer: Vec<u8> = (0..3_000_000u32).map(|i| (i % 199) as u8).collect();
    let layer_d = digest(&layer);
    let layer_len = layer.len();
    let r = app
        .send(Method::POST, "/v2/docker-hosted/team/app/blobs/uploads/")
        .await;
    assert_eq!(r.status(), 202);
    let location = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/v2/docker-hosted/team/app/blobs/uploads/"),
        "{location}"
    );
    assert_eq!(r.headers()["range"], "0-0");
    assert!(r.headers().contains_key("docker-upload-uuid"));
    let r = app
        .req(Method::PATCH, &location)
        .body(layer.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["range"], format!("0-{}", layer.len() - 1));
    let r = app
        .send(Method::PUT, &format!("{location}?digest={layer_d}"))
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["docker-content-digest"], layer_d.as_str());
    assert_eq!(
        r.headers()[LOCATION],
        format!("/v2/docker-hosted/team/app/blobs/{layer_d}")
    );

    // Blobs come back whole, by range, and HEAD reports the size.
    let blob_url = format!("/v2/docker-hosted/team/app/blobs/{layer_d}");
    let r = app.send(Method::HEAD, &blob_url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], layer.len().to_string());
    let got = app
        .send(Method::GET, &blob_url)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(digest(&got), layer_d);
    let r = app
        .req(Method::GET, &blob_url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &layer[10..20]);

    // Manifest by tag, served byte-exact with its media type, by tag and by digest.
    let manifest = image_manifest(&config_d, config.len(), &layer_d, layer.len());
    let manifest_d = digest(&manifest);
    let r = app
        .put_manifest(
            "/v2/docker-hosted/team/app/manifests/v1",
            OCI_MANIFEST,
            &manifest,
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["docker-content-digest"], manifest_d.as_str());
    for reference in ["v1", manifest_d.as_str()] {
        let r = app
            .send(
                Method::GET,
                &format!("/v2/docker-hosted/team/app/manifests/{reference}"),
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], OCI_MANIFEST);
        assert_eq!(r.headers()["docker-content-digest"], manifest_d.as_str());
        assert_eq!(r.bytes().await.unwrap().as_ref(), manifest.as_slice());
    }
    let r = app
        .send(Method::HEAD, "/v2/docker-hosted/team/app/manifests/v1")
        .await;
    assert_eq!(r.headers()["content-length"], manifest.len().to_string());

    // More tags; sorted list with paging.
    for tag in ["v3", "v2", "latest"] {
        let r = app
            .put_manifest(
                &format!("/v2/docker-hosted/team/app/manifests/{tag}"),
                OCI_MANIFEST,
                &manifest,
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let list: Value = app
        .send(Method::GET, "/v2/docker-hosted/team/app/tags/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list,
        json!({"name": "docker-hosted/team/app", "tags": ["latest", "v1", "v2", "v3"]})
    );
    let r = app
        .send(Method::GET, "/v2/docker-hosted/team/app/tags/list?n=2")
        .await;
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert_eq!(
        link,
        "</v2/docker-hosted/team/app/tags/list?n=2&last=v1>; rel=\"next\""
    );
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["tags"], json!(["latest", "v1"]));
    let page: Value = app
        .send(
            Method::GET,
            "/v2/docker-hosted/team/app/tags/list?n=2&last=v1",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["tags"], json!(["v2", "v3"]));

    // An index of the manifest.
    let index = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": manifest_d, "size": manifest.len(),
         "platform": {"architecture": "amd64", "os": "linux"}}]}),
    )
    .unwrap();
    let r = app
        .put_manifest(
            "/v2/docker-hosted/team/app/manifests/multi",
            OCI_INDEX,
            &index,
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .send(Method::GET, "/v2/docker-hosted/team/app/manifests/multi")
        .await;
    assert_eq!(r.headers()[CONTENT_TYPE], OCI_INDEX);
    assert_eq!(r.bytes().await.unwrap().as_ref(), index.as_slice());

    // Deleting a tag keeps the manifest other tags share.
    let r = app
        .send(Method::DELETE, "/v2/docker-hosted/team/app/manifests/v1")
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        app.send(Method::GET, "/v2/docker-hosted/team/app/manifests/v1")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.send(Method::GET, "/v2/docker-hosted/team/app/manifests/v2")
            .await
            .status(),
        200
    );

    // Components: one per tag, format docker. Download times are written a moment later
    // (coalesced in memory, flushed every `download_flush_seconds`).
    crate::downloads::wait_downloaded(&app, "docker-hosted", &[format!("v2/-/blobs/{layer_d}")])
        .await;
    let page: Value = app
        .get("/service/rest/v1/components?repository=docker-hosted")
        .await
        .json()
        .await
        .unwrap();
    let mut versions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["format"], "docker");
            assert_eq!(c["name"], "team/app");
            c["version"].as_str().unwrap()
        })
        .collect();
    versions.sort();
    assert_eq!(versions, ["latest", "multi", "v2", "v3"]);
    // A tag's component lists its manifest, config and layer as assets.
    let v2 = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == "v2")
        .unwrap();
    let mut paths: Vec<&str> = v2["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    paths.sort();
    let mut expected = vec![
        "v2/team/app/manifests/v2".to_owned(),
        format!("v2/team/app/manifests/{manifest_d}"),
        format!("v2/-/blobs/{config_d}"),
        format!("v2/-/blobs/{layer_d}"),
    ];
    expected.sort();
    assert_eq!(paths, expected);
    let layer = v2["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == format!("v2/-/blobs/{layer_d}"))
        .unwrap();
    assert_eq!(layer["fileSize"], layer_len as u64);
    assert_eq!(layer["checksum"]["sha256"], &layer_d[7..]);
    assert!(
        !layer["lastDownloaded"].is_null(),
        "the layer was pulled above"
    );

    // Nexus's URL form and the assets' download URLs serve the same content.
    let r = app
        .send(
            Method::GET,
            "/repository/docker-hosted/v2/team/app/manifests/v2",
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), manifest.as_slice());
    let assets = app.all_assets("docker-hosted").await;
    let layer_asset = assets
        .iter()
        .find(|a| a["path"] == format!("v2/-/blobs/{layer_d}"))
        .unwrap();
    assert_eq!(layer_asset["format"], "docker");
    let url = layer_asset["downloadUrl"].as_str().unwrap();
    let got = app
        .client
        .get(url)
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(digest(&got.bytes().await.unwrap()), layer_d);
    let r = app
        .send(Method::GET, "/repository/docker-hosted/team/app/tags/list")
        .await;
    assert_eq!(
        r.status(),
        404,
        "docker content under /repository/ is below v2/"
    );

    // The catalog lists repository/image.
    let cat: Value = app
        .send(Method::GET, "/v2/_catalog")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cat["repositories"], json!(["docker-hosted/team/app"]));

    // Deleting by digest removes the manifest and its tags.
    let r = app
        .send(
            Method::DELETE,
            &format!("/v2/docker-hosted/team/app/manifests/{manifest_d}"),
        )
        .await;
    assert_eq!(r.status(), 202);
    for tag in ["v2", "v3", "latest"] {
        let r = app
            .send(
                Method::GET,
                &format!("/v2/docker-hosted/team/app/manifests/{tag}"),
            )
            .await;
        assert_eq!(r.status(), 404, "{tag}");
        assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    }

    // A blob already in the repository mounts into another image.
    let r = app
        .send(
            Method::POST,
            &format!("/v2/docker-hosted/other/blobs/uploads/?mount={layer_d}&from=team/app"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let unknown = digest(b"not pushed");
    let r = app
        .send(
            Method::POST,
            &format!("/v2/docker-hosted/other/blobs/uploads/?mount={unknown}&from=team/app"),
        )
        .await;
    assert_eq!(
        r.status(),
        202,
        "an unknown blob falls back to an upload session"
    );

    // Blob delete.
    let r = app.send(Method::DELETE, &blob_url).await;
    assert_eq!(r.status(), 202);
    let r = app.send(Method::HEAD, &blob_url).await;
    assert_eq!(r.status(), 404);
}
