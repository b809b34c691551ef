//! The head of a request: the request line and the header fields (RFC 9112 §2–§5).
//!
//! A head is lines, each ended by CRLF, up to an empty line. [`decode_head`] walks them in
//! order: the request line `GET /path HTTP/1.1` (§3), then `name: value` field lines (§5),
//! checking the limits in [`Limits`] before anything else so that a head that never ends is
//! refused once it is too long, not buffered forever.

use super::{Limits, Method, Request, RequestError, Version};
use crate::http::headers::Headers;

/// Decodes the request line and header fields from the front of `buf`.
///
/// Returns the request (with an empty body and no peer) and the length of its head, the
/// blank line included; the body, if any, starts there. `Ok(None)` means `buf` holds only
/// part of a head: read more and call again with everything read so far.
///
/// # Errors
/// Each [`RequestError`] variant documents its rule. Limits are checked before syntax and
/// on incomplete input as well, so that a client cannot make us buffer without end.
pub fn decode_head(buf: &[u8], limits: &Limits) -> Result<Option<(Request, usize)>, RequestError> {
    let Some((line, pos)) = request_line(buf, limits)? else {
        return Ok(None);
    };
    let (method, target, version) = parse_request_line(line)?;
    let (path, query) = split_target(&method, &target)?;
    let Some((headers, head_len)) = decode_fields(buf, pos, limits)? else {
        return Ok(None);
    };
    check_host(&headers, version)?;
    let request = Request {
        method,
        target,
        path,
        query,
        version,
        headers,
        body: Vec::new(),
        peer: None,
        probe: None,
    };
    Ok(Some((request, head_len)))
}

/// Finds the request line, skipping empty lines before it (RFC 9112 §2.2: a server SHOULD
/// ignore at least one, which some clients send after a previous request's body).
/// Returns the line and the offset just past its end.
fn request_line<'a>(
    buf: &'a [u8],
    limits: &Limits,
) -> Result<Option<(&'a [u8], usize)>, RequestError> {
    let mut pos = 0;
    loop {
        let Some((line, next)) = next_line(buf, pos) else {
            // The line ending is not here yet: could it still come within the limits?
            if buf.len() - pos >= limits.max_request_line {
                return Err(RequestError::UriTooLong);
            }
            return partial_head(buf, limits);
        };
        if next > limits.max_header_bytes {
            // The skipped empty lines count as head bytes, so endless CRLFs are refused too.
            return Err(RequestError::HeadersTooLarge);
        }
        if !line.is_empty() {
            if next - pos > limits.max_request_line {
                return Err(RequestError::UriTooLong);
            }
            return Ok(Some((line, next)));
        }
        pos = next;
    }
}

/// The answer for a head not complete yet: wait, unless it already exceeds the limit.
fn partial_head<T>(buf: &[u8], limits: &Limits) -> Result<Option<T>, RequestError> {
    // If the head ends later, it is longer than everything we hold now.
    if buf.len() >= limits.max_header_bytes {
        return Err(RequestError::HeadersTooLarge);
    }
    Ok(None)
}

/// The line starting at `from`, without its line ending, and the offset after that ending.
/// `None` when no LF follows yet. RFC 9112 §2.2 lets us accept a bare LF as a line ending,
/// so a line ends at LF and loses one CR before it; any other CR stays in the line, where
/// the character checks refuse it (§2.2: a bare CR is invalid).
pub(crate) fn next_line(buf: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(from..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let line = &rest[..lf];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, from + lf + 1))
}

/// RFC 9112 §3: `method SP request-target SP HTTP-version`, single spaces, nothing else.
fn parse_request_line(line: &[u8]) -> Result<(Method, String, Version), RequestError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RequestError::Malformed(
            "request line is not method SP target SP version (RFC 9112 §3)",
        ));
    };
    if !is_token(method) {
        return Err(RequestError::Malformed(
            "method is not a token (RFC 9110 §9.1)",
        ));
    }
    let version = parse_version(version)?;
    // RFC 3986 §2: a URI is visible ASCII; anything else (controls, UTF-8) must be escaped.
    if target.is_empty() || !target.iter().all(|b| b.is_ascii_graphic()) {
        return Err(RequestError::Malformed(
            "request-target has a byte that is not visible ASCII (RFC 3986 §2)",
        ));
    }
    // Both checks above limit the bytes to ASCII, so the conversions cannot fail.
    let method = Method::from_token(&String::from_utf8_lossy(method));
    let target = String::from_utf8_lossy(target).into_owned();
    Ok((method, target, version))
}

/// RFC 9112 §2.3: `HTTP-version = "HTTP/" DIGIT "." DIGIT`, case-sensitive. A well-formed
/// version we do not speak is 505; anything else is not HTTP at all, so 400.
pub(crate) fn parse_version(version: &[u8]) -> Result<Version, RequestError> {
    match version {
        b"HTTP/1.1" => Ok(Version::Http11),
        b"HTTP/1.0" => Ok(Version::Http10),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Err(RequestError::UnsupportedVersion)
        }
        _ => Err(RequestError::Malformed(
            "version is not HTTP/DIGIT.DIGIT (RFC 9112 §2.3)",
        )),
    }
}

/// Splits the request-target (RFC 9112 §3.2) into path and query.
///
/// We accept origin-form (`/path?query`), asterisk-form (`*`, OPTIONS only) and absolute-form
/// (`http://host/path`, which §3.2.2 says a server MUST accept; we keep its path and query).
/// authority-form belongs to CONNECT, for proxies, which we are not.
fn split_target(method: &Method, target: &str) -> Result<(String, String), RequestError> {
    if target.contains('#') {
        return Err(RequestError::Malformed(
            "request-target carries a fragment, which never goes on the wire (RFC 9112 §3.2)",
        ));
    }
    let origin_form = if target.starts_with('/') {
        target
    } else if target == "*" && *method == Method::Options {
        return Ok(("*".to_string(), String::new()));
    } else if let Some(path) = absolute_form_path(target) {
        path
    } else {
        return Err(RequestError::Malformed(
            "request-target is not origin-form, absolute-form or OPTIONS * (RFC 9112 §3.2)",
        ));
    };
    let (path, query) = origin_form.split_once('?').unwrap_or((origin_form, ""));
    let path = if path.is_empty() { "/" } else { path };
    Ok((path.to_string(), query.to_string()))
}

/// The path-and-query of an `http://` or `https://` target: `http://h/x?y` gives `/x?y`,
/// `http://h?y` gives `?y`. `None` if it is not one, or has no authority.
fn absolute_form_path(target: &str) -> Option<&str> {
    let scheme_end = target.find("://")?;
    let scheme = &target[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let rest = &target[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if authority_end == 0 {
        return None;
    }
    Some(&rest[authority_end..])
}

/// Decodes field lines from `pos` through the blank line that ends the head (RFC 9112 §5).
/// Returns the fields and the offset after the blank line; `Ok(None)` if it has not arrived.
/// Shared with `response.rs`, whose head ends the same way.
pub(crate) fn decode_fields(
    buf: &[u8],
    mut pos: usize,
    limits: &Limits,
) -> Result<Option<(Headers, usize)>, RequestError> {
    let (lines, bytes) = field_lines_ahead(buf, pos, limits);
    let mut headers = Headers::with_capacity(lines, bytes);
    loop {
        let Some((line, next)) = next_line(buf, pos) else {
            return partial_head(buf, limits);
        };
        if next > limits.max_header_bytes {
            return Err(RequestError::HeadersTooLarge);
        }
        if line.is_empty() {
            return Ok(Some((headers, next)));
        }
        let (name, value) = parse_field_line(line)?;
        headers.append(name, value);
        if headers.len() > limits.max_headers {
            return Err(RequestError::HeadersTooLarge);
        }
        pos = next;
    }
}

/// How many field lines lie ahead of `pos` and how many bytes they take, up to the blank line
/// (or what has arrived of the head), so that `Headers` is allocated once at its size. Both
/// are capped by the limits, which `decode_fields` enforces on its way.
fn field_lines_ahead(buf: &[u8], pos: usize, limits: &Limits) -> (usize, usize) {
    let ahead = &buf[pos.min(buf.len())..];
    let ahead = &ahead[..ahead.len().min(limits.max_header_bytes)];
    let (mut lines, mut bytes) = (0, 0);
    for line in ahead.split(|&b| b == b'\n') {
        if line.is_empty() || line == b"\r" || lines > limits.max_headers {
            break;
        }
        (lines, bytes) = (lines + 1, bytes + line.len());
    }
    (lines, bytes)
}

/// RFC 9112 §5.1: `field-name ":" OWS field-value OWS`.
fn parse_field_line(line: &[u8]) -> Result<(&str, &str), RequestError> {
    if matches!(line.first(), Some(b' ' | b'\t')) {
        // §5.2: obs-fold continued a value on the next line; a server MUST either reject it
        // or unfold it. Unfolding means agreeing with every proxy on the result: we reject.
        return Err(RequestError::Malformed(
            "line folding (obs-fold) is obsolete (RFC 9112 §5.2)",
        ));
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(RequestError::Malformed(
            "header field line without a colon (RFC 9112 §5.1)",
        ));
    };
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.last().is_some_and(|&b| b == b' ' || b == b'\t') {
        // §5.1: whitespace here once let `Content-Length :` mean two different things to two
        // parsers; the RFC says a server MUST answer 400.
        return Err(RequestError::Malformed(
            "whitespace between field name and colon (RFC 9112 §5.1)",
        ));
    }
    if !is_token(name) {
        return Err(RequestError::Malformed(
            "field name is not a token (RFC 9110 §5.1)",
        ));
    }
    let value = trim_ows(value);
    // RFC 9110 §5.5: a value is visible characters, spaces and tabs. CR, LF and NUL are
    // "invalid and dangerous"; we refuse every other control character with them.
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(RequestError::Malformed(
            "control character in a field value (RFC 9110 §5.5)",
        ));
    }
    // §5.5 tolerates other octets (obs-text); we keep a value only if it is UTF-8, since
    // `Headers` holds strings, and no client we serve sends anything else.
    let value = std::str::from_utf8(value)
        .map_err(|_| RequestError::Malformed("field value is not UTF-8 text"))?;
    // A token is ASCII, so this cannot fail.
    let name = std::str::from_utf8(name)
        .map_err(|_| RequestError::Malformed("field name is not a token (RFC 9110 §5.1)"))?;
    Ok((name, value))
}

/// RFC 9112 §3.2: an HTTP/1.1 request has exactly one `Host`; HTTP/1.0 has at most one.
fn check_host(headers: &Headers, version: Version) -> Result<(), RequestError> {
    let mut hosts = headers.get_all("Host");
    match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::Http11 => Err(RequestError::MissingHost),
        (Some(_), Some(_)) => Err(RequestError::DuplicateHost),
        // §3.2 also asks for 400 on an invalid value. An empty Host is valid (an empty
        // authority), but whitespace or delimiters cannot be part of `uri-host [":" port]`.
        (Some(host), None) if host.bytes().any(|b| b" \t/?#@".contains(&b)) => Err(
            RequestError::Malformed("Host is not uri-host [\":\" port] (RFC 9112 §3.2)"),
        ),
        _ => Ok(()),
    }
}

/// Strips OWS, the optional spaces and tabs around a field value (RFC 9110 §5.6.3). Not
/// `trim_ascii`: that would also eat form feeds, which we want to refuse, not hide.
fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// RFC 9110 §5.6.2: `token = 1*tchar`, the characters allowed in methods and field names.
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::response::Status;

    const SIMPLE: &[u8] = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n\
        Host: localhost:3000\r\n\
        Accept: */*\r\n\r\n";

    fn decode(bytes: &[u8]) -> Result<Option<(Request, usize)>, RequestError> {
        decode_head(bytes, &Limits::default())
    }

    fn decoded(bytes: &[u8]) -> Request {
        decode(bytes).unwrap().expect("a complete head").0
    }

    fn error(bytes: &[u8]) -> RequestError {
        decode(bytes).expect_err("the head breaks a rule")
    }

    #[test]
    fn the_fields_are_sized_from_the_head_alone() {
        let limits = Limits::default();
        let head = b"Host: a\r\nX: bc\r\n\r\nbody\nwith\nlines\n";
        assert_eq!(
            field_lines_ahead(head, 0, &limits),
            (2, 8 + 6),
            "the body is not counted"
        );
        let partial = b"Host: a\r\nX: b";
        assert_eq!(
            field_lines_ahead(partial, 0, &limits),
            (2, 8 + 4),
            "what has arrived"
        );
        let many = b"A: 1\n".repeat(limits.max_headers + 10);
        assert_eq!(
            field_lines_ahead(&many, 0, &limits).0,
            limits.max_headers + 1
        );
        let (request, _) = decode(SIMPLE).unwrap().unwrap();
        assert_eq!(request.headers.len(), 2);
    }

    // request line and target

    #[test]
    fn simple_request_decodes_with_path_query_and_head_length() {
        let (req, used) = decode(SIMPLE).unwrap().expect("complete");
        assert_eq!(req.method, Method::Get);
        assert_eq!(req.target, "/socket.io/?EIO=4&transport=polling");
        assert_eq!(
            (req.path.as_str(), req.query.as_str()),
            ("/socket.io/", "EIO=4&transport=polling")
        );
        assert_eq!(req.version, Version::Http11);
        assert_eq!(req.header("host"), Some("localhost:3000"));
        assert_eq!(req.headers.len(), 2);
        assert_eq!(used, SIMPLE.len());
        assert!(req.body.is_empty() && req.peer.is_none());
    }

    #[test]
    fn head_length_stops_at_the_blank_line_leaving_the_body() {
        let bytes = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
        let (_, used) = decode(bytes).unwrap().expect("complete");
        assert_eq!(&bytes[used..], b"hi");
    }

    #[test]
    fn every_prefix_of_a_valid_head_is_incomplete_not_an_error() {
        for split in 0..SIMPLE.len() {
            assert_eq!(
                decode(&SIMPLE[..split]).unwrap().map(|(_, n)| n),
                None,
                "split at {split}"
            );
        }
    }

    #[test]
    fn bare_lf_ends_lines_per_rfc9112_section_2_2() {
        let req = decoded(b"GET /a HTTP/1.1\nHost: x\n\n");
        assert_eq!((req.path.as_str(), req.header("Host")), ("/a", Some("x")));
    }

    #[test]
    fn empty_lines_before_the_request_line_are_ignored_per_section_2_2() {
        let bytes = b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let (req, used) = decode(bytes).unwrap().expect("complete");
        assert_eq!((req.method, used), (Method::Get, bytes.len()));
    }

    #[test]
    fn methods_are_case_sensitive_tokens_per_rfc9110_section_9_1() {
        assert_eq!(
            decoded(b"get / HTTP/1.1\r\nHost: x\r\n\r\n").method,
            Method::Other("get".into())
        );
        assert_eq!(
            decoded(b"PATCH / HTTP/1.1\r\nHost: x\r\n\r\n").method,
            Method::Patch
        );
        assert!(matches!(
            error(b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n"),
            RequestError::Malformed(_)
        ));
    }

    #[test]
    fn request_line_needs_exactly_three_parts_with_single_spaces() {
        for line in [
            "GET  / HTTP/1.1",
            "GET / HTTP/1.1 ",
            "GET /",
            "GET / HTTP/1.1 extra",
        ] {
            let bytes = format!("{line}\r\nHost: x\r\n\r\n");
            assert_eq!(
                error(bytes.as_bytes()).status(),
                Status::BAD_REQUEST,
                "{line:?}"
            );
        }
    }

    #[test]
    fn other_http_versions_are_505_and_garbage_is_400() {
        for version in ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"] {
            let bytes = format!("GET / {version}\r\nHost: x\r\n\r\n");
            assert_eq!(
                error(bytes.as_bytes()),
                RequestError::UnsupportedVersion,
                "{version}"
            );
        }
        for version in ["http/1.1", "HTTP/1.10", "HTTP/1", "FOO", "HTTP/a.b"] {
            let bytes = format!("GET / {version}\r\nHost: x\r\n\r\n");
            assert_eq!(
                error(bytes.as_bytes()).status(),
                Status::BAD_REQUEST,
                "{version}"
            );
        }
    }

    #[test]
    fn http10_decodes_without_host() {
        let req = decoded(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(req.version, Version::Http10);
    }

    #[test]
    fn target_must_be_origin_form_per_rfc9112_section_3_2() {
        for target in ["index.html", "example.com:443", "ftp://h/x", "http:///x"] {
            let bytes = format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
            assert!(
                matches!(error(bytes.as_bytes()), RequestError::Malformed(_)),
                "{target}"
            );
        }
    }

    #[test]
    fn asterisk_form_is_only_for_options() {
        let req = decoded(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!((req.path.as_str(), req.query.as_str()), ("*", ""));
        assert!(matches!(
            error(b"GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
            RequestError::Malformed(_)
        ));
    }

    #[test]
    fn absolute_form_keeps_its_path_and_query_per_section_3_2_2() {
        let req = decoded(
            b"GET http://example.com:3000/chat?room=a HTTP/1.1\r\nHost: example.com\r\n\r\n",
        );
        assert_eq!((req.path.as_str(), req.query.as_str()), ("/chat", "room=a"));
        let bare = decoded(b"GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
        assert_eq!(bare.path, "/");
        assert_eq!(bare.target, "HTTPS://example.com");
    }

    #[test]
    fn target_with_control_or_non_ascii_bytes_is_400() {
        for target in [&b"/a\x01b"[..], b"/caf\xc3\xa9", b"/a\x7fb", b"/a#frag"] {
            let mut bytes = b"GET ".to_vec();
            bytes.extend_from_slice(target);
            bytes.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
            assert_eq!(error(&bytes).status(), Status::BAD_REQUEST, "{target:?}");
        }
    }

    #[test]
    fn bare_cr_inside_a_line_is_400_per_section_2_2() {
        assert_eq!(
            error(b"GET / HTTP/1.1\rX\r\nHost: x\r\n\r\n").status(),
            Status::BAD_REQUEST
        );
        assert_eq!(
            error(b"GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n").status(),
            Status::BAD_REQUEST
        );
    }

    // header fields

    #[test]
    fn field_values_lose_surrounding_whitespace_and_keep_their_order() {
        let req = decoded(b"GET / HTTP/1.1\r\nHost:x\r\nX-A: \t one two \t\r\nX-A: three\r\n\r\n");
        assert_eq!(req.header("x-a"), Some("one two"));
        assert_eq!(
            req.headers.get_all("X-A").collect::<Vec<_>>(),
            ["one two", "three"]
        );
    }

    #[test]
    fn empty_field_value_is_allowed() {
        assert_eq!(
            decoded(b"GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n").header("x-empty"),
            Some("")
        );
    }

    #[test]
    fn obs_fold_is_refused_with_400_per_rfc9112_section_5_2() {
        let err = error(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n  b\r\n\r\n");
        assert!(matches!(err, RequestError::Malformed(m) if m.contains("obs-fold")));
        // §2.2: whitespace before the first field line is the same trick.
        assert_eq!(
            error(b"GET / HTTP/1.1\r\n\tHost: x\r\n\r\n").status(),
            Status::BAD_REQUEST
        );
    }

    #[test]
    fn whitespace_before_colon_is_400_per_rfc9112_section_5_1() {
        let err = error(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n");
        assert!(matches!(err, RequestError::Malformed(m) if m.starts_with("whitespace between")));
    }

    #[test]
    fn field_line_without_colon_or_with_bad_name_is_400() {
        for line in [
            "NoColon",
            ": no-name",
            "Bad Name: x",
            "Bad\"Name: x",
            "Bäd: x",
        ] {
            let bytes = format!("GET / HTTP/1.1\r\nHost: x\r\n{line}\r\n\r\n");
            assert_eq!(
                error(bytes.as_bytes()).status(),
                Status::BAD_REQUEST,
                "{line}"
            );
        }
    }

    #[test]
    fn control_characters_in_values_are_400_per_rfc9110_section_5_5() {
        for value in [&b"a\x00b"[..], b"a\x1bb", b"a\x7fb", b"\xff\xfe"] {
            let mut bytes = b"GET / HTTP/1.1\r\nHost: x\r\nX-V: ".to_vec();
            bytes.extend_from_slice(value);
            bytes.extend_from_slice(b"\r\n\r\n");
            assert_eq!(error(&bytes).status(), Status::BAD_REQUEST, "{value:?}");
        }
        let utf8 = decoded("GET / HTTP/1.1\r\nHost: x\r\nX-V: café\r\n\r\n".as_bytes());
        assert_eq!(utf8.header("x-v"), Some("café"));
    }

    #[test]
    fn http11_without_host_is_400_per_rfc9112_section_3_2() {
        let err = error(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
        assert_eq!(
            (err.clone(), err.status()),
            (RequestError::MissingHost, Status::BAD_REQUEST)
        );
    }

    #[test]
    fn two_host_fields_are_400_in_either_version() {
        assert_eq!(
            error(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            RequestError::DuplicateHost
        );
        assert_eq!(
            error(b"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"),
            RequestError::DuplicateHost
        );
        assert_eq!(RequestError::DuplicateHost.status(), Status::BAD_REQUEST);
    }

    #[test]
    fn host_with_delimiters_is_400_but_empty_host_is_valid() {
        assert_eq!(
            error(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n").status(),
            Status::BAD_REQUEST
        );
        assert_eq!(
            decoded(b"GET / HTTP/1.1\r\nHost:\r\n\r\n").header("host"),
            Some("")
        );
    }

    // limits

    fn small_limits() -> Limits {
        Limits {
            max_request_line: 32,
            max_header_bytes: 64,
            max_headers: 2,
            max_body: 10,
        }
    }

    #[test]
    fn request_line_at_the_limit_passes_and_one_byte_more_is_414() {
        let limits = small_limits();
        // "GET /aaa… HTTP/1.1\r\n" is exactly 32 bytes with a 17-byte path.
        let fits = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(16));
        assert!(decode_head(fits.as_bytes(), &limits).unwrap().is_some());
        let over = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(17));
        assert_eq!(
            decode_head(over.as_bytes(), &limits).unwrap_err(),
            RequestError::UriTooLong
        );
        assert_eq!(RequestError::UriTooLong.status(), Status::URI_TOO_LONG);
    }

    #[test]
    fn endless_request_line_is_414_before_its_end_arrives() {
        let limits = small_limits();
        let partial = format!("GET /{}", "a".repeat(27)); // 32 bytes, no LF yet
        assert_eq!(
            decode_head(partial.as_bytes(), &limits).unwrap_err(),
            RequestError::UriTooLong
        );
        assert_eq!(
            decode_head(&partial.as_bytes()[..31], &limits)
                .unwrap()
                .map(|r| r.1),
            None
        );
        let default_limit = vec![b'a'; 8 * 1024];
        assert_eq!(
            decode(&default_limit).unwrap_err(),
            RequestError::UriTooLong
        );
    }

    #[test]
    fn head_over_the_byte_limit_is_431_even_when_incomplete() {
        let limits = small_limits();
        let big = format!("GET / HTTP/1.1\r\nHost: x\r\nX: {}\r\n\r\n", "v".repeat(40));
        assert_eq!(
            decode_head(big.as_bytes(), &limits).unwrap_err(),
            RequestError::HeadersTooLarge
        );
        let unfinished = format!("GET / HTTP/1.1\r\nHost: x\r\nX: {}", "v".repeat(60));
        assert_eq!(
            decode_head(unfinished.as_bytes(), &limits).unwrap_err(),
            RequestError::HeadersTooLarge
        );
        assert_eq!(
            RequestError::HeadersTooLarge.status(),
            Status::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    #[test]
    fn head_of_exactly_the_byte_limit_passes() {
        let limits = small_limits();
        let head = b"GET / HTTP/1.1\r\nHost: x\r\nX: 01234567890123456789012345678901\r\n\r\n";
        assert_eq!(head.len(), 64);
        assert!(decode_head(head, &limits).unwrap().is_some());
    }

    #[test]
    fn endless_empty_lines_before_the_request_are_431() {
        let crlfs = b"\r\n".repeat(40);
        assert_eq!(
            decode_head(&crlfs, &small_limits()).unwrap_err(),
            RequestError::HeadersTooLarge
        );
    }

    #[test]
    fn more_fields_than_max_headers_is_431() {
        let limits = small_limits();
        assert!(
            decode_head(b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n", &limits)
                .unwrap()
                .is_some()
        );
        let err =
            decode_head(b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n", &limits).unwrap_err();
        assert_eq!(err, RequestError::HeadersTooLarge);
    }
}
