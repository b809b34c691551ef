// The demo chat: one raw WebSocket (RFC 6455) to the threadio server, no library.
//
// The server is deliberately dumb: every text message it gets, it relays verbatim to everyone
// except the sender, and it tells everyone how many are online. So the page speaks JSON:
//   we send     {"type":"chat","name":"<nick>","text":"<msg>"}   (and show it ourselves)
//   we receive  the same shape from others, and {"type":"presence","online":N}
// Anything else that arrives is ignored: a page must never trust what comes off the wire.
'use strict';

const RETRY_FIRST_MS = 1000; // after a lost connection wait 1s, then 2s, 4s, 8s…
const RETRY_MAX_MS = 10000;  // …but never more than 10s between attempts
const NAME_KEY = 'threadio.name';

const $ = (id) => document.getElementById(id);
const messages = $('messages');
const form = $('composer');
const nameInput = $('name');
const textInput = $('text');
const sendButton = $('send');

let socket = null;
let retryMs = RETRY_FIRST_MS;
let retryTimer = null;

// ---- The nickname: remembered across visits in localStorage -------------------------------

function loadName() {
  try {
    const saved = localStorage.getItem(NAME_KEY);
    if (saved) return saved;
  } catch (_) { /* storage can be disabled (privacy mode): a fresh guest name will do */ }
  return 'guest-' + String(Math.floor(1000 + Math.random() * 9000));
}

nameInput.value = loadName();
nameInput.addEventListener('change', () => {
  nameInput.value = nameInput.value.trim() || loadName();
  try { localStorage.setItem(NAME_KEY, nameInput.value); } catch (_) { /* see loadName */ }
});

// ---- The connection -------------------------------------------------------------------------

// RFC 6455 §3: "ws" is WebSocket over plain TCP and "wss" over TLS. Follow the page's own
// scheme, or a browser refuses an insecure socket from a secure page (mixed content).
function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return scheme + '//' + location.host + '/ws';
}

function connect() {
  setStatus('connecting', 'connecting');

  // new WebSocket() starts the opening handshake at once (RFC 6455 §4.1): an HTTP GET with
  // "Upgrade: websocket" and a random Sec-WebSocket-Key, which the server must answer with
  // "101 Switching Protocols" and the matching Sec-WebSocket-Accept (§4.2.2). Nothing can be
  // sent until that has happened; the constructor returns before it does.
  try {
    socket = new WebSocket(socketUrl());
  } catch (err) { // a malformed URL, e.g. when the page was opened from a file:// path
    setStatus('disconnected', 'cannot connect: ' + err.message);
    return;
  }

  // onopen: the server answered 101 and the connection is OPEN (§4.1, "_The WebSocket
  // Connection is Established_"). From here on, both sides talk in frames (§5).
  socket.onopen = () => {
    retryMs = RETRY_FIRST_MS; // a good connection resets the backoff
    setStatus('connected', 'connected');
    sendButton.disabled = false;
  };

  // onmessage: one whole message arrived. The browser has already put fragmented frames back
  // together (§5.4) and checked that a text message is valid UTF-8 (§5.6, §8.1).
  socket.onmessage = (event) => {
    if (typeof event.data !== 'string') return; // binary frames (§5.6) are not part of our protocol
    let msg;
    try { msg = JSON.parse(event.data); } catch (_) { return; } // not JSON: ignore it
    if (!msg || typeof msg !== 'object') return;

    if (msg.type === 'chat' && typeof msg.name === 'string' && typeof msg.text === 'string') {
      addMessage(msg.name, msg.text, false);
    } else if (msg.type === 'presence' && Number.isInteger(msg.online) && msg.online >= 0) {
      $('online').textContent = msg.online + ' online';
      $('online').hidden = false;
    }
    // any other message type: ignored, so a newer server cannot break an older page
  };

  // onclose: the connection is CLOSED, whoever ended it. event.code is the close code (§7.4.1):
  // 1000 normal, 1001 going away; 1006 means no Close frame came at all (the server died or the
  // network dropped), a code that is never sent on the wire (§7.1.5). An error is always followed
  // by a close, so this one handler is where we schedule the retry.
  socket.onclose = (event) => {
    console.info('websocket closed: code', event.code, 'reason', JSON.stringify(event.reason));
    sendButton.disabled = true;
    $('online').hidden = true;
    scheduleReconnect();
  };
}

// Exponential backoff: if the server is down, a page that retried at once in a loop would
// hammer it the moment it came back, together with every other open tab.
function scheduleReconnect() {
  const delay = retryMs;
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  setStatus('disconnected', 'disconnected · retry in ' + delay / 1000 + 's');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, delay);
}

function setStatus(state, label) {
  $('status').dataset.state = state; // style.css colours the dot from this
  $('status-label').textContent = label;
}

// ---- Sending --------------------------------------------------------------------------------

// Enter in the message box submits the form.
form.addEventListener('submit', (event) => {
  event.preventDefault(); // stay on the page: no real form submission
  const text = textInput.value.trim();
  if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;

  // send(): the browser wraps the string in one text frame (opcode 0x1, §5.6) and masks it, as
  // every client-to-server frame must be (§5.3). The relay server does not echo our own
  // messages back, so we show ours right away.
  const name = nameInput.value.trim() || 'guest';
  socket.send(JSON.stringify({ type: 'chat', name: name, text: text }));
  addMessage(name, text, true);
  textInput.value = '';
  textInput.focus();
});

// ---- Showing messages -----------------------------------------------------------------------

// Every piece of text from the network goes in with textContent, never innerHTML: a message
// like "<img src=x onerror=...>" must show as those characters, not run as code.
function addMessage(name, text, mine) {
  const nearBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
  const empty = $('empty');
  if (empty) empty.remove();

  const item = document.createElement('li');
  item.className = mine ? 'message mine' : 'message';
  if (!mine) {
    const who = document.createElement('span');
    who.className = 'name';
    who.textContent = name;
    item.append(who);
  }
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.textContent = text;
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  item.append(bubble, time);
  messages.append(item);

  // Follow the conversation, unless the reader scrolled up to read older messages.
  if (mine || nearBottom) item.scrollIntoView({ block: 'end' });
}

connect();
