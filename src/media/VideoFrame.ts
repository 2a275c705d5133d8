import { CallMediaError } from './errors';
import { native } from './native';

/** Raw layouts named by their bytes in memory; H264 is an Annex-B access unit. */
export type VideoFormat = 'I420' | 'NV12' | 'RGB24' | 'RGBA' | 'BGRA' | 'H264';
export type RawVideoFormat = Exclude<VideoFormat, 'H264'>;

export const VIDEO_FORMATS: readonly VideoFormat[] = ['I420', 'NV12', 'RGB24', 'RGBA', 'BGRA', 'H264'];

export function formatCode(format: VideoFormat): number {
  const code = VIDEO_FORMATS.indexOf(format);
  if (code < 0) throw new CallMediaError('INVALID_ARGUMENT', `unknown video format '${String(format)}'`);
  return code;
}

/** Bytes of one tightly packed raw frame. */
export function frameSize(format: RawVideoFormat, width: number, height: number): number {
  const chroma = Math.ceil(width / 2) * Math.ceil(height / 2);
  switch (format) {
    case 'I420':
    case 'NV12':
      return width * height + 2 * chroma;
    case 'RGB24':
      return width * height * 3;
    case 'RGBA':
    case 'BGRA':
      return width * height * 4;
  }
}

/** Monotonic times (ms, same clock as process.hrtime) at which the frame passed each stage. */
export interface FrameStamps {
  firstPacket: number;
  lastPacket: number;
  assembled: number;
  decodeStart: number;
  decoded: number;
  converted: number;
  delivered: number;
}

/** One video frame, as a plain typed object. `data` is a pooled buffer: no copy was made. */
export class VideoFrame {
  constructor(
    readonly format: VideoFormat,
    readonly width: number,
    readonly height: number,
    /** RTP timestamp (90 kHz) of the access unit. */
    readonly timestamp: number,
    /** The media source id the frame came from (the sender's SSRC until a roster maps it). */
    readonly mediaSourceId: number,
    readonly data: Buffer,
    readonly keyFrame: boolean,
    readonly stamps: FrameStamps,
  ) {}

  /** Converts a raw frame to another raw layout (libyuv, BT.601). Returns a new frame. */
  convert(format: RawVideoFormat): VideoFrame {
    if (this.format === 'H264') throw new CallMediaError('INVALID_ARGUMENT', 'an H.264 access unit cannot be converted: receive it decoded');
    if (format === this.format) return this;
    let data: Buffer;
    try {
      data = native().convert(formatCode(this.format), this.data, this.width, this.height, formatCode(format));
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
    return new VideoFrame(format, this.width, this.height, this.timestamp, this.mediaSourceId, data, this.keyFrame, this.stamps);
  }
}
