//! Which handler answers a request: `(method, path)` → handler, as in Express
//! (`app.get("/", handler)`).
//!
//! `http/connection.rs` decodes a request and asks [`Router::find`]; the answer is a [`Route`] to run.
//! A path is either exact (`/`) or a prefix written with a trailing `/*` (`/socket.io/*`
//! matches `/socket.io/` and everything under it). Paths compare as sent, still
//! percent-encoded. Routes are tried in the order they were added, after which static files
//! are the fallback for GET and HEAD.
//!
//! Three rules of RFC 9110 shape the answers: HEAD is answered like GET without the body
//! (§9.3.2), so a GET route serves both; a path that exists without the requested method is
//! 405 and MUST say which methods it has in `Allow` (§15.5.6); and a WebSocket handshake is a
//! GET (RFC 6455 §4.1), so a WebSocket route answers GET.

use super::request::{Method, Request};
use super::response::Response;
use super::static_files::StaticFiles;
use crate::websocket::handshake::is_upgrade_request;
use crate::websocket::WebSocket;
use std::sync::Arc;

/// Answers one HTTP request.
pub type HttpHandler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// Decides, from the upgrade request and before the `101` is sent, whether to accept a
/// WebSocket and what to run on it. Engine.IO needs this: a bad `EIO=` or `sid=` must be
/// refused with its own JSON error, which is impossible once the handshake is answered.
pub type WebSocketHandler = Arc<dyn Fn(&Request) -> Upgrade + Send + Sync>;

/// What a WebSocket route answers to an upgrade request.
pub enum Upgrade {
    /// Accept: after the handshake, run this on the connection's own thread, for the life of
    /// the WebSocket.
    Accept(Box<dyn FnOnce(WebSocket) + Send>),
    /// Refuse with this response; no handshake happens.
    Refuse(Response),
}

/// What the server should do with a request.
pub enum Route<'a> {
    /// Call this handler; for HEAD, write its response without the body.
    Http(&'a HttpHandler),
    /// Check the handshake (`websocket::handshake::accept`), then run this handler.
    WebSocket(&'a WebSocketHandler),
    /// A static file, or the 400/404 refusing a hostile path.
    Static(Response),
    /// No route and no file: 404.
    NotFound,
    /// The path exists but not with this method: 405 with this `Allow` value (`"GET, HEAD"`).
    MethodNotAllowed { allow: String },
}

/// The routes of an application, and its static files.
///
/// ```
/// use threadio::http::{Method, Request, Response, Route, Router, Status};
///
/// let mut app = Router::new();
/// app.get("/hello", |_request| Response::text(Status::OK, "hello"));
/// app.post("/echo", |request| {
///     Response::bytes(Status::OK, "text/plain", request.body.clone())
/// });
///
/// // What the server does with each request it reads: find its route, run it.
/// let request = Request::new(Method::Get, "/hello");
/// let Route::Http(handler) = app.find(&request) else { panic!("no route") };
/// assert_eq!(&*handler(&request).body, b"hello");
/// assert!(matches!(
///     app.find(&Request::new(Method::Put, "/echo")),
///     Route::MethodNotAllowed { .. } // 405, with `Allow: POST`
/// ));
/// ```
#[derive(Default, Clone)]
pub struct Router {
    routes: Vec<Entry>,
    static_files: Option<StaticFiles>,
    shutdown_hooks: Vec<ShutdownHook>,
}

/// Runs when the server shuts down, before connections are closed.
pub type ShutdownHook = Arc<dyn Fn() + Send + Sync>;

/// One added route.
#[derive(Clone)]
struct Entry {
    pattern: Pattern,
    target: Target,
}

#[derive(Clone)]
enum Pattern {
    /// Matches this path only.
    Exact(String),
    /// Matches every path starting with this, which ends in `/` (from `"/socket.io/*"`).
    Prefix(String),
}

#[derive(Clone)]
enum Target {
    Http(Methods, HttpHandler),
    WebSocket(WebSocketHandler),
}

/// Which methods an HTTP route answers.
#[derive(Clone)]
enum Methods {
    /// This one (and HEAD, if it is GET).
    Only(Method),
    /// Every method: the handler decides, as Engine.IO must, whose refusal of a PUT is its
    /// own JSON error rather than a 405 ([`Router::any`]).
    Any,
}

impl Pattern {
    /// `"/a/*"` is a prefix, anything else exact.
    ///
    /// # Panics
    /// If `path` does not start with `/`: every request path does, so such a route could
    /// never match, and that is a mistake in the program, not in a request.
    fn parse(path: &str) -> Pattern {
        assert!(
            path.starts_with('/'),
            "route path {path:?} must start with '/'"
        );
        match path.strip_suffix('*') {
            Some(prefix) if prefix.ends_with('/') => Pattern::Prefix(prefix.to_string()),
            _ => Pattern::Exact(path.to_string()),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Pattern::Exact(exact) => path == exact,
            Pattern::Prefix(prefix) => path.starts_with(prefix.as_str()),
        }
    }
}

impl Target {
    /// Whether this target answers `method`: HEAD is served by GET (RFC 9110 §9.3.2), and a
    /// WebSocket handshake is always a GET (RFC 6455 §4.1).
    fn accepts(&self, method: &Method) -> bool {
        match self {
            Target::Http(Methods::Any, _) => true,
            Target::Http(Methods::Only(own), _) => {
                own == method || (*own == Method::Get && *method == Method::Head)
            }
            Target::WebSocket(_) => *method == Method::Get,
        }
    }
}

impl Router {
    /// A router with no routes and no static files: every request is 404.
    pub fn new() -> Router {
        Router::default()
    }

    /// Answers GET (and so HEAD) requests for `path` with `handler`.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    pub fn get(
        &mut self,
        path: &str,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> &mut Router {
        self.route(Method::Get, path, handler)
    }

    /// Answers POST requests for `path` with `handler`.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    pub fn post(
        &mut self,
        path: &str,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> &mut Router {
        self.route(Method::Post, path, handler)
    }

    /// Answers `method` requests for `path` with `handler`.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    pub fn route(
        &mut self,
        method: Method,
        path: &str,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> &mut Router {
        self.add(path, Target::Http(Methods::Only(method), Arc::new(handler)))
    }

    /// Answers requests for `path` with `handler`, whatever their method: the handler
    /// decides what an unexpected method gets, so no 405 comes from the router for it.
    /// Routes added before it on the same path still go first.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    pub fn any(
        &mut self,
        path: &str,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> &mut Router {
        self.add(path, Target::Http(Methods::Any, Arc::new(handler)))
    }

    /// A path that upgrades to WebSocket; the handler runs on the connection's own thread
    /// once the handshake is done.
    ///
    /// A WebSocket route may share its path with HTTP routes, as Engine.IO's `/socket.io/`
    /// does for polling: requests carrying `Upgrade: websocket` go to the WebSocket route,
    /// others to the HTTP routes first.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    pub fn websocket(
        &mut self,
        path: &str,
        handler: impl Fn(WebSocket) + Send + Sync + 'static,
    ) -> &mut Router {
        let handler = Arc::new(handler);
        self.upgrade(path, move |_request| {
            let handler = Arc::clone(&handler);
            Upgrade::Accept(Box::new(move |websocket| handler(websocket)))
        })
    }

    /// A WebSocket route that looks at the upgrade request first and may refuse it with a
    /// response of its own ([`Upgrade::Refuse`]) before any handshake is answered. The
    /// RFC 6455 handshake checks run after it, on requests it accepts.
    ///
    /// # Panics
    /// If `path` does not start with `/`.
    pub fn upgrade(
        &mut self,
        path: &str,
        decide: impl Fn(&Request) -> Upgrade + Send + Sync + 'static,
    ) -> &mut Router {
        self.add(path, Target::WebSocket(Arc::new(decide)))
    }

    fn add(&mut self, path: &str, target: Target) -> &mut Router {
        self.routes.push(Entry {
            pattern: Pattern::parse(path),
            target,
        });
        self
    }

    /// Runs `hook` when the server shuts down, before it closes the connections: a layer
    /// that holds requests open (Engine.IO's held polls) ends them here, saying why.
    pub fn on_shutdown(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Router {
        self.shutdown_hooks.push(Arc::new(hook));
        self
    }

    /// The hooks added with [`Router::on_shutdown`], in order.
    pub fn shutdown_hooks(&self) -> &[ShutdownHook] {
        &self.shutdown_hooks
    }

    /// Fallback for GET and HEAD requests that no route's path matches. Replaces any
    /// earlier static files.
    pub fn static_files(&mut self, files: StaticFiles) -> &mut Router {
        self.static_files = Some(files);
        self
    }

    /// What to do with `req`.
    ///
    /// In order: a WebSocket route for an upgrade request; the first HTTP route whose path
    /// and method match; a WebSocket route for a GET without `Upgrade` (its handshake check
    /// will refuse it, saying why); 405 if some route has the path; then static files; 404.
    pub fn find(&self, req: &Request) -> Route<'_> {
        let on_path = || self.routes.iter().filter(|e| e.pattern.matches(&req.path));
        let websocket = on_path().find_map(|e| match &e.target {
            Target::WebSocket(handler) if e.target.accepts(&req.method) => Some(handler),
            _ => None,
        });
        let http = on_path().find_map(|e| match &e.target {
            Target::Http(_, handler) if e.target.accepts(&req.method) => Some(handler),
            _ => None,
        });
        match (websocket, http) {
            (Some(handler), _) if is_upgrade_request(req) => return Route::WebSocket(handler),
            (_, Some(handler)) => return Route::Http(handler),
            (Some(handler), None) => return Route::WebSocket(handler),
            (None, None) => {}
        }
        if on_path().next().is_some() {
            // §15.5.6: a 405 MUST list the methods the path does have.
            return Route::MethodNotAllowed {
                allow: self.allow(&req.path),
            };
        }
        match self
            .static_files
            .as_ref()
            .and_then(|files| files.serve(req))
        {
            Some(response) => Route::Static(response),
            None => Route::NotFound,
        }
    }

    /// The `Allow` value for `path`: its methods in the order added, HEAD after GET.
    fn allow(&self, path: &str) -> String {
        let mut methods: Vec<&str> = Vec::new();
        for entry in self.routes.iter().filter(|e| e.pattern.matches(path)) {
            let (method, implied) = match &entry.target {
                Target::Http(Methods::Only(Method::Get), _) => ("GET", Some("HEAD")),
                Target::Http(Methods::Only(method), _) => (method.as_str(), None),
                // Never reached: a route for every method leaves no method unanswered.
                Target::Http(Methods::Any, _) => continue,
                Target::WebSocket(_) => ("GET", None), // a handshake is never HEAD
            };
            for m in std::iter::once(method).chain(implied) {
                if !methods.contains(&m) {
                    methods.push(m);
                }
            }
        }
        methods.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::response::Status;
    use crate::http::static_files::Asset;

    fn text(body: &'static str) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
        move |_| Response::text(Status::OK, body)
    }

    fn request(method: Method, target: &str) -> Request {
        Request::new(method, target)
    }

    fn upgrade(target: &str) -> Request {
        let mut req = Request::new(Method::Get, target);
        req.headers.append("Upgrade", "websocket");
        req.headers.append("Connection", "Upgrade");
        req
    }

    /// The body the matched HTTP handler answers with, or a word for other routes.
    fn answer(router: &Router, req: &Request) -> String {
        match router.find(req) {
            Route::Http(handler) => String::from_utf8_lossy(&handler(req).body).into_owned(),
            Route::WebSocket(_) => "websocket".into(),
            Route::Static(response) => format!("static {}", response.status.code()),
            Route::NotFound => "404".into(),
            Route::MethodNotAllowed { allow } => format!("405 {allow}"),
        }
    }

    fn app() -> Router {
        let mut router = Router::new();
        router
            .get("/", text("home"))
            .post("/messages", text("posted"))
            .route(Method::Delete, "/messages", text("deleted"))
            .get("/socket.io/*", text("polling GET"))
            .post("/socket.io/*", text("polling POST"))
            .websocket("/socket.io/*", |_| {})
            .websocket("/ws", |_| {});
        router
    }

    #[test]
    fn a_route_for_any_method_answers_every_method_and_leaves_none_for_405() {
        let mut router = Router::new();
        router
            .get("/eio/", text("GET first"))
            .any("/eio/", text("any"));
        assert_eq!(answer(&router, &request(Method::Get, "/eio/")), "GET first");
        for method in [Method::Put, Method::Delete, Method::Options, Method::Post] {
            assert_eq!(answer(&router, &request(method, "/eio/")), "any");
        }
        assert_eq!(answer(&router, &request(Method::Put, "/other")), "404");
    }

    #[test]
    fn exact_paths_match_their_method() {
        let router = app();
        assert_eq!(answer(&router, &request(Method::Get, "/")), "home");
        assert_eq!(
            answer(&router, &request(Method::Post, "/messages")),
            "posted"
        );
        assert_eq!(
            answer(&router, &request(Method::Delete, "/messages")),
            "deleted"
        );
    }

    #[test]
    fn query_does_not_take_part_in_matching() {
        assert_eq!(answer(&app(), &request(Method::Get, "/?x=1")), "home");
    }

    #[test]
    fn head_is_answered_by_the_get_route_per_rfc9110_section_9_3_2() {
        assert_eq!(answer(&app(), &request(Method::Head, "/")), "home");
    }

    #[test]
    fn unknown_path_is_404() {
        assert_eq!(answer(&app(), &request(Method::Get, "/nowhere")), "404");
        assert_eq!(answer(&app(), &request(Method::Post, "/nowhere")), "404");
    }

    #[test]
    fn known_path_with_other_method_is_405_with_allow_per_rfc9110_section_15_5_6() {
        let router = app();
        assert_eq!(
            answer(&router, &request(Method::Get, "/messages")),
            "405 POST, DELETE"
        );
        assert_eq!(answer(&router, &request(Method::Put, "/")), "405 GET, HEAD");
        assert_eq!(answer(&router, &request(Method::Post, "/ws")), "405 GET");
        assert_eq!(answer(&router, &request(Method::Head, "/ws")), "405 GET");
        let put = request(Method::Put, "/socket.io/?EIO=4");
        assert_eq!(answer(&router, &put), "405 GET, HEAD, POST");
    }

    #[test]
    fn prefix_pattern_matches_the_prefix_and_below_only() {
        let router = app();
        assert_eq!(
            answer(&router, &request(Method::Get, "/socket.io/?EIO=4")),
            "polling GET"
        );
        assert_eq!(
            answer(&router, &request(Method::Post, "/socket.io/x/y")),
            "polling POST"
        );
        assert_eq!(answer(&router, &request(Method::Get, "/socket.io")), "404");
        assert_eq!(
            answer(&router, &request(Method::Get, "/socket.iox/")),
            "404"
        );
    }

    #[test]
    fn upgrade_requests_prefer_the_websocket_route_on_a_shared_path() {
        let router = app();
        assert_eq!(
            answer(&router, &upgrade("/socket.io/?EIO=4&transport=websocket")),
            "websocket"
        );
        assert_eq!(answer(&router, &upgrade("/ws")), "websocket");
    }

    #[test]
    fn plain_get_to_a_websocket_only_path_reaches_the_handshake_check() {
        assert_eq!(answer(&app(), &request(Method::Get, "/ws")), "websocket");
    }

    #[test]
    fn upgrade_request_to_an_http_only_path_is_plain_http() {
        assert_eq!(answer(&app(), &upgrade("/")), "home");
    }

    #[test]
    fn first_added_route_wins() {
        let mut router = Router::new();
        router
            .get("/a/*", text("prefix"))
            .get("/a/b", text("exact"));
        assert_eq!(answer(&router, &request(Method::Get, "/a/b")), "prefix");
    }

    static ASSETS: &[Asset] = &[Asset {
        path: "/index.html",
        body: b"<h1>hi</h1>",
    }];

    #[test]
    fn static_files_answer_get_and_head_that_no_route_matches() {
        let mut router = Router::new();
        router
            .static_files(StaticFiles::embedded(ASSETS))
            .get("/api", text("api"));
        assert_eq!(answer(&router, &request(Method::Get, "/")), "static 200");
        assert_eq!(
            answer(&router, &request(Method::Head, "/index.html")),
            "static 200"
        );
        assert_eq!(
            answer(&router, &request(Method::Get, "/../x")),
            "static 400"
        );
        assert_eq!(answer(&router, &request(Method::Get, "/missing")), "404");
        assert_eq!(
            answer(&router, &request(Method::Post, "/index.html")),
            "404"
        );
        assert_eq!(answer(&router, &request(Method::Get, "/api")), "api");
    }

    #[test]
    fn a_route_owns_its_path_before_static_files() {
        let mut router = Router::new();
        router
            .static_files(StaticFiles::embedded(ASSETS))
            .post("/index.html", text("posted"));
        assert_eq!(
            answer(&router, &request(Method::Get, "/index.html")),
            "405 POST"
        );
    }

    #[test]
    #[should_panic(expected = "must start with '/'")]
    fn route_path_without_leading_slash_is_a_programming_error() {
        Router::new().get("index.html", text("never"));
    }

    #[test]
    fn router_clones_share_handlers() {
        let router = app();
        let copy = router.clone();
        assert_eq!(answer(&copy, &request(Method::Get, "/")), "home");
    }
}
