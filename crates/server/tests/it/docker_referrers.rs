//! Docker hosted repositories: the OCI referrers API, and many clients pushing the same blob and
//! tag at once.

use crate::both_backends;
use crate::helpers::{OCI_INDEX, OCI_MANIFEST, TestApp, digest, image_manifest};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

both_backends!(referrers_and_concurrent_pushes);

async fn referrers_and_concurrent_pushes(app: TestApp) {
    app.create_docker("r", "ALLOW").await;
    let c = app.push_blob("r", "img", b"{}").await;
    let l = app.push_blob("r", "img", b"the layer").await;
    let image = image_manifest(&c, 2, &l, 9);
    let image_d = digest(&image);
    assert_eq!(
        app.put_manifest("/v2/r/img/manifests/v1", OCI_MANIFEST, &image)
            .await
            .status(),
        201
    );

    // Two artifacts refer to the image: one with artifactType, one typed by its config.
    let empty = app.push_blob("r", "img", b"{}").await;
    let sig = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sig",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [], "subject": {"mediaType": OCI_MANIFEST, "digest": image_d, "size": image.len()},
        "annotations": {"org.example.signed-by": "ci"}})).unwrap();
    let sbom = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.example.sbom", "digest": empty, "size": 2},
        "layers": [], "subject": {"mediaType": OCI_MANIFEST, "digest": image_d, "size": image.len()}})).unwrap();
    for m in [&sig, &sbom] {
        let r = app
            .put_manifest(
                &format!("/v2/r/img/manifests/{}", digest(m)),
                OCI_MANIFEST,
                m,
            )
            .await;
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["oci-subject"], image_d.as_str());
    }
    let r = app
        .send(Method::GET, &format!("/v2/r/img/referrers/{image_d}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], OCI_INDEX);
    assert!(!r.headers().contains_key("oci-filters-applied"));
    let index: Value = r.json().await.unwrap();
    assert_eq!(index["mediaType"], OCI_INDEX);
    let mut found: Vec<(String, String)> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap().to_owned(),
                d["artifactType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![
        (digest(&sig), "application/vnd.example.sig".to_owned()),
        (digest(&sbom), "application/vnd.example.sbom".to_owned()),
    ];
    expected.sort();
    assert_eq!(found, expected);
    let r = app
        .send(
            Method::GET,
            &format!("/v2/r/img/referrers/{image_d}?artifactType=application/vnd.example.sig"),
        )
        .await;
    assert_eq!(r.headers()["oci-filters-applied"], "artifactType");
    let index: Value = r.json().await.unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(
        index["manifests"][0]["annotations"]["org.example.signed-by"],
        "ci"
    );
    let none: Value = app
        .send(
            Method::GET,
            &format!("/v2/r/img/referrers/{}", digest(b"nothing")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["manifests"], json!([]));

    // Eight clients push the same blob and the same tag at once: all succeed, one of each.
    let data: Vec<u8> = (0..500_000u32).map(|i| (i % 7) as u8).collect();
    let d = digest(&data);
    let pushes = (0..8).map(|_| {
        app.req(
            Method::POST,
            &format!("/v2/r/busy/blobs/uploads/?digest={d}"),
        )
        .body(data.clone())
        .send()
    });
    for r in futures_util::future::join_all(pushes).await {
        assert_eq!(r.unwrap().status(), 201);
    }
    let m = image_manifest(&c, 2, &d, data.len());
    let tags = (0..8).map(|_| {
        app.req(Method::PUT, "/v2/r/busy/manifests/same")
            .header(CONTENT_TYPE, OCI_MANIFEST)
            .body(m.clone())
            .send()
    });
    for r in futures_util::future::join_all(tags).await {
        assert_eq!(r.unwrap().status(), 201);
    }
    let list: Value = app
        .send(Method::GET, "/v2/r/busy/tags/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tags"], json!(["same"]));
    let got = app
        .send(Method::GET, &format!("/v2/r/busy/blobs/{d}"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), data.as_slice());
    let blob_file = app.data_dir.path().join(format!(
        "blobs/default/blobs/sha256/{}/{}",
        &d[7..9],
        &d[7..]
    ));
    assert!(blob_file.is_file());
}
