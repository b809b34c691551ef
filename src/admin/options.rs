//! What the application chooses when it turns the Admin UI on: the reference's `instrument`
//! options (`namespaceName`, `auth`, `readonly`, `mode`, `serverId`).

/// Who may connect to the admin namespace.
#[derive(Clone, PartialEq, Eq)]
pub enum AdminAuth {
    /// Anyone who can reach the server (the reference's `auth: false`). Only for a server
    /// that listens where nobody else can connect, such as 127.0.0.1.
    None,
    /// The UI's login form: this username and password.
    ///
    /// The reference keeps a bcrypt hash of the password; bcrypt needs a library threadio
    /// does not take, so we keep the password itself and compare it in constant time.
    /// Keep it out of source control (read it from the environment, say).
    Basic { username: String, password: String },
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminAuth::None => f.write_str("None"),
            // Never print the password: options end up in logs.
            AdminAuth::Basic { username, .. } => write!(f, "Basic({username:?}, \"***\")"),
        }
    }
}

/// How much the UI is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminMode {
    /// Every socket, room change and event, as it happens (the reference's
    /// `"development"`): costly on a busy server, since each event becomes another emit.
    Development,
    /// Only `server_stats` (the reference's `"production"`).
    Production,
}

/// The options of [`instrument`](super::instrument); `AdminOptions::default()` is the
/// reference's defaults but for auth, which the reference makes you choose: here it is
/// [`AdminAuth::None`], so say it out loud only where the server is private.
#[derive(Debug, Clone)]
pub struct AdminOptions {
    /// The namespace the UI connects to: `/admin`.
    pub namespace: String,
    pub auth: AdminAuth,
    /// The UI may look but not act: `emit`, `join`, `leave` and `_disconnect` are neither
    /// offered (in `config`) nor obeyed.
    pub readonly: bool,
    pub mode: AdminMode,
    /// This node's name in the UI; `None` is the host name, as in the reference.
    pub server_id: Option<String>,
}

impl Default for AdminOptions {
    fn default() -> AdminOptions {
        AdminOptions {
            namespace: "/admin".into(),
            auth: AdminAuth::None,
            readonly: false,
            mode: AdminMode::Development,
            server_id: None,
        }
    }
}
