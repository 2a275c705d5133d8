#include "binding/VideoChannelWrap.h"

#include "binding/Errors.h"

namespace callmedia {

namespace {

Napi::Float64Array ToArray(Napi::Env env, const std::vector<double>& values) {
  Napi::Float64Array a = Napi::Float64Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) a[i] = values[i];
  return a;
}

}  // namespace

void SetTransportStats(Napi::Env env, Napi::Object& o, const RtpChannelStats& t) {
  o.Set("datagrams", Napi::Number::New(env, t.datagrams));
  o.Set("bytes", Napi::Number::New(env, t.bytes));
  o.Set("rtcpPackets", Napi::Number::New(env, t.rtcpPackets));
  o.Set("rtcpMalformed", Napi::Number::New(env, t.rtcpMalformed));
  o.Set("datagramsTruncated", Napi::Number::New(env, t.datagramsTruncated));
  o.Set("datagramsRefused", Napi::Number::New(env, t.datagramsRefused));
}


void VideoChannelWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "VideoChannel", {
      InstanceMethod("localPort", &VideoChannelWrap::LocalPort),
      InstanceMethod("stats", &VideoChannelWrap::Stats),
      InstanceMethod("setRemote", &VideoChannelWrap::SetRemote),
      InstanceMethod("sendFrame", &VideoChannelWrap::SendFrame),
      InstanceMethod("sendAccessUnit", &VideoChannelWrap::SendAccessUnit),
      InstanceMethod("requestKeyFrame", &VideoChannelWrap::RequestKeyFrame),
      InstanceMethod("setShedding", &VideoChannelWrap::SetShedding),
      InstanceMethod("subscribe", &VideoChannelWrap::Subscribe),
      InstanceMethod("setRtpParameters", &VideoChannelWrap::SetRtpParameters),
      InstanceMethod("close", &VideoChannelWrap::Close),
      InstanceMethod("ref", &VideoChannelWrap::Ref),
      InstanceMethod("unref", &VideoChannelWrap::Unref),
  });
  exports.Set("VideoChannel", ctor);
}

// new VideoChannel({ address, port, remoteAddress, remotePort, format, payloadType, reorderWindowMs,
//   maxQueuedFrames, maxDecodeQueue, decodeQueueLimit, send?: { encoder, width, height, fps, bitrateKbps,
//   keyFrameInterval, screenContent, payloadType, maxSendQueue, scale } }, callback)
VideoChannelWrap::VideoChannelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VideoChannelWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "VideoChannel(options, callback)");
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  VideoChannelOptions options;
  options.channel.route = ReadRoute(o.Get("route"));
  VideoReceiverOptions& r = options.receive;
  r.format = static_cast<PixelFormat>(OptInt(o, "format", 0));
  r.payloadType = OptInt(o, "payloadType", -1);
  r.reorderWindowMs = static_cast<uint64_t>(OptInt(o, "reorderWindowMs", 50));
  r.maxDecodeQueue = static_cast<size_t>(OptInt(o, "maxDecodeQueue", 8));
  r.decodeQueueLimit = static_cast<size_t>(OptInt(o, "decodeQueueLimit", 60));
  const int maxQueued = OptInt(o, "maxQueuedFrames", 4);
  if (static_cast<int>(r.format) < 0 ||
      static_cast<int>(r.format) > static_cast<int>(PixelFormat::H264) || maxQueued < 1 || r.maxDecodeQueue < 1 ||
      r.decodeQueueLimit < 2) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "VideoChannel: option out of range");
    return;
  }
  Napi::Value send = o.Get("send");
  if (send.IsObject()) {
    Napi::Object so = send.As<Napi::Object>();
    options.send = true;
    VideoSenderOptions& s = options.sendOptions;
    s.encoder = OptString(so, "encoder", "openh264");
    s.encoderConfig.width = OptInt(so, "width", 1280);
    s.encoderConfig.height = OptInt(so, "height", 720);
    Napi::Value fps = so.Get("fps");
    s.encoderConfig.fps = fps.IsNumber() ? fps.As<Napi::Number>().DoubleValue() : 30.0;
    s.encoderConfig.bitrateKbps = OptInt(so, "bitrateKbps", 2000);
    s.encoderConfig.keyFrameInterval = OptInt(so, "keyFrameInterval", 60);
    s.encoderConfig.screenContent = so.Get("screenContent").ToBoolean();
    s.payloadType = OptInt(so, "payloadType", 96);
    s.maxSendQueue = static_cast<size_t>(std::max(1, OptInt(so, "maxSendQueue", 3)));
    s.scale = so.Get("scale").ToBoolean();
    s.rid = OptString(so, "rid", "");
    // Simulcast: the other layers, each { rid, width, height, bitrateKbps }, with the first's codec and rate.
    Napi::Value layers = so.Get("layers");
    if (layers.IsArray()) {
      Napi::Array a = layers.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value v = a.Get(i);
        if (!v.IsObject()) continue;
        Napi::Object lo = v.As<Napi::Object>();
        VideoSenderOptions layer = s;
        layer.rid = OptString(lo, "rid", "");
        layer.encoderConfig.width = OptInt(lo, "width", 0);
        layer.encoderConfig.height = OptInt(lo, "height", 0);
        layer.encoderConfig.bitrateKbps = OptInt(lo, "bitrateKbps", 0);
        if (layer.rid.empty() || layer.rid.size() > 16 || layer.encoderConfig.width < 16 || layer.encoderConfig.height < 16 ||
            layer.encoderConfig.bitrateKbps < 10) {
          ThrowCodedError(env, "INVALID_ARGUMENT", "send.layers: { rid (1..16 characters), width, height (16..), bitrateKbps (10..) }");
          return;
        }
        options.moreLayers.push_back(layer);
      }
    }
  }
  if (!OpenChannelTransport(env, o, &transport_)) {
    closed_ = true;
    return;
  }
  sink_ = JsFrameSink::Create(env, info[1].As<Napi::Function>(), static_cast<size_t>(maxQueued));
  counters_ = sink_->counters();
  std::string error;
  channel_ = VideoChannel::Create(options, transport_.transport, transport_.closer, sink_, &error);
  if (!channel_) {
    sink_->Abandon();  // releases the thread-safe function, which deletes the sink
    sink_ = nullptr;
    closed_ = true;
    transport_.Abandon();
    ThrowCodedError(env, "INVALID_ARGUMENT", error);
  }
}

Napi::Value VideoChannelWrap::LocalPort(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), transport_.localPort());
}

Napi::Value VideoChannelWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!channel_) return o;
  const VideoChannelStats c = channel_->Stats();
  const VideoReceiverStats& s = c.receive;
  auto set = [&](Napi::Object& t, const char* k, double v) { t.Set(k, Napi::Number::New(env, v)); };
  SetTransportStats(env, o, c.transport);
  set(o, "packetsMalformed", s.packetsMalformed);
  set(o, "packetsWrongPayloadType", s.packetsWrongPayloadType);
  set(o, "packetsOtherSsrc", s.packetsOtherSsrc);
  set(o, "rtpPackets", s.rtpPackets);
  set(o, "packetsLost", s.packetsLost);
  set(o, "packetsLate", s.packetsLate);
  set(o, "packetsDuplicate", s.packetsDuplicate);
  set(o, "packetsDiscarded", s.packetsDiscarded);
  set(o, "packetsPadding", s.packetsPadding);
  set(o, "pliSent", s.pliSent);
  set(o, "nackSent", s.nackSent);
  set(o, "packetsNacked", s.packetsNacked);
  set(o, "packetsRecovered", s.packetsRecovered);
  set(o, "nackGaveUp", s.nackGaveUp);
  set(o, "firSent", s.firSent);
  set(o, "receiverReportsSent", s.receiverReportsSent);
  set(o, "framesAssembled", s.framesAssembled);
  set(o, "framesIncomplete", s.framesIncomplete);
  set(o, "framesMalformed", s.framesMalformed);
  set(o, "framesWaitingKeyFrame", s.framesWaitingKeyFrame);
  set(o, "framesDroppedDecodeQueue", s.framesDroppedDecodeQueue);
  set(o, "framesDecoded", s.framesDecoded);
  set(o, "framesSkippedBehind", s.framesSkippedBehind);
  set(o, "framesShed", s.framesShed);
  set(o, "framesUnsupportedFormat", s.framesUnsupportedFormat);
  set(o, "framesConvertFailed", s.framesConvertFailed);
  set(o, "decodeErrors", s.decodeErrors);
  set(o, "framesDiscardedByDecoder", s.framesDiscardedByDecoder);
  set(o, "rtxPackets", s.rtxPackets);
  set(o, "rtxPaddingOnly", s.rtxPaddingOnly);
  set(o, "rtxUnusable", s.rtxUnusable);
  set(o, "jitterMs", s.jitterMs);
  set(o, "ssrc", s.ssrc);
  set(o, "rtcpSsrc", s.rtcpSsrc);
  set(o, "framesDelivered", counters_->delivered.load(std::memory_order_relaxed));
  set(o, "framesDroppedDelivery", counters_->dropped.load(std::memory_order_relaxed));
  if (c.sending) {
    Napi::Object so = SendStats(env, c.send);
    so.Set("encodeMs", ToArray(env, channel_->sender()->encodeTimes().Snapshot()));
    so.Set("sendMs", ToArray(env, channel_->sender()->sendTimes().Snapshot()));
    if (!c.layers.empty()) {
      Napi::Array layers = Napi::Array::New(env, c.layers.size());
      for (size_t i = 0; i < c.layers.size(); ++i) {
        Napi::Object lo = SendStats(env, c.layers[i]);
        lo.Set("encodeMs", ToArray(env, channel_->layer(i)->encodeTimes().Snapshot()));
        lo.Set("sendMs", ToArray(env, channel_->layer(i)->sendTimes().Snapshot()));
        layers.Set(static_cast<uint32_t>(i), lo);
      }
      so.Set("layers", layers);
    }
    o.Set("send", so);
  }
  return o;
}

Napi::Object VideoChannelWrap::SendStats(Napi::Env env, const VideoSenderStats& t) {
  Napi::Object so = Napi::Object::New(env);
  auto set = [&](const char* k, double v) { so.Set(k, Napi::Number::New(env, v)); };
  set("framesIn", t.framesIn);
  set("framesDroppedQueue", t.framesDroppedQueue);
  set("framesEncoded", t.framesEncoded);
  set("keyFramesEncoded", t.keyFramesEncoded);
  set("framesSkipped", t.framesSkipped);
  set("encodeErrors", t.encodeErrors);
  set("accessUnitsIn", t.accessUnitsIn);
  set("packetsSent", t.packetsSent);
  set("bytesSent", t.bytesSent);
  set("sendErrors", t.sendErrors);
  set("senderReportsSent", t.senderReportsSent);
  set("pliReceived", t.pliReceived);
  set("nackReceived", t.nackReceived);
  set("packetsRetransmitted", t.packetsRetransmitted);
  set("retransmissionsMissed", t.retransmissionsMissed);
  set("firReceived", t.firReceived);
  set("remoteFractionLost", t.remoteFractionLost);
  set("remoteJitterMs", t.remoteJitterMs);
  set("roundTripMs", t.roundTripMs);
  set("ssrc", t.ssrc);
  set("rtxSsrc", t.rtxSsrc);
  set("rtxPayloadType", t.rtxPayloadType);
  set("targetBitrate", t.targetBitrate);
  set("allocatedBitrate", t.allocatedBitrate);
  set("bitrateChanges", t.bitrateChanges);
  set("retransmissionsThrottled", t.retransmissionsThrottled);
  set("width", t.width);
  set("height", t.height);
  so.Set("rid", Napi::String::New(env, t.rid));
  so.Set("active", Napi::Boolean::New(env, t.active));
  return so;
}

void VideoChannelWrap::SetRemote(const Napi::CallbackInfo& info) { SetChannelRemote(info, transport_, closed_, "video"); }

bool VideoChannelWrap::CheckSending(Napi::Env env) {
  if (closed_) {
    ThrowCodedError(env, "SOCKET_CLOSED", "the video socket is closed");
    return false;
  }
  if (!channel_->sender()) {
    ThrowCodedError(env, "NOT_SENDING", "the socket was opened without send settings");
    return false;
  }
  return true;
}

// sendFrame(format, data, width, height, rtpTimestamp)
void VideoChannelWrap::SendFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsNumber() || !info[3].IsNumber() ||
      !info[4].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "sendFrame(format, data, width, height, rtpTimestamp)");
    return;
  }
  if (!CheckSending(env)) return;
  auto data = info[1].As<Napi::Buffer<uint8_t>>();
  std::string error;
  if (!channel_->QueueRaw(static_cast<PixelFormat>(info[0].As<Napi::Number>().Int32Value()), data.Data(),
                                    data.Length(), info[2].As<Napi::Number>().Int32Value(),
                                    info[3].As<Napi::Number>().Int32Value(),
                                    info[4].As<Napi::Number>().Uint32Value(), &error)) {
    ThrowCodedMessage(env, error);
  }
}

// sendAccessUnit(data, rtpTimestamp)
void VideoChannelWrap::SendAccessUnit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "sendAccessUnit(data, rtpTimestamp)");
    return;
  }
  if (!CheckSending(env)) return;
  auto data = info[0].As<Napi::Buffer<uint8_t>>();
  std::string error;
  if (!channel_->sender()->QueueAccessUnit(data.Data(), data.Length(), info[1].As<Napi::Number>().Uint32Value(), &error))
    ThrowCodedMessage(env, error);
}

// setShedding(on): the platform is overloaded and this socket gives up half its conversions.
void VideoChannelWrap::SetShedding(const Napi::CallbackInfo& info) {
  if (channel_ && !closed_ && info.Length() >= 1) channel_->SetShedding(info[0].ToBoolean());
}

void VideoChannelWrap::RequestKeyFrame(const Napi::CallbackInfo&) {
  if (channel_ && !closed_) channel_->RequestKeyFrame();
}

// subscribe(sourceId, width, height): sourceId 0 unsubscribes.
void VideoChannelWrap::Subscribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "subscribe(sourceId, width, height)");
    return;
  }
  if (closed_) {
    ThrowCodedError(env, "SOCKET_CLOSED", "the video socket is closed");
    return;
  }
  channel_->Subscribe(info[0].As<Napi::Number>().Uint32Value(), static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value()),
                      static_cast<uint16_t>(info[2].As<Napi::Number>().Uint32Value()));
}

// setRtpParameters({ route?, receiveCodecs?: [{ payloadType, codec: 'H264' | 'VP8' }], sendPayloadType?,
//   sendCodec? }): what the session's negotiation settled.
void VideoChannelWrap::SetRtpParameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "setRtpParameters(parameters)");
    return;
  }
  if (closed_) return;
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value codecs = o.Get("receiveCodecs");
  if (codecs.IsArray()) {
    std::vector<std::pair<uint8_t, VideoCodec>> list;
    Napi::Array a = codecs.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value e = a.Get(i);
      if (!e.IsObject()) continue;
      VideoCodec codec;
      const int pt = OptInt(e.As<Napi::Object>(), "payloadType", -1);
      if (pt < 0 || pt > 127 || !VideoCodecFromName(OptString(e.As<Napi::Object>(), "codec", "").c_str(), &codec)) {
        ThrowCodedError(env, "INVALID_ARGUMENT", "receiveCodecs: { payloadType: 0..127, codec: 'H264' | 'VP8' }");
        return;
      }
      list.emplace_back(static_cast<uint8_t>(pt), codec);
    }
    channel_->SetPayloadCodecs(std::move(list));
  }
  Napi::Value rtx = o.Get("receiveRtx");
  if (rtx.IsArray()) {
    std::vector<std::pair<uint8_t, uint8_t>> list;
    Napi::Array a = rtx.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value e = a.Get(i);
      const int pt = e.IsObject() ? OptInt(e.As<Napi::Object>(), "payloadType", -1) : -1;
      const int apt = e.IsObject() ? OptInt(e.As<Napi::Object>(), "apt", -1) : -1;
      if (pt < 0 || pt > 127 || apt < 0 || apt > 127) {
        ThrowCodedError(env, "INVALID_ARGUMENT", "receiveRtx: { payloadType: 0..127, apt: 0..127 }");
        return;
      }
      list.emplace_back(static_cast<uint8_t>(pt), static_cast<uint8_t>(apt));
    }
    channel_->SetRtxPayloads(std::move(list));
  }
  if (o.Has("route")) channel_->SetRoute(ReadRoute(o.Get("route")));
  const int pt = OptInt(o, "sendPayloadType", -1);
  VideoCodec sendCodec = VideoCodec::kH264;
  if (pt >= 0 && pt <= 127 && channel_->sender() &&
      VideoCodecFromName(OptString(o, "sendCodec", "H264").c_str(), &sendCodec))
    channel_->SetCodec(sendCodec, pt);
  if (channel_->sender() && o.Has("sendRtxPayloadType")) {
    const int rtxPt = OptInt(o, "sendRtxPayloadType", -1);
    channel_->SetRtx(rtxPt >= 0 && rtxPt <= 127 ? rtxPt : -1);
  }
  // sendLayers: the stream ids the far end accepted (simulcast); the other layers stop encoding.
  // The first layer always sends (a peer that takes no simulcast receives it alone).
  Napi::Value accepted = o.Get("sendLayers");
  if (accepted.IsArray() && channel_->layerCount() > 1) {
    Napi::Array a = accepted.As<Napi::Array>();
    for (size_t i = 0; i < channel_->layerCount(); ++i) {
      VideoSender* layer = channel_->layer(i);
      const std::string rid = layer->Stats().rid;
      bool on = i == 0;
      for (uint32_t k = 0; k < a.Length() && !on; ++k) {
        Napi::Value v = a.Get(k);
        on = v.IsString() && v.As<Napi::String>().Utf8Value() == rid;
      }
      layer->SetActive(on);
    }
  }
}

void VideoChannelWrap::Close(const Napi::CallbackInfo&) {
  if (closed_) return;
  closed_ = true;
  sink_ = nullptr;  // deleted once its thread-safe function drains
  channel_->Close();
}

void VideoChannelWrap::Ref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Ref(info.Env());
}

void VideoChannelWrap::Unref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Unref(info.Env());
}

}  // namespace callmedia
