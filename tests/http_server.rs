//! The HTTP/1.1 side of the server, spoken in raw bytes: keep-alive, HEAD, every error
//! status with its cause, chunked bodies, path traversal, and the timeouts that stop a slow
//! or idle client from holding a thread.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{
    assert_closed_by_server, http_exchange, read_head, read_to_end, start, start_with, status_of,
    tcp,
};
use threadio::http::{Asset, Request, Response, Router, ServerConfig, StaticFiles, Status};

static ASSETS: &[Asset] = &[
    Asset {
        path: "/index.html",
        body: b"<h1>home</h1>",
    },
    Asset {
        path: "/app.js",
        body: b"console.log(1)",
    },
];

fn app() -> Router {
    let mut app = Router::new();
    app.get("/hello", |_| Response::text(Status::OK, "hello"));
    app.post("/echo", |req: &Request| {
        Response::bytes(Status::OK, "application/octet-stream", req.body.clone())
    });
    app.get("/panic", |_| panic!("a handler bug"));
    app.get("/last", |_| {
        Response::text(Status::OK, "last").with_header("Connection", "close")
    });
    app.static_files(StaticFiles::embedded(ASSETS));
    app
}

/// Reads one response with a Content-Length body from a kept-alive connection.
fn read_response(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    let head = read_head(stream);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; length];
    std::io::Read::read_exact(stream, &mut body).unwrap();
    (head, body)
}

#[test]
fn two_requests_share_one_keep_alive_connection() {
    let server = start(app());
    let mut stream = tcp(server.addr());
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, body) = read_response(&mut stream);
    assert_eq!((status_of(&head), body.as_slice()), (200, &b"hello"[..]));
    assert!(
        head.contains("Date: ") && head.contains("Content-Type: text/plain"),
        "{head}"
    );
    stream
        .write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (head, body) = read_response(&mut stream);
    assert_eq!(
        (status_of(&head), body.as_slice()),
        (200, &b"<h1>home</h1>"[..])
    );
    assert!(head.contains("Content-Type: text/html"), "{head}");
    assert_closed_by_server(&mut stream);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = start(app());
    let mut stream = tcp(server.addr());
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut stream).1, b"hello");
    assert_eq!(read_response(&mut stream).1, b"console.log(1)");
}

#[test]
fn http_1_0_closes_after_the_response_unless_kept_alive() {
    let server = start(app());
    let response = http_exchange(server.addr(), b"GET /hello HTTP/1.0\r\n\r\n");
    assert_eq!(status_of(&response), 200);
    assert!(response.ends_with("hello"));
}

#[test]
fn head_has_the_get_headers_and_no_body() {
    let server = start(app());
    let response = http_exchange(
        server.addr(),
        b"HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&response), 200);
    assert!(response.contains("Content-Length: 5\r\n"), "{response}");
    assert!(
        response.ends_with("\r\n\r\n"),
        "no body after HEAD: {response:?}"
    );
}

#[test]
fn unknown_path_is_404_and_wrong_method_is_405_with_allow() {
    let server = start(app());
    let not_found = http_exchange(
        server.addr(),
        b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&not_found), 404);
    let wrong = http_exchange(
        server.addr(),
        b"DELETE /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&wrong), 405);
    assert!(wrong.contains("Allow: GET, HEAD"), "{wrong}");
}

#[test]
fn malformed_requests_get_400() {
    let server = start(app());
    for request in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /hello HTTP/1.1\r\n\r\n", // HTTP/1.1 without Host (RFC 9112 section 3.2)
        b"GET /hello HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    ] {
        let response = http_exchange(server.addr(), request);
        assert_eq!(status_of(&response), 400, "{:?}", String::from_utf8_lossy(request));
    }
}

#[test]
fn unsupported_version_gets_505() {
    let server = start(app());
    assert_eq!(
        status_of(&http_exchange(
            server.addr(),
            b"GET /hello HTTP/2.0\r\nHost: x\r\n\r\n"
        )),
        505
    );
}

#[test]
fn size_limits_answer_414_431_and_413() {
    let server = start(app());
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
    assert_eq!(
        status_of(&http_exchange(server.addr(), long_target.as_bytes())),
        414
    );
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "X-Pad: yyyyyyyyyyyyyyyyyyyy\r\n".repeat(1000)
    );
    assert_eq!(
        status_of(&http_exchange(server.addr(), many_headers.as_bytes())),
        431
    );
    let big_body = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\nabc";
    assert_eq!(status_of(&http_exchange(server.addr(), big_body)), 413);
}

#[test]
fn content_length_and_chunked_bodies_reach_the_handler() {
    let server = start(app());
    let fixed = http_exchange(
        server.addr(),
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    assert!(fixed.ends_with("\r\n\r\nhello"), "{fixed}");
    let chunked = http_exchange(
        server.addr(),
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
          4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n",
    );
    assert_eq!(status_of(&chunked), 200);
    assert!(chunked.ends_with("\r\n\r\nWikipedia"), "{chunked}");
}

#[test]
fn a_bare_lf_in_a_chunk_size_line_is_400_at_once_not_at_the_body_timeout() {
    // The body timeout is long (30 s by default): the answer must not wait for it. The
    // client keeps the connection open and sends nothing more, so only the server's own
    // judgement of the bytes can produce the answer.
    let server = start(app());
    let mut stream = tcp(server.addr());
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nab")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let head = read_head(&mut stream);
    assert_eq!(status_of(&head), 400, "{head:?}");
}

#[test]
fn chunked_trailers_past_the_header_limit_are_431() {
    // Trailers are a second block of header fields (RFC 9112 §7.1.2): the same 16 KiB bound
    // as the head, not the body's megabyte of framing.
    let server = start(app());
    let mut request =
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"
            .to_vec();
    while request.len() < 20 * 1024 {
        request.extend_from_slice(b"X-Pad: 0123456789012345678901234567890123456789\r\n");
    }
    let mut stream = tcp(server.addr());
    stream.write_all(&request).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(status_of(&read_head(&mut stream)), 431);
    // Within the bound, trailers are read and dropped as before.
    let fine = http_exchange(
        server.addr(),
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
          2\r\nhi\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n",
    );
    assert_eq!(status_of(&fine), 200, "{fine}");
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let server = start(app());
    let mut stream = tcp(server.addr());
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
    assert_eq!(status_of(&read_head(&mut stream)), 100);
    stream.write_all(b"ok").unwrap();
    assert_eq!(read_response(&mut stream).1, b"ok");
}

#[test]
fn path_traversal_never_leaves_the_static_root() {
    let root = std::env::temp_dir().join(format!("threadio-static-{}", std::process::id()));
    std::fs::create_dir_all(root.join("public")).unwrap();
    std::fs::write(root.join("secret.txt"), "SECRET").unwrap();
    std::fs::write(root.join("public/ok.txt"), "fine").unwrap();
    let mut app = Router::new();
    app.static_files(StaticFiles::embedded(&[]).with_dir(root.join("public")));
    let server = start(app);
    let ok = http_exchange(
        server.addr(),
        b"GET /ok.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(ok.ends_with("fine"), "{ok}");
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/ok.txt%00",
        "/..\\secret.txt",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
    ] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let response = http_exchange(server.addr(), request.as_bytes());
        let status = status_of(&response);
        assert!(status == 400 || status == 404, "{path} answered {status}");
        assert!(!response.contains("SECRET"), "{path} leaked the file");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_panicking_handler_gets_500_and_the_server_goes_on() {
    let server = start(app());
    let response = http_exchange(server.addr(), b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status_of(&response), 500);
    let after = http_exchange(
        server.addr(),
        b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&after), 200);
}

#[test]
fn slowloris_is_answered_408_and_closed_after_the_header_timeout() {
    let config = ServerConfig {
        header_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let server = start_with(config, app());
    let mut slow = tcp(server.addr());
    let started = Instant::now();
    // A byte at a time, never finishing the head: each byte arrives well inside any
    // per-read timeout, so only a deadline for the whole head can stop it.
    let mut answer = String::new();
    for byte in b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().cycle() {
        if slow.write_all(&[*byte]).is_err() {
            break;
        }
        let mut probe = [0u8; 512];
        slow.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        if let Ok(n) = std::io::Read::read(&mut slow, &mut probe) {
            answer = String::from_utf8_lossy(&probe[..n]).into_owned();
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the slow client was never cut off"
        );
    }
    assert_eq!(status_of(&answer), 408, "{answer:?}");
}

#[test]
fn a_body_trickled_past_the_body_timeout_is_answered_408_and_closed() {
    let config = ServerConfig {
        body_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let server = start_with(config, app());
    let mut slow = tcp(server.addr());
    slow.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    // A byte every 50 ms: each well inside any per-read timeout, the whole far past 300 ms.
    let mut answer = String::new();
    for _ in 0..99 {
        if slow.write_all(b"x").is_err() {
            break;
        }
        let mut probe = [0u8; 512];
        slow.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        if let Ok(n) = std::io::Read::read(&mut slow, &mut probe) {
            answer = String::from_utf8_lossy(&probe[..n]).into_owned();
            break;
        }
    }
    assert_eq!(status_of(&answer), 408, "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cut off after {:?}",
        started.elapsed()
    );
}

#[test]
fn idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let config = ServerConfig {
        idle_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let server = start_with(config, app());
    let mut stream = tcp(server.addr());
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut stream).1, b"hello");
    // Now idle: the server must close it by itself (read returns end of stream).
    let idle_since = Instant::now();
    assert_closed_by_server(&mut stream);
    assert!(idle_since.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_handler_that_answers_connection_close_ends_the_connection_per_rfc9112_section_9_6() {
    let server = start(app());
    let mut stream = tcp(server.addr());
    stream
        .write_all(b"GET /last HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, body) = read_response(&mut stream);
    assert_eq!(body, b"last");
    assert!(
        head.contains("\r\nConnection: close\r\n"),
        "the response says it ends the connection: {head:?}"
    );
    // The pipelined second request must not be answered: nothing more, then the end.
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let rest = read_to_end(&mut stream);
    assert!(
        rest.is_empty(),
        "answered after Connection: close: {:?}",
        String::from_utf8_lossy(&rest)
    );
}
