export { AUDIO_FRAME_BYTES, AUDIO_SAMPLE_RATE, AudioFrame, AudioSocket, AudioSocketOptions, AudioSocketStats, ToneReceived, UnmixedAudio } from './AudioSocket';
export { WavRecording, playAudio, recordWav, wavFile, wavWriter } from './audioFiles';
export { CallMediaError, CallMediaErrorCode } from './errors';
export { FrameQueue } from './FrameQueue';
export { LatencyWindow, Percentiles, percentile, summarize } from './LatencyStats';
export { MAX_VIDEO_SOCKETS, MediaConfiguration, MediaPlatform, MediaPlatformSettings, MediaSession, MediaSessionOptions, MediaSessionStats, parseMediaConfiguration } from './MediaPlatform';
export { monotonicNowMs } from './native';
export { VbssSocket, VBSS_MAX_FPS, VBSS_MAX_HEIGHT, VBSS_MAX_WIDTH } from './VbssSocket';
export { VideoFormat, RawVideoFormat, VideoFrame, FrameStamps, frameSize, VIDEO_FORMATS } from './VideoFrame';
export {
  KeyFrameNeededEvent,
  OutgoingVideoFrame,
  SendStatus,
  VideoEncoderName,
  VIDEO_RESOLUTIONS,
  VideoLatency,
  RosterParticipant,
  VideoResolution,
  VideoSource,
  VideoSendOptions,
  VideoSendStats,
  VideoSocket,
  VideoSocketOptions,
  VideoSocketStats,
} from './VideoSocket';
