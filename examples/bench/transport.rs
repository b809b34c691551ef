//! The three ways a bench client talks to the server, behind one pair of handles: an
//! [`Outgoing`] any thread can send through, and an [`Incoming`] its own thread reads.
//! The workloads are written once against these and run over each [`Transport`].

use std::net::SocketAddr;
use std::time::Duration;

use threadio::client::{Channel, Transports};
use threadio::json::Value;
use threadio::websocket::{Sender, WebSocket};

use crate::error::BenchError;
use crate::raw_websocket;
use crate::socketio_client::{self, Arrivals, Gone, Reaction};

/// How often [`Incoming::react_while`] asks whether to go on. Only the end of a run waits
/// for it (each figure is taken as the message arrives), and every ask wakes a thread: at
/// 20 ms, 200 receivers' asks took a sixth of the bench's CPU in a fanout.
const CHECK_EVERY: Duration = Duration::from_millis(100);

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
pub enum Route {
    /// Back to the sender: `/echo`, or the `echo` event.
    Echo,
    /// To every client, the sender included: `/broadcast`, or the `chat` event.
    Everyone,
    /// To the other members of one room: `/room/NAME`, or `join` then `room-chat`.
    Room(String),
}

impl Route {
    fn raw_path(&self) -> String {
        match self {
            Route::Echo => "/echo".to_string(),
            Route::Everyone => "/broadcast".to_string(),
            Route::Room(name) => format!("/room/{name}"),
        }
    }

    /// The Socket.IO event that carries `message` on this route, and its arguments.
    fn event(&self, message: &str) -> (&'static str, Vec<Value>) {
        match self {
            Route::Echo => ("echo", vec![message.into()]),
            Route::Everyone => ("chat", vec![message.into()]),
            Route::Room(name) => (
                "room-chat",
                vec![Value::from(name.as_str()), message.into()],
            ),
        }
    }

    /// What a Socket.IO client sends once connected: a room member joins its room.
    fn join(&self) -> Option<(&'static str, Vec<Value>)> {
        match self {
            Route::Room(name) => Some(("join", vec![name.as_str().into()])),
            Route::Echo | Route::Everyone => None,
        }
    }
}

/// One connected client, in two halves that may go to different threads.
pub struct Client {
    pub outgoing: Outgoing,
    pub incoming: Incoming,
}

/// Sends the bench's messages on one route; clone it for another thread.
#[derive(Clone)]
pub struct Outgoing {
    route: Route,
    via: Via,
}

#[derive(Clone)]
enum Via {
    RawWebSocket(Sender),
    /// Either Socket.IO transport: the crate's client hides which one it uses.
    SocketIo(Channel),
}

/// Receives the messages for one client; owned by the thread that reads.
pub enum Incoming {
    /// Boxed: a WebSocket is some 300 bytes, the Socket.IO side a few pointers.
    RawWebSocket(Box<WebSocket>),
    SocketIo(Arrivals),
}

/// Connects one client over `transport` to `route`, within `timeout`.
///
/// # Errors
/// If the connection or the Socket.IO handshake fails.
pub fn connect(
    transport: Transport,
    server: SocketAddr,
    route: &Route,
    timeout: Duration,
) -> Result<Client, BenchError> {
    let (via, incoming) = match transport {
        Transport::RawWebSocket => {
            let ws = raw_websocket::connect(server, &route.raw_path())?;
            (
                Via::RawWebSocket(ws.sender()),
                Incoming::RawWebSocket(Box::new(ws)),
            )
        }
        Transport::SocketIoWebSocket | Transport::SocketIoPolling => {
            let transports = match transport {
                Transport::SocketIoPolling => Transports::PollingOnly,
                _ => Transports::WebSocketOnly,
            };
            let (channel, arrivals) = socketio_client::connect(server, transports, timeout)?;
            if let Some((event, args)) = route.join() {
                socketio_client::emit(&channel, event, args)?;
            }
            (Via::SocketIo(channel), Incoming::SocketIo(arrivals))
        }
    };
    let outgoing = Outgoing {
        route: route.clone(),
        via,
    };
    Ok(Client { outgoing, incoming })
}

impl Client {
    /// Ends the client: a close frame on a WebSocket; for Socket.IO, what
    /// `Manager::close` sends (a DISCONNECT, then Engine.IO `1`).
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
            Via::SocketIo(channel) => {
                let (event, args) = self.route.event(message);
                socketio_client::emit(channel, event, args)
            }
        }
    }

    /// Ends a Socket.IO client: its session closes and its threads end. A raw WebSocket
    /// ends when its [`Incoming`] is dropped.
    pub fn close(&self) {
        if let Via::SocketIo(channel) = &self.via {
            channel.manager().close();
        }
    }
}

impl Incoming {
    /// Hands each message to `reaction` while `going()` says so (asked every few
    /// milliseconds), the measured phases' way of reading. A raw WebSocket calls it here,
    /// on the workload's thread, which reads the socket; a Socket.IO client calls it on its
    /// reader thread (`socketio_client.rs`), so in both a message costs one wake-up.
    ///
    /// # Errors
    /// If the connection or the session ends.
    pub fn react_while(
        &mut self,
        mut reaction: Reaction,
        mut going: impl FnMut() -> bool,
    ) -> Result<(), BenchError> {
        match self {
            Incoming::RawWebSocket(ws) => {
                while going() {
                    if let Some(text) = raw_websocket::recv(ws, CHECK_EVERY)? {
                        reaction(&text);
                    }
                }
                Ok(())
            }
            Incoming::SocketIo(arrivals) => {
                arrivals.set_reaction(reaction);
                let mut alive = Ok(());
                while alive.is_ok() && going() {
                    alive = arrivals.check_alive(CHECK_EVERY);
                }
                arrivals.clear_reaction();
                alive
            }
        }
    }

    /// Hands each message to `reaction` from now on with no thread of the caller's: a
    /// Socket.IO client's reader runs it, and `gone` learns if the client ends. So a
    /// process can hold as many clients as it has threads for readers. A raw WebSocket
    /// needs a thread of the caller's to read it: it comes back as `Err`.
    ///
    /// # Errors
    /// The `Incoming` itself, for a raw WebSocket.
    pub fn hand_over(self, reaction: Reaction, gone: Gone) -> Result<(), Incoming> {
        match self {
            Incoming::SocketIo(arrivals) => {
                arrivals.hand_over(reaction, gone);
                Ok(())
            }
            raw @ Incoming::RawWebSocket(_) => Err(raw),
        }
    }

    /// Whether the client's own reader thread reads it (a Socket.IO client, which answers
    /// the server's pings there), so that holding it open needs no thread of the caller's.
    pub fn reads_itself(&self) -> bool {
        matches!(self, Incoming::SocketIo(_))
    }

    /// The next bench message, or `None` after `timeout` with the client still connected.
    ///
    /// # Errors
    /// If the connection or the session ends.
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<String>, BenchError> {
        match self {
            Incoming::RawWebSocket(ws) => raw_websocket::recv(ws, timeout),
            Incoming::SocketIo(arrivals) => arrivals.recv(timeout),
        }
    }
}
