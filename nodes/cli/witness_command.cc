// lintas audit witnesses [--save DIR]
#include "witness_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "client.h"
#include "credentials.h"
#include "lintas/audit/checkpoint.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

std::string Summary(const json& cosigned) {
  if (!cosigned.is_object()) return "-";
  auto cp = audit::Checkpoint::Parse(cosigned.value("checkpoint", ""));
  if (!cp.ok()) return "(unreadable checkpoint)";
  return fmt::format("size {} root {}.. consultation log {}", cp->size, audit::ToHex(cp->root).substr(0, 16),
                     cp->access_size);
}

// Writes a fork's two co-signed checkpoints into `dir`; the file names.
std::pair<std::string, std::string> SaveFork(const json& fork, const std::string& dir) {
  std::string peer = fork.value("peer", "peer");
  std::string own_file = dir + "/fork-" + peer + "-seen-here.json";
  std::string peer_file = dir + "/fork-" + peer + "-seen-by-" + peer + ".json";
  std::ofstream(own_file) << fork["own"].dump() << "\n";
  std::ofstream(peer_file) << fork["peer_checkpoint"].dump() << "\n";
  return {own_file, peer_file};
}

int Witnesses(const std::string& url, const std::string& save_dir, bool as_json) {
  NodeClient node(url, ResolveToken(url));
  Reply r = node.Get("/v1/audit/witnesses");
  if (r.status != 200) return Fail(r);
  if (as_json) {
    std::cout << r.body.dump(2) << "\n";
  } else {
    std::cout << fmt::format("node {} (witness key {})\n  co-signed: {}\n", r.body.value("node", "?"),
                             r.body.value("witness_key", "-"), Summary(r.body["own"]));
    for (const auto& p : r.body["peers"]) {
      std::cout << fmt::format("  {:<16} {:<10} {} (checked {})\n", p.value("node", "?"), p.value("status", "?"),
                               Summary(p["witness"]), When(p.value("checked_us", int64_t{0})));
    }
    for (const auto& f : r.body["forks"]) {
      std::cout << fmt::format("FORK with {} (found {}): {}\n", f.value("peer", "?"),
                               When(f.value("detected_us", int64_t{0})), f.value("reason", ""));
    }
  }
  if (!save_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(save_dir, ec);
    for (const auto& f : r.body["forks"]) {
      auto [own, peer] = SaveFork(f, save_dir);
      std::cout << fmt::format("saved: {} and {} (check: lintas audit compare {} {} --broker-key KEY)\n", own, peer,
                               own, peer);
    }
  }
  return r.body["forks"].empty() ? kExitOk : kExitFailure;
}

}  // namespace

void AddWitnessCommand(CLI::App* audit, const std::string* node_url, const bool* json_output, int* rc) {
  auto save = std::make_shared<std::string>();
  auto* w = audit->add_subcommand("witnesses",
                                  "The checkpoint this node co-signed, the other nodes' and any fork found "
                                  "(exit 1 when there is a fork)");
  w->add_option("--save", *save, "Write each fork's two co-signed checkpoints into this folder");
  w->callback([node_url, json_output, save, rc] { *rc = Witnesses(*node_url, *save, *json_output); });
}

}  // namespace lintas::cli
