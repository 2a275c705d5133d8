// The call console: calls and their timelines from the admin API, and a person's seat in a
// call. Plain ES modules, no build: every file comes from the service that serves the page.
import { joinCall } from './media.js';
import { BOT_FIGURES, PARTICIPANT_FIGURES, drawFigure } from './plots.js';

const $ = (id) => document.getElementById(id);
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

const state = { calls: [], selected: undefined, detail: undefined, timeline: undefined, stats: undefined, joined: undefined, frames: { camera: 0, screen: 0 }, tiles: [] };
// What a test (or a curious developer) reads from the console: window.callmediaConsole.
window.callmediaConsole = {
  get joined() { return state.joined ? { callId: state.joined.callId, participantId: state.joined.participant.id, sharing: !!state.joined.sharing } : undefined; },
  frames: () => ({ ...state.frames }),
  videoSize: (which) => { const v = document.querySelector(`video[data-remote="${which}"]`); return v ? { width: v.videoWidth, height: v.videoHeight } : undefined; },
  toneLead: (f) => state.joined?.toneLead(f) ?? -Infinity,
  tonePresence: (f) => state.joined?.tonePresence(f) ?? -Infinity,
  /** Each participant tile: who it shows, frames shown, and the variance of its picture's pixels. */
  tiles: () => state.tiles.map((t) => ({ name: t.name ?? '', watchedBy: t.box.dataset.watchedBy ? t.box.dataset.watchedBy.split(' ') : [], frames: t.frames, variance: pictureVariance(t.video), speaking: !t.badge.hidden })),
  select: (id) => select(id),
  /** Each live plot: whose figures, which, how many points, what it says, and whether anything is drawn. */
  plots: () => [...document.querySelectorAll('#plots canvas')].map((c) => ({ owner: c.dataset.owner, figure: c.dataset.figure, points: Number(c.dataset.points), text: c.getAttribute('aria-label'), drawn: canvasDrawn(c) })),
};

/** True when a canvas has any pixel that is not transparent. */
function canvasDrawn(canvas) {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
}

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `${url}: ${res.status}`);
  return body;
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  if (!res.ok) {
    const b = await res.json().catch(() => ({}));
    throw new Error(b?.error?.message ?? `${url}: ${res.status}`);
  }
}

function showError(err) {
  const p = $('error');
  p.textContent = err ? String(err.message ?? err) : '';
  p.hidden = !err;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== undefined && c !== null));
  return e;
}

function nameOf(p) {
  const identity = p.info?.identity ?? {};
  for (const v of Object.values(identity)) if (v?.displayName) return v.displayName;
  return p.id;
}

function kindOf(p) {
  const identity = p.info?.identity ?? {};
  if (identity.application) return 'bot';
  if (state.joined && p.id === state.joined.participant.id) return 'you (browser)';
  return 'participant';
}

function renderCalls() {
  const list = $('calls');
  list.replaceChildren(...state.calls.map((c) => el('li', {}, el('button', {
    type: 'button',
    textContent: `${c.state} · ${c.participantCount} · ${c.id.slice(0, 8)}`,
    'aria-current': String(c.id === state.selected),
    dataset: { call: c.id },
    onclick: () => select(c.id),
  }))));
  $('no-calls').hidden = state.calls.length > 0;
}

/** -dBov (0 loudest, 127 silence) as a meter's width: speech at -20 dBov fills most of it. */
const meterWidth = (level) => (level === undefined ? 0 : Math.max(0, Math.min(100, ((60 - level) / 45) * 100)));

/**
 * Names each participant tile after the source its packets carry (an empty tile is hidden),
 * and shows the service's dominant speaker and voice levels on it.
 */
function labelTiles() {
  const speakers = state.detail?.speakers;
  for (const t of state.tiles) {
    const source = state.joined?.tileSource(t.index);
    const p = source !== undefined ? participantBySource(source) : undefined;
    const watchers = p ? botSocketsWatching(p) : [];
    t.name = p ? nameOf(p) : '';
    t.label.textContent = p ? t.name + (watchers.length ? ` · bot ${watchers.join(', ')}` : '') : '';
    t.box.dataset.watchedBy = watchers.join(' ');
    t.box.hidden = !p;
    t.box.dataset.participant = p?.id ?? '';
    t.badge.hidden = !p || speakers?.dominantSpeaker !== p.id;
    t.meter.style.width = `${p ? meterWidth(speakers?.levels?.[p.id]) : 0}%`;
  }
}

function renderCall() {
  const d = state.detail;
  $('call').hidden = !d;
  if (!d) return;
  $('call-title').textContent = d.call.subject || `Call ${d.id.slice(0, 8)}`;
  $('call-state').textContent = d.state;
  const joinedHere = state.joined?.callId === d.id;
  $('join').hidden = joinedHere;
  $('join').disabled = !!state.joined || d.state !== 'established';
  $('leave').hidden = !joinedHere;
  $('share').hidden = !joinedHere;
  $('share').textContent = state.joined?.sharing ? 'Stop sharing' : 'Share screen';
  $('share').setAttribute('aria-pressed', String(!!state.joined?.sharing));
  $('keypad-section').hidden = !joinedHere;
  $('roster').replaceChildren(...d.participants.map((p) => el('tr', { dataset: { participant: p.id } },
    el('td', { textContent: nameOf(p) + (d.speakers?.dominantSpeaker === p.id ? ' (speaking)' : '') }),
    el('td', { textContent: kindOf(p) }),
    el('td', { textContent: p.isMuted ? 'muted' : '' }),
    el('td', { textContent: (p.mediaStreams ?? []).map((s) => `${s.mediaType} ${s.sourceId}`).join(', ') }),
    el('td', {}, ...participantControls(d, p)))));
  const t = state.timeline;
  if (t) {
    $('history').textContent = `States: ${t.stateHistory.join(' → ')}`;
    $('timeline').replaceChildren(...t.value.map((e) => el('li', { className: e.outcome },
      `${new Date(e.at).toLocaleTimeString()} ${e.changeType} ${e.resource} ${e.summary}${e.outcome === 'dropped' ? ` (dropped after ${e.attempts})` : ''}`)));
  }
}

/** Mute or unmute, and remove: what the participant itself does (the bot is driven by its own code). */
function participantControls(d, p) {
  if (p.info?.identity?.application || d.state !== 'established') return [];
  const call = encodeURIComponent(d.id);
  const who = encodeURIComponent(p.id);
  const mute = el('button', {
    type: 'button',
    textContent: p.isMuted ? 'Unmute' : 'Mute',
    dataset: { action: 'mute' },
    'aria-label': `${p.isMuted ? 'Unmute' : 'Mute'} ${nameOf(p)}`,
    onclick: () => post(`/admin/calls/${call}/participants/${who}/mute`, { muted: !p.isMuted }).then(refreshCall, showError),
  });
  const remove = el('button', {
    type: 'button',
    textContent: 'Remove',
    dataset: { action: 'remove' },
    'aria-label': `Remove ${nameOf(p)}`,
    onclick: () => {
      if (state.joined && p.id === state.joined.participant.id) return void leave();
      fetch(`/admin/calls/${call}/participants/${who}`, { method: 'DELETE' }).then((res) => (res.ok ? refreshCall() : showError(new Error(`remove: ${res.status}`))), showError);
    },
  });
  return [mute, ' ', remove];
}

async function select(id) {
  state.selected = id;
  showError();
  await refreshCall();
  renderCalls();
}

async function refreshCalls() {
  try {
    state.calls = (await getJson('/admin/calls')).value;
    if (!state.selected && state.calls.length) state.selected = state.calls.find((c) => c.state === 'established')?.id ?? state.calls[0].id;
    renderCalls();
  } catch (err) {
    showError(err);
  }
}

async function refreshCall() {
  if (!state.selected) return;
  try {
    state.detail = await getJson(`/admin/calls/${encodeURIComponent(state.selected)}`);
    state.timeline = await getJson(`/admin/calls/${encodeURIComponent(state.selected)}/timeline`);
    state.stats = await getJson(`/admin/calls/${encodeURIComponent(state.selected)}/stats`);
  } catch (err) {
    state.detail = undefined;
    showError(err);
  }
  renderCall();
  labelTiles();
  renderPlots();
}

/** The variance of a video's current picture (0 for a black or missing one), drawn small to a canvas. */
function pictureVariance(video) {
  if (!video.videoWidth) return 0;
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 48;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  g.drawImage(video, 0, 0, 64, 48);
  const { data } = g.getImageData(0, 0, 64, 48);
  let sum = 0;
  let squares = 0;
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const y = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += y;
    squares += y * y;
  }
  return squares / n - (sum / n) ** 2;
}

/** The bot's video sockets (as it reports them) subscribed to one of this participant's sources. */
function botSocketsWatching(p) {
  const sources = new Set((p.mediaStreams ?? []).map((s) => Number(s.sourceId)));
  return Object.entries(state.stats?.bot ?? {}).filter(([, s]) => s.kind !== 'audio' && s.sourceId !== null && sources.has(s.sourceId)).map(([name]) => name);
}

/** A row of plots: a heading, then one canvas per figure. */
function plotRow(owner, heading, figures, points) {
  const canvases = figures.map((f) => {
    const c = el('canvas', { role: 'img', dataset: { owner, figure: f.title, points: String(points.length) } });
    const text = drawFigure(c, f, points);
    return el('figure', { className: 'plot' }, c, el('figcaption', { textContent: text, 'aria-hidden': 'true' }));
  });
  return el('div', { className: 'plot-row', dataset: { owner } }, el('h4', { textContent: heading }), ...canvases);
}

/** The last minute: the bot's sockets (when the bot reports them) and each participant's media into the service. */
function renderPlots() {
  const s = state.stats;
  const rows = [];
  for (const [socket, series] of Object.entries(s?.bot ?? {})) {
    if (!series.points.length) continue;
    const p = series.sourceId !== null ? participantBySource(series.sourceId) : undefined;
    rows.push(plotRow(`bot:${socket}`, `Bot ${socket}${p ? ` ← ${nameOf(p)}` : ''}`, BOT_FIGURES, series.points));
  }
  for (const [id, points] of Object.entries(s?.participants ?? {})) {
    if (!points.length) continue;
    const p = state.detail?.participants.find((x) => x.id === id);
    rows.push(plotRow(`participant:${id}`, p ? nameOf(p) : id, PARTICIPANT_FIGURES, points));
  }
  $('plots').replaceChildren(...rows);
  $('no-plots').hidden = rows.length > 0;
}

/** Who a source id belongs to in the roster shown. */
function participantBySource(sourceId) {
  return state.detail?.participants.find((p) => (p.mediaStreams ?? []).some((s) => Number(s.sourceId) === sourceId));
}

/** A tile: a video, its label, a level meter and, for the bot's voice, the level it speaks at. */
function tile(label, stream, options = {}) {
  const video = el('video', { autoplay: true, playsInline: true, muted: true, dataset: options.remote ? { remote: options.remote } : {} });
  video.srcObject = stream;
  const meter = el('div', { className: 'meter' });
  const caption = el('figcaption', { className: 'label', textContent: label });
  const badge = el('span', { className: 'speaker', textContent: 'speaking', hidden: true });
  const box = el('figure', { className: 'tile', dataset: { tile: label } }, video, meter, badge, caption);
  const result = { box, meter, video, badge, label: caption, frames: 0 };
  if (options.counted) {
    const count = () => {
      result.frames++;
      video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
  }
  if (options.remote) {
    const count = () => {
      state.frames[options.remote]++;
      video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
  }
  return result;
}

function showTiles() {
  const j = state.joined;
  if (!j) {
    $('tiles').replaceChildren();
    state.tiles = [];
    return;
  }
  const you = tile('You', j.local);
  const bot = tile('Bot', j.remote.camera, { remote: 'camera' });
  const screen = tile('Bot screen share', j.remote.screen, { remote: 'screen' });
  state.tiles = j.remote.tiles.map((t, i) => Object.assign(tile(`Tile ${i + 1}`, t.stream, { counted: true }), { index: i }));
  $('tiles').replaceChildren(you.box, bot.box, screen.box, ...state.tiles.map((t) => t.box));
  const meter = () => {
    if (state.joined !== j) return;
    bot.meter.style.width = `${Math.min(100, j.level() * 400)}%`;
    screen.box.hidden = state.frames.screen === 0;
    requestAnimationFrame(meter);
  };
  requestAnimationFrame(meter);
}

async function join() {
  showError();
  $('join').disabled = true;
  try {
    state.joined = await joinCall(state.selected, 'You (console)');
    state.frames = { camera: 0, screen: 0 };
    showTiles();
    await refreshCall();
  } catch (err) {
    showError(err);
    $('join').disabled = false;
  }
}

async function leave() {
  const j = state.joined;
  state.joined = undefined;
  showTiles();
  await j?.leave();
  await refreshCall();
}

function press(key) {
  if (!state.joined?.press(key)) showError(new Error('the audio sender cannot send tones yet'));
}

function setUp() {
  $('service').textContent = location.host;
  $('join').onclick = join;
  $('leave').onclick = leave;
  $('share').onclick = async () => {
    const j = state.joined;
    if (!j) return;
    showError();
    try {
      if (j.sharing) await j.stopSharing();
      else await j.shareScreen();
    } catch (err) {
      showError(err);
    }
    await refreshCall();
  };
  $('hangup').onclick = () => post(`/admin/calls/${encodeURIComponent(state.selected)}/hangup`).then(refreshCall, showError);
  $('add').onclick = () => post(`/admin/calls/${encodeURIComponent(state.selected)}/participants`, { displayName: `Guest ${Math.floor(Math.random() * 900 + 100)}` }).then(refreshCall, showError);
  $('prompt-play').onclick = async () => {
    const file = $('prompt-file').files?.[0];
    const status = $('prompt-status');
    if (!file) {
      status.textContent = 'Pick a file first.';
      return;
    }
    status.textContent = `Converting ${file.name}…`;
    try {
      // Loaded on first use: ffmpeg.wasm is large, and the rest of the console does not need it.
      const { playFile } = await import('./prompt.js');
      const ms = await playFile(state.selected, file);
      status.textContent = `Playing ${file.name} (${(ms / 1000).toFixed(1)} s) into the call.`;
      status.dataset.played = String(ms);
    } catch (err) {
      status.textContent = '';
      showError(err);
    }
  };
  $('keypad').replaceChildren(...KEYS.map((k) => el('button', { type: 'button', textContent: k, dataset: { key: k }, onclick: () => press(k) })));
  document.addEventListener('keydown', (e) => {
    if (!state.joined || e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    if (KEYS.includes(e.key)) press(e.key);
  });
  window.addEventListener('pagehide', () => void state.joined?.leave());
  const tick = async () => {
    await refreshCalls();
    await refreshCall();
    setTimeout(tick, 1000);
  };
  void tick();
}

setUp();
