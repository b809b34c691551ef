//! The builder: everything the client needs to know before it connects — the server's URL,
//! the Engine.IO path, the namespace and its auth, headers and query, the transports, the
//! timeouts, the reconnection schedule, and the handlers — then [`Dialer::connect`].
//!
//! The options and their defaults are the official client's (`io(url, opts)`): path
//! `/socket.io/`, transports polling then WebSocket, `timeout` 20 s, and reconnection
//! forever after 1 s, doubling to 5 s, ±50 %. The URL's path, if any, names the namespace,
//! as in `io("http://host:3000/admin")`.

use std::time::Duration;

use super::channel::Channel;
use super::error::{DialError, DisconnectCause};
use super::handlers::{HandlerThread, Handlers, Responder};
use super::manager::ManagerCore;
use super::reconnection::Reconnection;
use super::transport::{EngineTarget, Transports};
use crate::json::Value;

/// How to reach a Socket.IO server, and what to do there.
///
/// ```no_run
/// use std::time::Duration;
/// use threadio::client::Dialer;
/// use threadio::json::Value;
///
/// let chat = Dialer::new("http://127.0.0.1:3000")
///     .on("chat", |args, _ack| println!("{:?}", args))
///     .connect()?;
/// let reply = chat.emit_with_ack("join", vec!["ann".into(), "lobby".into()], Duration::from_secs(5))?;
/// println!("members: {}", reply[0]["members"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Dialer {
    url: String,
    path: String,
    namespace: Option<String>,
    auth: Option<Value>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    transports: Transports,
    timeout: Duration,
    max_message: usize,
    reconnection: Reconnection,
    handler_thread: HandlerThread,
    handlers: Handlers,
}

impl Dialer {
    /// A dialer for `url`: `http://host:port` (or `ws://`), optionally with a namespace as
    /// its path. Nothing happens until [`connect`](Dialer::connect).
    pub fn new(url: &str) -> Dialer {
        Dialer {
            url: url.to_owned(),
            path: "/socket.io/".into(),
            namespace: None,
            auth: None,
            headers: Vec::new(),
            query: Vec::new(),
            transports: Transports::PollingThenWebSocket,
            timeout: Duration::from_secs(20),
            max_message: 8 << 20,
            reconnection: Reconnection::default(),
            handler_thread: HandlerThread::default(),
            handlers: Handlers::default(),
        }
    }

    /// The Engine.IO path (`path`, default `/socket.io/`).
    pub fn path(mut self, path: &str) -> Dialer {
        self.path = path.to_owned();
        self
    }

    /// The namespace to join (default: the URL's path, else `/`).
    pub fn namespace(mut self, namespace: &str) -> Dialer {
        self.namespace = Some(namespace.to_owned());
        self
    }

    /// The auth payload of the CONNECT packet (`auth`), read by the server's middlewares.
    pub fn auth(mut self, auth: Value) -> Dialer {
        self.auth = Some(auth);
        self
    }

    /// A header sent with every HTTP request and the WebSocket handshake (`extraHeaders`).
    pub fn header(mut self, name: &str, value: &str) -> Dialer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A query parameter sent with every request (`query`).
    pub fn query(mut self, name: &str, value: &str) -> Dialer {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Which transports to use (`transports`).
    pub fn transports(mut self, transports: Transports) -> Dialer {
        self.transports = transports;
        self
    }

    /// How long connecting may take: TCP, each handshake, the CONNECT answer (`timeout`,
    /// 20 s). Also the limit on each POST.
    pub fn timeout(mut self, timeout: Duration) -> Dialer {
        self.timeout = timeout;
        self
    }

    /// The largest message (or polling body) accepted from the server; a larger one ends
    /// the session with an error (default 8 MiB; the official client has no limit).
    pub fn max_message(mut self, bytes: usize) -> Dialer {
        self.max_message = bytes;
        self
    }

    /// The reconnection schedule ([`Reconnection`]'s defaults are the official client's).
    pub fn reconnection(mut self, reconnection: Reconnection) -> Dialer {
        self.reconnection = reconnection;
        self
    }

    /// Which thread runs the handlers: the event thread (the default, where a handler may
    /// block) or the reader (one wake-up less per event; see [`HandlerThread`]).
    pub fn handler_thread(mut self, thread: HandlerThread) -> Dialer {
        self.handler_thread = thread;
        self
    }

    /// Registers an event handler before connecting (see [`Channel::on`]).
    pub fn on(
        mut self,
        event: &str,
        handler: impl Fn(Vec<Value>, Responder) + Send + Sync + 'static,
    ) -> Dialer {
        self.handlers.on(event, handler);
        self
    }

    /// See [`Channel::on_any`].
    pub fn on_any(mut self, handler: impl Fn(&str, &[Value]) + Send + Sync + 'static) -> Dialer {
        self.handlers.any.push(std::sync::Arc::new(handler));
        self
    }

    /// See [`Channel::on_connect`].
    pub fn on_connect(mut self, handler: impl Fn() + Send + Sync + 'static) -> Dialer {
        self.handlers.connect.push(std::sync::Arc::new(handler));
        self
    }

    /// See [`Channel::on_connect_error`].
    pub fn on_connect_error(mut self, handler: impl Fn(&Value) + Send + Sync + 'static) -> Dialer {
        self.handlers
            .connect_error
            .push(std::sync::Arc::new(handler));
        self
    }

    /// See [`Channel::on_disconnect`].
    pub fn on_disconnect(
        mut self,
        handler: impl Fn(&DisconnectCause) + Send + Sync + 'static,
    ) -> Dialer {
        self.handlers.disconnect.push(std::sync::Arc::new(handler));
        self
    }

    /// Opens the session, joins the namespace and waits for the server's answer. From then
    /// on the client reconnects by itself; [`Channel::disconnect`] or
    /// [`Manager::close`](super::Manager::close) end it.
    ///
    /// # Errors
    /// [`DialError::BadUrl`]; the first attempt's failure (connection refused, a bad
    /// handshake); [`DialError::Refused`] with the server's data; [`DialError::Timeout`].
    /// Nothing keeps running after an error.
    pub fn connect(self) -> Result<Channel, DialError> {
        let (authority, url_namespace) = split_url(&self.url)?;
        let namespace = self.namespace.unwrap_or(url_namespace);
        if !namespace.starts_with('/') || namespace.contains(',') {
            return Err(DialError::BadUrl(format!("namespace {namespace:?}")));
        }
        let target = EngineTarget {
            authority,
            path: self.path,
            query: self.query,
            headers: self.headers,
            transports: self.transports,
            connect_timeout: self.timeout,
            max_message: self.max_message,
        };
        let manager = ManagerCore::new(target, self.reconnection, self.handler_thread);
        let channel = Channel {
            core: ManagerCore::channel(&manager, &namespace, self.auth),
        };
        channel.core.add_handlers(self.handlers);
        // Wanted before the reader starts: it stops at once if no namespace is.
        channel.core.join();
        ManagerCore::start(&manager);
        match channel.wait_connected(self.timeout) {
            Ok(()) => Ok(channel),
            Err(e) => {
                manager.close();
                Err(e)
            }
        }
    }
}

/// `http://host:port/nsp` → (`host:port`, `/nsp`); `/` when there is no path. A missing
/// port is 80, the scheme's default (RFC 9110 §4.2.1).
fn split_url(url: &str) -> Result<(String, String), DialError> {
    let bad = || DialError::BadUrl(url.to_owned());
    let rest = ["http://", "ws://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .ok_or_else(bad)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains(['@', '?', '#', ' ']) {
        return Err(bad());
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let namespace = match path.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    };
    Ok((authority, namespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_the_authority_and_the_namespace() {
        let split = |url| split_url(url).map_err(|e| e.to_string());
        assert_eq!(
            split("http://127.0.0.1:3000"),
            Ok(("127.0.0.1:3000".into(), "/".into()))
        );
        assert_eq!(
            split("http://localhost/admin"),
            Ok(("localhost:80".into(), "/admin".into()))
        );
        assert_eq!(
            split("ws://h:1/chat/?x=1"),
            Ok(("h:1".into(), "/chat".into()))
        );
        assert!(split("https://h/").is_err());
        assert!(split("http:///x").is_err());
    }
}
