//! The three ways a bench client talks to the server, behind one pair of handles: an
//! [`Outgoing`] any thread can send through, and an [`Incoming`] its own thread reads.
//! The workloads are written once against these and run over each [`Transport`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use threadio::engineio::Packet as EnginePacket;
use threadio::json::Value;
use threadio::websocket::{Sender, WebSocket};

use crate::error::BenchError;
use crate::socketio_client;
use crate::socketio_polling::{self, Polling, Session};
use crate::{raw_websocket, socketio_websocket};

/// How the bench's messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One WebSocket text frame per message, nothing on top.
    RawWebSocket,
    /// Socket.IO events over a WebSocket (`42["echo",…]` in a frame).
    SocketIoWebSocket,
    /// Socket.IO events over HTTP long-polling: `POST`s up, held `GET`s down.
    SocketIoPolling,
}

impl Transport {
    pub const ALL: [Transport; 3] = [
        Transport::RawWebSocket,
        Transport::SocketIoWebSocket,
        Transport::SocketIoPolling,
    ];

    /// The name used on the command line and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Transport::RawWebSocket => "ws",
            Transport::SocketIoWebSocket => "sio-ws",
            Transport::SocketIoPolling => "sio-polling",
        }
    }

    pub fn from_name(name: &str) -> Option<Transport> {
        Transport::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// What the server does with a client's messages: the raw WebSocket route it connects to,
/// or the Socket.IO event it emits (see `examples/bench_server.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// Back to the sender: `/echo`, or the `echo` event.
    Echo,
    /// To every client, the sender included: `/broadcast`, or the `chat` event.
    Everyone,
    /// To the other members of one room: `/room/NAME`, or `join` then `room-chat`.
    Room(String),
}

impl Channel {
    fn raw_path(&self) -> String {
        match self {
            Channel::Echo => "/echo".to_string(),
            Channel::Everyone => "/broadcast".to_string(),
            Channel::Room(name) => format!("/room/{name}"),
        }
    }

    /// The Socket.IO event that carries `message` on this channel.
    fn event(&self, message: &str) -> EnginePacket {
        match self {
            Channel::Echo => socketio_client::event("echo", vec![message.into()]),
            Channel::Everyone => socketio_client::event("chat", vec![message.into()]),
            Channel::Room(name) => socketio_client::event(
                "room-chat",
                vec![Value::from(name.as_str()), message.into()],
            ),
        }
    }

    /// What a Socket.IO client sends once connected: a room member joins its room.
    fn join(&self) -> Option<EnginePacket> {
        match self {
            Channel::Room(name) => Some(socketio_client::event("join", vec![name.as_str().into()])),
            Channel::Echo | Channel::Everyone => None,
        }
    }
}

/// One connected client, in two halves that may go to different threads.
pub struct Client {
    pub outgoing: Outgoing,
    pub incoming: Incoming,
}

/// Sends the bench's messages on one channel; clone it for another thread.
#[derive(Clone)]
pub struct Outgoing {
    channel: Channel,
    via: Via,
}

#[derive(Clone)]
enum Via {
    RawWebSocket(Sender),
    SocketIoWebSocket(Sender),
    SocketIoPolling(Arc<Session>),
}

/// Receives the messages for one client; owned by the thread that reads.
pub enum Incoming {
    RawWebSocket(WebSocket),
    SocketIoWebSocket(WebSocket),
    SocketIoPolling(Polling),
}

/// Connects one client over `transport` to `channel`, within `timeout`.
///
/// # Errors
/// If the connection or the Socket.IO handshake fails.
pub fn connect(
    transport: Transport,
    server: SocketAddr,
    channel: &Channel,
    timeout: Duration,
) -> Result<Client, BenchError> {
    let (via, incoming) = match transport {
        Transport::RawWebSocket => {
            let ws = raw_websocket::connect(server, &channel.raw_path())?;
            (Via::RawWebSocket(ws.sender()), Incoming::RawWebSocket(ws))
        }
        Transport::SocketIoWebSocket => {
            let ws = socketio_websocket::connect(server, channel.join(), timeout)?;
            (
                Via::SocketIoWebSocket(ws.sender()),
                Incoming::SocketIoWebSocket(ws),
            )
        }
        Transport::SocketIoPolling => {
            let (session, polling) = socketio_polling::connect(server, channel.join(), timeout)?;
            (
                Via::SocketIoPolling(session),
                Incoming::SocketIoPolling(polling),
            )
        }
    };
    let outgoing = Outgoing {
        channel: channel.clone(),
        via,
    };
    Ok(Client { outgoing, incoming })
}

impl Client {
    /// Ends the client: a close frame on a WebSocket, Engine.IO `1` on polling.
    pub fn close(self) {
        self.outgoing.close();
        drop(self.incoming); // a WebSocket's Drop runs the closing handshake (RFC 6455 §7)
    }
}

impl Outgoing {
    /// Sends one bench message.
    ///
    /// # Errors
    /// If the connection is closed or the server refused the `POST`.
    pub fn send(&self, message: &str) -> Result<(), BenchError> {
        match &self.via {
            Via::RawWebSocket(sender) => raw_websocket::send(sender, message),
            Via::SocketIoWebSocket(sender) => {
                socketio_websocket::send(sender, &self.channel.event(message))
            }
            Via::SocketIoPolling(session) => session.post(&[self.channel.event(message)]),
        }
    }

    /// Ends a polling session (its `GET`s cannot end it: see `Session::close`). WebSockets
    /// end when their [`Incoming`] is dropped.
    pub fn close(&self) {
        if let Via::SocketIoPolling(session) = &self.via {
            session.close();
        }
    }
}

impl Incoming {
    /// The next bench message, or `None` after `timeout` with the client still connected.
    ///
    /// # Errors
    /// If the connection or the session ends.
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<String>, BenchError> {
        match self {
            Incoming::RawWebSocket(ws) => raw_websocket::recv(ws, timeout),
            Incoming::SocketIoWebSocket(ws) => socketio_websocket::recv(ws, timeout),
            Incoming::SocketIoPolling(polling) => polling.recv(timeout),
        }
    }
}
