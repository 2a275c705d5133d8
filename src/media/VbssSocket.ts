import { CallMediaError } from './errors';
import type { BundleSlot } from './MediaSocket';
import { VideoSendOptions, VideoSocket, VideoSocketOptions } from './VideoSocket';

/** Screen-share limits: up to 1920x1080 at 1–15 fps. */
export const VBSS_MAX_WIDTH = 1920;
export const VBSS_MAX_HEIGHT = 1080;
export const VBSS_MAX_FPS = 15;

/**
 * The screen-share channel (video-based screen sharing). The same engine as VideoSocket, with
 * the encoder tuned for screen content (sharp text, few changes), fewer frames and more bits
 * per frame. Receives as a VideoSocket does.
 */
export class VbssSocket extends VideoSocket {
  constructor(options: VideoSocketOptions = {}, bundle?: BundleSlot) {
    super({ ...options, send: options.send ? vbssSendOptions(options.send) : undefined }, bundle);
  }

  protected override get rosterMediaType(): string {
    return 'videoBasedScreenSharing';
  }
}

function vbssSendOptions(o: VideoSendOptions): VideoSendOptions {
  const fps = o.fps ?? 5;
  if (fps < 1 || fps > VBSS_MAX_FPS) throw new CallMediaError('INVALID_ARGUMENT', `screen share runs at 1–${VBSS_MAX_FPS} fps`);
  if (o.width > VBSS_MAX_WIDTH || o.height > VBSS_MAX_HEIGHT) {
    throw new CallMediaError('INVALID_ARGUMENT', `screen share is at most ${VBSS_MAX_WIDTH}x${VBSS_MAX_HEIGHT}`);
  }
  return {
    ...o,
    fps,
    // Screen content is mostly static: spend bits on each frame's sharpness, not on motion.
    bitrate: o.bitrate ?? 2_500_000,
    keyFrameInterval: o.keyFrameInterval ?? Math.round(fps * 10),
    screenContent: true,
  };
}
