// The demo chat, on threadio.js (our Socket.IO client). The server is examples/chat.rs;
// its doc comment lists the events this page speaks:
//   → join (nick, room, ack)   → leave (room)   → chat ({room, text}, ack)
//   → typing (room)            → rtt (ack)      → shown (room, sender, id): a chat is on screen
//   ← presence {room, members} ← notice {room, text}  ← chat {id, room, from, sender, text, at}
//   ← seen {id, room, by}: a reader's receipt for one of ours   ← typing {room, from}
// The server keeps our session for two minutes if the connection drops (connection state
// recovery): coming back, we get what we missed, and the banner says how many messages.
// Everything from the wire is shown with textContent, never as HTML: a page must never
// trust what another client sent.
'use strict';

const $ = (id) => document.getElementById(id);
const NICK_KEY = 'threadio.nick';
const RTT_EVERY_MS = 3000;
const TYPING_SEND_EVERY_MS = 2000; // at most one "typing" per 2 s while keys are pressed…
const TYPING_SHOW_MS = 3000;       // …and a "x is typing…" line fades 3 s after the last one
const SEEN_WAIT_MS = 5000;         // a message nobody has seen by then shows "✓ 0/n"
const BANNER_SHOW_MS = 6000;       // how long "reconnected — …" stays up

const state = {
  socket: null,
  nick: '',
  rooms: new Map(), // room → { members: [], log: [{kind, ...}], unread }
  selected: null,
  mine: new Map(),   // message id → our message, counting its readers' "seen"
  early: new Map(),  // id → "seen"s that overtook our ack (they cannot, but be safe)
  typing: new Map(), // room → Map(nick → timer)
  reconnects: 0,
  lastTypingSent: 0,
  away: null,        // while disconnected: { missed } counts the messages that come back
};

// ---- The connection ------------------------------------------------------------------------

const forcePolling = $('force-polling');
forcePolling.checked = new URLSearchParams(location.search).get('transport') === 'polling';
forcePolling.addEventListener('change', () => connect());

function connect() {
  if (state.socket) state.socket.disconnect();
  state.away = null; // leaving on purpose: the next connect is a start, not a return
  const transports = forcePolling.checked ? ['polling'] : ['polling', 'websocket'];
  const socket = threadio.io({ transports, forceNew: true });
  state.socket = socket;
  setStatus('connecting');
  $('transport').textContent = transports[0];
  socket.io.onPacket = (dir, packet) => logPacket(dir, packet);
  socket.io.on('reconnect_attempt', (n) => { $('reconnects').textContent = String(++state.reconnects); });
  socket.io.on('upgrade', (transport) => { $('transport').textContent = transport.name; });
  // Our handlers check `socket === state.socket`: an old socket's last events are ignored.
  const on = (event, handler) => socket.on(event, (...args) => socket === state.socket && handler(...args));

  on('connect', () => {
    setStatus('connected');
    $('transport').textContent = socket.io.engine.transport.name;
    // Join our rooms again. A new session knows nothing of us (the server may have
    // restarted); a recovered one is in its rooms already, but the others were told we
    // left, and a join tells them we are back. These go out before the emits buffered
    // while we were away, so those land.
    for (const room of state.rooms.keys()) sendJoin(socket, room);
    if (state.away) welcomeBack(socket);
    measureRtt();
  });
  on('disconnect', (reason) => {
    state.away = state.away || { missed: 0 };
    setStatus('disconnected');
    // The server ended this socket on purpose (an admin's "disconnect", say): Socket.IO's
    // client does not reconnect after that, so the banner must not promise it.
    if (reason === 'io server disconnect') {
      showBanner('away', 'Disconnected by the server. Reload the page to come back.');
    }
  });
  on('connect_error', () => setStatus('disconnected'));

  on('presence', ({ room, members }) => {
    const entry = state.rooms.get(room);
    if (entry) entry.presences++;
    setMembers(room, members);
  });
  on('notice', ({ room, text }) => addEntry(room, { kind: 'notice', text }));
  // With recovery on, each chat ends with one more argument, its offset (a string the
  // client keeps for the next reconnect): we take the message and leave the rest.
  on('chat', (message) => {
    stopTyping(message.room, message.from);
    if (!state.rooms.has(message.room)) return;
    addEntry(message.room, { kind: 'message', ...message });
    if (state.away) state.away.missed++;
    // Honest: this browser has it on screen now. The author's page counts these receipts.
    socket.emit('shown', message.room, message.sender, message.id);
  });
  on('seen', ({ id }) => {
    const entry = state.mine.get(id);
    if (!entry) return state.early.set(id, (state.early.get(id) || 0) + 1);
    entry.seen++;
    showSeen(entry);
  });
  on('typing', ({ room, from }) => startTyping(room, from));
}

function setStatus(value) {
  const status = $('status');
  status.dataset.state = document.body.dataset.state = value;
  $('status-label').textContent = value;
  if (value === 'disconnected') {
    showBanner('away', 'Disconnected from the server. Reconnecting by itself; messages you send now wait and go out then.');
  } else if ($('banner').dataset.kind === 'away') {
    $('banner').hidden = true;
  }
  if (value !== 'connected') $('rtt').textContent = '–';
}

function showBanner(kind, text) {
  const banner = $('banner');
  clearTimeout(banner.hideTimer);
  banner.dataset.kind = kind;
  banner.textContent = text;
  banner.hidden = false;
  if (kind !== 'away') banner.hideTimer = setTimeout(() => { banner.hidden = true; }, BANNER_SHOW_MS);
}

// Back after a drop. A recovered session sends what we missed right after its CONNECT
// answer (threadio) or just before it (Node), and either way before the answer to anything
// we send now: so once this ack is here, every missed message has been counted.
function welcomeBack(socket) {
  if (!socket.recovered) {
    state.away = null;
    return showBanner('back', 'reconnected — new session (messages sent while you were away are not here)');
  }
  socket.emit('rtt', () => {
    if (socket !== state.socket || !state.away) return;
    const { missed } = state.away;
    state.away = null;
    showBanner('back', `reconnected — recovered ${missed} missed message${missed === 1 ? '' : 's'}`);
  });
}

// The round-trip time: an event with an ack, timed. Everything a chat message goes
// through (the transport, both parsers, a handler) is in it.
function measureRtt() {
  const socket = state.socket;
  if (!socket.connected) return;
  const started = performance.now();
  socket.timeout(RTT_EVERY_MS).emit('rtt', (err) => {
    if (!err && socket === state.socket) $('rtt').textContent = `${Math.round(performance.now() - started)} ms`;
  });
}
setInterval(measureRtt, RTT_EVERY_MS);

// ---- Rooms ---------------------------------------------------------------------------------

$('nick').value = localStorage.getItem(NICK_KEY) || '';

$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const nick = $('nick').value.trim() || `guest-${Math.floor(1000 + Math.random() * 9000)}`;
  const room = $('room').value.trim().replace(/^#/, '');
  if (!room) return $('room').focus();
  $('nick').value = state.nick = nick;
  try { localStorage.setItem(NICK_KEY, nick); } catch (_) { /* storage may be off: fine */ }
  if (!state.rooms.has(room)) state.rooms.set(room, { members: [], log: [], unread: 0, presences: 0, presencesAtJoin: 0 });
  select(room);
  sendJoin(state.socket, room);
  $('text').focus();
});

$('leave').addEventListener('click', () => {
  const room = state.selected;
  state.socket.emit('leave', room);
  state.rooms.delete(room);
  select(state.rooms.keys().next().value || null);
});

function select(room) {
  state.selected = room;
  if (room) state.rooms.get(room).unread = 0;
  $('room-title').textContent = room ? `#${room}` : 'No room yet';
  $('leave').hidden = !room;
  $('text').disabled = $('send').disabled = !room;
  $('text').placeholder = room ? `Message #${room}` : 'Join a room to write…';
  renderRooms();
  renderMessages();
  renderOnline();
  renderTyping();
}

// The answer to a join: the room's members, or why the server refused it (a socket may be
// in only so many rooms), shown in that room.
function joined(reply) {
  if (reply.error) return addEntry(reply.room, { kind: 'notice', text: `Not joined: ${reply.error}` });
  // The ack's list was taken when we joined; a `presence` that came before the ack was taken
  // later (it lists us), on another member's thread, and must not be overwritten by it.
  const entry = state.rooms.get(reply.room);
  if (entry && entry.presences !== entry.presencesAtJoin) return;
  setMembers(reply.room, reply.members);
}

function sendJoin(socket, room) {
  const entry = state.rooms.get(room);
  entry.presencesAtJoin = entry.presences;
  socket.emit('join', state.nick, room, joined);
}

function setMembers(room, members) {
  const entry = state.rooms.get(room);
  if (!entry) return;
  entry.members = members;
  if (room === state.selected) renderOnline();
}

function renderRooms() {
  const list = $('rooms');
  list.replaceChildren();
  for (const [room, entry] of state.rooms) {
    const li = document.createElement('li');
    li.dataset.room = room;
    li.textContent = room;
    li.tabIndex = 0;
    if (entry.unread) li.dataset.unread = String(entry.unread);
    if (room === state.selected) li.setAttribute('aria-current', 'true');
    list.append(li);
  }
}

$('rooms').addEventListener('click', (event) => {
  const li = event.target.closest('li[data-room]');
  if (li) select(li.dataset.room);
});
$('rooms').addEventListener('keydown', (event) => {
  const li = event.target.closest('li[data-room]');
  if (li && (event.key === 'Enter' || event.key === ' ')) select(li.dataset.room);
});

function renderOnline() {
  const members = state.selected ? state.rooms.get(state.selected).members : [];
  $('online').replaceChildren(...members.map((nick) => {
    const li = document.createElement('li');
    li.textContent = nick;
    if (nick === state.nick) li.classList.add('me');
    return li;
  }));
}

// ---- Messages ------------------------------------------------------------------------------

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value.trim();
  const room = state.selected;
  if (!text || !room) return;
  $('text').value = '';
  // The readers to expect: the room's other members as the page knows them now.
  const of = state.rooms.get(room).members.filter((m) => m !== state.nick).length;
  const entry = { kind: 'message', mine: true, from: state.nick, text, at: Date.now(), ticks: '', of, seen: 0 };
  addEntry(room, entry);
  // First tick: the server's ack says it has the message (and gives it an id). While we
  // are disconnected the emit waits in the socket's buffer, and so does the tick.
  state.socket.emit('chat', { room, text }, ({ id }) => {
    entry.seen = state.early.get(id) || 0;
    state.early.delete(id);
    state.mine.set(id, entry);
    if (entry.seen > 0) return showSeen(entry);
    setTicks(entry, '✓', 'the server has it');
    if (of > 0) setTimeout(() => entry.seen === 0 && showSeen(entry), SEEN_WAIT_MS);
  });
});

/** Second tick: the other members' pages have shown it — all of them (✓✓), or some (✓✓ 2/3).
 *  A reader who was away sends its receipt when it is back, so the count may still grow. */
function showSeen(entry) {
  const { seen, of } = entry;
  if (seen === 0) return setTicks(entry, `✓ 0/${of}`, `shown to none of the ${of} other members yet`);
  const ticks = seen >= of ? '✓✓' : `✓✓ ${seen}/${of}`;
  setTicks(entry, ticks, `shown to ${seen} of the ${of} other members`);
}

function setTicks(entry, ticks, title) {
  entry.ticks = ticks;
  entry.ticksTitle = title;
  if (!entry.li) return;
  const el = entry.li.querySelector('.ticks');
  el.textContent = ticks;
  el.title = title;
}

$('text').addEventListener('input', () => {
  const now = Date.now();
  if (!state.selected || now - state.lastTypingSent < TYPING_SEND_EVERY_MS) return;
  state.lastTypingSent = now;
  state.socket.emit('typing', state.selected);
});

/** Records an entry in its room, and shows it if that room is selected. */
function addEntry(room, entry) {
  const roomState = state.rooms.get(room);
  if (!roomState) return;
  roomState.log.push(entry);
  if (room !== state.selected) {
    if (entry.kind === 'message') roomState.unread++;
    return renderRooms();
  }
  const list = $('messages');
  list.querySelector('.empty')?.remove();
  const li = renderEntry(entry);
  list.append(li);
  li.scrollIntoView({ block: 'end' });
}

function renderMessages() {
  const log = state.selected ? state.rooms.get(state.selected).log : [];
  const list = $('messages');
  list.replaceChildren(...log.map(renderEntry));
  if (log.length === 0) {
    const empty = document.createElement('li');
    empty.className = 'empty';
    empty.textContent = state.selected ? 'No messages yet. Say hello!' : 'Pick a nickname and join a room.';
    list.append(empty);
  }
  list.lastElementChild?.scrollIntoView({ block: 'end' });
}

function renderEntry(entry) {
  const li = document.createElement('li');
  if (entry.kind === 'notice') {
    li.className = 'notice';
    li.textContent = entry.text;
    return li;
  }
  li.className = entry.mine ? 'message mine' : 'message';
  const time = new Date(entry.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  li.append(
    span('from', entry.from),
    span('text', entry.text),
    span('meta', time),
    span('ticks', entry.mine ? entry.ticks : ''),
  );
  if (entry.mine && entry.ticksTitle) li.querySelector('.ticks').title = entry.ticksTitle;
  entry.li = li; // the ack and each "seen" update whichever <li> shows it now
  return li;
}

function span(className, text) {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

// ---- "x is typing…" ------------------------------------------------------------------------

function startTyping(room, from) {
  if (!state.typing.has(room)) state.typing.set(room, new Map());
  const typers = state.typing.get(room);
  clearTimeout(typers.get(from));
  typers.set(from, setTimeout(() => stopTyping(room, from), TYPING_SHOW_MS));
  renderTyping();
}

function stopTyping(room, from) {
  const typers = state.typing.get(room);
  if (!typers || !typers.has(from)) return;
  clearTimeout(typers.get(from));
  typers.delete(from);
  renderTyping();
}

function renderTyping() {
  const names = [...(state.typing.get(state.selected) || new Map()).keys()];
  $('typing').textContent = names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…`
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
}

// ---- The wire panel ------------------------------------------------------------------------

const MAX_PACKETS = 500;

$('wire-toggle').addEventListener('click', () => {
  const wire = $('wire');
  wire.hidden = !wire.hidden;
  $('wire-toggle').setAttribute('aria-expanded', String(!wire.hidden));
  document.body.classList.toggle('wire-open', !wire.hidden);
  if (!wire.hidden) $('packets').lastElementChild?.scrollIntoView({ block: 'end' });
});
$('wire-clear').addEventListener('click', () => $('packets').replaceChildren());

// Every Engine.IO packet, as it is on the wire: "42[…]" is Engine.IO's 4 (message) around
// Socket.IO's 2 (event); "2"/"3" alone are the heartbeat; "2probe", "3probe", "5" the upgrade.
function logPacket(dir, packet) {
  const li = document.createElement('li');
  li.className = 'packet';
  li.dataset.dir = dir;
  li.textContent = typeof packet === 'number' ? `binary ${packet} bytes` : packet;
  li.title = describe(packet);
  const list = $('packets');
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.append(li);
  while (list.childElementCount > MAX_PACKETS) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function describe(packet) {
  if (typeof packet === 'number') return 'a binary attachment';
  const engine = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'][Number(packet[0])];
  if (engine !== 'message') return `Engine.IO ${engine}`;
  const socketio = ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'CONNECT_ERROR', 'BINARY_EVENT', 'BINARY_ACK'];
  return `Engine.IO message, Socket.IO ${socketio[Number(packet[1])] || '?'}`;
}

connect();
