// Log reader thread.
#include "log_reader.h"

#include <pthread.h>

#include <utility>

namespace lintas::broker {

LogReader::LogReader(zmq::context_t& ctx, const std::string& notify_endpoint) {
  // The PAIR socket is created inside the thread that uses it; the loop binds
  // the other end before constructing the reader.
  thread_ = std::thread(&LogReader::Run, this, &ctx, notify_endpoint);
}

LogReader::~LogReader() { Stop(); }

void LogReader::Submit(std::function<void()> work, std::function<void()> done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(work), std::move(done)});
  }
  ++outstanding_;
  cv_.notify_one();
}

std::vector<std::function<void()>> LogReader::TakeDone() {
  std::vector<std::function<void()>> out;
  {
    std::lock_guard lock(mu_);
    out = std::exchange(done_, {});
  }
  outstanding_ -= out.size();
  return out;
}

void LogReader::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LogReader::Run(zmq::context_t* ctx, std::string endpoint) {
  pthread_setname_np(pthread_self(), "lintas-reader");
  zmq::socket_t notify(*ctx, zmq::socket_type::pair);
  notify.set(zmq::sockopt::linger, 0);
  notify.connect(endpoint);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.work();
    {
      std::lock_guard lock(mu_);
      done_.push_back(std::move(job.done));
    }
    // One byte wakes the loop; a full pipe already has one waiting.
    (void)notify.send(zmq::const_buffer("r", 1), zmq::send_flags::dontwait);
  }
}

}  // namespace lintas::broker
