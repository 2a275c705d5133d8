import * as assert from 'assert';
import type { VideoFormat, VideoSocketStats } from '../../src/media';

/**
 * Every frame that entered a closed socket ends in exactly one counter: an assembled frame is
 * decoded, corrupt, in a format the decoder cannot hand over, discarded by the decoder without a
 * picture, or dropped before the decoder;
 * a decoded picture is delivered, dropped for a busy event loop, skipped while the decoder was
 * behind, shed while the platform was overloaded, or refused by the conversion. (Passthrough: assembled frames are delivered or dropped.)
 */
export function assertFramesAccounted(s: VideoSocketStats, format: VideoFormat): void {
  const detail = JSON.stringify({ ...s, latency: undefined, send: undefined });
  if (format === 'H264') {
    assert.strictEqual(s.framesAssembled, s.framesDelivered + s.framesDroppedDelivery, `passthrough frames: ${detail}`);
    return;
  }
  assert.strictEqual(s.framesAssembled, s.framesDecoded + s.decodeErrors + s.framesUnsupportedFormat + s.framesDroppedDecodeQueue + s.framesDiscardedByDecoder,
    `assembled frames: ${detail}`);
  assert.strictEqual(s.framesDecoded, s.framesDelivered + s.framesDroppedDelivery + s.framesSkippedBehind + s.framesShed + s.framesConvertFailed,
    `decoded pictures: ${detail}`);
}
