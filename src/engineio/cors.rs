//! Cross-origin resource sharing for the polling transport (the Fetch standard's CORS
//! protocol; Socket.IO v4 "Handling CORS").
//!
//! A page from `http://app.example` that polls `http://api.example/socket.io/` makes
//! cross-origin requests: the browser sends them, but lets the page read the answers only if
//! they carry `Access-Control-Allow-Origin` naming its origin (or `*`). A `POST` with a
//! text body may also be preceded by an `OPTIONS` *preflight* asking permission. WebSocket
//! is not subject to CORS — its handshake checks `Origin` instead (`OriginPolicy`).
//!
//! Off by default, as in Socket.IO v4: without it, cross-origin pages cannot poll.

use crate::http::{Request, Response, Status};

/// Which origins may use the server from a browser, and whether with credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins, e.g. `["http://localhost:3000"]`; empty means any origin.
    pub origins: Vec<String>,
    /// Whether the browser may send cookies and read the answer with them
    /// (`Access-Control-Allow-Credentials: true`). With credentials, `*` is not allowed by
    /// browsers, so the request's own origin is echoed instead.
    pub credentials: bool,
}

impl Cors {
    /// Any origin, no credentials: `Access-Control-Allow-Origin: *`.
    pub fn any() -> Cors {
        Cors {
            origins: Vec::new(),
            credentials: false,
        }
    }

    /// The value of `Access-Control-Allow-Origin` for this request, if it may have one.
    fn allowed_origin(&self, request: &Request) -> Option<String> {
        let origin = request.header("Origin");
        if self.origins.is_empty() {
            return match (self.credentials, origin) {
                (true, Some(origin)) => Some(origin.to_string()),
                _ => Some("*".to_string()),
            };
        }
        let origin = origin?;
        self.origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
            .then(|| origin.to_string())
    }

    /// Adds the CORS fields to a response for `request`.
    pub fn apply(&self, request: &Request, response: Response) -> Response {
        let Some(origin) = self.allowed_origin(request) else {
            return response;
        };
        let mut response = response
            .with_header("Access-Control-Allow-Origin", origin)
            .with_header("Vary", "Origin");
        if self.credentials {
            response = response.with_header("Access-Control-Allow-Credentials", "true");
        }
        response
    }

    /// The answer to an `OPTIONS` preflight: 204, the methods polling uses, and the request
    /// headers the page asked for.
    pub fn preflight(&self, request: &Request) -> Response {
        let mut response = Response::new(Status::NO_CONTENT)
            .with_header("Access-Control-Allow-Methods", "GET, POST");
        if let Some(asked) = request.header("Access-Control-Request-Headers") {
            response = response.with_header("Access-Control-Allow-Headers", asked);
        }
        self.apply(request, response)
    }
}
