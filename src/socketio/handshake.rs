//! What a socket knows of how its client arrived: `socket.handshake` in the Node server
//! (Socket.IO v4 docs, "The Socket instance › Socket#handshake").
//!
//! Every socket of a client shares the one HTTP request that opened its Engine.IO session
//! (the polling handshake's `GET`, or the WebSocket's upgrade request:
//! [`OpeningRequest`]), plus the `auth` payload its own CONNECT carried. Middlewares see it
//! before the socket connects, so authentication can use a cookie, an `Authorization`
//! header, a query parameter or the auth payload, whichever the application chose.
//!
//! Built when asked for, from the session's copy of the request: sockets that never ask
//! cost nothing more. Between the nodes of a cluster it travels as the JSON Node's
//! socket.io writes: [`Handshake::to_value`] and [`Handshake::from_value`], in
//! `handshake_json.rs`.

use std::net::SocketAddr;
use std::time::UNIX_EPOCH;

use crate::engineio::OpeningRequest;
use crate::http::{date::imf_fixdate, url, Headers};
use crate::json::Value;

/// How a client arrived: the opening request's details and the CONNECT's auth payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    /// The opening request's header fields (`Cookie`, `Authorization`, `User-Agent`, …).
    pub headers: Headers,
    /// Its query parameters, percent-decoded, in order (`EIO`, `transport` and `t` among
    /// them, as in the reference); see [`Handshake::query_param`].
    pub query: Vec<(String, String)>,
    /// The peer's address, as the TCP connection saw it (behind a proxy: the proxy's; read
    /// `X-Forwarded-For` from `headers` if you trust it). Port 0 in a handshake read from
    /// another node ([`Handshake::from_value`]) means the other node did not say.
    pub address: Option<SocketAddr>,
    /// When the request arrived, as an HTTP date (`Fri, 04 Dec 2026 15:33:00 GMT`; the
    /// reference gives JavaScript's `Date#toString`, which has no standard form).
    pub time: String,
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub issued: u64,
    /// The request-target, `/socket.io/?EIO=4&transport=polling&t=…`.
    pub url: String,
    /// Whether the connection was TLS: always `false`, since threadio serves plain TCP (TLS
    /// ends at a proxy in front of it).
    pub secure: bool,
    /// Whether the request came from a page on another origin: an `Origin` field that
    /// names another host than `Host` (the reference only asks whether `Origin` is there,
    /// which browsers also send for their own origin).
    pub xdomain: bool,
    /// The `auth` payload of this socket's CONNECT (`{}` if none).
    pub auth: Value,
}

impl Handshake {
    pub(crate) fn new(opening: &OpeningRequest, auth: Value) -> Handshake {
        let issued = opening
            .issued
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Handshake {
            query: url::query_pairs(&opening.query).collect(),
            address: opening.peer,
            time: imf_fixdate(opening.issued),
            issued,
            url: opening.url.clone(),
            secure: false,
            xdomain: is_cross_origin(&opening.headers),
            headers: opening.headers.clone(),
            auth,
        }
    }

    /// The first query parameter called `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first header field called `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }
}

/// Whether `Origin` (RFC 6454 §7: `scheme://host[:port]`) names another host and port
/// than `Host` does.
fn is_cross_origin(headers: &Headers) -> bool {
    let Some(origin) = headers.get("Origin") else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, authority)| authority);
    match headers.get("Host") {
        Some(host) => !origin_host.eq_ignore_ascii_case(host),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn opening(fields: &[(&str, &str)]) -> OpeningRequest {
        let mut headers = Headers::new();
        for (name, value) in fields {
            headers.append(*name, *value);
        }
        OpeningRequest {
            url: "/socket.io/?EIO=4&transport=polling&token=a%20b".to_string(),
            query: "EIO=4&transport=polling&token=a%20b".to_string(),
            headers,
            peer: Some("127.0.0.1:5000".parse().unwrap()),
            issued: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
        }
    }

    #[test]
    fn the_handshake_carries_the_opening_request_and_the_auth() {
        let auth = Value::object([("token", "t")]);
        let handshake = Handshake::new(&opening(&[("Cookie", "s=1")]), auth.clone());
        assert_eq!(handshake.query_param("token"), Some("a b"));
        assert_eq!(handshake.query_param("EIO"), Some("4"));
        assert_eq!(handshake.header("cookie"), Some("s=1"));
        assert_eq!(handshake.issued, 1_700_000_000_123);
        assert_eq!(handshake.time, "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(handshake.address.unwrap().port(), 5000);
        assert_eq!((handshake.secure, handshake.auth), (false, auth));
    }

    #[test]
    fn xdomain_means_an_origin_other_than_the_host() {
        let own = [
            ("Host", "127.0.0.1:3000"),
            ("Origin", "http://127.0.0.1:3000"),
        ];
        let other = [("Host", "127.0.0.1:3000"), ("Origin", "http://app.example")];
        let none = [("Host", "127.0.0.1:3000")];
        assert!(!Handshake::new(&opening(&own), Value::Null).xdomain);
        assert!(Handshake::new(&opening(&other), Value::Null).xdomain);
        assert!(!Handshake::new(&opening(&none), Value::Null).xdomain);
    }
}
