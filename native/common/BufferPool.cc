#include "common/BufferPool.h"

#include <cstdlib>

namespace callmedia {

namespace {
void FreeBlock(uint8_t* block) {
#if defined(_WIN32)
  _aligned_free(block);
#else
  std::free(block);
#endif
}
}  // namespace

BufferPool& BufferPool::Instance() {
  // Never destroyed: external buffers may be finalized during environment teardown.
  static BufferPool* pool = new BufferPool();
  return *pool;
}

BufferPool::~BufferPool() {
  for (auto& entry : free_)
    for (uint8_t* block : entry.second) FreeBlock(block);
}

uint8_t* BufferPool::Acquire(size_t size) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++outstanding_;
    outstandingBytes_ += size;
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      uint8_t* block = it->second.back();
      it->second.pop_back();
      freeBytes_ -= size;
      return block;
    }
    ++allocations_;
  }
  // 64-byte alignment suits SIMD conversion rows and FFmpeg's input padding rules.
  size_t rounded = (size + 63) & ~static_cast<size_t>(63);
  void* p = nullptr;
#if defined(_WIN32)
  p = _aligned_malloc(rounded ? rounded : 64, 64);
#else
  if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) p = nullptr;
#endif
  if (!p) {
    std::lock_guard<std::mutex> lock(mutex_);
    --outstanding_;
    outstandingBytes_ -= size;
  }
  return static_cast<uint8_t*>(p);
}

void BufferPool::Release(uint8_t* block, size_t size) {
  if (!block) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --outstanding_;
    outstandingBytes_ -= size;
    if (freeBytes_ + size <= maxFreeBytes_) {
      free_[size].push_back(block);
      freeBytes_ += size;
      return;
    }
  }
  FreeBlock(block);
}

size_t BufferPool::Allocations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return allocations_;
}

size_t BufferPool::Outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outstanding_;
}

size_t BufferPool::OutstandingBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outstandingBytes_;
}

size_t BufferPool::FreeBlocks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (auto& entry : free_) n += entry.second.size();
  return n;
}

}  // namespace callmedia
