#include "binding/AudioChannelWrap.h"

#include "binding/Errors.h"
#include "binding/VideoChannelWrap.h"

namespace callmedia {

void AudioChannelWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "AudioChannel", {
      InstanceMethod("localPort", &AudioChannelWrap::LocalPort),
      InstanceMethod("stats", &AudioChannelWrap::Stats),
      InstanceMethod("setRemote", &AudioChannelWrap::SetRemote),
      InstanceMethod("send", &AudioChannelWrap::Send),
      InstanceMethod("sendTone", &AudioChannelWrap::SendTone),
      InstanceMethod("setRtpParameters", &AudioChannelWrap::SetRtpParameters),
      InstanceMethod("close", &AudioChannelWrap::Close),
      InstanceMethod("ref", &AudioChannelWrap::Ref),
      InstanceMethod("unref", &AudioChannelWrap::Unref),
  });
  exports.Set("AudioChannel", ctor);
}

// new AudioChannel({ address, port, remoteAddress, remotePort, opusPayloadType, pcmuPayloadType,
//   pcmaPayloadType, l16PayloadType, l16Rate, telephoneEventPayloadType, audioLevelExtensionId,
//   unmixed, maxSources, maxQueuedFrames, send?: { bitrate, payloadType, maxQueue } }, callback)
namespace {

void ReadPayloadTypes(const Napi::Object& o, AudioPayloadTypes* p) {
  p->opus = OptInt(o, "opusPayloadType", p->opus);
  p->pcmu = OptInt(o, "pcmuPayloadType", p->pcmu);
  p->pcma = OptInt(o, "pcmaPayloadType", p->pcma);
  p->l16 = OptInt(o, "l16PayloadType", p->l16);
  p->l16Rate = OptInt(o, "l16Rate", p->l16Rate);
  p->telephoneEvent = OptInt(o, "telephoneEventPayloadType", p->telephoneEvent);
  p->telephoneEventRate = OptInt(o, "telephoneEventRate", p->telephoneEventRate);
  p->audioLevelExtensionId = OptInt(o, "audioLevelExtensionId", p->audioLevelExtensionId);
}

bool PayloadTypesValid(const AudioPayloadTypes& p) {
  // A telephone-event clock is what its durations are counted in: 0 would divide by zero.
  return (p.l16Rate == 8000 || p.l16Rate == 16000 || p.l16Rate == 48000) &&
         (p.telephoneEventRate == 8000 || p.telephoneEventRate == 16000 || p.telephoneEventRate == 48000) &&
         p.audioLevelExtensionId >= 0 && p.audioLevelExtensionId <= 14;
}

}  // namespace

AudioChannelWrap::AudioChannelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AudioChannelWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "AudioChannel(options, callback)");
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  AudioChannelOptions options;
  options.channel.route = ReadRoute(o.Get("route"));
  options.channel.tickMs = 2;  // the 20 ms mix clock is kept within a couple of ms
  AudioPayloadTypes& p = options.payloadTypes;
  ReadPayloadTypes(o, &p);
  options.maxUnmixed = static_cast<size_t>(std::max(0, OptInt(o, "unmixed", 0)));
  options.maxSources = static_cast<size_t>(std::max(1, OptInt(o, "maxSources", 64)));
  const int maxQueued = OptInt(o, "maxQueuedFrames", 8);
  if (maxQueued < 1 || !PayloadTypesValid(p)) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "AudioChannel: option out of range");
    return;
  }
  Napi::Value send = o.Get("send");
  if (send.IsObject()) {
    Napi::Object so = send.As<Napi::Object>();
    options.send = true;
    options.sendOptions.bitrate = OptInt(so, "bitrate", 32000);
    options.sendOptions.payloadType = OptInt(so, "payloadType", p.opus);
    options.sendOptions.telephoneEventPayloadType = p.telephoneEvent;
    options.sendOptions.maxQueue = static_cast<size_t>(std::max(1, OptInt(so, "maxQueue", 16)));
  }
  if (!OpenChannelTransport(env, o, &transport_)) {
    closed_ = true;
    return;
  }
  sink_ = JsAudioSink::Create(env, info[1].As<Napi::Function>(), static_cast<size_t>(maxQueued));
  counters_ = sink_->counters();
  std::string error;
  channel_ = AudioChannel::Create(options, transport_.transport, transport_.closer, sink_, &error);
  if (!channel_) {
    sink_->Abandon();
    sink_ = nullptr;
    closed_ = true;
    transport_.Abandon();
    ThrowCodedError(env, "INVALID_ARGUMENT", error);
  }
}

Napi::Value AudioChannelWrap::LocalPort(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), transport_.localPort());
}

Napi::Value AudioChannelWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!channel_) return o;
  const AudioChannelStats s = channel_->Stats();
  auto set = [&](Napi::Object& t, const char* k, double v) { t.Set(k, Napi::Number::New(env, v)); };
  SetTransportStats(env, o, s.transport);
  set(o, "framesMixed", s.framesMixed);
  set(o, "framesSilence", s.framesSilence);
  set(o, "framesDelivered", counters_->delivered.load(std::memory_order_relaxed));
  set(o, "framesDroppedDelivery", counters_->dropped.load(std::memory_order_relaxed));
  set(o, "packetsMalformed", s.packetsMalformed);
  set(o, "packetsWrongPayloadType", s.packetsWrongPayloadType);
  set(o, "sourcesRefused", s.sourcesRefused);
  set(o, "sourcesRemoved", s.sourcesRemoved);
  set(o, "packets", s.packets);
  set(o, "packetsLate", s.late);
  set(o, "packetsDuplicate", s.duplicate);
  set(o, "concealed", s.concealed);
  set(o, "concealedFec", s.concealedFec);
  set(o, "underruns", s.underruns);
  set(o, "discarded", s.discarded);
  set(o, "decodeErrors", s.decodeErrors);
  set(o, "packetsOversized", s.oversized);
  set(o, "tones", s.tones);
  set(o, "sourcesActive", static_cast<double>(s.sourcesActive));
  set(o, "jitterMs", s.jitterMs);
  set(o, "jitterBufferDepthMs", s.bufferDepthMs);
  set(o, "jitterBufferTargetMs", s.bufferTargetMs);
  set(o, "dominantSpeaker", s.dominantSpeaker);
  std::vector<double> mix = channel_->mixTimes().Snapshot();
  Napi::Float64Array mixUs = Napi::Float64Array::New(env, mix.size());
  for (size_t i = 0; i < mix.size(); ++i) mixUs[i] = mix[i];
  o.Set("mixUs", mixUs);
  if (s.sending) {
    Napi::Object so = Napi::Object::New(env);
    set(so, "framesIn", s.send.framesIn);
    set(so, "framesDroppedQueue", s.send.framesDroppedQueue);
    set(so, "framesFilled", s.send.framesFilled);
    set(so, "framesSent", s.send.framesSent);
    set(so, "packetsSent", s.send.packetsSent);
    set(so, "bytesSent", s.send.bytesSent);
    set(so, "tonesSent", s.send.tonesSent);
    set(so, "senderReportsSent", s.send.senderReportsSent);
    set(so, "ssrc", s.send.ssrc);
    set(so, "queued", static_cast<double>(s.send.queued));
    o.Set("send", so);
  }
  return o;
}

void AudioChannelWrap::SetRemote(const Napi::CallbackInfo& info) { SetChannelRemote(info, transport_, closed_, "audio"); }

bool AudioChannelWrap::CheckSending(Napi::Env env) {
  if (closed_) {
    ThrowCodedError(env, "SOCKET_CLOSED", "the audio socket is closed");
    return false;
  }
  if (!channel_->sender()) {
    ThrowCodedError(env, "NOT_SENDING", "the socket was opened without send settings");
    return false;
  }
  return true;
}

void AudioChannelWrap::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "send(pcm: Buffer)");
    return;
  }
  if (!CheckSending(env)) return;
  auto pcm = info[0].As<Napi::Buffer<uint8_t>>();
  std::string error;
  if (!channel_->sender()->Queue(pcm.Data(), pcm.Length(), &error)) ThrowCodedMessage(env, error);
}

void AudioChannelWrap::SendTone(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "sendTone(tone: string, durationMs: number)");
    return;
  }
  if (!CheckSending(env)) return;
  const std::string tone = info[0].As<Napi::String>().Utf8Value();
  std::string error;
  if (tone.size() != 1) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "a tone is one character: 0-9 * # A-D");
    return;
  }
  if (!channel_->sender()->QueueTone(tone[0], info[1].As<Napi::Number>().Int32Value(), &error)) ThrowCodedMessage(env, error);
}

// setRtpParameters({ route?, opusPayloadType, …, sendPayloadType, sendTelephoneEventPayloadType })
void AudioChannelWrap::SetRtpParameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "setRtpParameters(parameters)");
    return;
  }
  if (closed_) return;
  Napi::Object o = info[0].As<Napi::Object>();
  AudioPayloadTypes p;
  ReadPayloadTypes(o, &p);
  if (!PayloadTypesValid(p)) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "setRtpParameters: a payload type or clock rate out of range");
    return;
  }
  if (o.Has("route")) channel_->SetRoute(ReadRoute(o.Get("route")));
  channel_->SetPayloadTypes(p, OptInt(o, "sendPayloadType", p.opus), OptInt(o, "sendTelephoneEventPayloadType", p.telephoneEvent));
}

void AudioChannelWrap::Close(const Napi::CallbackInfo&) {
  if (closed_) return;
  closed_ = true;
  sink_ = nullptr;
  channel_->Close();
}

void AudioChannelWrap::Ref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Ref(info.Env());
}

void AudioChannelWrap::Unref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Unref(info.Env());
}

}  // namespace callmedia
