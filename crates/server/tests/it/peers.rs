//! Real clients against the registry: Debian's `skopeo` copies a multi-arch OCI index in and
//! out (path-routed), and it comes back byte-identical.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp, sha256_hex};
use serde_json::json;
use std::path::Path;
use std::process::Command;

both_backends!(skopeo_copies_a_multi_arch_index_byte_identical);

/// Writes `data` as a blob of the OCI layout at `root`; returns (digest, size).
fn put_blob(root: &Path, data: &[u8]) -> (String, usize) {
    let hex = sha256_hex(data);
    std::fs::write(root.join("blobs/sha256").join(&hex), data).unwrap();
    (format!("sha256:{hex}"), data.len())
}

/// An OCI image layout with an index of two single-layer images, tagged `multi`.
fn write_layout(root: &Path) {
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let (layer, layer_len) = put_blob(
            root,
            format!("layer bytes for {arch}\n").repeat(500).as_bytes(),
        );
        let config = json!({"architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer]}, "config": {}});
        let (config, config_len) = put_blob(root, &serde_json::to_vec(&config).unwrap());
        let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_len},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_len}]});
        let (digest, size) = put_blob(root, &serde_json::to_vec_pretty(&manifest).unwrap());
        manifests.push(
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": size, "platform": {"architecture": arch, "os": "linux"}}),
        );
    }
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    let (digest, size) = put_blob(root, &serde_json::to_vec(&index).unwrap());
    let top = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": digest, "size": size, "annotations": {"org.opencontainers.image.ref.name": "multi"}}]});
    std::fs::write(root.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
}

fn skopeo(args: &[&str]) -> std::process::Output {
    Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo runs (scripts/test.sh installs it)")
}

fn blobs(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(root.join("blobs/sha256"))
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn skopeo_copies_a_multi_arch_index_byte_identical(app: TestApp) {
    let body = json!({"name": "dh", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "ALLOW"},
        "docker": {"v1Enabled": false, "forceBasicAuth": true}});
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await
            .status(),
        201
    );
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let back = dir.path().join("back");
    write_layout(&src);
    let host = app.address.trim_start_matches("http://").to_owned();
    let creds = format!("admin:{ADMIN_PASSWORD}");
    let remote = format!("docker://{host}/dh/multi:v1");

    let out = tokio::task::spawn_blocking({
        let (src, remote, creds) = (src.clone(), remote.clone(), creds.clone());
        move || {
            skopeo(&[
                "copy",
                "--all",
                "--preserve-digests",
                "--dest-tls-verify=false",
                "--dest-creds",
                &creds,
                &format!("oci:{}:multi", src.display()),
                &remote,
            ])
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "push: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = tokio::task::spawn_blocking({
        let (back, remote, creds) = (back.clone(), remote.clone(), creds.clone());
        move || {
            skopeo(&[
                "copy",
                "--all",
                "--preserve-digests",
                "--src-tls-verify=false",
                "--src-creds",
                &creds,
                &remote,
                &format!("oci:{}:v1", back.display()),
            ])
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "pull: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (sent, got) = (blobs(&src), blobs(&back));
    assert_eq!(sent.len(), 7, "index, 2 manifests, 2 configs, 2 layers");
    assert_eq!(
        sent, got,
        "every blob and manifest comes back byte-identical"
    );

    let out = tokio::task::spawn_blocking({
        let (remote, creds) = (remote.clone(), creds.clone());
        move || {
            skopeo(&[
                "list-tags",
                "--tls-verify=false",
                "--creds",
                &creds,
                remote.trim_end_matches(":v1"),
            ])
        }
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let tags: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tags["Tags"], json!(["v1"]));

    let out = tokio::task::spawn_blocking(move || {
        skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            "admin:wrong-password",
            &remote,
        ])
    })
    .await
    .unwrap();
    assert!(!out.status.success(), "wrong credentials are refused");
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        err.contains("unauthorized") || err.contains("authentication"),
        "{err}"
    );
}
