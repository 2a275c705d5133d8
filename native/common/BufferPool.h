// Frame buffers handed to JavaScript as external buffers. The finalizer of a buffer returns it
// here, so frames of one size recycle the same blocks. JavaScript hands buffers back in bursts,
// when its garbage collector runs, so the free lists keep up to a byte budget rather than a few
// blocks: a fresh block costs page faults on first touch, a recycled one does not.
// Outstanding buffers are owned by JavaScript (or a queue) until collected; their count is
// what a leak shows in, so the pool keeps it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace callmedia {

class BufferPool {
 public:
  static BufferPool& Instance();

  explicit BufferPool(size_t maxFreeBytes = 192u << 20) : maxFreeBytes_(maxFreeBytes) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Returns a block of at least `size` bytes; `size` must be passed back to Release.
  uint8_t* Acquire(size_t size);
  void Release(uint8_t* block, size_t size);

  size_t FreeBlocks() const;
  size_t Allocations() const;
  // Blocks acquired and not yet released, and their bytes.
  size_t Outstanding() const;
  size_t OutstandingBytes() const;

 private:
  const size_t maxFreeBytes_;
  size_t freeBytes_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<uint8_t*>> free_;
  size_t allocations_ = 0;
  size_t outstanding_ = 0;
  size_t outstandingBytes_ = 0;
};

// A pooled block with its size, movable, returned to the pool unless released to a new owner.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(uint8_t* data, size_t size, size_t capacity) : data_(data), size_(size), capacity_(capacity) {}
  static PooledBuffer Make(size_t size, size_t padding = 0) {
    return PooledBuffer(BufferPool::Instance().Acquire(size + padding), size, size + padding);
  }
  PooledBuffer(PooledBuffer&& o) noexcept { *this = std::move(o); }
  PooledBuffer& operator=(PooledBuffer&& o) noexcept {
    if (this != &o) {
      Reset();
      data_ = o.data_; size_ = o.size_; capacity_ = o.capacity_;
      o.data_ = nullptr; o.size_ = o.capacity_ = 0;
    }
    return *this;
  }
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  ~PooledBuffer() { Reset(); }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  void Shrink(size_t size) { if (size <= capacity_) size_ = size; }
  // Gives up ownership; the caller must return the block with BufferPool::Release(p, capacity).
  uint8_t* Detach() { uint8_t* p = data_; data_ = nullptr; size_ = capacity_ = 0; return p; }
  void Reset() {
    if (data_) BufferPool::Instance().Release(data_, capacity_);
    data_ = nullptr; size_ = capacity_ = 0;
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace callmedia
