// lintas audit compare A B: do two signed checkpoints (the headers of two
// saved exports) describe one history, or did the broker show two? Offline.
#include "compare_command.h"

#include <fstream>
#include <iostream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "client.h"
#include "lintas/audit/checkpoint.h"
#include "lintas/audit/hash.h"
#include "lintas/audit/merkle.h"
#include "lintas/audit/witness.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

struct CompareFlags {
  std::string a;
  std::string b;
  std::string broker_key;
};

struct Saved {
  audit::Checkpoint cp;
  bool complete = false;
  std::string file;
  std::string witness;  // a co-signed checkpoint's node (docs/AUDIT.md 3b)
};

Result<Saved> Load(const std::string& file, const audit::PublicKey& key) {
  auto bad = [&](const std::string& what) {
    return Error{std::make_error_code(std::errc::invalid_argument), file + ": " + what};
  };
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return bad("cannot be read");
  json h = json::parse(line, nullptr, false);
  if (!h.is_object() || !h.contains("checkpoint") || !h.contains("signature")) {
    return bad("its first line holds no signed checkpoint (an export written by lintas audit export, or a "
               "co-signed checkpoint saved by lintas audit witnesses --save)");
  }
  if (h.value("type", "") == "cosigned-checkpoint") {
    auto c = audit::CosignedCheckpoint::FromJson(line);
    if (!c.ok()) return bad(c.error().message);
    if (auto s = c->Verify(key); !s.ok()) return bad(s.error().message);
    auto cp = audit::Checkpoint::Parse(c->checkpoint);
    return Saved{*cp, false, file, c->node};
  }
  std::string body = h["checkpoint"].get<std::string>();
  auto sig = audit::Base64Decode(h["signature"].get<std::string>());
  if (!sig || sig->size() != 64) return bad("the signature is not 64 bytes of base64");
  audit::Signature signature{};
  std::copy(sig->begin(), sig->end(), signature.begin());
  if (!audit::VerifySignature(body, signature, key)) return bad("the checkpoint's signature does not verify with the broker's key");
  auto cp = audit::Checkpoint::Parse(body);
  if (!cp.ok()) return bad(cp.error().message);
  return Saved{*cp, h.value("complete", false), file, ""};
}

// The root of the first `m` records of a complete export.
Result<audit::Hash> PrefixRoot(const std::string& file, uint64_t m) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::vector<audit::Hash> leaves;
  while (leaves.size() < m && std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("type", "") != "record") continue;
    auto bytes = audit::Base64Decode(j.value("record", ""));
    if (!bytes || j.value("offset", uint64_t{0}) != leaves.size() + 1) {
      return Error{std::make_error_code(std::errc::invalid_argument), file + ": records missing or out of order"};
    }
    leaves.push_back(audit::LeafHash(*bytes));
  }
  if (leaves.size() != m) return Error{std::make_error_code(std::errc::invalid_argument), file + ": too few records"};
  return audit::RootOf(leaves);
}

int Compare(const CompareFlags& f) {
  auto key = audit::LoadPublicKey(f.broker_key);
  if (!key.ok()) {
    std::cerr << "error: --broker-key: " << key.error().message << "\n";
    return kExitBadInput;
  }
  auto a = Load(f.a, *key);
  auto b = Load(f.b, *key);
  if (!a.ok() || !b.ok()) {
    std::cerr << "error: " << (a.ok() ? b.error().message : a.error().message) << "\n";
    return kExitBadInput;
  }
  if (a->cp.log_id != b->cp.log_id) {
    std::cout << fmt::format("DIFFERENT LOGS: {} and {}\n", a->cp.log_id, b->cp.log_id);
    return kExitFailure;
  }
  const Saved& small = a->cp.size <= b->cp.size ? *a : *b;
  const Saved& large = a->cp.size <= b->cp.size ? *b : *a;
  audit::Hash prefix = large.cp.root;
  if (small.cp.size != large.cp.size) {
    if (!large.complete) {
      std::cout << fmt::format("UNDECIDED: {} is {}; the tree of {} records inside its {} cannot be rebuilt "
                               "offline (compare against a complete export)\n",
                               large.file, large.witness.empty() ? "a filtered export" : "a co-signed checkpoint",
                               small.cp.size, large.cp.size);
      return kExitFailure;
    }
    auto root = PrefixRoot(large.file, small.cp.size);
    if (!root.ok()) {
      std::cerr << "error: " << root.error().message << "\n";
      return kExitBadInput;
    }
    prefix = *root;
  }
  for (const Saved* s : {&*a, &*b}) {
    if (!s->witness.empty()) std::cout << fmt::format("{}: co-signed by node {}\n", s->file, s->witness);
  }
  if (prefix == small.cp.root) {
    std::cout << fmt::format("CONSISTENT: the checkpoint of {} records (time_us {}) extends the one of {} (time_us {})\n",
                             large.cp.size, large.cp.time_us, small.cp.size, small.cp.time_us);
    return kExitOk;
  }
  std::cout << fmt::format("FORK: two checkpoints of {} signed by the broker's key disagree on its first {} records "
                           "(root {} in {}, {} in {}): the broker showed two histories; both files are the evidence\n",
                           large.cp.log_id, small.cp.size, audit::ToHex(small.cp.root), small.file,
                           audit::ToHex(prefix), large.file);
  return kExitFailure;
}

}  // namespace

void AddCompareCommand(CLI::App* audit, int* rc) {
  auto f = std::make_shared<CompareFlags>();
  auto* c = audit->add_subcommand("compare", "Offline: do two saved exports' or co-signed checkpoints show one history?");
  c->add_option("a", f->a, "An export file (its signed checkpoint), or a co-signed checkpoint")->required();
  c->add_option("b", f->b, "Another export file or co-signed checkpoint")->required();
  c->add_option("--broker-key", f->broker_key, "The broker's signing public key (base64 or file)")->required();
  c->callback([f, rc] { *rc = Compare(*f); });
}

}  // namespace lintas::cli
