export { CallMediaError, CallMediaErrorCode } from './errors';
export { FrameQueue } from './FrameQueue';
export { LatencyWindow, Percentiles, percentile, summarize } from './LatencyStats';
export { monotonicNowMs } from './native';
export { VideoFormat, RawVideoFormat, VideoFrame, FrameStamps, frameSize, VIDEO_FORMATS } from './VideoFrame';
export { VideoSocket, VideoSocketOptions, VideoSocketStats, VideoLatency } from './VideoSocket';
