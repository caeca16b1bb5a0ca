// One task at a time on a thread of its own.
#include "lintas/common/side_worker.h"

#include <pthread.h>

#include <cassert>
#include <utility>

namespace lintas {

SideWorker::SideWorker(std::string thread_name) {
  thread_ = std::thread(&SideWorker::Run, this, std::move(thread_name));
}

SideWorker::~SideWorker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SideWorker::Start(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    assert(!busy_ && "SideWorker: Start before the last task's Wait");
    task_ = std::move(task);
    busy_ = true;
  }
  cv_.notify_all();
}

void SideWorker::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !busy_; });
}

void SideWorker::Run(std::string thread_name) {
  pthread_setname_np(pthread_self(), thread_name.c_str());
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || task_; });
    if (!task_) return;  // stopping, nothing started
    std::function<void()> task = std::move(task_);
    task_ = nullptr;
    lock.unlock();
    task();
    task = nullptr;  // what it holds goes before Wait returns
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace lintas
