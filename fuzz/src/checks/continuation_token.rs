//! Nexus `continuationToken`s: accepted exactly when the token is one this server could have
//! handed out (a catalogue id: 32 lowercase hex digits), and then returned unchanged; anything
//! else is refused naming `continuationToken`, never taken as an empty page.

use stowage_core::CoreError;
use stowage_core::catalogue::PageToken;

/// Input: the query parameter's value, as the client sent it back.
pub fn check(data: &[u8]) {
    let Some(s) = super::text(data) else {
        return;
    };
    let handed_out = s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    match PageToken::parse(s) {
        Ok(t) => {
            assert!(handed_out, "{s:?} accepted");
            assert_eq!(t.as_str(), s, "a token comes back unchanged");
        }
        Err(e) => {
            assert!(!handed_out, "{s:?} refused: {e}");
            assert!(
                matches!(&e, CoreError::Invalid { field, .. } if field == "continuationToken"),
                "{s:?}: {e}"
            );
        }
    }
    // Any 16 bytes written as hex is a token this server could hand out.
    if data.len() >= 16 {
        let id: String = data[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(PageToken::parse(&id).expect("an id").as_str(), id);
    }
}
