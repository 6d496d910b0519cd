// The demo page's script. It uses only the public API of <bricks-websocket>:
// the `ws-url` attribute, send methods, `state`/`queued`, `socket`, and events.
//
// Two elements share one socket: #socket (share="tabs": one socket for every tab of this
// demo with the same room and name) and the presence bar #presence (share="page"). Both get
// every frame, so each frame type is handled on one of them only: the bar draws `presence`
// and `you`, the main element everything else. Nothing is drawn twice.
//
// Frames (see "The demo" in the README):
//   we send      {"type":"text","data":"hi"}            sendText()
//                {"type":"base64audio","data":"<b64>"}  sendBase64Audio(blob)
//                {"type":"base64video","data":"<b64>"}  sendBase64Video(blob)
//   we receive   the same frames from everyone in the room, ours included, each
//                right after one that says who sent it and when (we connect with ?name=):
//                {"type":"chat","data":{"from":"ana","at":1700000000000,"text":"hi"}}
//                {"type":"clip","data":{"from":"ana","at":1700000000000,"kind":"base64audio"}}
//                plus {"type":"presence","data":{event,id,name,count,people}}
//                and  {"type":"clock","data":1700000000000}
//   each tab     {"type":"tab-hello","data":"<tab id>"} on every open, {"type":"tab-bye",...} on
//                pagehide; the server answers the connection with
//                {"type":"you","data":{"id":"c1","name":"ana","tabs":2}}
// The conversation is drawn from `chat` and `clip`; the `text` events that follow carry
// the same words and are not needed here.

const socket = document.getElementById('socket');
const bar = document.getElementById('presence');
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const MAX_ITEMS = 200;
const MAX_CLIPS = 20;
const CLIP_MS = 3000;

// ---------------------------------------------------------------------------
// Room, name and the socket's URL

const room = /^[A-Za-z0-9_-]+$/.test(params.get('room') ?? '') ? params.get('room') : 'lobby';
const nameInput = $('name');
// Tabs share one connection only when their ws-urls are equal, and the ws-url carries a name.
// So the name in it is this browser's first one, kept in localStorage and never changed, and
// a second tab comes up with the same ws-url even after a rename. The name in use is kept
// beside it; the server learns it from whoami.
const urlName = params.get('name') || localStorage.getItem('bricks-demo-first-name') || randomName();
if (!params.has('name')) localStorage.setItem('bricks-demo-first-name', urlName);
nameInput.value = params.get('name') || localStorage.getItem('bricks-demo-name') || urlName;
$('room-name').textContent = room;
$('classic-link').search = `?room=${room}`;

function randomName() {
  const adjectives = ['quiet', 'brave', 'swift', 'sunny', 'lucky', 'clever', 'gentle', 'bold'];
  const animals = ['otter', 'falcon', 'lynx', 'heron', 'panda', 'fox', 'wren', 'koala'];
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  return `${pick(adjectives)}-${pick(animals)}`;
}

function myName() {
  return nameInput.value.trim() || 'anonymous';
}

function connect() {
  // Relative: the element resolves it against the page and maps http→ws.
  const url = `/ws/${room}?name=${encodeURIComponent(urlName)}`;
  // The main element first: the bar then finds its connection and joins it.
  socket.setAttribute('ws-url', url);
  bar.setAttribute('ws-url', url);
}

// A new name is a request the server may refuse (the name is taken): no reconnect, and the
// answer shows next to the field. The URL's ?name= is only the first name; on every
// connection the server asks `whoami` and gets the current one.
let confirmedName = myName();
const nameStatus = $('name-status');
nameInput.addEventListener('change', async () => {
  const wanted = myName();
  nameStatus.textContent = `Asking for “${wanted}”…`;
  nameInput.setAttribute('aria-busy', 'true');
  try {
    const { name } = await socket.request('rename', wanted, { timeout: 5000 });
    confirmedName = name;
    nameInput.value = name;
    localStorage.setItem('bricks-demo-name', name);
    nameStatus.textContent = `You are ${name}.`;
    log(`name is now ${name}`);
  } catch (error) {
    nameInput.value = confirmedName;
    nameStatus.textContent = error.name === 'ReplyError' ? error.message : `Not renamed: ${error.message}`;
    log(`rename refused: ${error.message}`, 'error');
  } finally {
    nameInput.removeAttribute('aria-busy');
  }
});

// The server's own request: who is this? Every tab on the shared connection gets it; the
// tab that holds the socket (`socket.socket` is null in the others) answers, once.
const myColour = `#${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')}`;
socket.addEventListener('whoami', (event) => {
  if (socket.socket) event.reply({ name: confirmedName, colour: myColour });
});

// Renamed from another tab on this connection: take the name the server now uses, or this
// tab would not recognise the echo of its own messages. (Not from whoami's `update`: that
// one is this tab's own answer.)
function nameFromServer(name) {
  if (name === confirmedName || nameInput.getAttribute('aria-busy') === 'true') return;
  confirmedName = name;
  if (document.activeElement !== nameInput) nameInput.value = name;
}

// ---------------------------------------------------------------------------
// Small helpers

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function timeEl(ms) {
  return el('time', { dateTime: new Date(ms).toISOString(), textContent: timeFormat.format(ms) });
}

/** Appends to a scrolling list, keeps it bounded, and follows the bottom if the user was there. */
function appendTo(list, item, max = MAX_ITEMS) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(item);
  while (list.children.length > max) {
    list.firstElementChild.querySelectorAll('[src^="blob:"]').forEach((media) => URL.revokeObjectURL(media.src));
    list.firstElementChild.remove();
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function log(text, kind = 'info') {
  appendTo($('log'), el('li', { className: kind }, [timeEl(Date.now()), ' ', text]));
}

/**
 * Our own message or clip coming back from the server, which sends them to the whole room,
 * us included: the oldest of ours in `list` not yet confirmed that `matches`. It is already
 * on the page (shown when sent, as queued while offline), so the echo only confirms it.
 */
function ownEcho(list, from, matches) {
  if (from !== myName()) return null;
  return [...list.querySelectorAll(':scope > [data-origin="local"]:not([data-confirmed])')].find(matches) ?? null;
}

function updateQueued() {
  $('queued').value = String(socket.queued);
}

// ---------------------------------------------------------------------------
// Chat

function addMessage({ from, at, text, origin, pending = false }) {
  const item = el('li', { className: 'msg' }, [
    el('p', { className: 'meta' }, [el('span', { className: 'who', textContent: origin === 'local' ? `${from} (you)` : from }), ' ', timeEl(at)]),
    el('p', { className: 'body', textContent: text }),
  ]);
  item.dataset.origin = origin;
  if (pending) item.dataset.pending = '';
  appendTo($('messages'), item);
  return item;
}

$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('say').value.trim();
  if (!text) return;
  // Sent now, or queued until the socket is open again.
  const pending = socket.state !== 'open';
  if (socket.sendText(text)) {
    addMessage({ from: myName(), at: Date.now(), text, origin: 'local', pending });
    $('say').value = '';
  }
  updateQueued();
});

// A page that joins late asks for the conversation so far, once.
let historyLoaded = false;
async function loadHistory() {
  if (historyLoaded) return;
  const status = $('history-status');
  status.textContent = 'Loading earlier messages…';
  try {
    const earlier = await socket.request('history', null, { timeout: 5000 });
    historyLoaded = true;
    const shown = $('messages').firstChild;
    for (const { from, at, text } of earlier) {
      const item = addMessage({ from, at, text: String(text), origin: 'history' });
      $('messages').insertBefore(item, shown);
    }
    status.textContent = earlier.length ? `${earlier.length} earlier message${earlier.length === 1 ? '' : 's'}` : 'No earlier messages';
  } catch (error) {
    status.textContent = `Could not load earlier messages: ${error.message}`;
  }
}

socket.addEventListener('chat', (event) => {
  const { from, at, text } = event.detail;
  const mine = ownEcho($('messages'), from, (item) => item.querySelector('.body').textContent === String(text));
  if (mine) mine.dataset.confirmed = '';
  else addMessage({ from, at, text: String(text), origin: 'remote' });
});

// ---------------------------------------------------------------------------
// Clips: audio and video, sent as base64 frames

function base64ToBlob(base64, kind) {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: sniffType(bytes, kind) });
}

/** The container from its magic bytes, so the media element need not guess. */
function sniffType(bytes, kind) {
  const ascii = (from, to) => String.fromCharCode(...bytes.subarray(from, to));
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'audio/wav';
  if (ascii(0, 4) === 'OggS') return `${kind}/ogg`;
  if (ascii(4, 8) === 'ftyp') return `${kind}/mp4`;
  return `${kind}/webm`;
}

function addClip({ kind, blob, from, at, label, origin }) {
  const media = el(kind, { controls: true, preload: 'metadata', src: URL.createObjectURL(blob) });
  if (kind === 'video') media.playsInline = true;
  media.setAttribute('aria-label', `${label} from ${from}`);
  const item = el('li', { className: `clip ${kind}` }, [
    el('p', { className: 'meta' }, [el('span', { className: 'who', textContent: origin === 'local' ? `${from} (you)` : from }), ' ', timeEl(at), ` · ${label} · ${Math.ceil(blob.size / 1024)} kB`]),
    media,
  ]);
  item.dataset.origin = origin;
  appendTo($('clips'), item, MAX_CLIPS);
}

// The `clip` frame comes right before the base64audio or base64video frame it describes.
let announced = null;
socket.addEventListener('clip', (event) => {
  announced = event.detail;
});

function receiveClip(kind, label) {
  return (event) => {
    const { from, at } = announced?.kind === event.type ? announced : { from: 'someone', at: Date.now() };
    announced = null;
    const mine = ownEcho($('clips'), from, (item) => item.classList.contains(kind));
    if (mine) {
      mine.dataset.confirmed = '';
      return;
    }
    try {
      addClip({ kind, blob: base64ToBlob(String(event.detail), kind), from, at, label, origin: 'remote' });
    } catch {
      log(`a ${label} from ${from} was not valid base64; ignored`, 'error');
    }
  };
}
socket.addEventListener('base64audio', receiveClip('audio', 'audio clip'));
socket.addEventListener('base64video', receiveClip('video', 'video clip'));

async function sendClip(kind, blob, label) {
  addClip({ kind, blob, from: myName(), at: Date.now(), label, origin: 'local' });
  const sent = kind === 'audio' ? await socket.sendBase64Audio(blob) : await socket.sendBase64Video(blob);
  log(`${label} ${sent ? (socket.state === 'open' ? 'sent' : 'queued') : 'not sent'} (${Math.ceil(blob.size / 1024)} kB)`);
  updateQueued();
}

/** Records `stream` until `stop` resolves; resolves with the clip. */
async function record(stream, stop, options = {}) {
  const recorder = new MediaRecorder(stream, options);
  const chunks = [];
  recorder.addEventListener('dataavailable', (event) => event.data.size > 0 && chunks.push(event.data));
  const stopped = new Promise((resolve, reject) => {
    recorder.addEventListener('stop', resolve);
    recorder.addEventListener('error', (event) => reject(event.error));
  });
  recorder.start();
  await stop;
  recorder.stop();
  await stopped;
  return new Blob(chunks, { type: recorder.mimeType });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The test tone: one second of 440 Hz, 16-bit mono PCM at 16 kHz, in a WAV
// file whose 44-byte RIFF header we write ourselves.
function toneWav(seconds = 1, hz = 440, rate = 16000) {
  const samples = seconds * rate;
  const view = new DataView(new ArrayBuffer(44 + samples * 2));
  const ascii = (offset, text) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true); // bytes per second
  view.setUint16(32, 2, true); // bytes per frame
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i += 1) {
    const fade = Math.min(1, i / 400, (samples - i) / 400); // no clicks at the ends
    view.setInt16(44 + i * 2, Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * fade * 0.3 * 32767), true);
  }
  return new Blob([view], { type: 'audio/wav' });
}

$('tone').addEventListener('click', () => sendClip('audio', toneWav(), 'test tone'));

// Push-to-talk: press (pointer, Space or Enter) to record, release to send.
const talk = $('talk');
let release = null;

async function startTalking() {
  if (release) return;
  let letGo;
  release = new Promise((resolve) => (letGo = resolve));
  release.letGo = letGo;
  talk.setAttribute('aria-pressed', 'true');
  const started = Date.now();
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const clip = await record(stream, release);
    if (Date.now() - started < 300) log('hold the button while you speak; that was too short to send');
    else await sendClip('audio', clip, 'voice clip');
  } catch (error) {
    log(`no microphone (${error.name ?? error}); try the test tone instead`, 'error');
  } finally {
    stream?.getTracks().forEach((track) => track.stop());
    talk.setAttribute('aria-pressed', 'false');
    release = null;
  }
}

function stopTalking() {
  release?.letGo();
}

talk.addEventListener('pointerdown', (event) => {
  talk.setPointerCapture(event.pointerId);
  startTalking();
});
talk.addEventListener('pointerup', stopTalking);
talk.addEventListener('pointercancel', stopTalking);
talk.addEventListener('keydown', (event) => {
  if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) {
    event.preventDefault();
    startTalking();
  }
});
talk.addEventListener('keyup', (event) => {
  if (event.key === ' ' || event.key === 'Enter') stopTalking();
});
talk.addEventListener('contextmenu', (event) => event.preventDefault()); // long press on phones

// Video: from the camera, or from the animated canvas when there is none.
const stage = $('stage');
const preview = $('preview');
const ctx = stage.getContext('2d');
let animating = false;

function drawStage(t) {
  const { width: w, height: h } = stage;
  const hue = (t / 20) % 360;
  ctx.fillStyle = `hsl(${hue} 60% 18%)`;
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < 5; i += 1) {
    const phase = t / 600 + (i * Math.PI * 2) / 5;
    ctx.fillStyle = `hsl(${(hue + i * 72) % 360} 80% 60%)`;
    ctx.beginPath();
    ctx.arc(w / 2 + Math.cos(phase) * w * 0.32, h / 2 + Math.sin(phase * 1.3) * h * 0.3, 16, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.fillStyle = '#fff';
  ctx.font = '600 16px system-ui, sans-serif';
  ctx.fillText(myName(), 12, h - 14);
  ctx.textAlign = 'right';
  ctx.fillText(timeFormat.format(Date.now()), w - 12, h - 14);
  ctx.textAlign = 'left';
}

function animate(t) {
  drawStage(t);
  if (animating) requestAnimationFrame(animate);
}
drawStage(0);

const VIDEO_OPTIONS = { videoBitsPerSecond: 300_000 };
const recordButtons = [$('record-camera'), $('record-canvas')];

async function recordVideo(source) {
  recordButtons.forEach((button) => (button.disabled = true));
  $('rec').hidden = false;
  let stream;
  try {
    if (source === 'camera') {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 180 }, audio: false });
        preview.srcObject = stream;
        preview.hidden = false;
        await preview.play().catch(() => {});
      } catch (error) {
        log(`no camera (${error.name ?? error}); recording the animation instead`);
        source = 'canvas';
      }
    }
    if (source === 'canvas') {
      animating = true;
      requestAnimationFrame(animate);
      stream = stage.captureStream(30);
    }
    const clip = await record(stream, delay(CLIP_MS), VIDEO_OPTIONS);
    await sendClip('video', clip, source === 'camera' ? 'camera clip' : 'animation clip');
  } catch (error) {
    log(`recording failed: ${error.message ?? error}`, 'error');
  } finally {
    animating = false;
    stream?.getTracks().forEach((track) => track.stop());
    preview.srcObject = null;
    preview.hidden = true;
    $('rec').hidden = true;
    recordButtons.forEach((button) => (button.disabled = false));
  }
}

$('record-camera').addEventListener('click', () => recordVideo('camera'));
$('record-canvas').addEventListener('click', () => recordVideo('canvas'));

// ---------------------------------------------------------------------------
// Connection: events into the log, the server's own frame types, chaos buttons.
// The state badge is pure CSS (:state(...)); nothing here sets it.

socket.addEventListener('open', (event) => {
  log(`open ${event.detail.url}`, 'good');
  // The queue has just been flushed, in order.
  document.querySelectorAll('.msg[data-pending]').forEach((item) => delete item.dataset.pending);
  updateQueued();
  loadHistory();
});
socket.addEventListener('close', (event) => {
  const { code, reason, wasClean } = event.detail;
  log(`close ${code}${reason ? ` “${reason}”` : ''}${wasClean ? '' : ' (abrupt)'}`, 'warn');
  updateQueued();
});
socket.addEventListener('reconnecting', (event) => {
  const { attempt, delay: wait } = event.detail;
  log(`reconnecting: attempt ${attempt} in ${Math.round(wait)} ms`, 'warn');
  updateQueued();
});
socket.addEventListener('error', (event) => {
  // Shown in the log, so handled: the element need not print it on the console as well.
  event.preventDefault();
  log(`error (${event.detail.kind}): ${event.detail.message}`, 'error');
});
socket.addEventListener('drain', () => {
  log('drain: everything that waited behind the send buffer has left', 'good');
  updateQueued();
});

// ---------------------------------------------------------------------------
// Tabs and presence: the bar. It shares the main element's socket (share="page"), and is the
// only one to handle `presence` and `you`; the main element handles none of them.

// Says who this tab is to the server, which counts the tabs behind each connection. Hex from
// getRandomValues: randomUUID needs a secure context, and the demo also runs over plain http.
const tabId = Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, '0')).join('');
// On every open, since a new connection (a reconnect, another tab taking over) starts at zero tabs.
socket.addEventListener('open', () => socket.send('tab-hello', tabId));
// Only while open: queued, it would go out on a connection that never had this tab.
addEventListener('pagehide', () => {
  if (socket.state === 'open') socket.send('tab-bye', tabId);
});

// This connection's id in presence frames, from `you`.
let connectionId = null;

bar.addEventListener('you', (event) => {
  const { id, tabs } = event.detail;
  connectionId = id;
  $('tabs-status').value = `1 connection for ${tabs} tab${tabs === 1 ? '' : 's'}`;
});

bar.addEventListener('presence', (event) => {
  const { event: what, id, name, count, people = [] } = event.detail;
  if (what === 'join' || what === 'leave') log(`${name ?? 'someone'} ${what === 'join' ? 'joined' : 'left'}`);
  if (what === 'rename' && id === connectionId) nameFromServer(name);
  $('online').value = `${count} online`;
  $('people').replaceChildren(...people.map((person) => {
    const item = el('li', { textContent: person.name ?? person.id });
    if (person.colour) item.style.borderInlineStart = `0.4em solid ${person.colour}`;
    return item;
  }));
});

bar.addEventListener('close', () => {
  // Filled again once we are back.
  connectionId = null;
  $('tabs-status').value = '';
  $('online').value = '';
  $('people').replaceChildren();
});

// The bar's connection errors are the main element's too, and the log shows those once.
bar.addEventListener('error', (event) => event.preventDefault());

socket.addEventListener('clock', (event) => {
  const clock = $('clock');
  clock.dateTime = new Date(event.detail).toISOString();
  clock.textContent = timeFormat.format(event.detail);
});

async function control(action, body = {}) {
  const response = await fetch(`/control/${room}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${action}: HTTP ${response.status}`);
  return response.json();
}

$('drop').addEventListener('click', async () => {
  try {
    const { dropped } = await control('drop');
    log(`asked the server to drop the room's connections (${dropped})`);
  } catch (error) {
    log(error.message, 'error');
  }
});

$('refuse').addEventListener('click', async () => {
  try {
    await control('refuse', { ms: 5000 });
    const { dropped } = await control('drop');
    log(`the server refuses connections for 5 s and dropped ${dropped}`);
  } catch (error) {
    log(error.message, 'error');
  }
});

connect();
