#include "common/BufferPool.h"

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "check.h"

using callmedia::BufferPool;
using callmedia::PooledBuffer;

TEST(BufferPool_BlocksAreAlignedAndWritable) {
  BufferPool pool;
  for (size_t size : {0u, 1u, 63u, 64u, 65u, 1000u, 1920u * 1080u * 4u}) {
    uint8_t* p = pool.Acquire(size);
    REQUIRE(p != nullptr);
    CHECK_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    std::memset(p, 0xAB, size);  // ASan reports if the block is smaller than asked for
    pool.Release(p, size);
  }
}

TEST(BufferPool_ReleasedBlockIsReusedForTheSameSize) {
  BufferPool pool;
  uint8_t* a = pool.Acquire(4096);
  CHECK_EQ(pool.Allocations(), 1u);
  pool.Release(a, 4096);
  CHECK_EQ(pool.FreeBlocks(), 1u);
  uint8_t* b = pool.Acquire(4096);
  CHECK(b == a);
  CHECK_EQ(pool.Allocations(), 1u);
  CHECK_EQ(pool.FreeBlocks(), 0u);
  // A different size never gets a block of another size.
  pool.Release(b, 4096);
  uint8_t* c = pool.Acquire(8192);
  CHECK(c != a);
  CHECK_EQ(pool.Allocations(), 2u);
  std::memset(c, 0, 8192);
  pool.Release(c, 8192);
  CHECK_EQ(pool.FreeBlocks(), 2u);
}

TEST(BufferPool_SteadyStateAllocatesNothing) {
  BufferPool pool;
  std::vector<uint8_t*> inFlight;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 4; ++i) inFlight.push_back(pool.Acquire(100000));
    for (uint8_t* p : inFlight) pool.Release(p, 100000);
    inFlight.clear();
  }
  CHECK_EQ(pool.Allocations(), 4u);
}

TEST(BufferPool_FreeListIsBoundedInBytes) {
  BufferPool pool(1000);
  std::vector<uint8_t*> small;
  for (int i = 0; i < 5; ++i) small.push_back(pool.Acquire(256));
  for (uint8_t* p : small) pool.Release(p, 256);
  // 3 x 256 = 768 fit under 1000 bytes, a fourth would not: two blocks went back to the
  // allocator (LeakSanitizer reports them at exit otherwise).
  CHECK_EQ(pool.FreeBlocks(), 3u);
  uint8_t* big = pool.Acquire(512);
  std::memset(big, 0, 512);
  pool.Release(big, 512);  // 768 + 512 > 1000: not kept
  CHECK_EQ(pool.FreeBlocks(), 3u);
  // Taking blocks out makes room again.
  uint8_t* a = pool.Acquire(256);
  uint8_t* b = pool.Acquire(256);
  CHECK_EQ(pool.FreeBlocks(), 1u);
  big = pool.Acquire(512);
  pool.Release(big, 512);  // 256 + 512 <= 1000: kept
  CHECK_EQ(pool.FreeBlocks(), 2u);
  pool.Release(a, 256);  // 1024 would exceed the bound
  CHECK_EQ(pool.FreeBlocks(), 2u);
  pool.Release(b, 256);
  CHECK_EQ(pool.FreeBlocks(), 2u);
  const size_t allocations = pool.Allocations();
  uint8_t* again = pool.Acquire(512);
  CHECK_EQ(pool.Allocations(), allocations);  // the kept 512-byte block is reused
  pool.Release(again, 512);
}

TEST(BufferPool_ZeroBoundKeepsNothing) {
  BufferPool pool(0);
  uint8_t* p = pool.Acquire(64);
  pool.Release(p, 64);
  CHECK_EQ(pool.FreeBlocks(), 0u);
  uint8_t* q = pool.Acquire(64);
  CHECK_EQ(pool.Allocations(), 2u);
  pool.Release(q, 64);
}

TEST(BufferPool_ReleaseNullIsIgnored) {
  BufferPool pool;
  pool.Release(nullptr, 100);
  CHECK_EQ(pool.FreeBlocks(), 0u);
}

TEST(BufferPool_ConcurrentAcquireRelease) {
  BufferPool pool;
  std::atomic<int> corrupt{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, &corrupt, t] {
      for (int i = 0; i < 5000; ++i) {
        const size_t size = 1024u * (1 + (i % 3));
        uint8_t* p = pool.Acquire(size);
        // Each thread stamps its block; another thread holding the same block would overwrite it.
        std::memset(p, t + 1, size);
        for (size_t k = 0; k < size; k += 97)
          if (p[k] != t + 1) corrupt.fetch_add(1);
        pool.Release(p, size);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK_EQ(corrupt.load(), 0);
  // At most one block per thread is out at a time, so each size needs at most 4 blocks ever.
  CHECK(pool.FreeBlocks() <= 3u * 4u);
  CHECK(pool.Allocations() <= 3u * 4u);
}

TEST(PooledBuffer_ReturnsItsBlockToTheSharedPool) {
  const size_t size = 123457;  // a size nothing else in the process uses
  uint8_t* first = nullptr;
  {
    PooledBuffer b = PooledBuffer::Make(size, 64);
    REQUIRE(b.data() != nullptr);
    CHECK_EQ(b.size(), size);
    CHECK_EQ(b.capacity(), size + 64);
    std::memset(b.data(), 1, b.capacity());
    first = b.data();
  }
  PooledBuffer again = PooledBuffer::Make(size, 64);
  CHECK(again.data() == first);
}

TEST(PooledBuffer_MoveTransfersOwnership) {
  PooledBuffer a = PooledBuffer::Make(5000);
  uint8_t* data = a.data();
  PooledBuffer b(std::move(a));
  CHECK(a.data() == nullptr);
  CHECK_EQ(a.size(), 0u);
  CHECK(b.data() == data);
  PooledBuffer c;
  c = std::move(b);
  CHECK(b.data() == nullptr);
  CHECK(c.data() == data);
  c = std::move(c);  // self-move keeps the block
  CHECK(c.data() == data);
  c.Shrink(100);
  CHECK_EQ(c.size(), 100u);
  c.Shrink(6000);  // larger than the capacity: ignored
  CHECK_EQ(c.size(), 100u);
}

TEST(PooledBuffer_DetachHandsTheBlockOver) {
  PooledBuffer a = PooledBuffer::Make(777);
  const size_t capacity = a.capacity();
  uint8_t* p = a.Detach();
  CHECK(a.data() == nullptr);
  CHECK_EQ(a.capacity(), 0u);
  REQUIRE(p != nullptr);
  std::memset(p, 0, capacity);
  BufferPool::Instance().Release(p, capacity);  // what a JavaScript finalizer does
  PooledBuffer b = PooledBuffer::Make(777);
  CHECK(b.data() == p);
}
