//! Why a socket disconnected: the reason its `disconnecting` and `disconnect` handlers get
//! (Socket.IO v4 server API, `socket.on("disconnect", (reason) => …)`).
//!
//! Where it sits: a socket leaves its namespace for one of two kinds of cause. Socket.IO's
//! own (a DISCONNECT packet either way) is named where it happens, in `client.rs` and
//! `socket.rs`; the end of the whole Engine.IO session is an `engineio::CloseReason`, turned
//! into a [`DisconnectReason`] here, in one `From`, so the two layers' words cannot drift.
//! Each reason prints as the reference server's string, so a handler ported from Node that
//! compares `reason == "ping timeout"` keeps its meaning through `as_str`.

use std::fmt;

use crate::engineio::CloseReason;

/// Why a socket disconnected. `Display` and [`DisconnectReason::as_str`] give the reference
/// server's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The connection ended cleanly: the client closed its WebSocket, or the page went.
    TransportClose,
    /// The connection failed: a broken WebSocket frame, overlapping polls, an oversized POST.
    TransportError,
    /// The client stopped answering pings (Engine.IO v4 "Heartbeat").
    PingTimeout,
    /// The client sent something that is no valid Engine.IO or Socket.IO packet.
    ParseError,
    /// The server closed the connection: a packet that makes no sense in its state (for a
    /// namespace not joined, a second CONNECT), as the reference's docs list it.
    ForcedClose,
    /// The server is stopping (`Io::close`).
    ServerShuttingDown,
    /// The client left this namespace (`socket.disconnect()` in the client).
    ClientNamespaceDisconnect,
    /// The server disconnected this socket (`Socket::disconnect`, `disconnect_sockets`, a
    /// handler that panicked).
    ServerNamespaceDisconnect,
    /// The reference's word for its Socket.IO layer closing a connection of its own accord,
    /// which its docs give for the connect timeout. A socket here never hears it: a
    /// connection closed for joining no namespace in time has no socket. It is listed so that
    /// every reason the reference documents has its variant.
    ForcedServerClose,
}

impl DisconnectReason {
    /// The reason as the reference server words it: `"ping timeout"`, `"transport close"`…
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::ForcedServerClose => "forced server close",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The end of the whole Engine.IO session, as each of its sockets hears it. No wildcard arm:
/// a new `CloseReason` will not compile until someone decides what a socket is told.
impl From<CloseReason> for DisconnectReason {
    fn from(reason: CloseReason) -> DisconnectReason {
        match reason {
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError => DisconnectReason::TransportError,
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::ParseError => DisconnectReason::ParseError,
            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
            CloseReason::ServerShuttingDown => DisconnectReason::ServerShuttingDown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_end_keeps_the_engine_io_words() {
        for reason in [
            CloseReason::TransportClose,
            CloseReason::TransportError,
            CloseReason::PingTimeout,
            CloseReason::ParseError,
            CloseReason::ForcedClose,
            CloseReason::ServerShuttingDown,
        ] {
            assert_eq!(DisconnectReason::from(reason).as_str(), reason.as_str());
        }
    }

    #[test]
    fn the_namespace_reasons_print_as_the_reference_server_words_them() {
        assert_eq!(
            DisconnectReason::ClientNamespaceDisconnect.to_string(),
            "client namespace disconnect"
        );
        assert_eq!(
            DisconnectReason::ServerNamespaceDisconnect.to_string(),
            "server namespace disconnect"
        );
        assert_eq!(
            DisconnectReason::ForcedServerClose.to_string(),
            "forced server close"
        );
    }
}
