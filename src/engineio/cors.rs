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

use std::sync::Arc;
use std::time::Duration;

use super::hooks::Hook;
use crate::http::{Request, Response, Status};

/// Decides whether an origin not on the list may use the server (the `cors` package's
/// `origin` function, which Socket.IO's `cors` option passes through).
pub type OriginCheck = dyn Fn(&str) -> bool + Send + Sync;

/// Which origins may use the server from a browser, whether with credentials, and what a
/// preflight answers. `Cors::any()` or `Cors::allow([…])`, then the `with_…` methods.
#[derive(Debug, Clone)]
pub struct Cors {
    /// Allowed origins, e.g. `["http://localhost:3000"]`; empty (and no `origin_check`)
    /// means any origin.
    pub origins: Vec<String>,
    /// Asked about an origin that is not in `origins`; `true` allows it.
    pub origin_check: Option<Hook<OriginCheck>>,
    /// Whether the browser may send cookies and read the answer with them
    /// (`Access-Control-Allow-Credentials: true`). Only with `origins` or `origin_check`:
    /// see [`CorsError::CredentialsForAnyOrigin`].
    pub credentials: bool,
    /// The methods a preflight allows: `GET, POST`, the two that polling uses.
    pub methods: Vec<String>,
    /// The request header fields a preflight allows; `None` allows those the page asked
    /// for (`Access-Control-Request-Headers`), as the `cors` package does by default.
    pub allowed_headers: Option<Vec<String>>,
    /// How long the browser may cache a preflight's answer (`Access-Control-Max-Age`); `None`
    /// leaves it to the browser (5 s in Chromium).
    pub max_age: Option<Duration>,
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
            origin_check: None,
            credentials: false,
            methods: vec!["GET".to_string(), "POST".to_string()],
            allowed_headers: None,
            max_age: None,
        }
    }

    /// Only these origins (`"https://app.example"`: scheme, host and any port, as browsers
    /// send them), compared ASCII case-insensitively.
    pub fn allow<S: Into<String>>(origins: impl IntoIterator<Item = S>) -> Cors {
        Cors {
            origins: origins.into_iter().map(Into::into).collect(),
            ..Cors::any()
        }
    }

    /// Also allows each origin for which `check` says `true`: a rule rather than a list,
    /// such as every subdomain of a site.
    pub fn with_origin_check(
        mut self,
        check: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Cors {
        self.origin_check = Some(Hook::new(Arc::new(check)));
        self
    }

    /// With credentials (cookies): see [`Cors::credentials`].
    pub fn with_credentials(mut self) -> Cors {
        self.credentials = true;
        self
    }

    /// The methods a preflight allows.
    pub fn with_methods<S: Into<String>>(mut self, methods: impl IntoIterator<Item = S>) -> Cors {
        self.methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// The request header fields a preflight allows.
    pub fn with_allowed_headers<S: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = S>,
    ) -> Cors {
        self.allowed_headers = Some(headers.into_iter().map(Into::into).collect());
        self
    }

    /// How long a browser may cache a preflight's answer.
    pub fn with_max_age(mut self, max_age: Duration) -> Cors {
        self.max_age = Some(max_age);
        self
    }

    /// Whether any origin is allowed: no list and no check.
    fn allows_any(&self) -> bool {
        self.origins.is_empty() && self.origin_check.is_none()
    }

    /// Whether the server may start with this configuration.
    ///
    /// # Errors
    /// [`CorsError::CredentialsForAnyOrigin`] for credentials without a list of origins
    /// or a check.
    pub fn check(&self) -> Result<(), CorsError> {
        if self.credentials && self.allows_any() {
            return Err(CorsError::CredentialsForAnyOrigin);
        }
        Ok(())
    }

    /// The value of `Access-Control-Allow-Origin` for this request, if it may have one.
    fn allowed_origin(&self, request: &Request) -> Option<String> {
        if self.allows_any() {
            return Some("*".to_string());
        }
        let origin = request.header("Origin")?;
        let listed = self
            .origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin));
        let checked = || {
            self.origin_check
                .as_ref()
                .is_some_and(|check| check(origin))
        };
        (listed || checked()).then(|| origin.to_string())
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
        if self.credentials && !self.allows_any() {
            response = response.with_header("Access-Control-Allow-Credentials", "true");
        }
        response
    }

    /// The answer to an `OPTIONS` preflight: 204, the allowed methods and request headers,
    /// and how long the browser may cache this answer.
    pub fn preflight(&self, request: &Request) -> Response {
        let mut response = Response::new(Status::NO_CONTENT)
            .with_header("Access-Control-Allow-Methods", self.methods.join(", "));
        let headers = match &self.allowed_headers {
            Some(list) => Some(list.join(", ")),
            None => request
                .header("Access-Control-Request-Headers")
                .map(str::to_string),
        };
        if let Some(headers) = headers {
            response = response.with_header("Access-Control-Allow-Headers", headers);
        }
        if let Some(max_age) = self.max_age {
            response =
                response.with_header("Access-Control-Max-Age", max_age.as_secs().to_string());
        }
        self.apply(request, response)
    }
}
