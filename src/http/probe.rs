//! Is the client still there? A question a handler can ask while it holds a request.
//!
//! Most handlers answer at once, and a client that has gone shows up as a failed write.
//! A handler that *holds* a request — Engine.IO's long-polling `GET` waits up to 45 s for
//! something to send (`engineio/polling.rs`) — waits on a condition variable, not on the
//! socket, so it would not notice a client that closed its connection meanwhile. It would
//! then take the session's queued packets, write them into a dead socket (the first write
//! into a closed connection usually succeeds: the kernel buffers it, and the peer's reset
//! comes later) and lose them. The reference server notices at once, because its event
//! loop sees the socket's `close` event.
//!
//! A thread per connection has no such event, so it asks: a non-blocking `peek` at the
//! socket answers "end of stream" (the client's FIN, RFC 9293 §3.6), "connection reset",
//! or "nothing to read yet" — the last one meaning the client is still there as far as
//! TCP knows. A client that vanished without a FIN or a reset (its cable pulled) cannot be
//! told apart from a quiet one; Engine.IO's heartbeat catches that one.

use std::io;
use std::net::TcpStream;
use std::sync::Arc;

/// A handle on a request's connection that can only ask whether the client has gone.
#[derive(Debug, Clone)]
pub struct ConnectionProbe {
    stream: Arc<TcpStream>,
}

impl ConnectionProbe {
    pub(crate) fn new(stream: Arc<TcpStream>) -> ConnectionProbe {
        ConnectionProbe { stream }
    }

    /// Whether the client closed or reset the connection. Bytes waiting to be read (a
    /// pipelined request) mean it is still there.
    ///
    /// Three system calls: the socket is made non-blocking for one `peek`, then blocking
    /// again. While a handler holds its request, the connection's own thread is that
    /// handler, so no one else reads the socket meanwhile.
    pub fn client_gone(&self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return true; // the socket is unusable: as good as gone
        }
        let mut byte = [0u8; 1];
        let gone = match self.stream.peek(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => false,
            Err(_) => true,
        };
        let restored = self.stream.set_nonblocking(false).is_ok();
        gone || !restored
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{Shutdown, TcpListener};

    fn pair() -> (TcpStream, ConnectionProbe) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, ConnectionProbe::new(Arc::new(server)))
    }

    #[test]
    fn a_quiet_client_is_there_and_a_closed_one_is_gone() {
        let (client, probe) = pair();
        assert!(!probe.client_gone());
        client.shutdown(Shutdown::Write).unwrap();
        let gone = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            probe.client_gone()
        });
        assert!(gone, "the client's FIN was never seen");
    }

    #[test]
    fn bytes_waiting_mean_the_client_is_there_and_they_stay_unread() {
        let (mut client, probe) = pair();
        client.write_all(b"GET").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!probe.client_gone());
        let mut buf = [0u8; 3];
        std::io::Read::read_exact(&mut &*probe.stream, &mut buf).unwrap();
        assert_eq!(&buf, b"GET", "the peek consumed nothing");
    }
}
