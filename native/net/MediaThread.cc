#include "net/MediaThread.h"

namespace callmedia {

MediaThread& MediaThread::Instance() {
  // Leaked on purpose: the thread lives as long as the process.
  static MediaThread* instance = new MediaThread();
  return *instance;
}

MediaThread::MediaThread() {
  uv_loop_init(&loop_);
  async_.data = this;
  uv_async_init(&loop_, &async_, &MediaThread::OnAsync);
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  thread_.detach();
}

void MediaThread::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  uv_async_send(&async_);
}

void MediaThread::OnAsync(uv_async_t* handle) { static_cast<MediaThread*>(handle->data)->RunTasks(); }

void MediaThread::RunTasks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.swap(tasks_);
  }
  for (auto& task : running_) task();
  running_.clear();
}

}  // namespace callmedia
