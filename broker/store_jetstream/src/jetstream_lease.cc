// JetStreamLease: one active broker among several.
#include "lintas/store/jetstream_lease.h"

#include <fmt/format.h>

#include <chrono>

#include "lintas/common/logging.h"
#include "lintas/store/errc.h"
#include "nats_client.h"

namespace lintas::store {
namespace {

constexpr const char* kKey = "active";

std::shared_ptr<spdlog::logger> Log() { return GetLogger("lease"); }

}  // namespace

Result<std::unique_ptr<JetStreamLease>> JetStreamLease::Connect(const JetStreamOptions& options,
                                                                std::string holder) {
  auto lease = std::unique_ptr<JetStreamLease>(new JetStreamLease());
  lease->options_ = options;
  lease->holder_ = std::move(holder);
  auto client = NatsClient::Connect(options);
  if (!client.ok()) return std::move(client).error();
  lease->client_ = std::move(*client);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.append_retry_ms);
  for (;;) {
    auto kv = lease->client_->EnsureBucket(options.lease_bucket, options.replicas, options.lease_ttl_ms);
    if (kv.ok()) {
      lease->kv_ = *kv;
      break;
    }
    if (std::chrono::steady_clock::now() > give_up) return std::move(kv).error();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return lease;
}

JetStreamLease::~JetStreamLease() {
  Release();
  if (kv_ != nullptr) kvStore_Destroy(kv_);
}

std::string JetStreamLease::Holder() {
  kvEntry* entry = nullptr;
  if (kvStore_Get(&entry, kv_, kKey) != NATS_OK) return "";
  std::string who(kvEntry_ValueString(entry));
  kvEntry_Destroy(entry);
  return who;
}

Status JetStreamLease::Acquire(const std::atomic<bool>& stop) {
  const auto poll = std::chrono::milliseconds(std::max<int64_t>(options_.lease_ttl_ms / 10, 50));
  std::string last_seen;
  while (!stop.load()) {
    uint64_t rev = 0;
    natsStatus s = kvStore_CreateString(&rev, kv_, kKey, holder_.c_str());
    if (s == NATS_OK) {
      revision_ = rev;
      Log()->warn("ACTIVE: this broker ({}) holds the lease in bucket {} (ttl {} ms)", holder_,
                  options_.lease_bucket, options_.lease_ttl_ms);
      return OkStatus();
    }
    std::string holder = Holder();
    if (holder != last_seen) {
      Log()->warn("STANDBY: {} holds the lease in bucket {}; waiting for it to lapse (ttl {} ms)",
                  holder.empty() ? "another broker" : holder, options_.lease_bucket,
                  options_.lease_ttl_ms);
      last_seen = holder;
    }
    std::this_thread::sleep_for(poll);  // the lease's TTL paces a standby
  }
  return Error{errc::other, "stopped while standing by"};
}

void JetStreamLease::StartRenewing(std::function<void(const std::string& why)> on_lost) {
  on_lost_ = std::move(on_lost);
  renewer_ = std::thread([this] { RenewLoop(); });
}

void JetStreamLease::RenewLoop() {
  const auto period = std::chrono::milliseconds(options_.lease_ttl_ms / 3);
  const auto limit = std::chrono::milliseconds(options_.lease_ttl_ms * 2 / 3);
  auto last_ok = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, period, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    uint64_t rev = 0;
    natsStatus s = kvStore_Update(&rev, kv_, kKey, holder_.data(), static_cast<int>(holder_.size()),
                                  revision_);
    std::string why;
    if (s == NATS_OK) {
      revision_ = rev;
      last_ok = std::chrono::steady_clock::now();
    } else if (nats_GetLastError(nullptr) != nullptr &&
               std::string(nats_GetLastError(nullptr)).find("wrong last sequence") != std::string::npos) {
      why = fmt::format("the lease was taken by {}", Holder());
    } else if (std::chrono::steady_clock::now() - last_ok > limit) {
      why = fmt::format("the lease could not be renewed for {} ms ({})", limit.count(),
                        natsStatus_GetText(s));
    } else {
      Log()->warn("lease renewal failed ({}); retrying", natsStatus_GetText(s));
    }
    lock.lock();
    if (!why.empty()) {
      revision_ = 0;
      lock.unlock();
      Log()->critical("LEASE LOST: {}", why);
      if (on_lost_) on_lost_(why);
      return;
    }
  }
}

void JetStreamLease::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (revision_ != 0 && kv_ != nullptr) {
    // Only our own lease: a delete conditional on our revision is not in
    // nats.c 3.4, so read it first (a race with a takeover after our lapse
    // is harmless: that broker's appends are fenced by the stream anyway).
    if (Holder() == holder_ && kvStore_Delete(kv_, kKey) == NATS_OK) {
      Log()->info("lease released");
    }
    revision_ = 0;
  }
}

}  // namespace lintas::store
