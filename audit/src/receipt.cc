// Signed acknowledgements: the entry and statement formats, and checking one
// event's receipt.
#include "lintas/audit/receipt.h"

#include <charconv>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lintas/audit/merkle.h"
#include "signed_text.h"

namespace lintas::audit {
namespace {

using internal::Bad;
using internal::ParseU64;

// The root of leaves[begin, end), appending to each leaf's path the sibling
// hashes on its way up: every subtree is hashed once (O(n log n) in all).
Hash BuildPaths(std::span<const Hash> leaves, size_t begin, size_t end, std::vector<std::vector<Hash>>* paths) {
  size_t n = end - begin;
  if (n == 1) return leaves[begin];
  size_t k = static_cast<size_t>(SplitPoint(n));
  Hash left = BuildPaths(leaves, begin, begin + k, paths);
  Hash right = BuildPaths(leaves, begin + k, end, paths);
  for (size_t i = begin; i < begin + k; ++i) (*paths)[i].push_back(right);
  for (size_t i = begin + k; i < end; ++i) (*paths)[i].push_back(left);
  return NodeHash(left, right);
}

std::string HexId(const std::array<uint8_t, 16>& id) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : id) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

}  // namespace

Hash ReceiptEntry::LeafHash() const {
  std::array<uint8_t, 88> bytes{};
  std::copy(event_id.begin(), event_id.end(), bytes.begin());
  for (int i = 0; i < 8; ++i) bytes[16 + i] = static_cast<uint8_t>(offset >> (56 - 8 * i));
  std::copy(event_hash.begin(), event_hash.end(), bytes.begin() + 24);
  std::copy(leaf.begin(), leaf.end(), bytes.begin() + 56);
  return audit::LeafHash(std::span<const uint8_t>(bytes));
}

std::string ReceiptStatement::Body() const {
  return fmt::format("lintas-receipt/1\nlog_id {}\nnode {}\ncount {}\nroot {}\ntime_us {}\n", log_id, node,
                     count, ToHex(root), time_us);
}

Result<ReceiptStatement> ReceiptStatement::Parse(std::string_view body) {
  auto fields = internal::ParseFields(body, "receipt", "lintas-receipt/1",
                                      {"log_id", "node", "count", "root", "time_us"});
  if (!fields.ok()) return fields.error();
  const std::vector<std::string_view>& values = *fields;
  ReceiptStatement s;
  s.log_id = std::string(values[0]);
  s.node = std::string(values[1]);
  uint64_t time = 0;
  auto root = FromHex(values[3]);
  if (!ParseU64(values[2], &s.count) || !root || !ParseU64(values[4], &time) || s.count == 0) {
    return Bad("receipt: a number or hash is malformed");
  }
  s.root = *root;
  s.time_us = static_cast<int64_t>(time);
  return s;
}

Hash ReceiptRoot(std::span<const ReceiptEntry> entries) {
  std::vector<Hash> leaves;
  leaves.reserve(entries.size());
  for (const auto& e : entries) leaves.push_back(e.LeafHash());
  return RootOf(leaves);
}

Status Receipt::Verify(const PublicKey& key) const {
  auto s = ReceiptStatement::Parse(statement);
  if (!s.ok()) return s.error();
  if (index >= s->count) return Bad(fmt::format("receipt: entry {} of a statement of {}", index, s->count));
  if (!VerifyInclusion(entry.LeafHash(), index, s->count, path, s->root)) {
    return Bad("receipt: the entry is not in the signed statement (its path does not lead to the root): altered");
  }
  if (!VerifySignature(statement, signature, key)) {
    return Bad("receipt: the signature does not verify with the broker's key: signed by another key, or altered");
  }
  return OkStatus();
}

std::string Receipt::ToJson() const {
  nlohmann::json path_hex = nlohmann::json::array();
  for (const auto& h : path) path_hex.push_back(ToHex(h));
  nlohmann::json j{{"type", "lintas-receipt"},
                   {"version", 1},
                   {"event_id", HexId(entry.event_id)},
                   {"offset", entry.offset},
                   {"event_sha256", ToHex(entry.event_hash)},
                   {"leaf", ToHex(entry.leaf)},
                   {"index", index},
                   {"path", path_hex},
                   {"statement", statement},
                   {"signature", Base64Encode({reinterpret_cast<const char*>(signature.data()), signature.size()})}};
  return j.dump();
}

Result<Receipt> Receipt::FromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("type", "") != "lintas-receipt" || j.value("version", 0) != 1) {
    return Bad("receipt: not a lintas-receipt of version 1");
  }
  try {
    Receipt r;
    std::string id = j.at("event_id").get<std::string>();
    if (id.size() != 32) return Bad("receipt: event_id is not 32 hex digits");
    for (size_t i = 0; i < 16; ++i) {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(id.data() + 2 * i, id.data() + 2 * i + 2, v, 16);
      if (ec != std::errc() || p != id.data() + 2 * i + 2) return Bad("receipt: event_id is not hex");
      r.entry.event_id[i] = static_cast<uint8_t>(v);
    }
    r.entry.offset = j.at("offset").get<uint64_t>();
    auto eh = FromHex(j.at("event_sha256").get<std::string>());
    auto leaf = FromHex(j.at("leaf").get<std::string>());
    if (!eh || !leaf) return Bad("receipt: event_sha256 or leaf is not a hash");
    r.entry.event_hash = *eh;
    r.entry.leaf = *leaf;
    r.index = j.at("index").get<uint64_t>();
    for (const auto& h : j.at("path")) {
      auto p = FromHex(h.get<std::string>());
      if (!p) return Bad("receipt: a path element is not a hash");
      r.path.push_back(*p);
    }
    r.statement = j.at("statement").get<std::string>();
    auto sig = Base64Decode(j.at("signature").get<std::string>());
    if (!sig || sig->size() != 64) return Bad("receipt: signature is not 64 bytes of base64");
    std::copy(sig->begin(), sig->end(), r.signature.begin());
    return r;
  } catch (const nlohmann::json::exception&) {
    return Bad("receipt: a field is missing or of the wrong type");
  }
}

std::vector<Receipt> MakeReceipts(std::span<const ReceiptEntry> entries, const std::string& statement,
                                  const Signature& signature) {
  std::vector<Hash> leaves;
  leaves.reserve(entries.size());
  for (const auto& e : entries) leaves.push_back(e.LeafHash());
  std::vector<std::vector<Hash>> paths(entries.size());
  if (!entries.empty()) (void)BuildPaths(leaves, 0, leaves.size(), &paths);
  std::vector<Receipt> out;
  out.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    out.push_back(Receipt{entries[i], i, std::move(paths[i]), statement, signature});
  }
  return out;
}

}  // namespace lintas::audit
