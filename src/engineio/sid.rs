//! Session ids: unguessable names for Engine.IO sessions and Socket.IO sockets.
//!
//! A session id is the only credential a long-polling request carries (Engine.IO v4
//! "Handshake": every later request names its session by `sid=`), so it must be
//! unguessable. Like the reference server's `base64id`, an id is 15 random bytes written in
//! URL-safe base64: 20 characters, 120 bits. The bytes come from `crate::entropy`
//! (`/dev/urandom`; std's `RandomState` only where that cannot be opened).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// A fresh, unguessable id: 20 URL-safe characters.
pub fn generate() -> String {
    URL_SAFE_NO_PAD.encode(crate::entropy::random_bytes::<15>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_20_url_safe_characters_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), 20);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }
}
