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
    /// (`Access-Control-Allow-Credentials: true`). Only with a list of `origins`: see
    /// [`CorsError::CredentialsForAnyOrigin`].
    pub credentials: bool,
}

/// A CORS configuration the server refuses to start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorsError {
    /// `credentials` with an empty `origins` list. Browsers refuse `*` together with
    /// credentials (Fetch standard, "CORS check"), so the only way to honour both would be
    /// to echo every request's own origin — which lets every page on the web make
    /// requests with the user's cookies and read the answers: no CORS at all.
    CredentialsForAnyOrigin,
}

impl std::fmt::Display for CorsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorsError::CredentialsForAnyOrigin => write!(
                f,
                "Cors {{ origins: [], credentials: true }} would let any web page use your \
                 users' cookies: list the allowed origins (e.g. \"https://app.example\"), \
                 or turn credentials off to allow any origin without them"
            ),
        }
    }
}

impl std::error::Error for CorsError {}

impl Cors {
    /// Any origin, no credentials: `Access-Control-Allow-Origin: *`.
    pub fn any() -> Cors {
        Cors {
            origins: Vec::new(),
            credentials: false,
        }
    }

    /// Whether the server may start with this configuration.
    ///
    /// # Errors
    /// [`CorsError::CredentialsForAnyOrigin`] for credentials without a list of origins.
    pub fn check(&self) -> Result<(), CorsError> {
        if self.credentials && self.origins.is_empty() {
            return Err(CorsError::CredentialsForAnyOrigin);
        }
        Ok(())
    }

    /// The value of `Access-Control-Allow-Origin` for this request, if it may have one.
    fn allowed_origin(&self, request: &Request) -> Option<String> {
        if self.origins.is_empty() {
            return Some("*".to_string());
        }
        let origin = request.header("Origin")?;
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
        // Never with `*` (which `check` refuses at startup): browsers would refuse it too.
        if self.credentials && !self.origins.is_empty() {
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
