//! One namespace on the client's session, as the program holds it: handlers to register,
//! emits and acknowledgements, and the namespace's state (Socket.IO v5 "Connection to a
//! namespace", "Sending and receiving data", "Acknowledgement"). The official client calls
//! this a `Socket`; the server side of this crate has three kinds of `Socket` already, hence
//! [`Channel`]. What the reader thread does with the server's packets is in
//! `channel_core.rs`.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::channel_core::{check_name, AckWaiter, ChannelCore};
use super::error::{DialError, DisconnectCause, EmitError};
use super::handlers::Responder;
use super::manager::Manager;
use crate::json::Value;
use crate::socketio::packet::Packet as SioPacket;
use crate::socketio::AckError;

/// One namespace of a Socket.IO server, joined through the client's session. Get the first
/// from [`Dialer::connect`](super::Dialer::connect), others on the same session from
/// [`Manager::namespace`]. Clones are handles on the same namespace; any thread may use
/// them.
#[derive(Clone)]
pub struct Channel {
    pub(crate) core: Arc<ChannelCore>,
}

impl Channel {
    /// The namespace's name (`/`, `/admin`).
    pub fn namespace(&self) -> &str {
        &self.core.namespace
    }

    /// The session this namespace is on, for opening others beside it or closing all.
    pub fn manager(&self) -> Manager {
        Manager {
            core: Arc::clone(&self.core.manager),
        }
    }

    /// Registers the handler of `event`, replacing any earlier one. It runs on the event
    /// thread (or the reader: [`HandlerThread`](super::HandlerThread)) with the event's
    /// arguments and a [`Responder`] for the ack, if one was asked.
    pub fn on(&self, event: &str, handler: impl Fn(Vec<Value>, Responder) + Send + Sync + 'static) {
        Arc::make_mut(&mut self.core.handlers.lock().unwrap()).on(event, handler);
    }

    /// Registers a handler that sees every event, with its name, before its own handler.
    pub fn on_any(&self, handler: impl Fn(&str, &[Value]) + Send + Sync + 'static) {
        Arc::make_mut(&mut self.core.handlers.lock().unwrap())
            .any
            .push(Arc::new(handler));
    }

    /// Runs after each successful CONNECT, first and reconnections alike.
    pub fn on_connect(&self, handler: impl Fn() + Send + Sync + 'static) {
        Arc::make_mut(&mut self.core.handlers.lock().unwrap())
            .connect
            .push(Arc::new(handler));
    }

    /// Runs when the server refuses the namespace (its `{"message":…,"data":…}`) or the
    /// session cannot be opened (`{"message":…}`).
    pub fn on_connect_error(&self, handler: impl Fn(&Value) + Send + Sync + 'static) {
        Arc::make_mut(&mut self.core.handlers.lock().unwrap())
            .connect_error
            .push(Arc::new(handler));
    }

    /// Runs when a connected namespace is disconnected, with the cause.
    pub fn on_disconnect(&self, handler: impl Fn(&DisconnectCause) + Send + Sync + 'static) {
        Arc::make_mut(&mut self.core.handlers.lock().unwrap())
            .disconnect
            .push(Arc::new(handler));
    }

    /// Joins the namespace and waits for the server's answer, at most `timeout`. The
    /// namespace then stays wanted: it reconnects with the session until
    /// [`disconnect`](Channel::disconnect).
    ///
    /// # Errors
    /// [`DialError::Refused`] with the server's data, [`DialError::Timeout`], the error that
    /// kept the session from opening, or [`DialError::Closed`].
    pub fn connect(&self, timeout: Duration) -> Result<(), DialError> {
        if self.core.manager.is_closing() {
            return Err(DialError::Closed);
        }
        self.core.join();
        self.wait_connected(timeout)
    }

    pub(crate) fn wait_connected(&self, timeout: Duration) -> Result<(), DialError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.core.state.lock().unwrap();
        loop {
            if state.connected {
                return Ok(());
            }
            if let Some(data) = state.refused.take() {
                return Err(DialError::Refused(data));
            }
            if let Some(e) = state.failure.take() {
                return Err(e);
            }
            if self.core.manager.is_closing() {
                return Err(DialError::Closed);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(DialError::Timeout);
            }
            state = self
                .core
                .changed
                .wait_timeout(state, (deadline - now).min(Duration::from_millis(200)))
                .unwrap()
                .0;
        }
    }

    /// Sends an event (Socket.IO v5 "Sending and receiving data"); buffered while the
    /// namespace is disconnected, sent when it is back.
    ///
    /// # Errors
    /// [`EmitError::ReservedName`], [`EmitError::Closed`].
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        check_name(event)?;
        let packet = SioPacket::event(&self.core.namespace, event, args, None);
        let to_write = self
            .core
            .send_or_buffer(&mut self.core.state.lock().unwrap(), packet)?;
        if let Some(packet) = to_write {
            self.core.manager.write(&packet);
        }
        Ok(())
    }

    /// Sends an event asking for an acknowledgement and waits for it, at most `timeout`
    /// (counted from now, buffered or not, as the official client's `timeout(ms).emit`).
    /// Safe to call from a handler: the answer is delivered by the reader thread.
    ///
    /// # Errors
    /// [`EmitError::Ack`] with [`AckError::Timeout`] or [`AckError::Disconnected`],
    /// [`EmitError::BlocksReader`] on the reader thread, and as [`emit`](Channel::emit).
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> Result<Vec<Value>, EmitError> {
        if self.core.manager.on_reader() {
            return Err(EmitError::BlocksReader);
        }
        let (sender, answer) = mpsc::channel();
        let id = self.core.ask(event, args, AckWaiter::Blocking(sender))?;
        match answer.recv_timeout(timeout) {
            Ok(result) => result.map_err(EmitError::Ack),
            Err(_) => {
                self.core.forget_ack(id);
                Err(EmitError::Ack(AckError::Timeout))
            }
        }
    }

    /// The callback form: returns at once; `callback` runs where the handlers run with the
    /// answer, or with [`AckError::Timeout`] after `timeout`, or [`AckError::Disconnected`].
    ///
    /// # Errors
    /// As [`emit`](Channel::emit); the callback is not called then.
    pub fn emit_with_ack_then(
        &self,
        event: &str,
        args: Vec<Value>,
        timeout: Duration,
        callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
    ) -> Result<(), EmitError> {
        let id = self
            .core
            .ask(event, args, AckWaiter::Callback(Box::new(callback)))?;
        let channel = Arc::downgrade(&self.core);
        crate::timer::schedule(Instant::now() + timeout, move || {
            if let Some(channel) = channel.upgrade() {
                if let Some(waiter) = channel.forget_ack(id) {
                    channel.resolve(waiter, Err(AckError::Timeout));
                }
            }
        });
        Ok(())
    }

    /// The socket id the server gave this namespace, while connected.
    pub fn id(&self) -> Option<String> {
        self.core.state.lock().unwrap().socket_id.clone()
    }

    /// Whether the namespace is connected now.
    pub fn connected(&self) -> bool {
        self.core.state.lock().unwrap().connected
    }

    /// Whether the last CONNECT restored the previous session (connection state recovery):
    /// same id, same rooms, and the missed events delivered before `connect`.
    pub fn recovered(&self) -> bool {
        self.core.state.lock().unwrap().recovered
    }

    /// Leaves the namespace (a DISCONNECT packet) and stops reconnecting it; when it was
    /// the last one, the session closes too.
    pub fn disconnect(&self) {
        {
            let state = self.core.state.lock().unwrap();
            if state.connected {
                self.core
                    .manager
                    .write(&SioPacket::disconnect(&self.core.namespace));
            }
        }
        self.core.leave(DisconnectCause::IoClientDisconnect, true);
        self.core.manager.channel_left();
    }
}
