import type { MediaSession } from '../../src/media';
import { pcmBytes, sine } from './tones';

/**
 * The bot's side of a call in a test: its first video socket sends a moving 320x240 picture at
 * 25 fps and its audio socket a steady tone, every 20 ms until the returned timer is cleared.
 */
export function startBotSender(session: MediaSession, toneHz: number): NodeJS.Timeout {
  let n = 0;
  const picture = Buffer.alloc((320 * 240 * 3) / 2);
  return setInterval(() => {
    for (let i = 0; i < 320 * 240; i++) picture[i] = (i + n * 4) & 0xff;
    picture.fill(128, 320 * 240);
    if (n % 2 === 0) session.videoSockets[0].send({ format: 'I420', width: 320, height: 240, data: picture });
    session.audioSocket?.send(pcmBytes(sine(toneHz, 16000, n * 320, 320, 9000)));
    n++;
  }, 20);
}
