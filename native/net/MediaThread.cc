#include "net/MediaThread.h"

#include "common/Clock.h"

namespace callmedia {

namespace {
constexpr uint64_t kLagTickNs = 20'000'000;
}  // namespace

MediaThread& MediaThread::Instance() {
  // Leaked on purpose: the thread lives as long as the process.
  static MediaThread* instance = new MediaThread();
  return *instance;
}

MediaThread::MediaThread() {
  uv_loop_init(&loop_);
  async_.data = this;
  uv_async_init(&loop_, &async_, &MediaThread::OnAsync);
  lagTimer_.data = this;
  uv_timer_init(&loop_, &lagTimer_);
  lagExpectedNs_ = NowNs() + kLagTickNs;
  uv_timer_start(&lagTimer_, &MediaThread::OnLagTimer, kLagTickNs / 1'000'000, kLagTickNs / 1'000'000);
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

void MediaThread::OnLagTimer(uv_timer_t* timer) {
  auto* self = static_cast<MediaThread*>(timer->data);
  const uint64_t now = NowNs();
  const uint64_t lag = now > self->lagExpectedNs_ ? now - self->lagExpectedNs_ : 0;
  if (lag > self->maxLagNs_.load(std::memory_order_relaxed)) self->maxLagNs_.store(lag, std::memory_order_relaxed);
  self->lagExpectedNs_ = now + kLagTickNs;
}

void MediaThread::RunTasks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.swap(tasks_);
  }
  for (auto& task : running_) task();
  running_.clear();
}

}  // namespace callmedia
