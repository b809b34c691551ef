//! `redis://[user:password@]host[:port][/db]`: where a Redis server is and how to log in.
//!
//! The scheme is registered with IANA (<https://www.iana.org/assignments/uri-schemes/prov/redis>)
//! and follows RFC 3986's generic syntax: the userinfo before `@` is percent-encoded (a
//! password may hold `@` or `:` only as `%40`, `%3A`), an IPv6 host stands in brackets, the
//! port defaults to Redis's 6379, and the path, if any, is the database index for `SELECT`.
//! `redis://:password@host` (no user) is the `requirepass` login, `AUTH password`; with a
//! user it is Redis 6's ACL login, `AUTH user password`.

use std::fmt;

use crate::http::url::percent_decode;

/// Redis's registered port, used when the URL names none.
pub const DEFAULT_PORT: u16 = 6379;

/// A parsed `redis://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// A host name or an IP address (an IPv6 one without its brackets).
    pub host: String,
    pub port: u16,
    /// The ACL user, percent-decoded; `None` for the default user.
    pub username: Option<Vec<u8>>,
    /// The password, percent-decoded; `None` to send no `AUTH`. Bytes, since Redis compares
    /// bytes and a password need not be UTF-8.
    pub password: Option<Vec<u8>>,
    /// The database for `SELECT`; 0 is Redis's default and sends no `SELECT`.
    pub db: u32,
}

// Written by hand so that a password never lands in a log line through `{:?}`.
impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "username",
                &self.username.as_deref().map(String::from_utf8_lossy),
            )
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("db", &self.db)
            .finish()
    }
}

/// Why a string is not a `redis://` URL we can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisUrlError {
    /// It does not start with `redis://` (`rediss://`, TLS, is not supported: std has no TLS).
    NotRedisScheme,
    /// Nothing between `//` (or `@`) and the port or path.
    MissingHost,
    /// `[` without its `]`.
    UnclosedBracket,
    /// The port is not a number from 1 to 65535.
    BadPort(String),
    /// The path is not `/` and a database number.
    BadDb(String),
    /// A `%` escape in the user or password is broken (RFC 3986 §2.1).
    BadEscape,
    /// Query strings and fragments (`?…`, `#…`) carry options we do not implement; refusing
    /// them beats silently ignoring, say, a timeout the operator thinks is in force.
    UnsupportedOptions,
}

impl fmt::Display for RedisUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisUrlError::NotRedisScheme => write!(f, "the URL must start with redis://"),
            RedisUrlError::MissingHost => write!(f, "the URL names no host"),
            RedisUrlError::UnclosedBracket => write!(f, "an IPv6 host's '[' has no ']'"),
            RedisUrlError::BadPort(port) => write!(f, "{port:?} is not a port (1-65535)"),
            RedisUrlError::BadDb(path) => write!(f, "path {path:?} is not /<database number>"),
            RedisUrlError::BadEscape => {
                write!(
                    f,
                    "a '%' escape in the user or password is not '%' and two hex digits"
                )
            }
            RedisUrlError::UnsupportedOptions => {
                write!(
                    f,
                    "query strings and fragments are not supported in redis:// URLs"
                )
            }
        }
    }
}

impl std::error::Error for RedisUrlError {}

impl RedisUrl {
    /// Parses `redis://[user:password@]host[:port][/db]`.
    ///
    /// # Errors
    /// A [`RedisUrlError`] naming the part that is wrong.
    pub fn parse(url: &str) -> Result<RedisUrl, RedisUrlError> {
        let rest = url
            .strip_prefix("redis://")
            .ok_or(RedisUrlError::NotRedisScheme)?;
        if rest.contains(['?', '#']) {
            return Err(RedisUrlError::UnsupportedOptions);
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        // The last '@' ends the userinfo: a host cannot contain one, an unescaped password can.
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let (username, password) = parse_userinfo(userinfo)?;
        let (host, port) = parse_host_port(host_port)?;
        Ok(RedisUrl {
            host,
            port,
            username,
            password,
            db: parse_db(path)?,
        })
    }

    /// `host:port` as `ToSocketAddrs` takes it (brackets back around an IPv6 address).
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

type Credentials = (Option<Vec<u8>>, Option<Vec<u8>>);

/// `user:password`, `:password` or `user` (a user alone sends no AUTH: Redis needs both).
fn parse_userinfo(userinfo: Option<&str>) -> Result<Credentials, RedisUrlError> {
    let Some(userinfo) = userinfo else {
        return Ok((None, None));
    };
    let decode = |s: &str| percent_decode(s).map_err(|_| RedisUrlError::BadEscape);
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let user = (!user.is_empty()).then(|| decode(user)).transpose()?;
    let password = password.map(decode).transpose()?;
    Ok((user, password))
}

fn parse_host_port(host_port: &str) -> Result<(String, u16), RedisUrlError> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or(RedisUrlError::UnclosedBracket)?;
        let port = match after {
            "" => None,
            after => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| RedisUrlError::BadPort(after.to_string()))?,
            ),
        };
        (host, port)
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(RedisUrlError::MissingHost);
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port
            .parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| RedisUrlError::BadPort(port.to_string()))?,
    };
    Ok((host.to_string(), port))
}

fn parse_db(path: &str) -> Result<u32, RedisUrlError> {
    if path.is_empty() {
        return Ok(0);
    }
    if !path.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RedisUrlError::BadDb(format!("/{path}")));
    }
    path.parse()
        .map_err(|_| RedisUrlError::BadDb(format!("/{path}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> RedisUrl {
        RedisUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn host_alone_gets_the_defaults() {
        let url = parse("redis://localhost");
        assert_eq!(
            (url.host.as_str(), url.port, url.db),
            ("localhost", 6379, 0)
        );
        assert_eq!((url.username, url.password), (None, None));
        assert_eq!(parse("redis://h/").db, 0);
    }

    #[test]
    fn every_part() {
        let url = parse("redis://alice:s%40cr%3At@10.0.0.5:7000/3");
        assert_eq!(url.host, "10.0.0.5");
        assert_eq!(url.port, 7000);
        assert_eq!(url.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(url.password.as_deref(), Some(&b"s@cr:t"[..]));
        assert_eq!(url.db, 3);
        assert_eq!(url.address(), "10.0.0.5:7000");
    }

    #[test]
    fn password_without_user_and_unescaped_at() {
        let url = parse("redis://:p@ss@host:1");
        assert_eq!(url.username, None);
        assert_eq!(url.password.as_deref(), Some(&b"p@ss"[..]));
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        let url = parse("redis://[::1]:6380/2");
        assert_eq!((url.host.as_str(), url.port, url.db), ("::1", 6380, 2));
        assert_eq!(url.address(), "[::1]:6380");
        assert_eq!(parse("redis://[::1]").port, 6379);
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", parse("redis://:hunter2@h"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let err = |url: &str| RedisUrl::parse(url).unwrap_err();
        assert_eq!(err("http://h"), RedisUrlError::NotRedisScheme);
        assert_eq!(err("rediss://h"), RedisUrlError::NotRedisScheme);
        assert_eq!(err("redis://"), RedisUrlError::MissingHost);
        assert_eq!(err("redis://:pw@:6379"), RedisUrlError::MissingHost);
        assert_eq!(err("redis://[::1"), RedisUrlError::UnclosedBracket);
        assert_eq!(err("redis://h:0"), RedisUrlError::BadPort("0".into()));
        assert_eq!(
            err("redis://h:99999"),
            RedisUrlError::BadPort("99999".into())
        );
        assert_eq!(err("redis://h:"), RedisUrlError::BadPort("".into()));
        assert_eq!(err("redis://h/x"), RedisUrlError::BadDb("/x".into()));
        assert_eq!(err("redis://h/-1"), RedisUrlError::BadDb("/-1".into()));
        assert_eq!(err("redis://:%zz@h"), RedisUrlError::BadEscape);
        assert_eq!(
            err("redis://h?timeout=1"),
            RedisUrlError::UnsupportedOptions
        );
    }
}
