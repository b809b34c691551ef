//! One namespace's link to the cluster: the [`Adapter`] the Redis adapter gives each
//! namespace (the Node adapter makes one `RedisAdapter` instance per namespace likewise).
//!
//! Outgoing, it turns each cluster-wide operation into the Node adapter's message on this
//! namespace's channels (`channels.rs`, `message.rs`), and for questions waits for the
//! answers (`pending.rs`). Incoming — on the inbox thread — it does what the other nodes
//! ask of this node's sockets, through the namespace's own API with `.local()`, so that
//! nothing it does is sent back out.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::channels::Channels;
use super::cluster::Shared;
use super::config::Parser;
use super::message::{Answer, Ask, Broadcast, Chosen, Event, Request, RequestType};
use crate::json::{Map, Value};
use crate::socketio::broadcast_ack::BroadcastAckCallback;
use crate::socketio::packet::{Packet, PacketType};
use crate::socketio::{
    Ack, AckTally, Adapter, Args, BroadcastOperator, BroadcastOptions, ClusterError, ClusterResult,
    Handshake, Namespace, RemoteSocket, WeakNamespace,
};

/// The adapter of one namespace.
pub(crate) struct NamespaceLink {
    pub(crate) name: String,
    pub(crate) channels: Channels,
    namespace: WeakNamespace,
    cluster: Arc<Shared>,
}

impl NamespaceLink {
    pub(crate) fn new(namespace: &Namespace, cluster: Arc<Shared>) -> NamespaceLink {
        NamespaceLink {
            name: namespace.name().to_string(),
            channels: Channels::new(&cluster.config.key, namespace.name(), &cluster.uid),
            namespace: namespace.downgrade(),
            cluster,
        }
    }

    // ---- outgoing ------------------------------------------------------------------------

    fn publish_request(&self, request: &Request) {
        let value = request.to_value(&self.name);
        let payload = if request.uses_parser() {
            self.cluster.config.parser.encode(&value)
        } else {
            value.to_json().into_bytes()
        };
        self.cluster
            .publisher
            .publish(self.channels.request.clone(), payload);
    }

    fn request(&self, request_id: Option<String>, ask: Ask) -> Request {
        Request {
            uid: self.cluster.uid.clone(),
            request_id,
            ask,
        }
    }

    /// How many *other* nodes serve this namespace: subscribers of its request channel,
    /// less this one.
    fn other_nodes(&self) -> Result<usize, String> {
        let channel = self.channels.request.as_bytes();
        let counts = self
            .cluster
            .commands
            .numsub(&[channel])
            .map_err(|e| e.to_string())?;
        let nodes = counts.first().map_or(0, |(_, count)| *count);
        Ok(usize::try_from(nodes).unwrap_or(0).saturating_sub(1))
    }

    /// Publishes a question and waits for every other node's answer.
    fn ask_all(&self, ask: Ask) -> Result<(Vec<Map>, usize), ClusterError<Vec<Map>>> {
        let expected = self
            .other_nodes()
            .map_err(|reason| ClusterError::Unreachable {
                partial: Vec::new(),
                reason,
            })?;
        if expected == 0 {
            return Ok((Vec::new(), 0));
        }
        let request_id = self.cluster.new_request_id();
        let answers = self.cluster.pending.question(&request_id);
        self.publish_request(&self.request(Some(request_id.clone()), ask));
        let timeout = self.cluster.config.requests_timeout;
        let collected = self
            .cluster
            .pending
            .collect(&request_id, &answers, expected, timeout);
        if collected.complete {
            Ok((collected.answers, expected))
        } else {
            Err(ClusterError::Timeout {
                answered: collected.answers.len(),
                partial: collected.answers,
                expected,
            })
        }
    }

    fn remote_sockets(&self, answers: Vec<Map>) -> Vec<RemoteSocket> {
        let Some(namespace) = self.namespace.upgrade() else {
            return Vec::new();
        };
        answers
            .iter()
            .filter_map(|answer| answer.get("sockets").and_then(Value::as_array))
            .flatten()
            .filter_map(|socket| remote_socket(&namespace, socket))
            .collect()
    }

    // ---- incoming (on the inbox thread) --------------------------------------------------

    /// A broadcast another node published on channel `room`'s channel (or the namespace's).
    pub(crate) fn on_broadcast(&self, payload: &[u8]) {
        let Some(namespace) = self.namespace.upgrade() else {
            return;
        };
        let broadcast = match Parser::decode(payload)
            .and_then(|value| Broadcast::from_value(value).map_err(|e| e.to_string()))
        {
            Ok(broadcast) => broadcast,
            Err(why) => return self.cluster.malformed(&self.channels.broadcast, &why),
        };
        if broadcast.uid == self.cluster.uid || broadcast.namespace != self.name {
            return;
        }
        self.cluster.received();
        let mut options = broadcast.options;
        options.flags.local = true;
        BroadcastOperator::with_options(&namespace, options)
            .emit_event(&broadcast.event.name, broadcast.event.args);
    }

    /// A request another node published.
    pub(crate) fn on_request(&self, payload: &[u8]) {
        let Some(namespace) = self.namespace.upgrade() else {
            return;
        };
        let request = match Parser::decode(payload)
            .and_then(|value| Request::from_value(value).map_err(|e| e.to_string()))
        {
            Ok(request) => request,
            Err(why) => return self.cluster.malformed(&self.channels.request, &why),
        };
        // This node did its own part before it asked.
        if request.uid == self.cluster.uid {
            return;
        }
        self.cluster.received();
        self.act_on(&namespace, request);
    }

    fn act_on(&self, namespace: &Namespace, request: Request) {
        let Request {
            uid,
            request_id,
            ask,
        } = request;
        let answer = |fields: Vec<(&str, Value)>| {
            if let Some(id) = &request_id {
                self.answer(&uid, Answer::to_value(id, None, fields));
            }
        };
        match ask {
            Ask::Sockets { rooms } => {
                let options = BroadcastOptions {
                    rooms,
                    ..BroadcastOptions::default()
                };
                let ids = local(namespace, options)
                    .local_sockets()
                    .iter()
                    .map(|socket| Value::from(socket.id()))
                    .collect();
                answer(vec![("sockets", Value::Array(ids))]);
            }
            Ask::AllRooms => {
                let rooms = namespace.local_rooms().into_iter().map(Value::from);
                answer(vec![("rooms", Value::Array(rooms.collect()))]);
            }
            Ask::Join { chosen, rooms } => {
                if self.change_rooms(namespace, chosen, &rooms, true) {
                    answer(Vec::new());
                }
            }
            Ask::Leave { chosen, rooms } => {
                if self.change_rooms(namespace, chosen, &rooms, false) {
                    answer(Vec::new());
                }
            }
            Ask::Disconnect { chosen, close } => match chosen {
                Chosen::ByOptions(options) => local(namespace, options).disconnect_sockets(close),
                Chosen::BySocketId(socket_id) => {
                    if let Some(socket) = namespace.socket(&socket_id) {
                        socket.disconnect(close);
                        answer(Vec::new());
                    }
                }
            },
            Ask::Fetch { options } => {
                let sockets = local(namespace, options)
                    .local_sockets()
                    .iter()
                    .map(|socket| socket_value(&RemoteSocket::of_local(socket)))
                    .collect();
                answer(vec![("sockets", Value::Array(sockets))]);
            }
            Ask::ServerSideEmit { data } => {
                self.server_side_emit_arrived(namespace, request_id, data)
            }
            Ask::Broadcast { event, options } => {
                if let Some(id) = request_id {
                    self.acked_broadcast_arrived(namespace, &uid, &id, event, options);
                }
            }
        }
    }

    /// A join or leave: for the sockets `opts` choose, or one by id. Returns whether it is
    /// the kind that is answered (by id, and the socket is here).
    fn change_rooms(
        &self,
        namespace: &Namespace,
        chosen: Chosen,
        rooms: &[String],
        join: bool,
    ) -> bool {
        match chosen {
            Chosen::ByOptions(options) => {
                let chosen = local(namespace, options);
                for room in rooms {
                    if join {
                        chosen.sockets_join(room);
                    } else {
                        chosen.sockets_leave(room);
                    }
                }
                false
            }
            Chosen::BySocketId(socket_id) => {
                let Some(socket) = namespace.socket(&socket_id) else {
                    return false;
                };
                for room in rooms {
                    if join {
                        if let Err(refused) = socket.join(room) {
                            crate::log!(
                                "redis adapter: another node's join of {socket_id} to {room}: {refused}"
                            );
                        }
                    } else {
                        socket.leave(room);
                    }
                }
                true
            }
        }
    }

    /// A server-side emit: to this namespace's handlers, with an [`Ack`] that publishes
    /// the answer (its first argument, as Node's holds one) when the sender asked.
    fn server_side_emit_arrived(
        &self,
        namespace: &Namespace,
        request_id: Option<String>,
        data: Vec<Value>,
    ) {
        let ack = match request_id {
            None => Ack::none(),
            Some(id) => {
                let cluster = Arc::clone(&self.cluster);
                let channel = self.channels.response.clone();
                Ack::for_node(move |args| {
                    let answer = Answer::to_value(
                        &id,
                        Some(RequestType::ServerSideEmit),
                        first_argument("data", args),
                    );
                    // Node's adapter answers these on the shared response channel, whatever
                    // its `publishOnSpecificResponseChannel` says: so do we.
                    cluster
                        .publisher
                        .publish(channel, answer.to_json().into_bytes());
                })
            }
        };
        namespace.receive_server_side_emit(data, ack);
    }

    /// An acked broadcast: say how many sockets here are asked — before any of their
    /// answers, which the asker needs in that order — then relay each answer.
    fn acked_broadcast_arrived(
        &self,
        namespace: &Namespace,
        asker: &str,
        request_id: &str,
        event: Event,
        options: BroadcastOptions,
    ) {
        let timeout = options
            .flags
            .timeout
            .unwrap_or(self.cluster.config.requests_timeout);
        let chosen = local(namespace, options);
        let targets = chosen.local_sockets();
        let count = Answer::to_value(
            request_id,
            Some(RequestType::BroadcastClientCount),
            vec![("clientCount", Value::from(targets.len()))],
        );
        self.answer(asker, count);
        let packet = Packet::event(&self.name, &event.name, event.args, None);
        let cluster = Arc::clone(&self.cluster);
        let channel = self.channels.answer_to(
            asker,
            self.cluster.config.publish_on_specific_response_channel,
        );
        let request_id = request_id.to_string();
        chosen.ask_each(&targets, &packet, timeout, move |outcome| {
            // A socket that timed out or went has nothing to relay: the asker's own
            // deadline covers it, as in Node.
            if let Ok(args) = outcome {
                let answer = Answer::to_value(
                    &request_id,
                    Some(RequestType::BroadcastAck),
                    first_argument("packet", Args::into_vec(args)),
                );
                let payload = cluster.config.parser.encode(&answer);
                cluster.publisher.publish(channel.clone(), payload);
            }
        });
    }

    /// Publishes an answer (JSON) for node `asker`.
    fn answer(&self, asker: &str, answer: Value) {
        let specific = self.cluster.config.publish_on_specific_response_channel;
        let channel = self.channels.answer_to(asker, specific);
        self.cluster
            .publisher
            .publish(channel, answer.to_json().into_bytes());
    }

    /// Whether this node has sockets in `room`: a single-room broadcast for a room it has
    /// none in is dropped before it is decoded.
    pub(crate) fn has_room(&self, room: &str) -> bool {
        self.namespace
            .upgrade()
            .is_some_and(|namespace| namespace.has_room(room))
    }
}

impl Adapter for NamespaceLink {
    fn broadcast(&self, packet: &Packet, options: &BroadcastOptions) {
        let Some(event) = event_of(packet) else {
            return;
        };
        let broadcast = Broadcast {
            uid: self.cluster.uid.clone(),
            namespace: self.name.clone(),
            event,
            options: options.clone(),
        };
        let payload = self.cluster.config.parser.encode(&broadcast.to_value());
        let channel = self.channels.broadcast_to(&options.rooms);
        self.cluster.publisher.publish(channel, payload);
    }

    fn broadcast_with_ack(
        &self,
        packet: &Packet,
        options: &BroadcastOptions,
        tally: &Arc<AckTally>,
    ) -> usize {
        let Some(event) = event_of(packet) else {
            return 0;
        };
        let others = match self.other_nodes() {
            Ok(others) => others,
            Err(reason) => {
                crate::log!("redis adapter: an acked broadcast stays on this node: {reason}");
                return 0;
            }
        };
        if others == 0 {
            return 0;
        }
        let request_id = self.cluster.new_request_id();
        self.cluster.pending.acks(&request_id, tally);
        let ask = Ask::Broadcast {
            event,
            options: options.clone(),
        };
        self.publish_request(&self.request(Some(request_id.clone()), ask));
        let timeout = options.flags.timeout.unwrap_or(Duration::ZERO);
        self.cluster.expire_at(request_id, Instant::now() + timeout);
        others
    }

    fn fetch_sockets(&self, options: &BroadcastOptions) -> ClusterResult<Vec<RemoteSocket>> {
        let ask = Ask::Fetch {
            options: options.clone(),
        };
        match self.ask_all(ask) {
            Ok((answers, _)) => Ok(self.remote_sockets(answers)),
            Err(error) => Err(error.map(|answers| self.remote_sockets(answers))),
        }
    }

    fn add_sockets(&self, options: &BroadcastOptions, rooms: &[String]) {
        let ask = Ask::Join {
            chosen: Chosen::ByOptions(options.clone()),
            rooms: rooms.to_vec(),
        };
        self.publish_request(&self.request(None, ask));
    }

    fn del_sockets(&self, options: &BroadcastOptions, rooms: &[String]) {
        let ask = Ask::Leave {
            chosen: Chosen::ByOptions(options.clone()),
            rooms: rooms.to_vec(),
        };
        self.publish_request(&self.request(None, ask));
    }

    fn disconnect_sockets(&self, options: &BroadcastOptions, close: bool) {
        let ask = Ask::Disconnect {
            chosen: Chosen::ByOptions(options.clone()),
            close,
        };
        self.publish_request(&self.request(None, ask));
    }

    fn server_side_emit(&self, data: &[Value]) {
        let ask = Ask::ServerSideEmit {
            data: data.to_vec(),
        };
        self.publish_request(&self.request(None, ask));
    }

    fn server_side_emit_with_ack(
        &self,
        data: &[Value],
        timeout: Duration,
        callback: BroadcastAckCallback,
    ) {
        let others = match self.other_nodes() {
            Ok(others) => others,
            Err(reason) => {
                crate::log!("redis adapter: a server-side emit reached no other node: {reason}");
                return callback(Ok(Vec::new()));
            }
        };
        if others == 0 {
            return callback(Ok(Vec::new()));
        }
        let request_id = self.cluster.new_request_id();
        self.cluster
            .pending
            .server_side_emit(&request_id, others, callback);
        let ask = Ask::ServerSideEmit {
            data: data.to_vec(),
        };
        self.publish_request(&self.request(Some(request_id.clone()), ask));
        self.cluster.expire_at(request_id, Instant::now() + timeout);
    }

    fn all_rooms(&self) -> ClusterResult<BTreeSet<String>> {
        let rooms_of = |answers: Vec<Map>| -> BTreeSet<String> {
            answers
                .iter()
                .filter_map(|answer| answer.get("rooms").and_then(Value::as_array))
                .flatten()
                .filter_map(|room| room.as_str().map(str::to_string))
                .collect()
        };
        match self.ask_all(Ask::AllRooms) {
            Ok((answers, _)) => Ok(rooms_of(answers)),
            Err(error) => Err(error.map(rooms_of)),
        }
    }

    fn server_count(&self) -> ClusterResult<usize> {
        self.other_nodes()
            .map(|others| others + 1)
            .map_err(|reason| ClusterError::Unreachable { partial: 1, reason })
    }

    fn close(&self) {
        self.cluster.unlink(self);
    }
}

/// This node's sockets that `options` choose, for acting on another node's behalf.
fn local(namespace: &Namespace, options: BroadcastOptions) -> BroadcastOperator {
    BroadcastOperator::with_options(namespace, options).local()
}

/// The field that relays an answer to another node: `key` with the answer's first argument,
/// as Node's adapter relays `arg` (one argument). An answer of no argument leaves the field
/// out: Node's `arg` is then `undefined`, which `JSON.stringify` and notepack.io both drop
/// from an object, so the asker reads the same `undefined` it would from a Node node.
fn first_argument(key: &str, args: Vec<Value>) -> Vec<(&str, Value)> {
    args.into_iter()
        .next()
        .map(|first| (key, first))
        .into_iter()
        .collect()
}

/// The event an EVENT packet carries.
fn event_of(packet: &Packet) -> Option<Event> {
    if !matches!(packet.kind, PacketType::Event | PacketType::BinaryEvent) {
        return None;
    }
    let Some(Value::Array(data)) = &packet.data else {
        return None;
    };
    let (name, args) = data.split_first()?;
    Some(Event {
        name: name.as_str()?.to_string(),
        args: args.to_vec(),
    })
}

/// A socket as a fetch answer describes it: `{id, handshake, rooms, data}`.
fn socket_value(socket: &RemoteSocket) -> Value {
    let mut map = Map::new();
    map.insert("id", socket.id());
    map.insert("handshake", socket.handshake().to_value());
    map.insert(
        "rooms",
        Value::Array(
            socket
                .rooms()
                .iter()
                .map(|r| Value::from(r.as_str()))
                .collect(),
        ),
    );
    map.insert("data", socket.data().clone());
    Value::Object(map)
}

/// A socket of another node from its description; one without an id is skipped.
fn remote_socket(namespace: &Namespace, value: &Value) -> Option<RemoteSocket> {
    let id = value.get("id")?.as_str()?.to_string();
    let handshake = value
        .get("handshake")
        .and_then(|h| Handshake::from_value(h).ok())
        .unwrap_or_else(|| {
            Handshake::from_value(&Value::Object(Map::new()))
                .expect("an empty object is a handshake")
        });
    let mut rooms: Vec<String> = value
        .get("rooms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|room| room.as_str().map(str::to_string))
        .collect();
    rooms.sort_unstable();
    let data = value.get("data").cloned().unwrap_or(Value::Null);
    Some(RemoteSocket::new(namespace, id, handshake, rooms, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_relays_its_first_argument_and_leaves_the_field_out_without_one() {
        let args = vec![Value::from("yes"), Value::from(2)];
        assert_eq!(
            first_argument("packet", args),
            vec![("packet", Value::from("yes"))]
        );
        assert_eq!(
            first_argument("data", vec![Value::Null]),
            vec![("data", Value::Null)],
            "null is an argument: Node writes it"
        );
        assert_eq!(first_argument("data", Vec::new()), Vec::new());
        let answer = Answer::to_value("q1", Some(RequestType::ServerSideEmit), Vec::new());
        assert_eq!(answer.to_json(), r#"{"type":6,"requestId":"q1"}"#);
    }
}
