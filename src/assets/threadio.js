// threadio.js: a small Socket.IO v5 / Engine.IO v4 client for the browser, written to be read.
//
// Three layers, bottom to top, one section each, in the order of the protocols:
//
//   Engine.IO v4  packets ("4hello"), payloads (packets joined by \x1e), two transports
//                 (HTTP long-polling, WebSocket), the upgrade between them, the heartbeat.
//                 It gives a *session* that survives a change of transport.
//   Socket.IO v5  packets ("2/admin,7["chat","hi"]"): events, acknowledgements, binary
//                 attachments, namespaces multiplexed on one session.
//   Manager       one Engine.IO session per server, shared by every namespace's Socket,
//                 and reconnection with exponential backoff when the session dies.
//
// Connection state recovery (Socket.IO 4.6+): when the server offers it, a Socket that
// lost its session comes back with its id, rooms and the events it missed, and
// `socket.recovered` says whether it did (see `sendConnectPacket` and `fireEvent`).
//
// Usage, the same shape as the official client:
//   const socket = threadio.io();                      // same origin, namespace "/"
//   socket.on("chat", (msg) => ...);
//   socket.emit("join", "ann", "lobby", (reply) => ...);          // with an ack
//   socket.timeout(2000).emit("rtt", (err) => ...);               // ack or timeout error
//   socket.io.onPacket = (dir, textOrByteLength) => ...;          // every Engine.IO packet
//
// The specs: https://github.com/socketio/engine.io-protocol (v4) and
// https://github.com/socketio/socket.io-protocol (v5). Section names are cited in quotes.
(function (root) {
  'use strict';

  // ---- Events: the little emitter every layer below is built on ------------------------

  class Emitter {
    constructor() { this._listeners = new Map(); }

    on(event, fn) {
      if (!this._listeners.has(event)) this._listeners.set(event, []);
      this._listeners.get(event).push(fn);
      return this;
    }

    once(event, fn) {
      const wrapper = (...args) => { this.off(event, wrapper); fn.apply(this, args); };
      wrapper.original = fn;
      return this.on(event, wrapper);
    }

    /** off() removes everything, off(event) that event's listeners, off(event, fn) one. */
    off(event, fn) {
      if (event === undefined) this._listeners.clear();
      else if (fn === undefined) this._listeners.delete(event);
      else {
        const kept = (this._listeners.get(event) || []).filter((l) => l !== fn && l.original !== fn);
        this._listeners.set(event, kept);
      }
      return this;
    }

    /** Calls the listeners of `event` here, in this page. (Socket.emit sends to the server.) */
    fire(event, ...args) {
      for (const fn of [...(this._listeners.get(event) || [])]) fn.apply(this, args);
    }
  }

  // ---- Binary values: what counts as bytes, and how they travel as text ----------------

  const isBinary = (v) =>
    v instanceof ArrayBuffer || ArrayBuffer.isView(v) || (typeof Blob !== 'undefined' && v instanceof Blob);

  /** Whether `value` holds bytes anywhere inside (test for BINARY_EVENT, and for Blobs). */
  function hasBinary(value, test = isBinary) {
    if (test(value)) return true;
    if (Array.isArray(value)) return value.some((v) => hasBinary(v, test));
    if (value && typeof value === 'object' && typeof value.toJSON !== 'function') {
      return Object.values(value).some((v) => hasBinary(v, test));
    }
    return false;
  }

  function toArrayBuffer(bytes) {
    if (bytes instanceof ArrayBuffer) return bytes;
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  function base64Encode(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  function base64Decode(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  /** A copy of `value` with every Blob inside replaced by its bytes (Blobs read async). */
  async function readBlobs(value) {
    if (typeof Blob !== 'undefined' && value instanceof Blob) return value.arrayBuffer();
    if (Array.isArray(value)) return Promise.all(value.map(readBlobs));
    if (value && typeof value === 'object' && !isBinary(value) && typeof value.toJSON !== 'function') {
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = await readBlobs(v);
      return out;
    }
    return value;
  }

  // ---- Engine.IO v4 "Packet encoding" and "Payload" ------------------------------------

  // The packet type is one ASCII digit, its index here; the data follows it.
  const ENGINE_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];
  const RECORD_SEPARATOR = '\x1e'; // "Payload": joins packets in one polling body

  /** {type, data} → the text of one packet, or the raw bytes of a binary message. */
  function encodeEnginePacket(packet) {
    if (isBinary(packet.data)) return toArrayBuffer(packet.data);
    return ENGINE_TYPES.indexOf(packet.type) + (packet.data === undefined ? '' : packet.data);
  }

  /** A WebSocket frame or a payload's piece → {type, data}. Binary frames are messages. */
  function decodeEnginePacket(raw) {
    if (typeof raw !== 'string') return { type: 'message', data: raw };
    if (raw[0] === 'b') return { type: 'message', data: base64Decode(raw.slice(1)) };
    const type = ENGINE_TYPES[Number(raw[0])];
    if (!type) return { type: 'error', data: raw };
    return raw.length > 1 ? { type, data: raw.slice(1) } : { type };
  }

  // "Payload": over polling, binary can't ride in a text body, so it becomes "b" + base64.
  const encodePayload = (packets) => packets
    .map((p) => (isBinary(p.data) ? 'b' + base64Encode(toArrayBuffer(p.data)) : encodeEnginePacket(p)))
    .join(RECORD_SEPARATOR);
  const decodePayload = (body) => body.split(RECORD_SEPARATOR).map(decodeEnginePacket);

  // ---- Engine.IO v4 "Transports": HTTP long-polling ------------------------------------
  //
  // GET waits (the server holds it) until the server has packets for us; POST carries ours.
  // At most one GET and one POST are in flight: the server refuses a second GET.
  // Events: "packet", "drain" (a POST finished: we may write again), "pollComplete", "close".

  class Polling extends Emitter {
    constructor(engine) {
      super();
      this.name = 'polling';
      this.engine = engine;
      this.writable = false; // no POST before the handshake, nor while one is in flight
      this.handshakeDone = false;
      this.polling = false;  // a GET is in flight
      this.paused = false;   // the upgrade asked us to stop polling
      this.closed = false;
      this.aborter = new AbortController();
    }

    toString() { return this.name; }

    open() { this.poll(); } // the first GET (no sid) is the handshake

    async poll() {
      if (this.closed || this.paused) return;
      this.polling = true;
      let body;
      try {
        // `t` defeats caches that ignore our no-cache headers (proxies, old browsers).
        const response = await fetch(this.engine.uri('polling', true), { cache: 'no-store', signal: this.aborter.signal });
        if (!response.ok) throw new Error(`poll answered ${response.status}`);
        body = await response.text();
      } catch (err) {
        this.polling = false;
        if (!this.closed) this.fire('close', 'transport error');
        return;
      }
      this.polling = false;
      for (const packet of decodePayload(body)) {
        if (this.closed) return;
        this.fire('packet', packet);
      }
      if (!this.handshakeDone && this.engine.sid && !this.closed) {
        // The first answer was the handshake: from now on POSTs may carry our packets.
        // (Only then: later, `writable` is false exactly while a POST is in flight.)
        this.handshakeDone = true;
        this.writable = true;
        this.fire('drain');
      }
      if (this.paused) this.fire('pollComplete');
      else this.poll();
    }

    async send(packets) {
      this.writable = false;
      try {
        // Not aborted by close(): a final close packet must still reach the server.
        const response = await fetch(this.engine.uri('polling'), {
          method: 'POST', body: encodePayload(packets),
          headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
        });
        if (!response.ok) throw new Error(`POST answered ${response.status}`);
      } catch (err) {
        if (!this.closed) this.fire('close', 'transport error');
        return;
      }
      this.writable = true;
      this.fire('drain');
    }

    // Engine.IO v4 "Upgrade": before the switch, polling must go quiet. The server answers
    // our held GET with a noop ("6") once it has the probe; we wait for that GET and for
    // any POST in flight, then call `onPaused`, and never poll again.
    pause(onPaused) {
      this.paused = true;
      const wait = () => {
        if (this.polling) this.once('pollComplete', wait);
        else if (!this.writable) this.once('drain', wait);
        else onPaused();
      };
      wait();
    }

    /** The upgrade failed: go on polling as if nothing happened. */
    resume() {
      this.paused = false;
      if (!this.polling) this.poll();
    }

    close() {
      this.closed = true;
      this.aborter.abort();
    }
  }

  // ---- Engine.IO v4 "Transports": WebSocket ---------------------------------------------
  //
  // One Engine.IO packet per frame: text frames carry "4hello", binary frames carry the
  // bytes of a message packet with no type digit at all.

  class WebSocketTransport extends Emitter {
    constructor(engine) {
      super();
      this.name = 'websocket';
      this.engine = engine;
      this.writable = false;
      this.closed = false;
    }

    toString() { return this.name; }

    open() {
      const ws = (this.ws = new WebSocket(this.engine.uri('websocket')));
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => { this.writable = true; this.fire('open'); this.fire('drain'); };
      ws.onmessage = (event) => this.fire('packet', decodeEnginePacket(event.data));
      // An error is always followed by a close event, so that is where we report.
      ws.onclose = () => { if (!this.closed) this.fire('close', 'transport close'); };
    }

    send(packets) {
      for (const packet of packets) this.ws.send(encodeEnginePacket(packet));
    }

    close() {
      this.closed = true;
      if (this.ws) this.ws.close(1000);
    }
  }

  const TRANSPORTS = { polling: Polling, websocket: WebSocketTransport };

  // ---- Engine.IO v4: the session ---------------------------------------------------------
  //
  // Opens on the first transport of `opts.transports`, and if that is polling and the server
  // offers it, probes and upgrades to WebSocket. Events: "open", "message" (text or
  // ArrayBuffer), "upgrading", "upgrade" (the new transport), "close" (reason).

  class Engine extends Emitter {
    constructor(opts, trace) {
      super();
      this.opts = opts;           // { origin, path, transports }
      this.trace = trace;         // (dir, packet): for Manager.onPacket
      this.sid = null;
      this.readyState = 'opening';
      this.writeBuffer = [];      // packets waiting for a writable transport
      this.upgrading = false;
      this.transport = null;
      this.probeTransport = null;
      this.pollCount = 0;
    }

    /** The URL of a request: Engine.IO v4 "Transports" query parameters. */
    uri(transport, cacheBust) {
      const scheme = transport === 'websocket' ? this.opts.origin.replace(/^http/, 'ws') : this.opts.origin;
      let url = `${scheme}${this.opts.path}?EIO=4&transport=${transport}`;
      if (this.sid) url += `&sid=${encodeURIComponent(this.sid)}`;
      if (cacheBust) url += `&t=${Date.now().toString(36)}.${this.pollCount++}`;
      return url;
    }

    open() {
      this.setTransport(new TRANSPORTS[this.opts.transports[0]](this));
      this.transport.open();
    }

    setTransport(transport) {
      this.transport = transport;
      transport.on('packet', (packet) => this.onPacket(packet));
      transport.on('drain', () => this.flush());
      transport.on('close', (reason) => this.onClose(reason));
    }

    onPacket(packet) {
      this.trace('in', packet);
      switch (packet.type) {
        case 'open': return this.onHandshake(packet.data);
        case 'ping':
          // "Heartbeat": the server pings, we answer at once. Each ping also proves the
          // server alive, so the deadline below moves.
          this.resetPingTimeout();
          return this.sendPacket('pong');
        case 'message': return this.fire('message', packet.data);
        case 'close': return this.onClose('transport close'); // the server ended the session
        case 'noop': return; // sent to release a held GET during the upgrade
        default: return this.onClose('parse error');
      }
    }

    // "Handshake": 0{"sid":…,"upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,…}
    onHandshake(text) {
      let handshake;
      try { handshake = JSON.parse(text); } catch (err) { return this.onClose('parse error'); }
      if (!handshake || typeof handshake.sid !== 'string') return this.onClose('parse error');
      Object.assign(this, {
        sid: handshake.sid,
        pingInterval: handshake.pingInterval,
        pingTimeout: handshake.pingTimeout,
        readyState: 'open',
      });
      this.fire('open');
      this.flush();
      this.resetPingTimeout();
      const upgrades = handshake.upgrades || [];
      if (this.transport.name === 'polling' && upgrades.includes('websocket')
          && this.opts.transports.includes('websocket')) {
        this.probe();
      }
    }

    // "Heartbeat": if no ping arrives within pingInterval + pingTimeout, the server (or the
    // path to it) is gone, even if TCP has not noticed: close, and let the Manager reconnect.
    resetPingTimeout() {
      clearTimeout(this.pingTimer);
      this.pingTimer = setTimeout(() => this.onClose('ping timeout'), this.pingInterval + this.pingTimeout);
    }

    // "Upgrade": open a WebSocket with our sid, send "2probe", expect "3probe", pause
    // polling, send "5", and from then on use only the WebSocket. If anything fails we
    // simply stay on polling: the session never noticed.
    probe() {
      const ws = (this.probeTransport = new WebSocketTransport(this));
      const abandon = () => {
        ws.off(); ws.close();
        this.probeTransport = null;
        this.upgrading = false;
        if (this.transport.paused) this.transport.resume();
        this.flush();
      };
      const onProbePacket = (packet) => {
        this.trace('in', packet);
        if (packet.type !== 'pong' || packet.data !== 'probe') return abandon();
        this.upgrading = true; // from here on, writes wait in writeBuffer
        this.fire('upgrading', ws);
        this.transport.pause(() => {
          if (this.readyState !== 'open' || this.probeTransport !== ws) return;
          ws.off();
          const upgrade = { type: 'upgrade' };
          this.trace('out', upgrade);
          ws.send([upgrade]);
          this.transport.off();
          this.transport.close();
          this.setTransport(ws);
          this.probeTransport = null;
          this.upgrading = false;
          this.fire('upgrade', ws);
          this.flush();
        });
      };
      ws.once('open', () => {
        const ping = { type: 'ping', data: 'probe' };
        this.trace('out', ping);
        ws.send([ping]);
      });
      ws.on('packet', onProbePacket);
      ws.on('close', abandon);
      ws.open();
    }

    send(data) { this.sendPacket('message', data); }

    sendPacket(type, data) {
      this.writeBuffer.push(data === undefined ? { type } : { type, data });
      this.flush();
    }

    /** Writes everything buffered, in one POST or as frames, when the transport allows. */
    flush() {
      if (this.readyState !== 'open' || this.upgrading || !this.transport.writable) return;
      if (this.writeBuffer.length === 0) return;
      const packets = this.writeBuffer.splice(0);
      for (const packet of packets) this.trace('out', packet);
      this.transport.send(packets);
    }

    /** Ends the session on purpose: tell the server ("1"), then drop the transport. */
    close() {
      if (this.readyState === 'open') this.sendPacket('close');
      this.onClose('forced close');
    }

    onClose(reason) {
      if (this.readyState === 'closed') return;
      this.readyState = 'closed';
      clearTimeout(this.pingTimer);
      if (this.probeTransport) { this.probeTransport.off(); this.probeTransport.close(); }
      this.transport.off();
      this.transport.close();
      this.writeBuffer = [];
      this.fire('close', reason);
    }
  }

  // ---- Socket.IO v5 "Packet encoding" ----------------------------------------------------
  //
  //   <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]      e.g. 2/admin,13["ping"]

  const CONNECT = 0, DISCONNECT = 1, EVENT = 2, ACK = 3, CONNECT_ERROR = 4, BINARY_EVENT = 5, BINARY_ACK = 6;
  const RESERVED_EVENTS = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

  /** A packet → its text, then the attachments: one Engine.IO message each, in order. */
  function encodePacket(packet) {
    let { type, data } = packet;
    const attachments = [];
    // "Binary event": each ArrayBuffer or view becomes {"_placeholder":true,"num":N} in the
    // JSON, and its bytes travel as the N-th binary message after the text.
    if ((type === EVENT || type === ACK) && hasBinary(data)) {
      data = withPlaceholders(data, attachments);
      type = type === EVENT ? BINARY_EVENT : BINARY_ACK;
    }
    let text = String(type);
    if (type === BINARY_EVENT || type === BINARY_ACK) text += attachments.length + '-';
    if (packet.nsp && packet.nsp !== '/') text += packet.nsp + ',';
    if (packet.id !== undefined) text += packet.id;
    if (data !== undefined) text += JSON.stringify(data);
    return [text, ...attachments];
  }

  function withPlaceholders(value, attachments) {
    if (isBinary(value)) {
      attachments.push(toArrayBuffer(value));
      return { _placeholder: true, num: attachments.length - 1 };
    }
    if (Array.isArray(value)) return value.map((v) => withPlaceholders(v, attachments));
    if (value && typeof value === 'object' && typeof value.toJSON !== 'function') {
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = withPlaceholders(v, attachments);
      return out;
    }
    return value;
  }

  function withAttachments(value, attachments) {
    if (Array.isArray(value)) return value.map((v) => withAttachments(v, attachments));
    if (value && typeof value === 'object') {
      if (value._placeholder === true) {
        const bytes = attachments[value.num];
        if (bytes === undefined) throw new Error('placeholder without its attachment');
        return bytes;
      }
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = withAttachments(v, attachments);
      return out;
    }
    return value;
  }

  /** One packet's text → {type, nsp, id?, data?, attachments}. Throws on anything malformed. */
  function decodePacketText(text) {
    const packet = { type: Number(text[0]), nsp: '/', attachments: 0 };
    if (!(packet.type >= CONNECT && packet.type <= BINARY_ACK)) throw new Error(`unknown packet type in ${text}`);
    let pos = 1;
    if (packet.type === BINARY_EVENT || packet.type === BINARY_ACK) {
      const dash = text.indexOf('-', pos);
      packet.attachments = Number(text.slice(pos, dash));
      if (dash < 0 || !Number.isInteger(packet.attachments)) throw new Error(`bad attachment count in ${text}`);
      pos = dash + 1;
    }
    if (text[pos] === '/') {
      const comma = text.indexOf(',', pos);
      const end = comma < 0 ? text.length : comma;
      packet.nsp = text.slice(pos, end);
      pos = comma < 0 ? end : end + 1;
    }
    const digits = /^\d*/.exec(text.slice(pos))[0];
    if (digits) { packet.id = Number(digits); pos += digits.length; }
    if (pos < text.length) packet.data = JSON.parse(text.slice(pos));
    const isEvent = packet.type === EVENT || packet.type === BINARY_EVENT;
    if (isEvent && !(Array.isArray(packet.data) && typeof packet.data[0] === 'string')) {
      throw new Error(`an event needs a name: ${text}`);
    }
    return packet;
  }

  // Binary packets arrive in pieces: the text, then `attachments` binary messages. The
  // Decoder holds the text until the last piece, then puts the bytes back in place.
  class Decoder {
    constructor() { this.pending = null; }

    /** Returns a whole packet, or null while one is still being put together. */
    add(message) {
      if (typeof message === 'string') {
        if (this.pending) throw new Error('text packet while binary attachments were due');
        const packet = decodePacketText(message);
        if (packet.attachments === 0) return packet;
        this.pending = { packet, buffers: [] };
        return null;
      }
      if (!this.pending) throw new Error('binary message with no packet awaiting it');
      const { packet, buffers } = this.pending;
      buffers.push(message);
      if (buffers.length < packet.attachments) return null;
      this.pending = null;
      packet.data = withAttachments(packet.data, buffers);
      return packet;
    }
  }

  // ---- Manager: one session per server, and reconnection ---------------------------------
  //
  // Events: "open", "close" (reason), "error", "upgrade" (transport),
  // "reconnect_attempt" (n), "reconnect" (n).

  class Manager extends Emitter {
    constructor(origin, opts) {
      super();
      this.opts = Object.assign({
        path: '/socket.io/',
        transports: ['polling', 'websocket'],
        reconnection: true,
        reconnectionDelay: 1000,     // the first wait…
        reconnectionDelayMax: 10000, // …doubling each attempt, up to this
        randomizationFactor: 0.5,    // ±50%, so a server's returning clients don't all come at once
      }, opts);
      this.origin = origin;
      this.nsps = {};                // namespace → Socket
      this.engine = null;
      this.readyState = 'closed';
      this.attempts = 0;
      this.reconnectTimer = null;
      this.skipReconnect = false;
      this.decoder = new Decoder();
      this.onPacket = null;          // debug hook: (dir "in"|"out", text | byteLength)
    }

    socket(nsp, opts) {
      if (!this.nsps[nsp]) this.nsps[nsp] = new Socket(this, nsp, opts || {});
      return this.nsps[nsp];
    }

    open() {
      if (this.readyState !== 'closed') return;
      this.readyState = 'opening';
      this.skipReconnect = false;
      const { path, transports } = this.opts;
      const engine = (this.engine = new Engine({ origin: this.origin, path, transports }, (dir, p) => this.trace(dir, p)));
      engine.on('open', () => this.onOpen());
      engine.on('message', (data) => this.onMessage(data));
      engine.on('upgrade', (transport) => this.fire('upgrade', transport));
      engine.on('close', (reason) => this.onClose(reason));
      engine.open();
    }

    trace(dir, packet) {
      if (typeof this.onPacket !== 'function') return;
      const encoded = encodeEnginePacket(packet);
      this.onPacket(dir, typeof encoded === 'string' ? encoded : encoded.byteLength);
    }

    onOpen() {
      this.readyState = 'open';
      this.decoder = new Decoder();
      const attempts = this.attempts;
      this.attempts = 0;
      this.fire('open');
      if (attempts > 0) this.fire('reconnect', attempts);
    }

    onMessage(data) {
      let packet;
      try {
        packet = this.decoder.add(data);
      } catch (err) {
        // Socket.IO v5: a packet we cannot read ends the session ("parse error").
        console.warn('threadio:', err.message);
        return this.engine.onClose('parse error');
      }
      if (packet && this.nsps[packet.nsp]) this.nsps[packet.nsp].onPacket(packet);
    }

    /** Sends one Socket.IO packet: its text, then its attachments. */
    packet(packet) {
      if (this.engine) for (const part of encodePacket(packet)) this.engine.send(part);
    }

    onClose(reason) {
      const wasOpen = this.readyState === 'open';
      this.readyState = 'closed';
      if (wasOpen) this.fire('close', reason);
      else this.fire('error', new Error(reason === 'forced close' ? reason : 'could not connect: ' + reason));
      if (this.opts.reconnection && !this.skipReconnect) this.reconnect();
    }

    // Exponential backoff with jitter: ~1 s, 2 s, 4 s, 8 s, then 10 s, each ±50%.
    backoffDelay() {
      const { reconnectionDelay: base, reconnectionDelayMax: max, randomizationFactor: jitter } = this.opts;
      const exact = Math.min(base * 2 ** this.attempts, max);
      const randomized = exact * (1 + jitter * (2 * Math.random() - 1));
      return Math.min(Math.round(randomized), max);
    }

    reconnect() {
      if (this.reconnectTimer !== null) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (this.skipReconnect) return;
        this.attempts++;
        this.fire('reconnect_attempt', this.attempts);
        this.open(); // on failure the engine closes, onClose runs, and we come back here
      }, this.backoffDelay());
    }

    /** A socket left: once no namespace is in use, close the session for good. */
    socketDone() {
      if (Object.values(this.nsps).some((s) => s.active)) return;
      this.skipReconnect = true;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.attempts = 0;
      if (this.engine && this.readyState !== 'closed') this.engine.close();
      this.readyState = 'closed';
    }
  }

  // ---- Socket.IO v5: a Socket, one namespace on the Manager's session --------------------
  //
  // Events fired here: "connect", "connect_error" (Error), "disconnect" (reason), and every
  // event the server emits to us.

  class Socket extends Emitter {
    constructor(io, nsp, opts) {
      super();
      this.io = io;
      this.nsp = nsp;
      this.auth = opts.auth;
      this.ackTimeout = opts.ackTimeout;
      this.id = null;
      this.connected = false;
      this.active = false;     // wants to be connected: reconnects after a lost session
      this.sendBuffer = [];    // emits made while disconnected, sent on the next CONNECT
      this.acks = new Map();   // ack id → callback
      this.nextAckId = 0;
      this.receiveBuffer = []; // events that came before the CONNECT answer (see onPacket)
      this.recovered = false;  // this connection restored the previous one's session
      this.pid = null;         // the session's private id, if the server recovers sessions
      this.lastOffset = null;  // the offset of the last event we heard, sent with the pid
      this.outgoing = Promise.resolve(); // keeps packets in order while Blobs are read
      this.blobsInFlight = 0;
      io.on('open', () => { if (this.active) this.sendConnect(); });
      io.on('close', (reason) => { if (this.connected) this.onClose(reason); });
      io.on('error', (err) => { if (this.active && !this.connected) this.fire('connect_error', err); });
    }

    get disconnected() { return !this.connected; }

    connect() {
      if (this.active) return this;
      this.active = true;
      if (this.io.readyState === 'open') this.sendConnect();
      else this.io.open();
      return this;
    }

    // Socket.IO v5 "Connection to a namespace": 0/admin,{"token":"…"}, answered by
    // 0/admin,{"sid":"…"} or a CONNECT_ERROR.
    sendConnect() {
      if (typeof this.auth === 'function') this.auth((data) => this.sendConnectPacket(data));
      else this.sendConnectPacket(this.auth);
    }

    // Connection state recovery: the CONNECT answer gave us a private session id (`pid`),
    // and each event the server may replay ended with its offset. Coming back, we send both
    // beside the auth payload, {…auth, pid, offset}; a server that still has the session
    // restores it and sends what came after that offset, one that has not starts afresh.
    sendConnectPacket(auth) {
      const data = this.pid ? Object.assign({ pid: this.pid, offset: this.lastOffset }, auth) : auth;
      this.io.packet({ type: CONNECT, nsp: this.nsp, data });
    }

    onPacket(packet) {
      switch (packet.type) {
        case CONNECT: {
          const { sid, pid } = packet.data || {};
          this.id = sid;
          // Recovered: the server gave back the pid we sent. A new pid (or none) is a new
          // session, even if the server kept our old one for someone else's sake.
          this.recovered = Boolean(pid) && pid === this.pid;
          this.pid = pid || null;
          this.connected = true;
          // As the official client: what arrived before the answer first, then "connect".
          for (const args of this.receiveBuffer.splice(0)) this.fireEvent(args);
          this.fire('connect');
          for (const buffered of this.sendBuffer.splice(0)) this.packet(buffered);
          return;
        }
        case CONNECT_ERROR: {
          // Refused by a middleware: we do not retry on our own (call connect() again).
          this.active = false;
          const err = new Error((packet.data && packet.data.message) || 'connect error');
          err.data = packet.data && packet.data.data;
          this.fire('connect_error', err);
          return this.io.socketDone();
        }
        case EVENT:
        case BINARY_EVENT: {
          const args = [...packet.data];
          if (packet.id !== undefined) args.push(this.ackFunction(packet.id));
          // A server may send a recovered session's missed events before its CONNECT
          // answer (Node's does): hold them until we are connected, and keep their order.
          if (this.connected) this.fireEvent(args);
          else this.receiveBuffer.push(args);
          return;
        }
        case ACK:
        case BINARY_ACK: {
          const callback = this.acks.get(packet.id);
          if (!callback) return; // late (timed out) or unknown: nobody is waiting
          this.acks.delete(packet.id);
          return callback(...(packet.data || []));
        }
        case DISCONNECT:
          this.active = false; // the server sent us away: no automatic reconnection
          this.onClose('io server disconnect');
          return this.io.socketDone();
      }
    }

    // Connection state recovery: an event the server may replay carries its offset as the
    // last argument, a string. Like the official client we leave it there for the listener
    // (so the same handlers work with both clients) and remember it for the next CONNECT.
    // An event that asks for an ack never has one: its last argument is the ack function.
    fireEvent([event, ...args]) {
      this.fire(event, ...args);
      const last = args[args.length - 1];
      if (this.pid && typeof last === 'string') this.lastOffset = last;
    }

    // Socket.IO v5 "Acknowledgement": the server asked for an answer to event N; the
    // handler gets this function as its last argument, and calling it sends 3N[…args].
    ackFunction(id) {
      let sent = false;
      return (...args) => {
        if (sent) return;
        sent = true;
        this.packet({ type: ACK, id, data: args });
      };
    }

    /** emit(event, ...args[, ack]): sends now if connected, else when we are again. */
    emit(event, ...args) {
      this.send(event, args, this.ackTimeout);
      return this;
    }

    /** timeout(ms).emit(event, ...args, (err, ...reply) => …): err if no ack within ms. */
    timeout(ms) {
      return { emit: (event, ...args) => { this.send(event, args, ms); return this; } };
    }

    send(event, args, timeout) {
      if (RESERVED_EVENTS.includes(event)) throw new Error(`"${event}" is a reserved event name`);
      const packet = { type: EVENT, nsp: this.nsp, data: [event, ...args] };
      if (typeof args[args.length - 1] === 'function') {
        packet.id = this.nextAckId++;
        this.registerAck(packet, packet.data.pop(), timeout);
      }
      if (this.connected) this.packet(packet);
      else this.sendBuffer.push(packet);
    }

    registerAck(packet, callback, timeout) {
      if (timeout === undefined) return this.acks.set(packet.id, callback);
      // With a timeout the callback is error-first, as in the official client.
      const timer = setTimeout(() => {
        this.acks.delete(packet.id);
        this.sendBuffer = this.sendBuffer.filter((p) => p !== packet); // too late to send
        callback(new Error('operation has timed out'));
      }, timeout);
      const answered = (...reply) => { clearTimeout(timer); callback(null, ...reply); };
      answered.withError = callback;
      this.acks.set(packet.id, answered);
    }

    /** Hands a packet to the Manager, once any Blob inside has been read into bytes. */
    packet(packet) {
      if (this.blobsInFlight === 0 && !hasBinary(packet.data, (v) => typeof Blob !== 'undefined' && v instanceof Blob)) {
        return this.io.packet(packet);
      }
      this.blobsInFlight++;
      this.outgoing = this.outgoing
        .then(() => readBlobs(packet.data))
        .then((data) => this.io.packet(Object.assign(packet, { data })))
        .finally(() => this.blobsInFlight--);
    }

    disconnect() {
      if (this.connected) this.io.packet({ type: DISCONNECT, nsp: this.nsp });
      this.active = false;
      if (this.connected) this.onClose('io client disconnect');
      this.io.socketDone();
      return this;
    }

    onClose(reason) {
      this.connected = false;
      this.id = null;
      this.receiveBuffer = []; // a CONNECT that never came: they belong to no session now
      // Acks of packets already sent will never come back on a new session: fail those
      // that wait with a timeout, drop the rest. Buffered packets keep theirs.
      for (const [id, callback] of [...this.acks]) {
        if (this.sendBuffer.some((p) => p.id === id)) continue;
        this.acks.delete(id);
        if (callback.withError) callback.withError(new Error('socket has been disconnected'));
      }
      this.fire('disconnect', reason);
    }
  }

  // ---- io(): the entry point ---------------------------------------------------------------
  //
  // io("/admin") or io("http://host:3000/admin"): the URL's path is the *namespace*; the
  // Engine.IO endpoint is opts.path. Namespaces of one server share one Manager (one
  // session), unless the same namespace is asked for twice or opts.forceNew is set.

  const managers = new Map();

  function io(uri, opts) {
    if (typeof uri === 'object' && uri !== null) { opts = uri; uri = undefined; }
    opts = opts || {};
    const url = new URL(uri || '/', root.location ? root.location.href : undefined);
    const nsp = url.pathname || '/';
    const key = url.origin + (opts.path || '/socket.io/');
    let manager = managers.get(key);
    if (opts.forceNew || opts.multiplex === false || (manager && manager.nsps[nsp])) {
      manager = new Manager(url.origin, opts);
    } else if (!manager) {
      manager = new Manager(url.origin, opts);
      managers.set(key, manager);
    }
    const socket = manager.socket(nsp, opts);
    if (opts.autoConnect !== false) socket.connect();
    return socket;
  }

  root.threadio = { io, Manager, Socket, Engine, protocol: 5 };
})(typeof window !== 'undefined' ? window : globalThis);
