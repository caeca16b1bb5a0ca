#include "allocator_trim.h"

#include <pthread.h>

#include <chrono>

#include <gperftools/malloc_extension.h>

namespace lintas::broker {

AllocatorTrim::AllocatorTrim(Options options) : options_(options) {
  MallocExtension::instance()->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes",
                                                  options_.max_thread_cache_bytes);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lintas-trim");
    Run();
  });
}

AllocatorTrim::~AllocatorTrim() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AllocatorTrim::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(options_.every_ms), [this] { return stop_; })) {
    size_t free_bytes = 0;
    if (!MallocExtension::instance()->GetNumericProperty("tcmalloc.pageheap_free_bytes", &free_bytes)) continue;
    if (free_bytes > options_.keep_free_bytes) {
      MallocExtension::instance()->ReleaseToSystem(free_bytes - options_.keep_free_bytes);
    }
  }
}

}  // namespace lintas::broker
