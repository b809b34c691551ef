//! The opening handshake: an HTTP request that turns its connection into a WebSocket
//! (RFC 6455 §4).
//!
//! The client sends a GET with `Upgrade: websocket` and a random `Sec-WebSocket-Key`
//! (§4.1); the server checks it and answers `101 Switching Protocols` with
//! `Sec-WebSocket-Accept`, a hash of that key (§4.2.2). The hash proves that the server read
//! this very request as a WebSocket handshake, so that no cache or plain HTTP server can be
//! fooled into "accepting" one (§1.3). After the 101, the bytes on the connection are frames
//! (`frame.rs`).
//!
//! The router calls [`is_upgrade_request`] and `http/connection.rs` calls [`accept`] and writes what `accept` returns;
//! the client role builds [`client_request`] and checks the answer with [`check_response`].
//! Nothing here does I/O.
//!
//! We negotiate no extension and no subprotocol: we answer neither `Sec-WebSocket-Extensions`
//! nor `Sec-WebSocket-Protocol`, which per §4.2.2 means none is in use. Extensions would give
//! meaning to the RSV bits that `frame.rs` insists are 0 (§5.2), and permessage-deflate
//! (RFC 7692) is out of scope; Engine.IO needs no subprotocol.

use crate::entropy::random_bytes;
use crate::http::request::{Method, Request, Version};
use crate::http::response::{Response, ResponseHead, Status};
use crate::metrics::Refusal;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt;

/// §1.3: the GUID a server appends to the client's key before hashing. Being a fixed
/// string no other protocol uses, it makes the answer meaningful only to WebSocket peers.
pub const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// §4.1: the only protocol version this RFC defines; clients send it, we accept no other.
pub const VERSION: &str = "13";

/// §4.1: the key is base64 of a 16-byte random value.
const KEY_BYTES: usize = 16;

/// `Sec-WebSocket-Accept` for `client_key`: base64 of the SHA-1 of the key, as sent, followed
/// by [`ACCEPT_GUID`] (§4.2.2 step 5, part 4).
pub fn accept_key(client_key: &str) -> String {
    let mut sha1 = sha1_smol::Sha1::new();
    sha1.update(client_key.as_bytes());
    sha1.update(ACCEPT_GUID.as_bytes());
    STANDARD.encode(sha1.digest().bytes())
}

/// Which web pages may open a WebSocket to us (§10.2).
///
/// Browsers send `Origin` with every handshake and let any page connect anywhere, so a
/// server that trusts cookies must check it, or a hostile page could act as the user. A
/// handshake *without* `Origin` is allowed under any policy: non-browser clients send none,
/// and such a client can write any `Origin` it likes anyway, so refusing it protects nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OriginPolicy {
    /// Every origin may connect.
    #[default]
    Any,
    /// Only these origins, written in full: `"http://localhost:3000"` (scheme, host and any
    /// port, as browsers send them, RFC 6454 §6.2), compared ASCII case-insensitively.
    AllowList(Vec<String>),
}

impl OriginPolicy {
    /// Whether a handshake carrying `origin` may connect.
    fn allows(&self, origin: &str) -> bool {
        match self {
            OriginPolicy::Any => true,
            OriginPolicy::AllowList(allowed) => {
                allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
            }
        }
    }
}

/// Why a handshake failed: each variant names the rule of RFC 6455 that was broken.
/// The first seven are the server refusing a request; the rest are the client refusing a
/// response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// §4.1: the handshake must be a GET.
    NotGet,
    /// §4.1: the handshake must be HTTP/1.1 or higher; HTTP/1.0 has no `Upgrade`.
    NotHttp11,
    /// §4.2.1 item 3: no `Upgrade` field holding `websocket`.
    MissingUpgrade,
    /// §4.2.1 item 4: no `Connection` field holding `Upgrade`.
    MissingConnectionUpgrade,
    /// §4.2.1 item 6: `Sec-WebSocket-Version` is missing or not 13.
    UnsupportedVersion,
    /// §4.2.1 item 5: no `Sec-WebSocket-Key`.
    MissingKey,
    /// §4.2.1 item 5, §11.3.1: the key is not base64 of 16 bytes, or is sent twice.
    InvalidKey,
    /// §10.2: the `Origin` is not on our allow-list.
    ForbiddenOrigin(String),
    /// Client side, §4.1: the server answered something other than 101.
    UnexpectedStatus(u16),
    /// Client side, §4.1: the 101 lacks `Upgrade: websocket` or `Connection: Upgrade`.
    MissingUpgradeInResponse,
    /// Client side, §4.1: `Sec-WebSocket-Accept` is not the hash of our key.
    WrongAccept,
    /// Client side, §4.1: the server chose an extension or subprotocol we did not offer;
    /// the text names the field.
    Unrequested(&'static str),
}

impl HandshakeError {
    /// The response refusing the handshake; this is the one place its status is chosen, and
    /// where the refusal is counted for `/metrics` (`threadio_refused_total`).
    ///
    /// 400 for a malformed request (§4.2.1: "the server MUST … return an appropriate HTTP
    /// error code (such as 400 Bad Request)"); 426 Upgrade Required with
    /// `Sec-WebSocket-Version: 13` for a version we do not speak (§4.2.2, §4.4), plus the
    /// `Upgrade` field every 426 MUST carry (RFC 9110 §15.5.22); 403 for a forbidden origin
    /// (§4.2.2 step 4 suggests it). The client-side variants never reach a server's socket;
    /// they give 400 only so that the match has no wildcard arm.
    pub fn response(&self) -> Response {
        let refusal = match self {
            HandshakeError::ForbiddenOrigin(_) => Refusal::WebSocketOrigin,
            _ => Refusal::WebSocketHandshake,
        };
        refusal.count();
        match self {
            HandshakeError::NotGet
            | HandshakeError::NotHttp11
            | HandshakeError::MissingUpgrade
            | HandshakeError::MissingConnectionUpgrade
            | HandshakeError::MissingKey
            | HandshakeError::InvalidKey
            | HandshakeError::UnexpectedStatus(_)
            | HandshakeError::MissingUpgradeInResponse
            | HandshakeError::WrongAccept
            | HandshakeError::Unrequested(_) => Response::error(Status::BAD_REQUEST),
            HandshakeError::UnsupportedVersion => Response::error(Status::UPGRADE_REQUIRED)
                .with_header("Sec-WebSocket-Version", VERSION)
                .with_header("Upgrade", "websocket")
                .with_header("Connection", "Upgrade"),
            HandshakeError::ForbiddenOrigin(_) => Response::error(Status::FORBIDDEN),
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::NotGet => {
                write!(f, "WebSocket handshake is not a GET (RFC 6455 §4.1)")
            }
            HandshakeError::NotHttp11 => {
                write!(f, "WebSocket handshake over HTTP/1.0 (RFC 6455 §4.1)")
            }
            HandshakeError::MissingUpgrade => {
                write!(
                    f,
                    "no 'Upgrade: websocket' in the handshake (RFC 6455 §4.2.1)"
                )
            }
            HandshakeError::MissingConnectionUpgrade => {
                write!(
                    f,
                    "no 'Connection: Upgrade' in the handshake (RFC 6455 §4.2.1)"
                )
            }
            HandshakeError::UnsupportedVersion => {
                write!(f, "Sec-WebSocket-Version missing or not 13 (RFC 6455 §4.4)")
            }
            HandshakeError::MissingKey => {
                write!(f, "no Sec-WebSocket-Key in the handshake (RFC 6455 §4.2.1)")
            }
            HandshakeError::InvalidKey => write!(
                f,
                "Sec-WebSocket-Key is not one base64 value of 16 bytes (RFC 6455 §4.2.1)"
            ),
            HandshakeError::ForbiddenOrigin(origin) => {
                write!(
                    f,
                    "origin {origin:?} is not allowed to connect (RFC 6455 §10.2)"
                )
            }
            HandshakeError::UnexpectedStatus(code) => {
                write!(
                    f,
                    "server answered the handshake with {code}, not 101 (RFC 6455 §4.1)"
                )
            }
            HandshakeError::MissingUpgradeInResponse => write!(
                f,
                "101 without 'Upgrade: websocket' and 'Connection: Upgrade' (RFC 6455 §4.1)"
            ),
            HandshakeError::WrongAccept => {
                write!(
                    f,
                    "Sec-WebSocket-Accept does not match our key (RFC 6455 §4.1)"
                )
            }
            HandshakeError::Unrequested(field) => {
                write!(
                    f,
                    "server sent {field} though we offered none (RFC 6455 §4.1)"
                )
            }
        }
    }
}

impl std::error::Error for HandshakeError {}

/// Whether `req` asks to become a WebSocket (`Upgrade: websocket`, compared
/// case-insensitively): the server's cue to call [`accept`] rather than answer over HTTP.
pub fn is_upgrade_request(req: &Request) -> bool {
    req.headers.has_token("Upgrade", "websocket")
}

/// Checks a client's opening handshake (§4.2.1) and returns the `101 Switching Protocols`
/// that completes it (§4.2.2): write it, and the connection speaks WebSocket from then on.
///
/// We check the version before the key, so that a client speaking an older draft learns
/// from the 426 which version we do speak (§4.4), and the origin last: only a well-formed
/// handshake needs judging.
///
/// # Errors
/// The [`HandshakeError`] naming the first rule broken; its
/// [`response`](HandshakeError::response) is the answer to write before closing.
pub fn accept(req: &Request, origins: &OriginPolicy) -> Result<Response, HandshakeError> {
    if req.method != Method::Get {
        return Err(HandshakeError::NotGet);
    }
    if req.version != Version::Http11 {
        return Err(HandshakeError::NotHttp11);
    }
    if !is_upgrade_request(req) {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !req.headers.has_token("Connection", "Upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }
    let mut versions = req.headers.get_all("Sec-WebSocket-Version");
    if (versions.next(), versions.next()) != (Some(VERSION), None) {
        return Err(HandshakeError::UnsupportedVersion);
    }
    let key = client_key_of(req)?;
    for origin in req.headers.get_all("Origin") {
        if !origins.allows(origin) {
            return Err(HandshakeError::ForbiddenOrigin(origin.to_string()));
        }
    }
    Ok(Response::new(Status::SWITCHING_PROTOCOLS)
        .with_header("Upgrade", "websocket")
        .with_header("Connection", "Upgrade")
        .with_header("Sec-WebSocket-Accept", accept_key(key)))
}

/// The request's one `Sec-WebSocket-Key` (§11.3.1: it MUST NOT appear twice), if it is base64
/// of exactly 16 bytes.
fn client_key_of(req: &Request) -> Result<&str, HandshakeError> {
    let mut keys = req.headers.get_all("Sec-WebSocket-Key");
    let key = match (keys.next(), keys.next()) {
        (None, _) => return Err(HandshakeError::MissingKey),
        (Some(key), None) => key,
        (Some(_), Some(_)) => return Err(HandshakeError::InvalidKey),
    };
    match STANDARD.decode(key) {
        Ok(bytes) if bytes.len() == KEY_BYTES => Ok(key),
        _ => Err(HandshakeError::InvalidKey),
    }
}

/// A fresh `Sec-WebSocket-Key` for the client role: base64 of 16 random bytes, new for
/// every connection (§4.1).
pub fn client_key() -> String {
    STANDARD.encode(random_bytes::<KEY_BYTES>())
}

/// The client's opening handshake for `path` on `host` (`"localhost:3000"`), as bytes to
/// write (§4.1). No `Origin`: we are not a browser (§4.1 requires it only of browsers).
pub fn client_request(host: &str, path: &str, key: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {VERSION}\r\n\r\n"
    )
    .into_bytes()
}

/// Checks the server's answer to our handshake sent with `key` (§4.1, "the client MUST
/// validate the server's response").
///
/// # Errors
/// [`HandshakeError::UnexpectedStatus`] for anything but 101;
/// [`HandshakeError::MissingUpgradeInResponse`] without `Upgrade: websocket` or
/// `Connection: Upgrade`; [`HandshakeError::WrongAccept`] if the accept value is not the
/// hash of `key`; [`HandshakeError::Unrequested`] if the server picked an extension or a
/// subprotocol, since we offered neither.
pub fn check_response(head: &ResponseHead, key: &str) -> Result<(), HandshakeError> {
    if head.status != Status::SWITCHING_PROTOCOLS {
        return Err(HandshakeError::UnexpectedStatus(head.status.code()));
    }
    if !head.headers.has_token("Upgrade", "websocket")
        || !head.headers.has_token("Connection", "Upgrade")
    {
        return Err(HandshakeError::MissingUpgradeInResponse);
    }
    if head.headers.get("Sec-WebSocket-Accept") != Some(accept_key(key).as_str()) {
        return Err(HandshakeError::WrongAccept);
    }
    for field in ["Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol"] {
        if head.headers.contains(field) {
            return Err(HandshakeError::Unrequested(field));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::{decode_head, Limits};

    /// The sample key of RFC 6455 §1.3.
    const SAMPLE_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn handshake(extra: &str) -> Request {
        let bytes = format!(
            "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {SAMPLE_KEY}\r\n\
             Sec-WebSocket-Version: 13\r\n{extra}\r\n"
        );
        decode_head(bytes.as_bytes(), &Limits::default())
            .unwrap()
            .expect("complete")
            .0
    }

    /// `handshake("")` with the field `name` removed, then `name: value` added if given.
    fn replacing(name: &str, value: Option<&str>) -> Request {
        let mut req = handshake("");
        req.headers.remove(name);
        if let Some(value) = value {
            req.headers.append(name, value);
        }
        req
    }

    fn refused(req: &Request) -> HandshakeError {
        accept(req, &OriginPolicy::Any).expect_err("the handshake breaks a rule")
    }

    #[test]
    fn accept_key_matches_rfc6455_section_1_3() {
        assert_eq!(accept_key(SAMPLE_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn valid_handshake_gets_101_with_the_accept_hash() {
        let response = accept(&handshake(""), &OriginPolicy::Any).expect("valid");
        assert_eq!(response.status, Status::SWITCHING_PROTOCOLS);
        assert_eq!(response.headers.get("Upgrade"), Some("websocket"));
        assert_eq!(response.headers.get("Connection"), Some("Upgrade"));
        assert_eq!(
            response.headers.get("Sec-WebSocket-Accept"),
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        assert!(!response.headers.contains("Sec-WebSocket-Extensions"));
        assert!(!response.headers.contains("Sec-WebSocket-Protocol"));
    }

    #[test]
    fn accepted_101_writes_no_length_and_no_close() {
        let mut out = Vec::new();
        let response = accept(&handshake(""), &OriginPolicy::Any).expect("valid");
        response.write_to(&mut out, false, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(!text.contains("Content-Length") && !text.contains("close"));
    }

    #[test]
    fn connection_token_list_with_keep_alive_is_accepted() {
        let req = replacing("Connection", Some("keep-alive, Upgrade"));
        assert!(accept(&req, &OriginPolicy::Any).is_ok());
    }

    #[test]
    fn field_names_and_upgrade_token_are_case_insensitive() {
        let mut req = replacing("Upgrade", None);
        req.headers.append("upgrade", "WebSocket");
        req.headers.remove("Connection");
        req.headers.append("connection", "upgrade");
        assert!(is_upgrade_request(&req));
        assert!(accept(&req, &OriginPolicy::Any).is_ok());
    }

    #[test]
    fn plain_request_is_not_an_upgrade() {
        assert!(!is_upgrade_request(&replacing("Upgrade", None)));
        assert!(!is_upgrade_request(&replacing("Upgrade", Some("h2c"))));
    }

    #[test]
    fn malformed_handshakes_are_400_naming_the_rule() {
        let mut post = handshake("");
        post.method = Method::Post;
        let mut old = handshake("");
        old.version = Version::Http10;
        let cases = [
            (post, HandshakeError::NotGet),
            (old, HandshakeError::NotHttp11),
            (replacing("Upgrade", None), HandshakeError::MissingUpgrade),
            (
                replacing("Upgrade", Some("h2c")),
                HandshakeError::MissingUpgrade,
            ),
            (
                replacing("Connection", None),
                HandshakeError::MissingConnectionUpgrade,
            ),
            (
                replacing("Connection", Some("keep-alive")),
                HandshakeError::MissingConnectionUpgrade,
            ),
            (
                replacing("Sec-WebSocket-Key", None),
                HandshakeError::MissingKey,
            ),
        ];
        for (req, expected) in cases {
            let err = refused(&req);
            assert_eq!(err, expected);
            assert_eq!(err.response().status, Status::BAD_REQUEST, "{expected}");
        }
    }

    #[test]
    fn key_must_be_base64_of_exactly_16_bytes() {
        let fifteen = STANDARD.encode([0u8; 15]);
        let seventeen = STANDARD.encode([0u8; 17]);
        let unpadded = SAMPLE_KEY.trim_end_matches('=');
        for key in [
            fifteen.as_str(),
            seventeen.as_str(),
            unpadded,
            "not base64!!",
            "",
        ] {
            let err = refused(&replacing("Sec-WebSocket-Key", Some(key)));
            assert_eq!(err, HandshakeError::InvalidKey, "{key:?}");
            assert_eq!(err.response().status, Status::BAD_REQUEST);
        }
    }

    #[test]
    fn key_sent_twice_is_refused_per_section_11_3_1() {
        let req = handshake(&format!("Sec-WebSocket-Key: {SAMPLE_KEY}\r\n"));
        assert_eq!(refused(&req), HandshakeError::InvalidKey);
    }

    #[test]
    fn missing_or_other_version_is_426_naming_version_13_per_section_4_4() {
        for version in [None, Some("8"), Some("13, 8"), Some("")] {
            let err = refused(&replacing("Sec-WebSocket-Version", version));
            assert_eq!(err, HandshakeError::UnsupportedVersion, "{version:?}");
            let response = err.response();
            assert_eq!(response.status, Status::UPGRADE_REQUIRED);
            assert_eq!(response.headers.get("Sec-WebSocket-Version"), Some("13"));
            assert_eq!(response.headers.get("Upgrade"), Some("websocket"));
        }
    }

    #[test]
    fn allow_list_admits_listed_origins_case_insensitively() {
        let policy = OriginPolicy::AllowList(vec!["http://localhost:3000".into()]);
        assert!(accept(&handshake("Origin: http://localhost:3000\r\n"), &policy).is_ok());
        assert!(accept(&handshake("Origin: HTTP://LocalHost:3000\r\n"), &policy).is_ok());
    }

    #[test]
    fn unlisted_origin_is_403() {
        let policy = OriginPolicy::AllowList(vec!["http://localhost:3000".into()]);
        for origin in [
            "http://evil.example",
            "http://localhost:3001",
            "https://localhost:3000",
            "null",
        ] {
            let err = accept(&handshake(&format!("Origin: {origin}\r\n")), &policy).unwrap_err();
            assert_eq!(err, HandshakeError::ForbiddenOrigin(origin.to_string()));
            assert_eq!(err.response().status, Status::FORBIDDEN);
        }
    }

    #[test]
    fn handshake_without_origin_is_allowed_under_any_policy() {
        let policy = OriginPolicy::AllowList(vec!["http://localhost:3000".into()]);
        assert!(accept(&handshake(""), &policy).is_ok());
        assert!(accept(
            &handshake("Origin: http://anything\r\n"),
            &OriginPolicy::default()
        )
        .is_ok());
    }

    // client role, §4.1

    fn server_answer(status_line: &str, fields: &str) -> ResponseHead {
        let bytes = format!("{status_line}\r\n{fields}\r\n");
        ResponseHead::decode(bytes.as_bytes(), &Limits::default())
            .unwrap()
            .expect("complete")
            .0
    }

    const GOOD_FIELDS: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

    #[test]
    fn client_keys_are_fresh_base64_of_16_bytes() {
        let (a, b) = (client_key(), client_key());
        assert_ne!(a, b);
        assert_eq!(STANDARD.decode(&a).unwrap().len(), 16);
    }

    #[test]
    fn client_request_is_a_handshake_our_server_accepts() {
        let key = client_key();
        let bytes = client_request(
            "localhost:3000",
            "/socket.io/?EIO=4&transport=websocket",
            &key,
        );
        let (req, used) = decode_head(&bytes, &Limits::default())
            .unwrap()
            .expect("complete");
        assert_eq!(used, bytes.len());
        assert_eq!(req.path, "/socket.io/");
        let response = accept(&req, &OriginPolicy::Any).expect("valid handshake");
        assert_eq!(
            response.headers.get("Sec-WebSocket-Accept"),
            Some(accept_key(&key).as_str())
        );
    }

    #[test]
    fn client_accepts_the_rfc_answer_to_the_sample_key() {
        let head = server_answer("HTTP/1.1 101 Switching Protocols", GOOD_FIELDS);
        assert_eq!(check_response(&head, SAMPLE_KEY), Ok(()));
    }

    #[test]
    fn client_refuses_a_status_other_than_101() {
        let head = server_answer("HTTP/1.1 200 OK", GOOD_FIELDS);
        assert_eq!(
            check_response(&head, SAMPLE_KEY),
            Err(HandshakeError::UnexpectedStatus(200))
        );
    }

    #[test]
    fn client_refuses_101_without_upgrade_fields() {
        let accept_only = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        let no_connection = format!("Upgrade: websocket\r\n{accept_only}");
        for fields in [accept_only.to_string(), no_connection] {
            let head = server_answer("HTTP/1.1 101 Switching Protocols", &fields);
            assert_eq!(
                check_response(&head, SAMPLE_KEY),
                Err(HandshakeError::MissingUpgradeInResponse)
            );
        }
    }

    #[test]
    fn client_refuses_an_accept_for_another_key() {
        let head = server_answer("HTTP/1.1 101 Switching Protocols", GOOD_FIELDS);
        assert_eq!(
            check_response(&head, &client_key()),
            Err(HandshakeError::WrongAccept)
        );
    }

    #[test]
    fn client_refuses_an_extension_it_did_not_offer() {
        let fields = format!("{GOOD_FIELDS}Sec-WebSocket-Extensions: permessage-deflate\r\n");
        let head = server_answer("HTTP/1.1 101 Switching Protocols", &fields);
        assert_eq!(
            check_response(&head, SAMPLE_KEY),
            Err(HandshakeError::Unrequested("Sec-WebSocket-Extensions"))
        );
    }

    #[test]
    fn every_error_has_a_log_line_citing_its_section() {
        assert!(HandshakeError::InvalidKey.to_string().contains("§4.2.1"));
        assert!(HandshakeError::ForbiddenOrigin("http://evil".into())
            .to_string()
            .contains("http://evil"));
    }
}
