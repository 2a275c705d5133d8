#include "binding/JsFrameSink.h"

#include "common/Clock.h"

namespace callmedia {

JsFrameSink* JsFrameSink::Create(Napi::Env env, Napi::Function callback, size_t maxQueuedFrames) {
  auto* sink = new JsFrameSink(maxQueuedFrames ? maxQueuedFrames : 1);
  // The finalizer runs after the last queued call: the sink lives exactly as long as the TSFN.
  sink->tsfn_ = Napi::ThreadSafeFunction::New(env, callback, "callmedia.frames", 0, 1, sink,
                                              [](Napi::Env, JsFrameSink* s) { delete s; });
  return sink;
}

void JsFrameSink::Wake() {
  if (scheduled_) return;
  scheduled_ = true;
  tsfn_.NonBlockingCall([this](Napi::Env env, Napi::Function callback) { Drain(env, callback); });
}

void JsFrameSink::OnFrame(DeliveredFrame&& frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  if (frames_.size() >= maxQueuedFrames_) {
    frames_.pop_front();  // drop-oldest: the newest picture is the one worth showing
    counters_->dropped.fetch_add(1, std::memory_order_relaxed);
  }
  frames_.push_back(std::move(frame));
  Wake();
}

void JsFrameSink::OnEvent(const char* kind, const char* code, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_ || events_.size() >= 64) return;  // events are rare; a flood is cut, not queued
  events_.push_back(Event{kind, code, message});
  Wake();
}

void JsFrameSink::OnClosed() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    events_.push_back(Event{"closed", "", ""});
    Wake();
  }
  tsfn_.Release();
}

void JsFrameSink::Abandon() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  tsfn_.Release();
}

void JsFrameSink::Drain(Napi::Env env, Napi::Function callback) {
  std::deque<DeliveredFrame> frames;
  std::deque<Event> events;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    frames.swap(frames_);
    events.swap(events_);
    scheduled_ = false;
  }
  if (!env || !callback) return;  // tearing down: the buffers go back to the pool
  Napi::HandleScope scope(env);
  if (!frames.empty()) {
    const uint64_t now = NowNs();
    Napi::Array array = Napi::Array::New(env, frames.size());
    uint32_t i = 0;
    for (auto& f : frames) {
      f.stamps[kDelivered] = now;
      const size_t size = f.buffer.size();
      const size_t capacity = f.buffer.capacity();
      uint8_t* data = f.buffer.Detach();
      // Zero copy: JavaScript reads the pooled block; collection hands it back to the pool.
      auto buffer = Napi::Buffer<uint8_t>::New(env, data, size, [capacity](Napi::Env, uint8_t* p) {
        BufferPool::Instance().Release(p, capacity);
      });
      Napi::Object o = Napi::Object::New(env);
      o.Set("data", buffer);
      o.Set("format", static_cast<int>(f.format));
      o.Set("width", f.width);
      o.Set("height", f.height);
      o.Set("timestamp", f.timestamp);
      o.Set("ssrc", f.ssrc);
      o.Set("keyFrame", f.keyFrame);
      Napi::Float64Array stamps = Napi::Float64Array::New(env, kStampCount);
      for (int s = 0; s < kStampCount; ++s) stamps[s] = static_cast<double>(f.stamps[s]) / 1e6;  // ms
      o.Set("stamps", stamps);
      array[i++] = o;
    }
    counters_->delivered.fetch_add(frames.size(), std::memory_order_relaxed);
    callback.Call({Napi::String::New(env, "frames"), array});
  }
  for (auto& e : events) {
    Napi::Value payload;
    if (e.kind == "error") {
      Napi::Object o = Napi::Object::New(env);
      o.Set("code", e.code);
      o.Set("message", e.message);
      payload = o;
    } else {
      payload = Napi::String::New(env, e.message);
    }
    callback.Call({Napi::String::New(env, e.kind), payload});
  }
}

}  // namespace callmedia
