#include "common/WorkerPool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "check.h"

using callmedia::Strand;
using callmedia::WorkerPool;

namespace {

// Waits up to `seconds` for pred(); a test must fail, not hang, when the pool misbehaves.
template <typename Pred>
bool WaitFor(Pred pred, double seconds = 5.0) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace

TEST(WorkerPool_RunsEveryTask) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(2);
    CHECK_EQ(pool.size(), 2u);
    for (int i = 0; i < 1000; ++i) pool.Post([&done] { done.fetch_add(1); });
    CHECK(WaitFor([&] { return done.load() == 1000; }));
  }
  CHECK_EQ(done.load(), 1000);
}

TEST(WorkerPool_DestructorFinishesQueuedTasks) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(1);
    pool.Post([] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
    for (int i = 0; i < 50; ++i) pool.Post([&done] { done.fetch_add(1); });
  }
  CHECK_EQ(done.load(), 50);
}

TEST(WorkerPool_UsesSeveralThreads) {
  WorkerPool pool(2);
  std::atomic<int> started{0};
  std::atomic<bool> bothSeen{false};
  for (int i = 0; i < 2; ++i) {
    pool.Post([&] {
      started.fetch_add(1);
      // Each task waits for the other: only possible if they run at the same time.
      if (WaitFor([&] { return started.load() == 2; }, 5.0)) bothSeen = true;
    });
  }
  CHECK(WaitFor([&] { return bothSeen.load(); }, 6.0));
}

TEST(Strand_RunsTasksInOrderNeverTwoAtOnce) {
  WorkerPool pool(2);
  auto strand = std::make_shared<Strand>(pool);
  std::atomic<int> inFlight{0};
  std::atomic<int> overlaps{0};
  std::vector<int> order;  // unsynchronised on purpose: the strand is the only writer
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    strand->Post([&, i] {
      if (inFlight.fetch_add(1) != 0) overlaps.fetch_add(1);
      order.push_back(i);
      if (i % 1000 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
      inFlight.fetch_sub(1);
    });
  }
  strand->Drain();
  CHECK_EQ(overlaps.load(), 0);
  REQUIRE(order.size() == static_cast<size_t>(n));
  bool inOrder = true;
  for (int i = 0; i < n; ++i) inOrder &= order[i] == i;
  CHECK(inOrder);
  CHECK_EQ(strand->Pending(), 0u);
}

TEST(Strand_PostsFromSeveralThreadsStaySerialised) {
  WorkerPool pool(2);
  auto strand = std::make_shared<Strand>(pool);
  std::atomic<int> inFlight{0}, overlaps{0};
  std::vector<std::vector<int>> seen(3);
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < 3000; ++i) {
        strand->Post([&, t, i] {
          if (inFlight.fetch_add(1) != 0) overlaps.fetch_add(1);
          seen[t].push_back(i);
          inFlight.fetch_sub(1);
        });
      }
    });
  }
  for (auto& p : producers) p.join();
  strand->Drain();
  CHECK_EQ(overlaps.load(), 0);
  for (int t = 0; t < 3; ++t) {
    REQUIRE(seen[t].size() == 3000u);
    bool inOrder = true;
    for (int i = 0; i < 3000; ++i) inOrder &= seen[t][i] == i;  // each producer's order is kept
    CHECK(inOrder);
  }
}

TEST(Strand_DrainWaitsForRunningAndQueuedTasks) {
  WorkerPool pool(2);
  auto strand = std::make_shared<Strand>(pool);
  std::atomic<bool> slowDone{false};
  std::atomic<int> after{0};
  strand->Post([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    slowDone = true;
  });
  for (int i = 0; i < 10; ++i) strand->Post([&] { after.fetch_add(1); });
  CHECK(strand->Pending() > 0u);
  strand->Drain();
  CHECK(slowDone.load());
  CHECK_EQ(after.load(), 10);
  CHECK_EQ(strand->Pending(), 0u);
}

TEST(Strand_DrainWaitsForTasksPostedByTasks) {
  WorkerPool pool(2);
  auto strand = std::make_shared<Strand>(pool);
  std::atomic<int> depth{0};
  std::function<void()> step = [&] {
    if (depth.fetch_add(1) < 20) strand->Post(step);
  };
  strand->Post(step);
  strand->Drain();
  CHECK_EQ(depth.load(), 21);
}

TEST(Strand_DrainOnAnIdleStrandReturns) {
  WorkerPool pool(1);
  auto strand = std::make_shared<Strand>(pool);
  strand->Drain();
  std::atomic<int> ran{0};
  strand->Post([&] { ran = 1; });
  strand->Drain();
  strand->Drain();
  CHECK_EQ(ran.load(), 1);
}

TEST(Strand_DifferentStrandsRunInParallel) {
  WorkerPool pool(2);
  auto a = std::make_shared<Strand>(pool);
  auto b = std::make_shared<Strand>(pool);
  std::atomic<bool> aStarted{false}, bStarted{false}, aSawB{false}, bSawA{false};
  a->Post([&] {
    aStarted = true;
    aSawB = WaitFor([&] { return bStarted.load(); });
  });
  b->Post([&] {
    bStarted = true;
    bSawA = WaitFor([&] { return aStarted.load(); });
  });
  a->Drain();
  b->Drain();
  CHECK(aSawB.load());
  CHECK(bSawA.load());
}

TEST(Strand_KeepsItselfAliveWhileTasksRun) {
  WorkerPool pool(2);
  std::atomic<int> ran{0};
  std::weak_ptr<Strand> weak;
  {
    auto strand = std::make_shared<Strand>(pool);
    weak = strand;
    strand->Post([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ran.fetch_add(1);
    });
    strand->Post([&] { ran.fetch_add(1); });
  }  // the last outside reference goes away with work still queued
  CHECK(WaitFor([&] { return ran.load() == 2 && weak.expired(); }));
}
