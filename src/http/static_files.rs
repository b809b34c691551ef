//! Static files: the demo's page, script and styles, embedded in the binary with
//! `include_bytes!`, and optionally a directory on disk. (`static` is a keyword, hence the
//! file's name.)
//!
//! The router tries us for GET and HEAD requests no route claimed. A request path is
//! attacker-chosen, so before any lookup we decode it one segment at a time (RFC 3986 §3.3)
//! and refuse every trick that could step outside the root: `..` segments, raw or encoded
//! (`%2e%2e`); an encoded `/` or `\` that would join two segments after decoding; NUL, which
//! ends a path early in C; and segments that name a drive (`C:`). Files on disk must then
//! also *resolve* inside the root, symlinks included, or they are not served.

use super::request::{Method, Request};
use super::response::{Response, Status};
use super::url::percent_decode;
use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

/// One embedded file: the URL path it answers (`"/index.html"`) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub path: &'static str,
    pub body: &'static [u8],
}

/// The files we serve: embedded assets and, optionally, a directory.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    assets: &'static [Asset],
    dir: Option<PathBuf>,
}

/// What a request path asks for, once decoded and checked.
enum Lookup {
    /// The decoded segments, each a plain file or directory name.
    Segments(Vec<String>),
    /// A hostile or broken path, and the status that refuses it.
    Refused(Status),
}

impl StaticFiles {
    /// Serves `assets` at their paths; `/` (and any path ending in `/`) serves the
    /// `index.html` inside it.
    pub fn embedded(assets: &'static [Asset]) -> StaticFiles {
        StaticFiles { assets, dir: None }
    }

    /// Also serves the files under `root`. A file on disk wins over an embedded asset of the
    /// same path, so you can edit the demo's page and reload without rebuilding; the embedded
    /// copies remain the fallback that makes the binary work from any directory.
    pub fn with_dir(self, root: impl Into<PathBuf>) -> StaticFiles {
        StaticFiles {
            dir: Some(root.into()),
            ..self
        }
    }

    /// The response for `req`, if it names one of our files.
    ///
    /// `None` means the path is not ours (the router answers 404), as is any method but GET
    /// and HEAD. `Some` carries the file with its content type and `Cache-Control: no-cache`,
    /// so a browser revalidates and a rebuilt demo is never stale; or 400 for a hostile
    /// path, 404 for one that resolves outside the root, 403 or 500 if reading fails.
    pub fn serve(&self, req: &Request) -> Option<Response> {
        if req.method != Method::Get && req.method != Method::Head {
            return None;
        }
        let segments = match lookup(&req.path) {
            Lookup::Segments(segments) => segments,
            Lookup::Refused(status) => return Some(Response::error(status)),
        };
        let url_path = format!("/{}", segments.join("/"));
        let body = match self.read_from_dir(&segments) {
            Some(Ok(bytes)) => Cow::Owned(bytes),
            Some(Err(status)) => return Some(Response::error(status)),
            None => Cow::Borrowed(self.assets.iter().find(|a| a.path == url_path)?.body),
        };
        let response = Response::bytes(Status::OK, content_type(&url_path), body);
        Some(response.with_header("Cache-Control", "no-cache"))
    }

    /// The file's bytes from the directory, if we have one and it holds that file.
    /// `Some(Err)` when the path escapes the root or the file cannot be read.
    fn read_from_dir(&self, segments: &[String]) -> Option<Result<Vec<u8>, Status>> {
        let root = self.dir.as_ref()?.canonicalize().ok()?;
        let candidate: PathBuf = segments.iter().fold(root.clone(), |path, s| path.join(s));
        // canonicalize follows every symlink, so this is where the file really is. We read
        // that path, not `candidate`, so a link swapped after the check changes nothing.
        let real = candidate.canonicalize().ok()?;
        if !real.starts_with(&root) {
            return Some(Err(Status::NOT_FOUND));
        }
        if !real.is_file() {
            return None;
        }
        Some(std::fs::read(&real).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => Status::FORBIDDEN,
            _ => Status::INTERNAL_SERVER_ERROR,
        }))
    }
}

/// Splits a request path into decoded segments, refusing any that could leave the root.
fn lookup(raw_path: &str) -> Lookup {
    let Some(relative) = raw_path.strip_prefix('/') else {
        return Lookup::Refused(Status::BAD_REQUEST);
    };
    let mut segments = Vec::new();
    for raw in relative.split('/') {
        // Decoding each segment on its own is what makes `%2F` harmless to spot: after
        // decoding, a `/` inside a segment can only have come from an escape.
        let Ok(bytes) = percent_decode(raw) else {
            return Lookup::Refused(Status::BAD_REQUEST);
        };
        let Ok(segment) = String::from_utf8(bytes) else {
            return Lookup::Refused(Status::BAD_REQUEST);
        };
        if let Some(status) = refuse_segment(&segment) {
            return Lookup::Refused(status);
        }
        segments.push(segment);
    }
    // A path ending in `/` names a directory; serve its index, as web servers do.
    if segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
        segments.push("index.html".to_string());
    }
    if segments.iter().any(|s| s.is_empty()) {
        return Lookup::Refused(Status::NOT_FOUND); // `//`: no file of ours has an empty name
    }
    Lookup::Segments(segments)
}

/// Why a decoded segment may not be used as a file name, if it may not.
fn refuse_segment(segment: &str) -> Option<Status> {
    if segment == "." || segment == ".." {
        // RFC 3986 §5.2.4: clients remove dot-segments before sending, so one that arrives
        // here was put there on purpose.
        return Some(Status::BAD_REQUEST);
    }
    if segment.contains(['/', '\\', '\0', ':']) {
        // An encoded separator would join segments; NUL truncates paths in C; `:` names a
        // drive (`C:`) or an alternate data stream (`file:stream`) on Windows.
        return Some(Status::BAD_REQUEST);
    }
    if segment.starts_with('.') {
        return Some(Status::NOT_FOUND); // dotfiles (`.git`, `.env`) are never ours to serve
    }
    // Belt and braces: whatever the platform, the segment must be one plain name.
    let mut components = Path::new(segment).components();
    match (components.next(), components.next()) {
        (None, None) | (Some(Component::Normal(_)), None) => None,
        _ => Some(Status::BAD_REQUEST),
    }
}

/// The `Content-Type` for a path, by its extension (RFC 9110 §8.3). Text types say UTF-8,
/// or browsers guess; an unknown extension is opaque bytes, which browsers do not render.
pub fn content_type(path: &str) -> &'static str {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let extension = match file_name.rsplit_once('.') {
        Some((_, extension)) => extension.to_ascii_lowercase(),
        None => String::new(),
    };
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8", // RFC 9239 §6
        "json" => "application/json", // RFC 8259 §11: no charset parameter, it is UTF-8
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm", // required by WebAssembly.instantiateStreaming
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    static ASSETS: &[Asset] = &[
        Asset {
            path: "/index.html",
            body: b"<h1>embedded</h1>",
        },
        Asset {
            path: "/chat.js",
            body: b"console.log(1)",
        },
        Asset {
            path: "/css/site.css",
            body: b"body{}",
        },
    ];

    fn get(path: &str) -> Request {
        Request::new(Method::Get, path)
    }

    fn status_of(files: &StaticFiles, path: &str) -> Option<u16> {
        files.serve(&get(path)).map(|r| r.status.code())
    }

    /// A fresh directory `<tmp>/threadio-<name>-<pid>/` holding `root/` with one page and a
    /// `secret.txt` beside `root/`, which no request may reach.
    fn sandbox(name: &str) -> PathBuf {
        let base = std::env::temp_dir().join(format!("threadio-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("root/sub")).expect("temp dir is writable");
        fs::write(base.join("root/index.html"), "<h1>disk</h1>").expect("write index");
        fs::write(base.join("root/sub/page.txt"), "page").expect("write page");
        fs::write(base.join("secret.txt"), "secret").expect("write secret");
        base
    }

    #[test]
    fn root_serves_the_embedded_index_with_type_and_no_cache() {
        let response = StaticFiles::embedded(ASSETS)
            .serve(&get("/"))
            .expect("index exists");
        assert_eq!(response.status, Status::OK);
        assert_eq!(&*response.body, b"<h1>embedded</h1>");
        assert_eq!(
            response.headers.get("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(response.headers.get("Cache-Control"), Some("no-cache"));
    }

    #[test]
    fn embedded_assets_are_found_by_path_and_others_are_not_ours() {
        let files = StaticFiles::embedded(ASSETS);
        let js = files.serve(&get("/chat.js")).expect("asset");
        assert_eq!(
            js.headers.get("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(status_of(&files, "/css/site.css"), Some(200));
        assert_eq!(status_of(&files, "/missing.js"), None);
        assert_eq!(status_of(&files, "/css/"), None);
    }

    #[test]
    fn percent_encoded_names_are_decoded_before_lookup() {
        assert_eq!(
            status_of(&StaticFiles::embedded(ASSETS), "/chat%2Ejs"),
            Some(200)
        );
    }

    #[test]
    fn only_get_and_head_are_served() {
        let files = StaticFiles::embedded(ASSETS);
        assert!(files
            .serve(&Request::new(Method::Head, "/chat.js"))
            .is_some());
        assert!(files
            .serve(&Request::new(Method::Post, "/chat.js"))
            .is_none());
    }

    #[test]
    fn traversal_attempts_are_refused_with_400() {
        let files = StaticFiles::embedded(ASSETS);
        for path in [
            "/../secret.txt",
            "/css/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/.%2e/secret.txt",
            "/css/.",
            "/..%2fsecret.txt",
            "/..%2Fsecret.txt",
            "/..%5csecret.txt",
            "/..\\secret.txt",
            "/index.html%00.js",
            "/a\0b",
            "/%2fetc%2fpasswd",
            "/C:/Windows/win.ini",
            "/c%3a%5cwindows",
            "/bad%zzescape",
            "/%ff%fe",
            "relative.txt",
        ] {
            assert_eq!(status_of(&files, path), Some(400), "{path}");
        }
    }

    #[test]
    fn dotfiles_and_empty_segments_are_not_found() {
        let files = StaticFiles::embedded(ASSETS);
        assert_eq!(status_of(&files, "/.env"), Some(404));
        assert_eq!(status_of(&files, "/.git/config"), Some(404));
        assert_eq!(status_of(&files, "//index.html"), Some(404));
    }

    #[test]
    fn directory_files_win_over_embedded_ones_and_embedded_remain_the_fallback() {
        let base = sandbox("win");
        let files = StaticFiles::embedded(ASSETS).with_dir(base.join("root"));
        assert_eq!(
            &*files.serve(&get("/")).expect("index").body,
            b"<h1>disk</h1>"
        );
        let page = files.serve(&get("/sub/page.txt")).expect("page");
        assert_eq!(
            page.headers.get("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            &*files.serve(&get("/chat.js")).expect("embedded").body,
            b"console.log(1)"
        );
        assert_eq!(status_of(&files, "/sub"), None, "a directory is not a file");
        fs::remove_dir_all(base).expect("clean up");
    }

    #[test]
    fn nothing_outside_the_root_is_served_from_disk() {
        let base = sandbox("traversal");
        let files = StaticFiles::embedded(&[]).with_dir(base.join("root"));
        for path in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/sub/..%2f..%2fsecret.txt",
            "/secret.txt",
        ] {
            let response = files.serve(&get(path));
            assert!(
                response.as_ref().is_none_or(|r| r.status != Status::OK),
                "{path}"
            );
            assert!(response.is_none_or(|r| &*r.body != b"secret"), "{path}");
        }
        fs::remove_dir_all(base).expect("clean up");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_out_of_the_root_is_404() {
        let base = sandbox("symlink");
        std::os::unix::fs::symlink(base.join("secret.txt"), base.join("root/link.txt"))
            .expect("symlink");
        std::os::unix::fs::symlink(&base, base.join("root/up")).expect("symlink");
        let files = StaticFiles::embedded(&[]).with_dir(base.join("root"));
        assert_eq!(status_of(&files, "/link.txt"), Some(404));
        assert_eq!(status_of(&files, "/up/secret.txt"), Some(404));
        fs::remove_dir_all(base).expect("clean up");
    }

    #[test]
    fn content_types_follow_the_extension_case_insensitively() {
        let cases = [
            ("/index.html", "text/html; charset=utf-8"),
            ("/INDEX.HTM", "text/html; charset=utf-8"),
            ("/site.css", "text/css; charset=utf-8"),
            ("/chat.js", "text/javascript; charset=utf-8"),
            ("/data.json", "application/json"),
            ("/logo.svg", "image/svg+xml"),
            ("/logo.png", "image/png"),
            ("/favicon.ico", "image/x-icon"),
            ("/notes.txt", "text/plain; charset=utf-8"),
            ("/app.wasm", "application/wasm"),
            ("/archive.tar.gz", "application/octet-stream"),
            ("/Makefile", "application/octet-stream"),
            ("/dir.d/file", "application/octet-stream"),
        ];
        for (path, expected) in cases {
            assert_eq!(content_type(path), expected, "{path}");
        }
    }
}
