import * as path from 'path';
import { CallMediaError } from './errors';

/** Frame object as the addon hands it over (see native/binding/JsFrameSink.cc). */
export interface NativeFrame {
  data: Buffer;
  format: number;
  width: number;
  height: number;
  timestamp: number;
  ssrc: number;
  keyFrame: boolean;
  /** ms on the monotonic clock: first packet, last packet, assembled, decode start, decoded, converted, delivered */
  stamps: Float64Array;
}

export interface NativeSendStats {
  framesIn: number;
  framesDroppedQueue: number;
  framesEncoded: number;
  keyFramesEncoded: number;
  framesSkipped: number;
  encodeErrors: number;
  accessUnitsIn: number;
  packetsSent: number;
  bytesSent: number;
  sendErrors: number;
  senderReportsSent: number;
  pliReceived: number;
  firReceived: number;
  /** NACKs received, packets sent again for them, and asked-for packets not sent (no longer held, or sent again just now). */
  nackReceived: number;
  packetsRetransmitted: number;
  retransmissionsMissed: number;
  remoteFractionLost: number;
  remoteJitterMs: number;
  roundTripMs: number;
  ssrc: number;
  /** The SSRC of its RFC 4588 retransmissions, and their payload type (-1: the originals are resent). */
  rtxSsrc?: number;
  rtxPayloadType?: number;
  /** Bits/s the encoder aims at now; what congestion control allows the socket (0: no estimate, the configured rate holds); how often the target moved. */
  targetBitrate: number;
  allocatedBitrate: number;
  bitrateChanges: number;
  /** NACKed packets not resent because retransmissions had used congestion control's share. */
  retransmissionsThrottled: number;
  /** The size the encoder writes; the RFC 8852 stream id of a simulcast layer ('' otherwise); false for a layer the far end did not accept. */
  width: number;
  height: number;
  rid: string;
  active: boolean;
  encodeMs: Float64Array;
  sendMs: Float64Array;
  /** Every layer of a simulcast socket, the first (these figures) included. */
  layers?: Omit<NativeSendStats, 'layers'>[];
}

export interface NativeReceiverStats {
  datagrams: number;
  rtcpPackets: number;
  rtcpMalformed: number;
  datagramsTruncated: number;
  /** On a plain RTP port: RTCP from another host than the remote, not read. */
  datagramsRefused: number;
  bytes: number;
  packetsMalformed: number;
  packetsWrongPayloadType: number;
  packetsOtherSsrc: number;
  /** RTP packets accepted, from every sender the socket had. */
  rtpPackets: number;
  /** Of the stream being received now. */
  packetsLost: number;
  packetsLate: number;
  packetsDuplicate: number;
  packetsDiscarded: number;
  /** Padding-only packets (a sender probing bandwidth): no media, no loss. */
  packetsPadding: number;
  pliSent: number;
  /** RTCP generic NACKs sent, and the sequence numbers they asked for (each time asked). */
  nackSent: number;
  packetsNacked: number;
  /** Packets that arrived after being asked for: losses repaired without a key frame. */
  packetsRecovered: number;
  /** Missing packets asked for until it was no use (the frame then counts as incomplete). */
  nackGaveUp: number;
  firSent: number;
  receiverReportsSent: number;
  framesAssembled: number;
  framesIncomplete: number;
  framesMalformed: number;
  framesWaitingKeyFrame: number;
  framesDroppedDecodeQueue: number;
  /** Pictures out of the decoder (every one, converted or not). */
  framesDecoded: number;
  /** Decoded while the decoder was behind: not converted, not delivered (its references stay whole). */
  framesSkippedBehind: number;
  /** Decoded pictures not converted nor delivered because the platform was overloaded (every other one; never a key frame). */
  framesShed: number;
  /** Frames the decoder could not hand over as 4:2:0 8-bit pictures (4:4:4, 10-bit). */
  framesUnsupportedFormat: number;
  /** Pictures the conversion to the socket's format refused. */
  framesConvertFailed: number;
  /** Frames the decoder found corrupt: refused, or decoded only with concealment. */
  decodeErrors: number;
  /** Frames the decoder took and let go without a picture or an error (slices it could not place). */
  framesDiscardedByDecoder: number;
  /** RFC 4588 retransmissions in; each that repaired a packet is also in rtpPackets. */
  rtxPackets: number;
  /** RTX packets of padding only (a sender probing the link's bandwidth). */
  rtxPaddingOnly: number;
  /** RTX packets that could repair nothing (before a stream, another source's, malformed inside). */
  rtxUnusable: number;
  jitterMs: number;
  ssrc: number;
  /** The receiver's own SSRC, on its reports, key-frame requests and subscriptions. */
  rtcpSsrc: number;
  framesDelivered: number;
  framesDroppedDelivery: number;
  send?: NativeSendStats;
}

export type NativeEventCallback = (
  kind: 'frames' | 'keyFrameRequested' | 'keyFrameNeeded' | 'error' | 'closed',
  payload: unknown,
) => void;

/** Where a channel's packets are found among the others of its bundle (native/net/Transport.h). */
export interface NativeRoute {
  mid: string;
  payloadTypes?: number[];
  remoteSsrcs?: number[];
  /** RFC 8852 stream ids of what the channel sends: simulcast layers, and their retransmissions (`repair`). */
  sendStreams?: { ssrc: number; rid: string; repair?: boolean }[];
}

export interface NativeVideoChannel {
  localPort(): number;
  stats(): NativeReceiverStats;
  setRemote(address: string, port: number): void;
  setRtpParameters(parameters: {
    route?: NativeRoute;
    receiveCodecs?: { payloadType: number; codec: 'H264' | 'VP8' }[];
    receiveRtx?: { payloadType: number; apt: number }[];
    sendPayloadType?: number;
    sendCodec?: 'H264' | 'VP8';
    sendRtxPayloadType?: number;
    /** The simulcast layers the far end accepted, by stream id (the first layer always sends). */
    sendLayers?: string[];
  }): void;
  sendFrame(format: number, data: Buffer, width: number, height: number, rtpTimestamp: number): void;
  sendAccessUnit(data: Buffer, rtpTimestamp: number): void;
  subscribe(sourceId: number, width: number, height: number): void;
  requestKeyFrame(): void;
  setShedding(on: boolean): void;
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeAudioFrame {
  data: Buffer;
  sequence: number;
  isSilence: boolean;
  activeSpeakers: number[];
  unmixed: { sourceId: number; level: number; data: Buffer }[];
  mixedAt: number;
  newestPacketAt: number;
  deliveredAt: number;
}

export interface NativeAudioStats {
  datagrams: number;
  bytes: number;
  rtcpPackets: number;
  rtcpMalformed: number;
  datagramsTruncated: number;
  /** On a plain RTP port: RTCP from another host than the remote, not read. */
  datagramsRefused: number;
  framesMixed: number;
  framesSilence: number;
  framesDelivered: number;
  framesDroppedDelivery: number;
  packetsMalformed: number;
  packetsWrongPayloadType: number;
  sourcesRefused: number;
  sourcesRemoved: number;
  packets: number;
  packetsLate: number;
  packetsDuplicate: number;
  concealed: number;
  concealedFec: number;
  underruns: number;
  discarded: number;
  decodeErrors: number;
  packetsOversized: number;
  tones: number;
  sourcesActive: number;
  jitterMs: number;
  jitterBufferDepthMs: number;
  jitterBufferTargetMs: number;
  dominantSpeaker: number;
  mixUs: Float64Array;
  send?: {
    framesIn: number;
    framesDroppedQueue: number;
    framesFilled: number;
    framesSent: number;
    packetsSent: number;
    bytesSent: number;
    tonesSent: number;
    senderReportsSent: number;
    ssrc: number;
    queued: number;
  };
}

export interface NativeAudioRtpParameters {
  route?: NativeRoute;
  opusPayloadType?: number;
  pcmuPayloadType?: number;
  pcmaPayloadType?: number;
  telephoneEventPayloadType?: number;
  telephoneEventRate?: number;
  audioLevelExtensionId?: number;
  sendPayloadType?: number;
  sendTelephoneEventPayloadType?: number;
}

export interface NativeAudioChannel {
  localPort(): number;
  stats(): NativeAudioStats;
  setRemote(address: string, port: number): void;
  setRtpParameters(parameters: NativeAudioRtpParameters): void;
  send(pcm: Buffer): void;
  sendTone(tone: string, durationMs: number): void;
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeForwarderStats {
  datagrams: number;
  bytes: number;
  rtcpPackets: number;
  /** RTCP from another host than the port's remote: not read (no one else may subscribe it). */
  datagramsRefused: number;
  packetsIn: number;
  /** RTP bytes of packetsIn, on a port of its own or on a shared transport alike. */
  bytesIn: number;
  packetsForwarded: number;
  packetsGated: number;
  /** Packets other forwarders handed it to send (as a consumer on a bot's transport). */
  packetsConsumed: number;
  targets: number;
  lastSsrc: number;
  /** The SSRC it sends under as a rewriting consumer. */
  ssrc: number;
  /** Packets a target did not get because it takes another simulcast layer. */
  packetsOtherLayer: number;
  /** Packets it did not send as a consumer: its session did not negotiate their codec. */
  packetsNoCodec: number;
  /** The streams that arrive, each with the RFC 8852 stream id its packets name ('' when none). */
  streams: { rid: string; ssrc: number; packets: number }[];
}

export interface NativeForwarder {
  localPort(): number;
  stats(): NativeForwarderStats;
  /** `layer`: the stream id of the simulcast layer the target takes (default: every packet). */
  /** `payloadTypes`: the numbers the plain port expects; packets are renumbered into them (none: as they come). */
  addTarget(address: string, port: number, layer?: string, payloadTypes?: readonly { payloadType: number; codec: ForwardedCodecName }[]): void;
  removeTarget(address: string, port: number): void;
  requestKeyFrame(): void;
  /** Sends an empty RTCP report from this port: a socket at that address learns where to send. */
  announce(address: string, port: number): void;
  setRoute(route: NativeRoute): void;
  addConsumer(consumer: NativeForwarder, layer?: string): void;
  removeConsumer(consumer: NativeForwarder): void;
  /** The rtp-stream-id extension id the sender's packets carry (simulcast). */
  setStreamIdExtension(id: number): void;
  /** What this session's payload types mean, so that forwarded packets keep their codec. */
  setPayloadTypes(map: readonly { payloadType: number; codec: ForwardedCodecName }[]): void;
  /** The roster source id of whoever sends here (0: the packets' own SSRC). */
  setSourceId(id: number): void;
  close(): void;
  unref(): void;
}

/** What a forwarder reports, as the addon types it (binding/JsForwarderSink.h), delivered as ('events', list). */
export type NativeForwarderEvent =
  | { type: 'subscription'; sourceId: number; width: number; height: number }
  | { type: 'keyFrameRequested'; mediaSsrc: number };

/** The codecs a forwarder maps between sessions (native/sfu/PayloadTypeMap.h). */
export type ForwardedCodecName = 'opus' | 'pcmu' | 'pcma' | 'telephone-event/8000' | 'telephone-event/48000' | 'h264' | 'vp8';

/** The instance's media port (native/net/PortDemuxer.h) and its DTLS certificate. */
export interface NativeMediaPort {
  localPort(): number;
  /** sha-256 fingerprint of the certificate, as SDP writes it. */
  fingerprint(): string;
  stats(): {
    datagrams: number;
    bytes: number;
    datagramsTruncated: number;
    stunMalformed: number;
    stunUnknownUsername: number;
    unknownAddress: number;
    unknownKind: number;
  };
  close(): void;
}

export interface NativeTransportStats {
  state: string;
  selectedRemote: string;
  dtlsState: string;
  dtlsRole: string;
  srtpCipher: string;
  stunRequests: number;
  stunAuthFailures: number;
  stunRoleConflicts: number;
  checksSent: number;
  checkResponses: number;
  dtlsRecordsDropped: number;
  srtpNotReady: number;
  srtpAuthFailures: number;
  srtpReplayFailures: number;
  srtpMalformed: number;
  rtpPacketsIn: number;
  rtcpPacketsIn: number;
  rtpUnroutable: number;
  rtcpUnroutable: number;
  rtpPacketsOut: number;
  rtcpPacketsOut: number;
  bytesIn: number;
  bytesOut: number;
  sendFailures: number;
  connectedAfterMs: number;
  congestion: NativeCongestionStats;
}

/**
 * Transport-wide congestion control (native/cc/CongestionController.h). Sending: the estimate
 * (bits/s) and what it is made of, from the far end's transport-cc feedback and REMB. Receiving:
 * the feedback this side sends about what it gets.
 */
export interface NativeCongestionStats {
  enabled: boolean;
  availableBitrate: number;
  delayBasedBitrate: number;
  lossBasedBitrate: number;
  rembBitrate: number;
  acknowledgedBitrate: number;
  /** What the one-way delay shows: 'normal', 'overusing' (a queue builds) or 'underusing' (one drains). */
  delayTrend: 'normal' | 'overusing' | 'underusing';
  lossFraction: number;
  feedbackReceived: number;
  feedbackMalformed: number;
  packetsReported: number;
  packetsReportedLost: number;
  packetsUnknown: number;
  rembReceived: number;
  decreases: number;
  /** The round trip the estimate works with: the senders' last measure, 100 ms before any. */
  roundTripMs: number;
  packetsStamped: number;
  packetsWithSequence: number;
  feedbackSent: number;
  lateArrivals: number;
}

export interface NativeRemoteTransport {
  usernameFragment: string;
  password: string;
  dtlsRole: 'client' | 'server';
  fingerprint: { algorithm: string; value: string };
  candidates: { address: string; port: number }[];
  midExtensionId: number;
  transportCcExtensionId: number;
  /** RFC 8852 rtp-stream-id and repaired-rtp-stream-id extension ids (0: simulcast not negotiated). */
  ridExtensionId?: number;
  repairedRidExtensionId?: number;
}

/** A media session's transport (native/net/WebRtcTransport.h). */
export interface NativeWebRtcTransport {
  localParameters(): { usernameFragment: string; password: string; fingerprint: { algorithm: string; value: string }; port: number };
  setRemote(parameters: NativeRemoteTransport): void;
  stats(): NativeTransportStats;
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeAddon {
  MediaPort: new (options: { address?: string; port?: number; certificatePem?: string; privateKeyPem?: string }) => NativeMediaPort;
  WebRtcTransport: new (
    port: NativeMediaPort,
    options: { controlling?: boolean; iceTimeoutMs?: number; consentTimeoutMs?: number },
    callback: (kind: string, payload: unknown) => void,
  ) => NativeWebRtcTransport;
  Forwarder: new (
    options: { address?: string; port?: number; video?: boolean; rewrite?: boolean; transport?: NativeWebRtcTransport; route?: NativeRoute },
    callback: (kind: string, payload: unknown) => void,
  ) => NativeForwarder;
  AudioChannel: new (options: Record<string, unknown>, callback: (kind: string, payload: unknown) => void) => NativeAudioChannel;
  VideoChannel: new (options: Record<string, unknown>, callback: NativeEventCallback) => NativeVideoChannel;
  convert(srcFormat: number, data: Buffer, width: number, height: number, dstFormat: number): Buffer;
  engineMemory(): EngineMemory;
  engineLoad(): EngineLoad;
  benchSrtp(packetsPerFrame: number, packetSize: number, frames: number): { protect: Float64Array; unprotect: Float64Array; memcpy: Float64Array };
  benchConvert(dstFormat: number, width: number, height: number, iterations: number): {
    engine: Float64Array;
    libyuv: Float64Array;
    memcpy: Float64Array;
  };
}

let addon: NativeAddon | undefined;

/** Loads build/Release/callmedia.node once. */
export function native(): NativeAddon {
  if (addon) return addon;
  const root = path.resolve(__dirname, '..', '..', '..');
  const candidates = [path.join(root, 'build', 'Release', 'callmedia.node'), path.join(root, 'build', 'Debug', 'callmedia.node')];
  let lastError: unknown;
  for (const file of candidates) {
    try {
      addon = require(file) as NativeAddon;
      return addon;
    } catch (err) {
      lastError = err;
    }
  }
  throw new CallMediaError('NATIVE_ADDON_MISSING', `the callmedia addon is not built (run npm install): ${String(lastError)}`, {
    cause: lastError,
  });
}

/** The engine's monotonic clock in ms, the clock every frame stamp uses. */
export function monotonicNowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** How far behind the engine's threads ran since the last call (native/binding/EngineMemory.h). */
export interface EngineLoad {
  mediaThreadLagMs: number;
  workerWaitMs: number;
  workerQueue: number;
  workers: number;
}

/** The engine's frame buffer pool, as `engineMemory()` reports it. */
export interface EngineMemory {
  /**
   * Frame buffers handed out and not yet returned: those JavaScript still holds (a frame not
   * yet garbage-collected) and those waiting in a queue. Back to 0 once every socket is closed
   * and every frame collected; a number that only grows is a leak.
   */
  buffersOutstanding: number;
  bytesOutstanding: number;
  /** Returned buffers kept for reuse (frames of one size recycle the same blocks). */
  freeBlocks: number;
  /** Blocks allocated since the engine loaded: flat once a stream's sizes are in the pool. */
  allocations: number;
}

/** The engine's frame buffer pool: what is outstanding, kept for reuse and ever allocated. */
export function engineMemory(): EngineMemory {
  return native().engineMemory();
}
