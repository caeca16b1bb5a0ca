// Shredding after erasures, and retention.
#include "lintas/node/erasure_worker.h"

#include <algorithm>

#include <fmt/format.h>

#include "case_keys.h"
#include "lintas/common/clock.h"
#include "lintas/common/logging.h"

namespace lintas::node {

using nlohmann::json;

namespace {

std::string Period(int64_t us) {
  int64_t days = us / (86400LL * 1000000);
  if (days >= 365 && days % 365 == 0) return fmt::format("{}y", days / 365);
  if (days > 0 && us % (86400LL * 1000000) == 0) return fmt::format("{}d", days);
  return fmt::format("{}h", us / (3600LL * 1000000));
}

}  // namespace

ErasureWorker::ErasureWorker(const NodeConfig& config, NodeStore* store, CaseStore* cases, CaseVault* vault)
    : config_(config), store_(store), cases_(cases), vault_(vault) {
  // An erasure whose shred a crash or a stop interrupted is shredded now.
  auto pending = store_->Get(Cf::kVault, std::string(kShredPendingKey));
  shred_ = pending.ok() && pending->has_value();
  thread_ = std::thread([this] { Run(); });
}

ErasureWorker::~ErasureWorker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ErasureWorker::ShredSoon() {
  {
    std::lock_guard lock(mu_);
    shred_ = true;
  }
  wake_.notify_all();
}

uint64_t ErasureWorker::shreds_done() const {
  std::lock_guard lock(mu_);
  return shreds_done_;
}

void ErasureWorker::Run() {
  bool retention = config_.retention_closed_us > 0 || config_.retention_inactive_us > 0;
  auto next_sweep = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (shred_) {
      shred_ = false;
      lock.unlock();
      auto s = store_->Shred();
      if (s.ok()) {
        WriteSet done;
        done.Delete(Cf::kVault, std::string(kShredPendingKey));
        s = store_->Write(done, /*sync=*/true);
      }
      if (!s.ok()) GetLogger("node")->error("erasure: shredding the store failed: {}", s.error().message);
      lock.lock();
      ++shreds_done_;
      continue;
    }
    if (retention && std::chrono::steady_clock::now() >= next_sweep) {
      lock.unlock();
      auto n = SweepRetention(NowMicros());
      if (!n.ok()) GetLogger("node")->error("retention sweep failed: {}", n.error().message);
      lock.lock();
      next_sweep = std::chrono::steady_clock::now() + std::chrono::microseconds(config_.retention_check_every_us);
      continue;
    }
    if (retention) {
      wake_.wait_until(lock, next_sweep);
    } else {
      wake_.wait(lock);
    }
  }
}

std::string ErasureWorker::Expired(const json& kase, int64_t updated_us, int64_t now_us) const {
  if (kase.contains("erased")) return "";
  int64_t age = now_us - updated_us;
  if (config_.retention_closed_us > 0 && kase.value("state", "") == "closed" && age >= config_.retention_closed_us) {
    return "retention.closed_cases = " + Period(config_.retention_closed_us);
  }
  if (config_.retention_inactive_us > 0 && age >= config_.retention_inactive_us) {
    return "retention.inactive_cases = " + Period(config_.retention_inactive_us);
  }
  return "";
}

Result<bool> ErasureWorker::EraseHere(const std::string& case_id, const json& tombstone, int64_t now_us) {
  auto txn = cases_->Begin();
  auto erased = txn->EraseExpired(case_id, tombstone, now_us);
  if (!erased.ok()) return std::move(erased).error();
  if (!*erased) return false;
  if (auto s = vault_->Erase(case_id, tombstone, &txn->alongside()); !s.ok()) return s.error();
  if (auto s = store_->Write(txn->writes(), /*sync=*/true); !s.ok()) return s.error();
  GetLogger("node")->info("case {} erased here ({})", case_id, tombstone.value("reason", ""));
  ShredSoon();
  return true;
}

Result<size_t> ErasureWorker::SweepRetention(int64_t now_us) {
  int64_t shortest = INT64_MAX;
  for (int64_t p : {config_.retention_closed_us, config_.retention_inactive_us}) {
    if (p > 0) shortest = std::min(shortest, p);
  }
  if (shortest == INT64_MAX) return size_t{0};
  size_t erased = 0;
  std::string after;
  bool done = false;
  while (!done) {
    // Cases by last update, oldest first: the sweep stops at the first one
    // too recent for any rule.
    auto page = store_->Scan(Cf::kCases, "u/", 256, after);
    if (!page.ok()) return std::move(page).error();
    for (const auto& [key, value] : *page) {
      int64_t updated = static_cast<int64_t>(keys::FromBe64(std::string_view(key).substr(2, 8)));
      if (now_us - updated < shortest) {
        done = true;
        break;
      }
      std::string case_id = key.substr(2 + 8 + 1);
      auto kase = cases_->CaseView(case_id, now_us, 0);
      if (!kase.ok()) return std::move(kase).error();
      if (!kase->has_value()) continue;
      std::string rule = Expired(**kase, updated, now_us);
      if (rule.empty()) continue;
      json tombstone = Erasure{.case_id = case_id,
                               .at_us = now_us,
                               .country = config_.country,
                               .agency = config_.id,
                               .justification = "retention period over (node configuration: " + rule + ")",
                               .reason = "retention"}
                           .ToJson();
      auto erased_now = EraseHere(case_id, tombstone, now_us);
      if (!erased_now.ok()) return std::move(erased_now).error();
      if (!*erased_now) continue;
      ++erased;
    }
    if (page->size() < 256) break;
    after = page->back().first;
  }
  return erased;
}

}  // namespace lintas::node
