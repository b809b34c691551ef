//! The admin namespace's gate: the UI's login (`auth: {username, password}` in its CONNECT)
//! and the session id it is given, with which it reconnects without asking again
//! (`auth: {sessionId}`; the reference's `session` event and its in-memory store).
//!
//! A wrong login is refused with the reference's message, `invalid credentials`, which the
//! UI shows on its login form.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::options::AdminAuth;
use crate::json::Value;
use crate::socketio::{ConnectError, Socket};

/// How many session ids we keep: the oldest goes first. A UI that lost its id logs in again.
const KEPT_SESSIONS: usize = 1_024;

/// The configured login and the session ids given out.
pub(crate) struct Gate {
    auth: AdminAuth,
    sessions: Mutex<VecDeque<String>>,
}

/// How a socket got in.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// No auth configured.
    Open,
    /// With a session id given out earlier.
    Session,
    /// With username and password: it gets a new session id.
    Login,
}

impl Gate {
    pub(crate) fn new(auth: AdminAuth) -> Gate {
        Gate {
            auth,
            sessions: Mutex::new(VecDeque::new()),
        }
    }

    /// Decides on a CONNECT's auth payload.
    ///
    /// # Errors
    /// `invalid credentials`, for a wrong or missing login and an unknown session id.
    pub(crate) fn admit(&self, auth: &Value) -> Result<Admission, ConnectError> {
        let AdminAuth::Basic { username, password } = &self.auth else {
            return Ok(Admission::Open);
        };
        if let Some(id) = auth.get("sessionId").and_then(Value::as_str) {
            if self.lock().iter().any(|kept| same_secret(kept, id)) {
                return Ok(Admission::Session);
            }
        }
        let given = |key: &str| auth.get(key).and_then(Value::as_str).unwrap_or("");
        // Both compared, always: the time taken says nothing of which one was wrong.
        let user_ok = same_secret(given("username"), username);
        let password_ok = same_secret(given("password"), password);
        if user_ok & password_ok {
            Ok(Admission::Login)
        } else {
            Err(ConnectError::new("invalid credentials"))
        }
    }

    /// A fresh session id for a socket that logged in; the UI keeps it for reconnecting.
    pub(crate) fn open_session(&self) -> String {
        let id = crate::engineio::sid::generate();
        let mut sessions = self.lock();
        if sessions.len() == KEPT_SESSIONS {
            sessions.pop_front();
        }
        sessions.push_back(id.clone());
        id
    }

    /// Installs the gate as the namespace's middleware and, on a login, sends the
    /// `session` event once the socket is connected.
    pub(crate) fn guard(gate: std::sync::Arc<Gate>, namespace: &crate::socketio::Namespace) {
        let checker = std::sync::Arc::clone(&gate);
        namespace.use_middleware(move |socket: &Socket| checker.admit(socket.auth()).map(|_| ()));
        namespace.on_connection(move |socket| {
            if matches!(gate.admit(socket.auth()), Ok(Admission::Login)) {
                socket.emit("session", (gate.open_session(),));
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<String>> {
        self.sessions.lock().expect("admin session lock poisoned")
    }
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths only, never on
/// where they first differ: a login answered faster for a closer guess would leak the
/// password a byte at a time.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut differ = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        differ |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    differ == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic() -> Gate {
        Gate::new(AdminAuth::Basic {
            username: "admin".into(),
            password: "s3cret".into(),
        })
    }

    fn login(user: &str, password: &str) -> Value {
        Value::object([("username", user), ("password", password)])
    }

    #[test]
    fn same_secret_needs_every_byte_and_the_length() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3cre"));
        assert!(!same_secret("s3cret", "s3cret\0"));
        assert!(!same_secret("S3cret", "s3cret"));
        assert!(same_secret("", ""));
    }

    #[test]
    fn a_right_login_gets_in_and_its_session_id_then_suffices() {
        let gate = basic();
        assert_eq!(
            gate.admit(&login("admin", "s3cret")).ok(),
            Some(Admission::Login)
        );
        let id = gate.open_session();
        let by_session = Value::object([("sessionId", id.as_str())]);
        assert_eq!(gate.admit(&by_session).ok(), Some(Admission::Session));
    }

    #[test]
    fn a_wrong_password_user_or_session_is_invalid_credentials() {
        let gate = basic();
        for auth in [
            login("admin", "wrong"),
            login("root", "s3cret"),
            Value::object([("sessionId", "made-up")]),
            Value::Null,
        ] {
            let refusal = gate.admit(&auth).unwrap_err();
            assert_eq!(refusal.message, "invalid credentials", "{auth:?}");
        }
    }

    #[test]
    fn no_auth_admits_anyone() {
        let gate = Gate::new(AdminAuth::None);
        assert_eq!(gate.admit(&Value::Null).ok(), Some(Admission::Open));
    }
}
