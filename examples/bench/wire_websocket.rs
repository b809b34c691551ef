//! A WebSocket client made of threadio's pieces over a byte-counting stream, for
//! `bench transports`: the handshake (RFC 6455 §4.1) and then one frame at a time (§5).
//!
//! Why not `threadio::websocket::client::connect`, as the other workloads use? It owns its
//! `TcpStream` outright, so nothing can sit between it and the socket to count bytes. The
//! pieces it is built from are public, so this file puts them together again, one round
//! trip at a time: `client_request` and `check_response` for the upgrade, `Frame::encode`
//! with a fresh mask for what we send (§5.3), `Frame::decode` for what comes back.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use threadio::entropy::random_bytes;
use threadio::http::response::ResponseHead;
use threadio::http::Limits;
use threadio::websocket::handshake::{check_response, client_key, client_request};
use threadio::websocket::{CloseCode, Frame, OpCode, Role};

use crate::counting::{ByteCount, Counted};
use crate::error::BenchError;

/// The largest frame we accept: the bench's messages are small.
const MAX_PAYLOAD: u64 = 1 << 20;

/// An open WebSocket whose every byte is counted.
pub struct WireWebSocket {
    stream: Counted<TcpStream>,
    input: Vec<u8>,
}

impl WireWebSocket {
    /// Opens a WebSocket to `path` on `server`, waiting at most `timeout` for the `101`.
    ///
    /// # Errors
    /// If TCP fails or the server does not accept the upgrade.
    pub fn connect(
        server: SocketAddr,
        path: &str,
        timeout: Duration,
    ) -> Result<WireWebSocket, BenchError> {
        let stream = TcpStream::connect_timeout(&server, timeout)
            .map_err(|e| BenchError::Connect(e.to_string()))?;
        let _ = stream.set_nodelay(true); // as threadio's own client: each frame goes at once
        stream.set_write_timeout(Some(timeout))?;
        let mut ws = WireWebSocket {
            stream: Counted::new(stream),
            input: Vec::new(),
        };
        let key = client_key();
        ws.stream
            .write_all(&client_request(&server.to_string(), path, &key))?;
        let deadline = Instant::now() + timeout;
        let head = loop {
            let decoded = ResponseHead::decode(&ws.input, &Limits::default())
                .map_err(|e| BenchError::Connect(format!("bad answer to the upgrade: {e}")))?;
            if let Some((head, used)) = decoded {
                ws.input.drain(..used); // what follows the head is already frames
                break head;
            }
            if !ws.stream.read_more(&mut ws.input, deadline)? {
                return Err(BenchError::Timeout("the 101 Switching Protocols"));
            }
        };
        check_response(&head, &key).map_err(|e| BenchError::Connect(e.to_string()))?;
        Ok(ws)
    }

    /// Sends `text` as one masked text frame.
    ///
    /// # Errors
    /// If the write fails.
    pub fn send_text(&mut self, text: &str) -> Result<(), BenchError> {
        self.send_frame(&Frame::text(text))
    }

    /// The next text message; `None` if `deadline` passed first. Pings are answered (§5.5.2).
    ///
    /// # Errors
    /// If the connection fails or closes, or a frame breaks RFC 6455.
    pub fn recv_text(&mut self, deadline: Instant) -> Result<Option<String>, BenchError> {
        loop {
            let decoded = Frame::decode(&self.input, Role::Client, MAX_PAYLOAD)
                .map_err(|e| BenchError::Protocol(format!("WebSocket frame: {e}")))?;
            let Some((frame, used)) = decoded else {
                if !self.stream.read_more(&mut self.input, deadline)? {
                    return Ok(None);
                }
                continue;
            };
            self.input.drain(..used);
            match frame.opcode {
                OpCode::Text => {
                    return String::from_utf8(frame.payload)
                        .map(Some)
                        .map_err(|_| BenchError::Protocol("text that is not UTF-8".into()));
                }
                OpCode::Ping => self.send_frame(&Frame::pong(frame.payload))?,
                OpCode::Close => return Err(BenchError::Closed("a close frame".into())),
                OpCode::Pong | OpCode::Binary | OpCode::Continuation => {}
            }
        }
    }

    /// Bytes sent and received so far, the handshake included.
    pub fn bytes(&self) -> ByteCount {
        self.stream.count()
    }

    /// Sends a close frame (1000) and lets the connection go.
    pub fn close(mut self) {
        let _ = self.send_frame(&Frame::close(Some(CloseCode::Normal), ""));
    }

    fn send_frame(&mut self, frame: &Frame) -> Result<(), BenchError> {
        let bytes = frame.encode(Some(random_bytes::<4>()));
        self.stream.write_all(&bytes)?;
        Ok(())
    }
}
