#include "allocator_trim.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include <gperftools/malloc_extension.h>

#include "lintas/broker/logger.h"

namespace lintas::broker {

AllocatorTrim::AllocatorTrim(Options options) : options_(options) {
  if (!MallocExtension::instance()->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes",
                                                       options_.max_thread_cache_bytes)) {
    Log()->warn("allocator: the threads' cache bound was not set (is tcmalloc the allocator?)");
  }
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
  auto every = std::chrono::milliseconds(std::max(options_.every_ms, 100));
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
    size_t free_bytes = 0;
    MallocExtension* malloc = MallocExtension::instance();
    if (!malloc->GetNumericProperty("tcmalloc.pageheap_free_bytes", &free_bytes)) {
      Log()->warn("allocator: free memory unknown (is tcmalloc the allocator?); none returned");
      return;
    }
    if (free_bytes > options_.keep_free_bytes) {
      malloc->ReleaseToSystem(free_bytes - options_.keep_free_bytes);
    }
  }
}

}  // namespace lintas::broker
