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

export interface NativeReceiverStats {
  datagrams: number;
  bytes: number;
  packetsMalformed: number;
  packetsWrongPayloadType: number;
  packetsOtherSsrc: number;
  rtpPackets: number;
  packetsLost: number;
  packetsLate: number;
  packetsDuplicate: number;
  packetsDiscarded: number;
  rtcpPackets: number;
  pliSent: number;
  firSent: number;
  receiverReportsSent: number;
  framesAssembled: number;
  framesIncomplete: number;
  framesMalformed: number;
  framesWaitingKeyFrame: number;
  framesDroppedDecodeQueue: number;
  framesDecoded: number;
  decodeErrors: number;
  jitterMs: number;
  ssrc: number;
  framesDelivered: number;
  framesDroppedDelivery: number;
}

export type NativeEventCallback = (kind: 'frames' | 'keyFrameRequested' | 'error' | 'closed', payload: unknown) => void;

export interface NativeVideoReceiver {
  localPort(): number;
  stats(): NativeReceiverStats;
  requestKeyFrame(): void;
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeAddon {
  VideoReceiver: new (options: Record<string, unknown>, callback: NativeEventCallback) => NativeVideoReceiver;
  convert(srcFormat: number, data: Buffer, width: number, height: number, dstFormat: number): Buffer;
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
