// Joining a call from this page: camera and microphone into one RTCPeerConnection, the
// service's answer from the admin API, and what the bot sends shown and measured here.

/** Tiles for the other participants' cameras. */
export const TILES = 4;

/**
 * The m-lines, in the order the service reads them: audio (the microphone; the bot's voice),
 * video (the camera; the bot's camera), video (receive only; the bot's screen share), then a
 * receive-only video per tile (another participant's camera, its source id in the CSRC).
 */
export async function joinCall(callId, displayName) {
  const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 30 } });
  const pc = new RTCPeerConnection();
  const audio = pc.addTransceiver(local.getAudioTracks()[0], { direction: 'sendrecv', streams: [local] });
  pc.addTransceiver(local.getVideoTracks()[0], { direction: 'sendrecv', streams: [local] });
  // Both ways: the bot's screen share comes in, and the person's own goes out once shared.
  const screen = pc.addTransceiver('video', { direction: 'sendrecv' });
  const tiles = Array.from({ length: TILES }, () => pc.addTransceiver('video', { direction: 'recvonly' }));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const res = await fetch(`/admin/calls/${encodeURIComponent(callId)}/browserParticipants`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ displayName, sdp: pc.localDescription.sdp }),
  });
  const body = await res.json();
  if (!res.ok) {
    pc.close();
    for (const t of local.getTracks()) t.stop();
    throw new Error(body?.error?.message ?? `the service answered ${res.status}`);
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: body.sdp });
  const [, camera] = pc.getTransceivers();
  return new JoinedCall(callId, body.participant, pc, local, {
    voice: new MediaStream([audio.receiver.track]),
    camera: new MediaStream([camera.receiver.track]),
    screen: new MediaStream([screen.receiver.track]),
    tiles: tiles.map((t) => ({ receiver: t.receiver, stream: new MediaStream([t.receiver.track]) })),
  }, audio.sender.dtmf, screen.sender);
}

function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => pc.iceGatheringState === 'complete' && resolve();
    pc.addEventListener('icegatheringstatechange', check);
    setTimeout(resolve, 3000); // host candidates come at once; do not wait for others
  });
}

class JoinedCall {
  constructor(callId, participant, pc, local, remote, dtmf, screenSender) {
    this.callId = callId;
    this.screenSender = screenSender;
    this.sharing = undefined;
    this.participant = participant;
    this.pc = pc;
    this.local = local;
    this.remote = remote;
    this.dtmf = dtmf;
    // WebRTC audio reaches Web Audio only through a playing element.
    this.player = new Audio();
    this.player.srcObject = remote.voice;
    this.player.play().catch(() => undefined);
    this.context = new AudioContext();
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 4096;
    this.context.createMediaStreamSource(remote.voice).connect(this.analyser);
  }

  /** The roster source id a tile shows now (its packets' CSRC), or undefined. */
  tileSource(i) {
    const sources = this.remote.tiles[i]?.receiver.getContributingSources() ?? [];
    return sources.length ? sources[0].source : undefined;
  }

  /** RFC 4733 tones from the audio sender. */
  press(tones) {
    if (!this.dtmf?.canInsertDTMF) return false;
    this.dtmf.insertDTMF(tones, 120, 80);
    return true;
  }

  /** The level of what the page hears (the bot and the others, mixed), 0..1: RMS of the last analyser frame. */
  level() {
    const data = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const x of data) sum += x * x;
    return Math.sqrt(sum / data.length);
  }

  /** Below 4 kHz: the peak within 3 bins of a frequency, the loudest bin elsewhere, and the median bin (the floor), in dB. */
  spectrumAt(frequency) {
    const bins = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatFrequencyData(bins);
    const hz = this.context.sampleRate / this.analyser.fftSize;
    const at = Math.round(frequency / hz);
    let here = -Infinity;
    let other = -Infinity;
    const band = [];
    for (let i = 2; i < Math.min(bins.length, 4000 / hz); i++) {
      if (Math.abs(i - at) <= 3) here = Math.max(here, bins[i]);
      else other = Math.max(other, bins[i]);
      if (Number.isFinite(bins[i])) band.push(bins[i]);
    }
    band.sort((a, b) => a - b);
    return { here, other, floor: band.length ? band[Math.floor(band.length / 2)] : Infinity };
  }

  /** dB at a frequency minus the loudest dB elsewhere: positive when that tone dominates. */
  toneLead(frequency) {
    const s = this.spectrumAt(frequency);
    return s.here - s.other;
  }

  /** dB at a frequency minus the floor: well above 0 when that tone is in what the page hears, whatever is mixed with it. */
  tonePresence(frequency) {
    const s = this.spectrumAt(frequency);
    return s.here - s.floor;
  }

  /** Shares a screen, a window or a tab (getDisplayMedia) on the screen m-line; the roster shows the person sharing. */
  async shareScreen() {
    if (this.sharing) return;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
    const track = stream.getVideoTracks()[0];
    await this.screenSender.replaceTrack(track);
    this.sharing = track;
    // The browser's own "Stop sharing" ends the track: that stops it here too.
    track.addEventListener('ended', () => void this.stopSharing());
    await this.setSharing(true);
  }

  async stopSharing() {
    const track = this.sharing;
    if (!track) return;
    this.sharing = undefined;
    track.stop();
    await this.screenSender.replaceTrack(null);
    await this.setSharing(false);
  }

  async setSharing(sharing) {
    const res = await fetch(`/admin/calls/${encodeURIComponent(this.callId)}/participants/${encodeURIComponent(this.participant.id)}/sharing`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sharing }),
    });
    if (!res.ok) throw new Error(`sharing: the service answered ${res.status}`);
  }

  async leave() {
    this.sharing?.stop();
    this.pc.close();
    for (const t of this.local.getTracks()) t.stop();
    this.player.srcObject = null;
    await this.context.close().catch(() => undefined);
    await fetch(`/admin/calls/${encodeURIComponent(this.callId)}/participants/${encodeURIComponent(this.participant.id)}`, { method: 'DELETE' }).catch(() => undefined);
  }
}
