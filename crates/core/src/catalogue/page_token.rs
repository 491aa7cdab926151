//! The `continuationToken` of Nexus's paged lists, parsed before it reaches SQL.

use crate::CoreError;

/// A page token handed out by [`Catalogue::list_assets`](super::Catalogue::list_assets) or
/// [`Catalogue::list_components`](super::Catalogue::list_components): the id of the last item of
/// the previous page, which is always a catalogue id (32 lowercase hex digits, see
/// `new_id`). Anything else was never handed out; taken as it is, it would match no id and
/// answer an empty page, silently cutting a client's listing short, so it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken(String);

impl PageToken {
    /// Parses a token a client sent back, naming `continuationToken` in the error.
    pub fn parse(token: &str) -> Result<Self, CoreError> {
        let well_formed = token.len() == 32
            && token
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !well_formed {
            return Err(CoreError::invalid(
                "continuationToken",
                "is not a token this server handed out; pass back the continuationToken of the \
                 previous page, or none for the first page",
            ));
        }
        Ok(Self(token.to_owned()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_catalogue_ids_are_tokens() {
        let id = super::super::new_id();
        assert_eq!(PageToken::parse(&id).unwrap().as_str(), id);
        for bad in [
            "",
            "zzzz",
            "not-a-token",
            "%",
            "0123456789abcdef0123456789abcdeg",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcdef0",
        ] {
            assert!(PageToken::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
