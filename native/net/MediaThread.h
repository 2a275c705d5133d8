// The engine's media thread: its own libuv loop (portable to Windows), apart from Node's, so
// packets, RTCP and timers never wait on JavaScript and JavaScript never runs per packet.
#pragma once
#include <uv.h>

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
  bool IsCurrent() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  MediaThread();
  static void OnAsync(uv_async_t* handle);
  void RunTasks();

  uv_loop_t loop_;
  uv_async_t async_;
  std::mutex mutex_;
  std::vector<std::function<void()>> tasks_;
  std::vector<std::function<void()>> running_;
  std::thread thread_;
};

}  // namespace callmedia
