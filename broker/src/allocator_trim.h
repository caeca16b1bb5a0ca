// Keeps tcmalloc's free memory bounded in the broker binary (only it links
// tcmalloc; tests and tools keep glibc's malloc).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace lintas::broker {

// tcmalloc keeps what the broker frees for reuse: memtables freed after a
// flush, records freed after their commit. Over a 10M-event run the free
// lists reached ~135 MiB beside ~150 MiB in use (MallocExtension::GetStats),
// and RSS grew with them. At start this caps the threads' caches; its
// thread then returns, once a second, the page heap's free memory beyond
// `keep_free_bytes` to the system (madvise). Aggressive decommit, which
// returns every freed span at once, halved throughput: a second of churn
// stays mapped for reuse.
//
// Thread safety: constructed and destroyed by one thread; its own thread
// only calls tcmalloc.
class AllocatorTrim {
 public:
  struct Options {
    // All threads' caches together (tcmalloc's default: 32 MiB).
    size_t max_thread_cache_bytes = 8u << 20;
    // Free page-heap memory kept mapped for reuse.
    size_t keep_free_bytes = 32u << 20;
    // How often the excess is returned (at least every 100 ms).
    int every_ms = 1000;
  };
  explicit AllocatorTrim(Options options);
  ~AllocatorTrim();
  AllocatorTrim(const AllocatorTrim&) = delete;
  AllocatorTrim& operator=(const AllocatorTrim&) = delete;

 private:
  void Run();

  const Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // Guarded by mu_.
  std::thread thread_;
};

}  // namespace lintas::broker
