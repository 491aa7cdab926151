//! Typed attributes read what the API has always accepted and refused.

use super::*;
use crate::model::WritePolicy;
use serde_json::json;

#[test]
fn given_tells_absent_null_valid_and_invalid_apart() {
    let r: RepositoryRequest = read(&json!({
        "name": "a", "online": null,
        "storage": {"blobStoreName": 5, "writePolicy": "allow_once"},
        "proxy": "not an object",
    }));
    assert_eq!(r.name, Given::Valid("a".into()));
    assert_eq!(r.online, Given::Null);
    assert_eq!(r.storage.blob_store_name, Given::Invalid(json!(5)));
    assert_eq!(r.storage.strict_content_type_validation, Given::Absent);
    assert_eq!(r.storage.write_policy(), WritePolicy::AllowOnce);
    assert!(r.storage.is_object && !r.proxy.is_object);
    assert!(r.proxy.remote_url.is_unset());
    assert_eq!(r.cleanup.as_given(), None);
    assert!(read::<RepositoryRequest>(&json!([1])).name.is_unset());
}

#[test]
fn common_fields_are_refused_with_their_field_and_message() {
    for (body, says) in [
        (json!({}), "name: is required"),
        (
            json!({"name": "a", "online": null}),
            "online: must be true or false",
        ),
        (json!({"name": "a"}), "storage.blobStoreName: is required"),
        (
            json!({"name": "a", "storage": {"blobStoreName": ""}}),
            "storage.blobStoreName: is required",
        ),
    ] {
        let e = read::<RepositoryRequest>(&body)
            .validate_common()
            .unwrap_err();
        assert_eq!(e.to_string(), says, "{body}");
    }
    let ok = read::<RepositoryRequest>(
        &json!({"name": "a", "online": false, "storage": {"blobStoreName": "s"}}),
    );
    let (name, online, store) = ok.validate_common().unwrap();
    assert_eq!((name.as_str(), online, store.as_str()), ("a", false, "s"));
}

#[test]
fn stored_blocks_read_with_defaults() {
    let stored = json!({
        "proxy": {"remoteUrl": "https://r", "contentMaxAge": -1, "metadataMaxAge": 5},
        "httpClient": {"blocked": true, "connection": {"retries": 3},
            "authentication": {"type": "username", "username": "u"}},
        "group": {"memberNames": ["a", 1, "b"], "writableMember": ""},
        "cleanup": {"policyNames": ["p"]},
    });
    let proxy = ProxyAttributes::of(&stored);
    assert_eq!(proxy.remote_url(), Some("https://r"));
    assert_eq!(proxy.content_max_age.duration(), None);
    assert_eq!(
        proxy.metadata_max_age.duration(),
        Some(Duration::from_secs(300))
    );
    let http = HttpClientAttributes::of(&stored);
    assert!(http.blocked() && http.auto_block());
    assert_eq!(http.connection.retries, Given::Valid(3));
    assert_eq!(
        http.authentication.upstream_auth(),
        Some(UpstreamAuth::Username {
            username: "u".into(),
            password: None
        })
    );
    let group = GroupAttributes::of(&stored);
    assert_eq!(group.member_names(), ["a", "b"]);
    assert_eq!(group.writable_member(), None);
    assert_eq!(CleanupAttributes::of(&stored).policy_names(), ["p"]);
    assert_eq!(
        StorageAttributes::of(&stored).write_policy(),
        WritePolicy::Allow
    );
    assert!(!StorageAttributes::of(&stored).latest_policy());
}
