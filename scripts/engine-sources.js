'use strict';
// Engine sources that build without Node, libuv or FFmpeg (the audio jitter buffer needs only
// libopus; STUN and DTLS need OpenSSL, SRTP libsrtp2). Sockets, the media thread and the N-API
// binding stay out: they are covered by the JavaScript tests.
const engineSources = [
  'native/net/DtlsCertificate.cc',
  'native/net/DtlsSession.cc',
  'native/net/SrtpSession.cc',
  'native/net/StunMessage.cc',
  'native/rtp/RtpPacket.cc',
  'native/rtp/RtpStreamRecv.cc',
  'native/rtp/RtcpPacket.cc',
  'native/rtp/KeyFrameRequester.cc',
  'native/rtp/NackGenerator.cc',
  'native/rtp/RetransmissionBuffer.cc',
  'native/rtp/RtxPacket.cc',
  'native/rtp/TransportFeedback.cc',
  'native/cc/AimdRateControl.cc',
  'native/cc/CongestionController.cc',
  'native/cc/DelayBasedEstimator.cc',
  'native/cc/TransportFeedbackGenerator.cc',
  'native/video/H264Depacketizer.cc',
  'native/video/FrameAssembler.cc',
  'native/video/FrameConverter.cc',
  'native/video/H264Packetizer.cc',
  'native/video/RtpPayloadFormats.cc',
  'native/video/Vp8Depacketizer.cc',
  'native/video/Vp8Packetizer.cc',
  'native/audio/AudioSource.cc',
  'native/audio/DominantSpeaker.cc',
  'native/audio/DtmfReceiver.cc',
  'native/sfu/PayloadTypeMap.cc',
  'native/sfu/RtpRewriter.cc',
  'native/sfu/SimulcastStreams.cc',
  'native/common/BufferPool.cc',
  'native/common/WorkerPool.cc',
];

// The codecs' FFmpeg and OpenH264 side, for the native tests only (the fuzz targets stay with
// the parsers above): what the decoder makes of each access unit is checked one by one.
const codecSources = [
  'native/video/VideoDecoder.cc',
  'native/video/DecodeStage.cc',
  'native/video/VideoEncoder.cc',
  'native/video/AvEncoder.cc',
  'native/video/H264Encoder.cc',
  'native/video/Vp8Encoder.cc',
];
const codecPackages = ['libavcodec', 'libavutil', 'openh264', 'vpx'];

module.exports = { engineSources, codecSources, codecPackages };
