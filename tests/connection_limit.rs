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

/// A cap set past what the process can hold is lowered to it (src/http/process_ceiling.rs):
/// past `vm.max_map_count` a new thread aborts the whole process instead of being refused.
/// On Linux both limits are readable, so a cap of `usize::MAX` always comes down.
#[test]
fn a_cap_past_the_processs_memory_maps_and_descriptors_is_lowered_to_them() {
    use threadio::http::{ProcessCeiling, Server};
    let ceiling = ProcessCeiling::of_this_process();
    let Some(most) = ceiling.connections() else {
        println!("skipped: /proc does not say this process's limits (not Linux?)");
        return;
    };
    assert!(ceiling.max_map_count.is_some(), "{ceiling:?}");
    let huge = ServerConfig {
        max_connections: usize::MAX,
        ..Default::default()
    };
    let server = Server::bind("127.0.0.1:0", huge).unwrap();
    assert_eq!(server.connection_cap(), most);
    assert!(most < usize::MAX && most > 0, "{ceiling:?}");
    let modest = ServerConfig {
        max_connections: 20,
        ..Default::default()
    };
    let server = Server::bind("127.0.0.1:0", modest).unwrap();
    assert_eq!(server.connection_cap(), 20.min(most), "a lower cap stands");
}
