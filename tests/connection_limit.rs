//! The connection cap: past `max_connections` the next client is answered 503 and closed,
//! while every connection already open keeps working.

mod common;

use std::net::TcpStream;

use common::{echo_router, http_exchange, start_with, status_of, READ_TIMEOUT};
use threadio::http::ServerConfig;
use tungstenite::Message as TMessage;

#[test]
fn the_connection_past_the_cap_gets_503_and_the_others_keep_working() {
    let config = ServerConfig {
        max_connections: 20,
        ..Default::default()
    };
    let server = start_with(config, echo_router());
    let mut open: Vec<_> = (0..20)
        .map(|_| {
            let stream = TcpStream::connect(server.addr()).unwrap();
            stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
            tungstenite::client(format!("ws://{}/echo", server.addr()), stream)
                .unwrap()
                .0
        })
        .collect();

    let refused = http_exchange(server.addr(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status_of(&refused), 503, "{refused}");
    assert!(refused.contains("Retry-After"), "{refused}");

    for (i, ws) in open.iter_mut().enumerate() {
        ws.send(TMessage::text(format!("still {i}"))).unwrap();
        assert_eq!(ws.read().unwrap(), TMessage::text(format!("still {i}")));
    }

    // A slot freed is a slot reusable: close one and a newcomer gets in.
    let mut leaving = open.pop().unwrap();
    leaving.close(None).unwrap();
    while leaving.read().is_ok() {}
    drop(leaving);
    let mut admitted = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        // The slot frees when the server's thread for that connection has ended, a moment
        // after the close handshake: poll for it, bounded.
        std::thread::sleep(std::time::Duration::from_millis(10));
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        if let Ok((ws, _)) = tungstenite::client(format!("ws://{}/echo", server.addr()), stream) {
            admitted = Some(ws);
            break;
        }
    }
    let mut newcomer = admitted.expect("the freed slot was never given to a new client");
    newcomer.send(TMessage::text("hello")).unwrap();
    assert_eq!(newcomer.read().unwrap(), TMessage::text("hello"));
}
