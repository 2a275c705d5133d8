#include "common/WorkerPool.h"

#include <algorithm>

#include "common/Clock.h"

namespace callmedia {

WorkerPool& WorkerPool::Instance() {
  // Leaked on purpose: tasks may still be finishing while the process exits.
  static WorkerPool* pool = new WorkerPool(std::max(2u, std::thread::hardware_concurrency()));
  return *pool;
}

WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(Task{std::move(task), NowNs()});
  }
  cv_.notify_one();
}

uint64_t WorkerPool::TakeMaxWaitNs() {
  uint64_t oldest = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!tasks_.empty()) oldest = NowNs() - tasks_.front().postedNs;
  }
  return std::max(oldest, maxWaitNs_.exchange(0, std::memory_order_relaxed));
}

size_t WorkerPool::Queued() {
  std::lock_guard<std::mutex> lock(mutex_);
  return tasks_.size();
}

void WorkerPool::Run() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    const uint64_t waited = NowNs() - task.postedNs;
    uint64_t seen = maxWaitNs_.load(std::memory_order_relaxed);
    while (waited > seen && !maxWaitNs_.compare_exchange_weak(seen, waited, std::memory_order_relaxed)) {
    }
    task.run();
  }
}

void Strand::Post(std::function<void()> task) {
  pending_.fetch_add(1, std::memory_order_relaxed);
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    if (!running_) running_ = schedule = true;
  }
  if (schedule) {
    auto self = shared_from_this();
    pool_.Post([self] { self->RunAll(); });
  }
}

void Strand::RunAll() {
  for (;;) {
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (tasks_.empty()) {
        running_ = false;
        idle_.notify_all();
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
    pending_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Strand::Drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return !running_ && tasks_.empty(); });
}

}  // namespace callmedia
