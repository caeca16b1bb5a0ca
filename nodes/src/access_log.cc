// The node's hash-chained consultation log.
#include "lintas/node/access_log.h"

#include <fmt/format.h>
#include <sodium.h>

#include "lintas/common/clock.h"

namespace lintas::node {
namespace {

const char* const kHeadKey = "access/head";

std::string Be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

}  // namespace

nlohmann::json AccessEntry::ToJson() const {
  return {{"seq", seq},         {"at_us", at_us},       {"user", user},
          {"agency", agency},   {"roles", roles},       {"action", action},
          {"case_id", case_id}, {"event_ids", event_ids}, {"justification", justification},
          {"address", address}, {"prev_hash", prev_hash}, {"hash", hash}};
}

std::optional<AccessEntry> AccessEntry::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    AccessEntry e;
    e.seq = j.at("seq").get<uint64_t>();
    e.at_us = j.at("at_us").get<int64_t>();
    e.user = j.at("user").get<std::string>();
    e.agency = j.at("agency").get<std::string>();
    e.roles = j.at("roles").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.case_id = j.at("case_id").get<std::string>();
    e.event_ids = j.at("event_ids").get<std::vector<std::string>>();
    e.justification = j.at("justification").get<std::string>();
    e.address = j.at("address").get<std::string>();
    e.prev_hash = j.at("prev_hash").get<std::string>();
    e.hash = j.at("hash").get<std::string>();
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string AccessEntry::Canonical() const {
  nlohmann::json j = ToJson();
  j.erase("hash");
  // nlohmann::json objects are ordered by key: the dump is canonical.
  return prev_hash + "\n" + j.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

Result<AccessEntry> AccessLog::Append(AccessEntry entry) {
  if (entry.event_ids.size() > kMaxEventIds) entry.event_ids.resize(kMaxEventIds);
  std::lock_guard lock(mu_);
  auto head = store_->Get(Cf::kMeta, kHeadKey);
  if (!head.ok()) return std::move(head).error();
  uint64_t seq = 0;
  std::string prev;
  if (head->has_value()) {
    auto h = nlohmann::json::parse(**head, nullptr, false);
    if (h.is_object()) {
      seq = h.value("seq", uint64_t{0});
      prev = h.value("hash", "");
    }
  }
  entry.seq = seq + 1;
  entry.at_us = NowMicros();
  entry.prev_hash = prev;
  entry.hash = Sha256Hex(entry.Canonical());
  WriteSet writes;
  writes.Put(Cf::kAccess, Be64(entry.seq), entry.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  writes.Put(Cf::kMeta, kHeadKey, nlohmann::json{{"seq", entry.seq}, {"hash", entry.hash}}.dump());
  if (auto s = store_->Write(writes, true); !s.ok()) return std::move(s).error();
  return entry;
}

Result<std::vector<AccessEntry>> AccessLog::List(const AccessFilter& f) {
  std::vector<AccessEntry> out;
  std::string after = f.after_seq ? Be64(f.after_seq) : std::string();
  while (out.size() < f.limit) {
    auto page = store_->Scan(Cf::kAccess, "", 512, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (const auto& [key, value] : *page) {
      after = key;
      auto e = AccessEntry::FromJson(nlohmann::json::parse(value, nullptr, false));
      if (!e) continue;
      if (!f.case_id.empty() && e->case_id != f.case_id) continue;
      if (!f.user.empty() && e->user != f.user) continue;
      if (e->at_us < f.from_us || e->at_us > f.to_us) continue;
      out.push_back(std::move(*e));
      if (out.size() >= f.limit) break;
    }
  }
  return out;
}

Result<ChainCheck> AccessLog::Verify() {
  ChainCheck check;
  std::string prev;
  uint64_t expected = 1;
  std::string after;
  auto fail = [&](uint64_t seq, std::string what) {
    check.ok = false;
    check.first_bad_seq = seq;
    check.problem = std::move(what);
    return check;
  };
  for (;;) {
    auto page = store_->Scan(Cf::kAccess, "", 1024, after);
    if (!page.ok()) return std::move(page).error();
    if (page->empty()) break;
    for (const auto& [key, value] : *page) {
      after = key;
      auto e = AccessEntry::FromJson(nlohmann::json::parse(value, nullptr, false));
      if (!e) return fail(expected, "the entry is not readable");
      if (e->seq != expected) {
        return fail(expected, fmt::format("entry {} is missing (found {} next)", expected, e->seq));
      }
      if (Be64(e->seq) != key) return fail(expected, "the entry is stored under another number");
      if (e->prev_hash != prev) return fail(e->seq, "it does not link to the entry before it");
      if (Sha256Hex(e->Canonical()) != e->hash) return fail(e->seq, "its content does not match its hash (edited)");
      prev = e->hash;
      ++expected;
      ++check.entries;
    }
  }
  auto head = store_->Get(Cf::kMeta, kHeadKey);
  if (!head.ok()) return std::move(head).error();
  uint64_t head_seq = 0;
  std::string head_hash;
  if (head->has_value()) {
    auto h = nlohmann::json::parse(**head, nullptr, false);
    if (h.is_object()) {
      head_seq = h.value("seq", uint64_t{0});
      head_hash = h.value("hash", "");
    }
  }
  if (head_seq != check.entries || head_hash != prev) {
    return fail(check.entries + 1 > head_seq ? head_seq : check.entries + 1,
                fmt::format("the chain holds {} entries but its head says {} (entries removed or added)",
                            check.entries, head_seq));
  }
  check.head_hash = prev;
  return check;
}

}  // namespace lintas::node
