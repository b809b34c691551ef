//! The errors an Engine.IO server answers to an HTTP request, each with the reference
//! server's code and message (Engine.IO v4; the `engine.io` server's `Server.errors`).
//!
//! They are `400 Bad Request` (403 for `Forbidden`) with a JSON body such as
//! `{"code":1,"message":"Session ID unknown"}`, which the client reports in its
//! `connect_error`. [`EngineError::response`] is the one place that writes them.

use crate::http::{Response, Status};
use crate::json::Value;
use crate::metrics::Refusal;

/// Why a request to the Engine.IO endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// 0: `transport=` is missing, unknown, or disabled.
    UnknownTransport,
    /// 1: `sid=` names no live session (or the wrong transport for it).
    UnknownSid,
    /// 2: a handshake (no `sid`) that is not a GET.
    BadHandshakeMethod,
    /// 3: anything else malformed.
    BadRequest,
    /// 4: refused by policy — `EngineConfig::allow_request` said no, with its reason as
    /// the message if it gave one (the reference's `allowRequest` callback does the same).
    Forbidden(Option<String>),
    /// 5: `EIO=` is missing or not 4.
    UnsupportedProtocolVersion,
    /// 4 with its own message: a handshake past `EngineConfig::max_sessions`. The reference
    /// has no such bound; a refusal by policy is its code 4 (what `allowRequest` answers),
    /// and `503 Service Unavailable` with `Retry-After` tells the client to come back.
    TooManySessions,
}

impl EngineError {
    /// The code in the JSON body.
    pub fn code(&self) -> u8 {
        match self {
            EngineError::UnknownTransport => 0,
            EngineError::UnknownSid => 1,
            EngineError::BadHandshakeMethod => 2,
            EngineError::BadRequest => 3,
            EngineError::Forbidden(_) | EngineError::TooManySessions => 4,
            EngineError::UnsupportedProtocolVersion => 5,
        }
    }

    /// The reference server's message for the code, or the one `allow_request` gave.
    pub fn message(&self) -> &str {
        match self {
            EngineError::UnknownTransport => "Transport unknown",
            EngineError::UnknownSid => "Session ID unknown",
            EngineError::BadHandshakeMethod => "Bad handshake method",
            EngineError::BadRequest => "Bad request",
            EngineError::Forbidden(reason) => reason.as_deref().unwrap_or("Forbidden"),
            EngineError::UnsupportedProtocolVersion => "Unsupported protocol version",
            EngineError::TooManySessions => "Too many sessions",
        }
    }

    /// The HTTP answer: 403 for `Forbidden`, 503 (and `Retry-After: 1`) for
    /// `TooManySessions`, 400 for the rest, and the JSON body. Each answer is counted for
    /// `/metrics` here, the one place they are written (`threadio_refused_total`).
    pub fn response(&self) -> Response {
        let (status, refusal) = match self {
            EngineError::Forbidden(_) => (Status::FORBIDDEN, Refusal::Forbidden),
            EngineError::TooManySessions => (Status::SERVICE_UNAVAILABLE, Refusal::SessionCap),
            EngineError::UnknownSid => (Status::BAD_REQUEST, Refusal::UnknownSession),
            _ => (Status::BAD_REQUEST, Refusal::EngineBadRequest),
        };
        refusal.count();
        let body = Value::object([
            ("code", Value::from(i64::from(self.code()))),
            ("message", Value::from(self.message())),
        ]);
        let response = Response::bytes(status, "application/json", body.to_json().into_bytes());
        match self {
            EngineError::TooManySessions => response.with_header("Retry-After", "1"),
            _ => response,
        }
    }
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Engine.IO error {}: {}", self.code(), self.message())
    }
}

impl std::error::Error for EngineError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_sid_is_400_with_the_reference_json() {
        let response = EngineError::UnknownSid.response();
        assert_eq!(response.status, Status::BAD_REQUEST);
        assert_eq!(
            &*response.body,
            br#"{"code":1,"message":"Session ID unknown"}"#
        );
    }
}
