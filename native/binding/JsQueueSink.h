// Delivers items (frames) and events to JavaScript through one thread-safe function.
//
// The queue is bounded: when JavaScript falls behind, the oldest item is dropped and counted,
// so memory stays flat however slow the consumer is. One wake-up is pending at most; the
// JavaScript side drains everything queued in one call: callback('<itemsKind>', [items]),
// then callback(kind, payload) per event, and 'closed' last.
#pragma once
#include <napi.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace callmedia {

// Outlives the sink, so a socket's stats stay readable after it closed.
struct DeliveryCounters {
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> dropped{0};
};

struct SinkEvent {
  std::string kind, code, message;
};

template <typename Item>
class JsQueueSink {
 public:
  virtual ~JsQueueSink() = default;

  void Ref(Napi::Env env) { tsfn_.Ref(env); }
  void Unref(Napi::Env env) { tsfn_.Unref(env); }
  std::shared_ptr<DeliveryCounters> counters() const { return counters_; }
  // For a channel that never started: releases the thread-safe function without any event.
  void Abandon() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    tsfn_.Release();
  }

 protected:
  JsQueueSink(const char* itemsKind, size_t maxQueued) : itemsKind_(itemsKind), maxQueued_(maxQueued ? maxQueued : 1) {}

  // The subclass's Create calls this; the finalizer deletes the sink after the last call.
  template <typename Sink>
  static void Bind(Sink* sink, Napi::Env env, Napi::Function callback) {
    sink->tsfn_ = Napi::ThreadSafeFunction::New(env, callback, "callmedia.sink", 0, 1, sink,
                                                [](Napi::Env, Sink* s) { delete s; });
  }

  virtual Napi::Value ToJs(Napi::Env env, Item& item, uint64_t nowNs) = 0;

  void PushItem(Item&& item) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (items_.size() >= maxQueued_) {
      items_.pop_front();  // drop-oldest: the newest is the one worth having
      counters_->dropped.fetch_add(1, std::memory_order_relaxed);
    }
    items_.push_back(std::move(item));
    Wake();
  }

  void PushEvent(const char* kind, const char* code, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || events_.size() >= 256) return;  // events are rare; a flood is cut, not queued
    events_.push_back(SinkEvent{kind, code, message});
    Wake();
  }

  void PushClosed() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
      events_.push_back(SinkEvent{"closed", "", ""});
      Wake();
    }
    tsfn_.Release();
  }

 private:
  void Wake() {  // with mutex_ held
    if (scheduled_) return;
    scheduled_ = true;
    tsfn_.NonBlockingCall([this](Napi::Env env, Napi::Function callback) { Drain(env, callback); });
  }

  void Drain(Napi::Env env, Napi::Function callback);

  Napi::ThreadSafeFunction tsfn_;
  const char* itemsKind_;
  const size_t maxQueued_;
  std::mutex mutex_;
  std::deque<Item> items_;
  std::deque<SinkEvent> events_;
  bool scheduled_ = false;
  bool closed_ = false;
  std::shared_ptr<DeliveryCounters> counters_ = std::make_shared<DeliveryCounters>();
};

uint64_t SinkNowNs();

template <typename Item>
void JsQueueSink<Item>::Drain(Napi::Env env, Napi::Function callback) {
  std::deque<Item> items;
  std::deque<SinkEvent> events;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    items.swap(items_);
    events.swap(events_);
    scheduled_ = false;
  }
  if (!env || !callback) return;  // tearing down: the buffers go back to the pool
  Napi::HandleScope scope(env);
  if (!items.empty()) {
    const uint64_t now = SinkNowNs();
    Napi::Array array = Napi::Array::New(env, items.size());
    uint32_t i = 0;
    for (auto& item : items) array[i++] = ToJs(env, item, now);
    counters_->delivered.fetch_add(items.size(), std::memory_order_relaxed);
    callback.Call({Napi::String::New(env, itemsKind_), array});
  }
  for (auto& e : events) {
    Napi::Value payload;
    if (!e.code.empty() || e.kind == "error") {
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

// Zero copy: JavaScript reads the pooled block; collection hands it back to the pool.
class PooledBuffer;
Napi::Buffer<uint8_t> PooledToJs(Napi::Env env, PooledBuffer& buffer);

}  // namespace callmedia
