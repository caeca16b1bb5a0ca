// One task at a time on a thread of its own.
#include "lintas/broker/side_worker.h"

#include <pthread.h>

#include <utility>

namespace lintas::broker {

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
    task_ = std::move(task);
  }
  cv_.notify_all();
}

void SideWorker::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !task_; });
}

void SideWorker::Run(std::string thread_name) {
  pthread_setname_np(pthread_self(), thread_name.c_str());
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || task_; });
    if (!task_) return;  // stopping, nothing started
    auto task = task_;   // stays set: Wait returns once it is cleared
    lock.unlock();
    task();
    lock.lock();
    task_ = nullptr;
    cv_.notify_all();
  }
}

}  // namespace lintas::broker
