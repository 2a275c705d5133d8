export { AUDIO_FRAME_BYTES, AUDIO_SAMPLE_RATE, AudioFrame, AudioSocket, AudioSocketOptions, AudioSocketStats, ToneReceived, UnmixedAudio } from './AudioSocket';
export { WavInfo, WavRecording, playAudio, readWavInfo, recordWav, wavFile, wavWriter } from './audioFiles';
export { CallMediaError, CallMediaErrorCode } from './errors';
export { FrameQueue } from './FrameQueue';
export { LatencyWindow, Percentiles, percentile, summarize } from './LatencyStats';
export { CertificateSettings, MAX_VIDEO_SOCKETS, MediaPlatform, MediaPlatformSettings } from './MediaPlatform';
export { MediaPlatformEvents } from './MediaPlatform';
export { HEALTH_THRESHOLDS, HealthChange, HealthMeasures, HealthState, MediaPlatformHealthStatus } from './PlatformHealth';
export {
  MediaConfiguration,
  MediaSession,
  MediaSessionEvents,
  MediaSessionOptions,
  MediaSessionStats,
  MediaTransportKind,
  MediaTransportStats,
  SessionDescription,
  TransportState,
  TransportStateChange,
  parseMediaConfiguration,
} from './MediaSession';
export { BundleSlot } from './MediaSocket';
export { ServerSection, ServerSession, ServerSessionOptions } from './ServerSession';
export { SessionDescriptionModel, SdpMediaSection, parseDescription, writeDescription } from './sdp/SessionDescription';
export { QualityChange, QualityLevel, VideoQoe, qualityLevel } from './quality';
export { SocketReport, StatsReport, StatsReporter, StatsReporterOptions } from './StatsReporter';
export { EngineLoad, EngineMemory, engineMemory, monotonicNowMs } from './native';
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
