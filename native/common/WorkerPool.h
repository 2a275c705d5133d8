// Worker threads for decode, encode and conversion. Work for one stream goes through a Strand,
// which runs its tasks one at a time and in order, so a stream's frames never overtake each
// other while different streams spread over all cores.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace callmedia {

class WorkerPool {
 public:
  static WorkerPool& Instance();
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();

  void Post(std::function<void()> task);
  unsigned size() const { return static_cast<unsigned>(threads_.size()); }

  // How loaded the pool is, for the platform's health: the longest a task waited for a thread
  // since the last call (read and reset), and the tasks waiting now.
  // A task still waiting counts too: when every thread is held by long work, none starts.
  uint64_t TakeMaxWaitNs();
  size_t Queued();

 private:
  struct Task {
    std::function<void()> run;
    uint64_t postedNs;
  };
  void Run();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  std::atomic<uint64_t> maxWaitNs_{0};
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

class Strand : public std::enable_shared_from_this<Strand> {
 public:
  explicit Strand(WorkerPool& pool = WorkerPool::Instance()) : pool_(pool) {}

  void Post(std::function<void()> task);
  // Tasks posted and not yet finished.
  size_t Pending() const { return pending_.load(std::memory_order_relaxed); }
  // Blocks until every task posted so far has run. Not for the Node event loop's hot path.
  void Drain();

 private:
  void RunAll();
  WorkerPool& pool_;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> tasks_;
  bool running_ = false;
  std::atomic<size_t> pending_{0};
};

}  // namespace callmedia
