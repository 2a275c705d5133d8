// The engine's media thread: its own libuv loop (portable to Windows), apart from Node's, so
// packets, RTCP and timers never wait on JavaScript and JavaScript never runs per packet.
#pragma once
#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace callmedia {

class MediaThread {
 public:
  static MediaThread& Instance();

  // Runs `task` on the media thread, in posting order.
  void Post(std::function<void()> task);
  uv_loop_t* loop() { return &loop_; }
  // How late the thread ran its clock, at most, since the last call (read and reset): a media
  // thread that falls behind delays every packet and timer of every call.
  uint64_t TakeMaxLagNs() { return maxLagNs_.exchange(0, std::memory_order_relaxed); }
  bool IsCurrent() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  MediaThread();
  static void OnAsync(uv_async_t* handle);
  static void OnLagTimer(uv_timer_t* timer);
  void RunTasks();

  uv_loop_t loop_;
  uv_async_t async_;
  uv_timer_t lagTimer_;
  uint64_t lagExpectedNs_ = 0;
  std::atomic<uint64_t> maxLagNs_{0};
  std::mutex mutex_;
  std::vector<std::function<void()>> tasks_;
  std::vector<std::function<void()>> running_;
  std::thread thread_;
};

}  // namespace callmedia
