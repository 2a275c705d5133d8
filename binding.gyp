{
  "variables": {
    "vcpkg_root%": "<!(node -p \"process.env.VCPKG_ROOT || 'C:/vcpkg'\")"
  },
  "targets": [
    {
      "target_name": "callmedia",
      "sources": [
        "native/addon.cc",
        "native/audio/AudioChannel.cc",
        "native/audio/AudioSender.cc",
        "native/audio/AudioSource.cc",
        "native/audio/DominantSpeaker.cc",
        "native/audio/DtmfReceiver.cc",
        "native/binding/AudioChannelWrap.cc",
        "native/binding/ChannelTransport.cc",
        "native/binding/JsAudioSink.cc",
        "native/binding/Convert.cc",
        "native/binding/EngineMemory.cc",
        "native/binding/ForwarderWrap.cc",
        "native/binding/JsFrameSink.cc",
        "native/binding/MediaPortWrap.cc",
        "native/binding/SrtpBench.cc",
        "native/binding/VideoChannelWrap.cc",
        "native/binding/WebRtcTransportWrap.cc",
        "native/cc/AimdRateControl.cc",
        "native/cc/CongestionController.cc",
        "native/cc/DelayBasedEstimator.cc",
        "native/cc/TransportFeedbackGenerator.cc",
        "native/common/BufferPool.cc",
        "native/common/WorkerPool.cc",
        "native/net/DtlsCertificate.cc",
        "native/net/DtlsSession.cc",
        "native/net/MediaThread.cc",
        "native/net/PlainRtpTransport.cc",
        "native/net/PortDemuxer.cc",
        "native/net/SrtpSession.cc",
        "native/net/StunMessage.cc",
        "native/net/RtpChannel.cc",
        "native/net/UdpSocket.cc",
        "native/net/WebRtcTransport.cc",
        "native/rtp/RtcpPacket.cc",
        "native/rtp/KeyFrameRequester.cc",
        "native/rtp/NackGenerator.cc",
        "native/rtp/RetransmissionBuffer.cc",
        "native/rtp/RtxPacket.cc",
        "native/rtp/RtpPacket.cc",
        "native/rtp/TransportFeedback.cc",
        "native/rtp/RtpStreamRecv.cc",
        "native/sfu/ForwarderChannel.cc",
        "native/sfu/PayloadTypeMap.cc",
        "native/sfu/RtpRewriter.cc",
        "native/sfu/SimulcastStreams.cc",
        "native/video/AvEncoder.cc",
        "native/video/FrameAssembler.cc",
        "native/video/FrameConverter.cc",
        "native/video/H264Depacketizer.cc",
        "native/video/H264Encoder.cc",
        "native/video/H264Packetizer.cc",
        "native/video/RtpPayloadFormats.cc",
        "native/video/VideoChannel.cc",
        "native/video/VideoDecoder.cc",
        "native/video/DecodeStage.cc",
        "native/video/VideoEncoder.cc",
        "native/video/VideoReceiver.cc",
        "native/video/VideoSender.cc",
        "native/video/Vp8Encoder.cc",
        "native/video/Vp8Depacketizer.cc",
        "native/video/Vp8Packetizer.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS=='linux' or OS=='mac'", {
          "cflags_cc": ["<!@(pkg-config --cflags libavcodec libavutil opus libsrtp2 openh264 vpx)"],
          "libraries": ["<!@(pkg-config --libs libavcodec libavutil opus libsrtp2 openh264 vpx)", "-lyuv"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "include_dirs": ["<(vcpkg_root)/installed/x64-windows/include"],
          "libraries": [
            "<(vcpkg_root)/installed/x64-windows/lib/avcodec.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/avutil.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/yuv.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/opus.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/srtp2.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/openh264.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/vpx.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/libssl.lib",
            "<(vcpkg_root)/installed/x64-windows/lib/libcrypto.lib"
          ],
          "msvs_settings": {
            "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
          }
        }]
      ]
    }
  ]
}
