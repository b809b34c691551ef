//! What an application sends and receives: whole messages, not frames (RFC 6455 §1.2, §6).
//!
//! A message may cross the wire as one frame or as many fragments (§5.4); control frames
//! (ping, pong, close) are the connection's business, not the application's. So the
//! application sees only text and binary messages, already reassembled and, for text,
//! already checked to be UTF-8 (§8.1).

use super::frame::{Frame, OpCode};

/// One complete WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message: always valid UTF-8 (§5.6).
    Text(String),
    /// A binary message: any bytes.
    Binary(Vec<u8>),
}

impl Message {
    /// The message as one unfragmented frame. We never fragment what we send: every peer
    /// must accept unfragmented messages, and one frame costs one header.
    pub fn into_frame(self) -> Frame {
        match self {
            Message::Text(text) => Frame::text(text),
            Message::Binary(bytes) => Frame::binary(bytes),
        }
    }

    /// The frame for this message without consuming it.
    pub fn to_frame(&self) -> Frame {
        self.clone().into_frame()
    }

    /// The opcode that starts this message on the wire.
    pub fn opcode(&self) -> OpCode {
        match self {
            Message::Text(_) => OpCode::Text,
            Message::Binary(_) => OpCode::Binary,
        }
    }

    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(bytes) => bytes,
        }
    }

    /// The text, if this is a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(text) => Some(text),
            Message::Binary(_) => None,
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::Text(text.to_string())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::Text(text)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Message {
        Message::Binary(bytes)
    }
}
