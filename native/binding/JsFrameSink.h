// Delivers frames and events to JavaScript through one thread-safe function.
//
// The sink keeps its own bounded queue: when JavaScript falls behind, the oldest frame is
// dropped and counted, so memory stays flat however slow the consumer is. One wake-up is
// pending at most; the JavaScript side drains everything queued in one call.
#pragma once
#include <napi.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "video/ChannelContext.h"
#include "video/VideoReceiver.h"

namespace callmedia {

// Outlives the sink, so a socket's stats stay readable after it closed.
struct DeliveryCounters {
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> dropped{0};
};

class JsFrameSink : public ChannelSink {
 public:
  // `callback(kind, payload)`: kind 'frames' with an array of frame objects; 'keyFrameRequested'
  // and 'keyFrameNeeded' with a reason; 'error' with { code, message }; 'closed'.
  static JsFrameSink* Create(Napi::Env env, Napi::Function callback, size_t maxQueuedFrames);

  void OnFrame(DeliveredFrame&& frame) override;
  void OnEvent(const char* kind, const char* code, const std::string& message) override;
  void OnClosed() override;
  // For a receiver that never started: releases the thread-safe function without any event.
  void Abandon();

  void Ref(Napi::Env env) { tsfn_.Ref(env); }
  void Unref(Napi::Env env) { tsfn_.Unref(env); }
  std::shared_ptr<DeliveryCounters> counters() const { return counters_; }

 private:
  struct Event { std::string kind, code, message; };
  JsFrameSink(size_t maxQueuedFrames) : maxQueuedFrames_(maxQueuedFrames) {}
  void Wake();  // with mutex_ held
  void Drain(Napi::Env env, Napi::Function callback);

  Napi::ThreadSafeFunction tsfn_;
  const size_t maxQueuedFrames_;
  std::mutex mutex_;
  std::deque<DeliveredFrame> frames_;
  std::deque<Event> events_;
  bool scheduled_ = false;
  bool closed_ = false;
  std::shared_ptr<DeliveryCounters> counters_ = std::make_shared<DeliveryCounters>();
};

}  // namespace callmedia
