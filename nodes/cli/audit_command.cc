// lintas audit checkpoint | export | verify | prove | access
#include "audit_command.h"

#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zmq.h>

#include "client.h"
#include "lintas/audit/export_format.h"
#include "lintas/audit/merkle.h"
#include "lintas/common/clock.h"
#include "lintas/fb/audit_generated.h"
#include "lintas/node/audit_client.h"
#include "lintas/node/audit_connection.h"
#include "lintas/node/config.h"
#include "lintas/wire/errc.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

struct AuditFlags {
  std::string config;
  std::string broker_key;
  std::string justification;
  std::string state;
  std::string out;
  std::string format = "jsonl";
  std::string from;
  std::string to;
  std::string country;
  std::string agency;
  std::string case_id;
  std::string file;
  std::string event_id;
};

int ExitFor(const Error& e) {
  auto code = static_cast<wire::errc>(e.code.value());
  if (e.code.category() != wire::WireCategory()) return kExitFailure;
  switch (code) {
    case wire::errc::not_found: return kExitNotFound;
    case wire::errc::overloaded: return kExitUnreachable;
    case wire::errc::permission_denied:
    case wire::errc::justification_required:
    case wire::errc::policy_denied: return kExitRefused;
    default: return kExitFailure;
  }
}

// Microseconds, or an ISO 8601 UTC time (2026-11-28T10:00:00Z).
bool ParseTime(const std::string& text, int64_t* out) {
  if (text.empty()) return true;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    *out = std::stoll(text);
    return true;
  }
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || (*end != 'Z' && *end != '\0')) return false;
  *out = static_cast<int64_t>(timegm(&tm)) * 1000000;
  return true;
}

// The auditor's identity (a node config), connected to its broker.
Result<std::unique_ptr<node::AuditConnection>> Connect(const std::string& config_path) {
  node::NodeConfig config;
  try {
    config = node::LoadNodeConfig(config_path);
  } catch (const std::exception& e) {
    return Error{wire::errc::json_invalid, e.what()};
  }
  return node::ConnectAuditor(config, "lintas-audit/0.1.0");
}

// Checks the reply's signature with the pinned key (flag or state), or pins
// the broker's key on first use (with a warning). Returns the key used.
Result<audit::PublicKey> CheckSignature(const node::CheckpointReply& reply, const std::string& key_flag,
                                        const std::optional<audit::PublicKey>& pinned) {
  audit::PublicKey key = reply.public_key;
  if (!key_flag.empty()) {
    auto k = audit::LoadPublicKey(key_flag);
    if (!k.ok()) return k.error();
    key = *k;
  } else if (pinned) {
    key = *pinned;
  } else {
    std::cerr << "warning: no --broker-key: trusting the key the broker presents ("
              << audit::KeyToBase64(reply.public_key) << "); check it out of band\n";
  }
  if (!audit::VerifySignature(reply.checkpoint.body, reply.checkpoint.signature, key)) {
    return Error{wire::errc::policy_denied,
                 "the checkpoint's signature does not verify with the broker's pinned key"};
  }
  return key;
}

int Checkpoint(const AuditFlags& f, bool as_json) {
  std::optional<audit::Checkpoint> older;
  std::optional<audit::PublicKey> pinned;
  if (!f.state.empty()) {
    std::ifstream in(f.state);
    if (in) {
      json s = json::parse(in, nullptr, false);
      if (s.is_discarded() || !s.contains("checkpoint")) {
        std::cerr << "error: " << f.state << " is not a checkpoint state file\n";
        return kExitBadInput;
      }
      auto cp = audit::Checkpoint::Parse(s["checkpoint"].get<std::string>());
      auto key = audit::KeyFromBase64(s.value("public_key", ""));
      if (!cp.ok() || !key.ok()) {
        std::cerr << "error: " << f.state << " is damaged\n";
        return kExitBadInput;
      }
      older = *cp;
      pinned = *key;
    }
  }
  auto conn = Connect(f.config);
  if (!conn.ok()) {
    std::cerr << "error: " << conn.error().message << "\n";
    return ExitFor(conn.error());
  }
  node::AuditClient audit_client((*conn)->client.get());
  auto reply = audit_client.Checkpoint(older ? older->size : 0, older ? older->access_size : 0);
  if (!reply.ok()) {
    std::cerr << "error: " << reply.error().message << "\n";
    return ExitFor(reply.error());
  }
  auto key = CheckSignature(*reply, f.broker_key, pinned);
  if (!key.ok()) {
    std::cerr << "SECURITY: " << key.error().message << "\n";
    return kExitFailure;
  }
  std::string extends = "first checkpoint seen";
  if (older) {
    if (auto s = node::CheckExtends(*older, *reply); !s.ok()) {
      std::cerr << "SECURITY: " << s.error().message << "\n";
      return kExitFailure;
    }
    extends = fmt::format("extends the one of {} records seen before", older->size);
  }
  if (!f.state.empty()) {
    std::ofstream(f.state) << json{{"checkpoint", reply->checkpoint.body},
                                   {"public_key", audit::KeyToBase64(*key)}}
                                  .dump()
                           << "\n";
  }
  const audit::Checkpoint& c = reply->parsed;
  if (as_json) {
    std::cout << json{{"log_id", c.log_id},         {"size", c.size},
                      {"root", audit::ToHex(c.root)}, {"access_size", c.access_size},
                      {"access_root", audit::ToHex(c.access_root)}, {"time_us", c.time_us},
                      {"consistent", true}}
                     .dump()
              << "\n";
  } else {
    std::cout << fmt::format("checkpoint of {}: {} records, root {}\n", c.log_id, c.size,
                             audit::ToHex(c.root))
              << fmt::format("consultation log: {} records, root {}\n", c.access_size,
                             audit::ToHex(c.access_root))
              << fmt::format("signed at {}; signature valid; {}\n", FormatMicros(c.time_us), extends);
  }
  return kExitOk;
}

int Export(const AuditFlags& f, bool as_json) {
  node::ExportFilter filter;
  if (!ParseTime(f.from, &filter.from_time_us) || !ParseTime(f.to, &filter.to_time_us)) {
    std::cerr << "error: --from/--to: microseconds or 2026-11-28T10:00:00Z\n";
    return kExitBadInput;
  }
  filter.country = f.country;
  filter.agency = f.agency;
  filter.case_id = f.case_id;
  auto format = f.format == "csv" ? audit::ExportFormat::kCsv : audit::ExportFormat::kJsonLines;
  std::ofstream out(f.out, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "error: cannot write " << f.out << "\n";
    return kExitBadInput;
  }
  auto conn = Connect(f.config);
  if (!conn.ok()) {
    std::cerr << "error: " << conn.error().message << "\n";
    return ExitFor(conn.error());
  }
  node::AuditClient audit_client((*conn)->client.get());
  std::vector<std::string> problems;
  auto n = audit_client.Export(filter, f.justification, out, format, &problems);
  if (!n.ok()) {
    std::cerr << "error: " << n.error().message << "\n";
    return ExitFor(n.error());
  }
  out.close();
  if (!problems.empty()) {
    // Damage is written as it is, never hidden: the file shows it.
    for (const auto& p : problems) std::cerr << "SECURITY: " << p << "\n";
    std::cerr << fmt::format("error: {} written, but it will not verify: the broker's consultation log is "
                             "damaged ({} record(s) named above)\n",
                             f.out, problems.size());
    return kExitFailure;
  }
  if (as_json) {
    std::cout << json{{"records", *n}, {"file", f.out}}.dump() << "\n";
  } else {
    std::cout << fmt::format("{} records written to {} with their inclusion proofs\n", *n, f.out);
  }
  return kExitOk;
}

int Verify(const AuditFlags& f, bool as_json) {
  auto key = audit::LoadPublicKey(f.broker_key);
  if (!key.ok()) {
    std::cerr << "error: --broker-key: " << key.error().message << "\n";
    return kExitBadInput;
  }
  if (!std::ifstream(f.file)) {
    std::cerr << "error: cannot read " << f.file << "\n";
    return kExitBadInput;
  }
  int64_t start = NowMicros();
  audit::VerifyReport r =
      audit::VerifyExportFile(f.file, *key, std::max(1u, std::thread::hardware_concurrency()));
  double seconds = static_cast<double>(NowMicros() - start) / 1e6;
  if (as_json) {
    json j{{"ok", r.ok},           {"records", r.records}, {"checkpoint_size", r.checkpoint_size},
           {"complete", r.complete}, {"seconds", seconds}};
    j["consultation_records"] = r.access_records;
    if (!r.ok) {
      j["problem"] = {{"line", r.line}, {"offset", r.offset}, {"what", r.problem}};
      if (r.access_seq != 0) j["problem"]["consultation_record"] = r.access_seq;
    }
    std::cout << j.dump() << "\n";
  } else if (r.ok) {
    std::cout << fmt::format(
        "OK: {} records verified against the signed checkpoint of {} records ({}) in {:.2f} s\n{}",
        r.records, r.checkpoint_size, r.complete ? "complete export" : "filtered export", seconds,
        r.access_records > 0 ? fmt::format("OK: {} consultation records verified against its consultation log\n",
                                           r.access_records)
                             : std::string());
  } else {
    std::cout << fmt::format("FAILED at line {}{}: {}\n", r.line,
                             r.offset                ? fmt::format(" (offset {})", r.offset)
                             : r.access_seq != 0     ? fmt::format(" (consultation record {})", r.access_seq)
                                                     : std::string(),
                             r.problem);
  }
  return r.ok ? kExitOk : kExitFailure;
}

int Prove(const AuditFlags& f, bool as_json) {
  auto conn = Connect(f.config);
  if (!conn.ok()) {
    std::cerr << "error: " << conn.error().message << "\n";
    return ExitFor(conn.error());
  }
  node::AuditClient audit_client((*conn)->client.get());
  auto p = audit_client.Prove(f.event_id, f.justification);
  if (!p.ok()) {
    std::cerr << "error: " << p.error().message << "\n";
    return ExitFor(p.error());
  }
  auto key = CheckSignature(p->checkpoint, f.broker_key, std::nullopt);
  bool ok = key.ok() && p->verified;
  if (as_json) {
    json path = json::array();
    for (const auto& h : p->path) path.push_back(audit::ToHex(h));
    std::cout << json{{"event_id", f.event_id},
                      {"offset", p->offset},
                      {"leaf", audit::ToHex(audit::LeafHash(p->record))},
                      {"tree_size", p->checkpoint.parsed.size},
                      {"root", audit::ToHex(p->checkpoint.parsed.root)},
                      {"path", path},
                      {"verified", ok}}
                     .dump()
              << "\n";
  } else {
    std::cout << fmt::format("event {} is record {} of {}\n", f.event_id, p->offset,
                             p->checkpoint.parsed.size)
              << fmt::format("leaf {}\n", audit::ToHex(audit::LeafHash(p->record)));
    for (size_t i = 0; i < p->path.size(); ++i) {
      std::cout << fmt::format("  path[{}] {}\n", i, audit::ToHex(p->path[i]));
    }
    std::cout << fmt::format("root {} (signed checkpoint)\n", audit::ToHex(p->checkpoint.parsed.root))
              << (ok ? "VERIFIED: the record is in the signed log\n"
                     : "NOT VERIFIED: " + (key.ok() ? std::string("the path does not lead to the root")
                                                    : key.error().message) + "\n");
  }
  return ok ? kExitOk : kExitFailure;
}

// Lists only records whose inclusion proof in the signed consultation log
// checked here; names every record that did not (exit 1 then).
int Access(const AuditFlags& f, bool as_json) {
  auto conn = Connect(f.config);
  if (!conn.ok()) {
    std::cerr << "error: " << conn.error().message << "\n";
    return ExitFor(conn.error());
  }
  node::AuditClient audit_client((*conn)->client.get());
  auto listing = audit_client.Access(f.case_id, f.justification);
  if (!listing.ok()) {
    std::cerr << "error: " << listing.error().message << "\n";
    return ExitFor(listing.error());
  }
  auto key = CheckSignature(listing->checkpoint, f.broker_key, std::nullopt);
  if (!key.ok()) {
    std::cerr << "SECURITY: " << key.error().message << "; nothing is shown\n";
    return kExitFailure;
  }
  const audit::Checkpoint& cp = listing->checkpoint.parsed;
  json list = json::array();
  if (!as_json) {
    std::cout << fmt::format("{:>6}  {:<27} {:<12} {:<13} {:>7}  {}\n", "SEQ", "TIME", "NODE",
                             "ACTION", "EVENTS", "JUSTIFICATION / SUBSCRIPTION");
  }
  for (const auto& proof : listing->records) {
    json j = node::AccessRecordJson(proof.record);
    if (j.is_null()) continue;
    const auto* r = fb::GetAccessRecord(proof.record.data());
    std::string detail = r->justification() ? r->justification()->str()
                         : r->subscription() ? "subscription " + r->subscription()->str()
                                             : "";
    size_t events = r->offsets() ? r->offsets()->size() : 0;
    if (as_json) {
      j["verified"] = true;
      list.push_back(std::move(j));
    } else {
      std::cout << fmt::format("{:>6}  {:<27} {:<12} {:<13} {:>7}  {}\n", r->seq(),
                               FormatMicros(r->time_us()), r->node_id()->str(),
                               fb::EnumNameAccessAction(r->action()), events, detail);
    }
  }
  if (as_json) {
    std::cout << json{{"records", list},
                      {"verified_against", {{"access_size", cp.access_size},
                                            {"access_root", audit::ToHex(cp.access_root)},
                                            {"time_us", cp.time_us}}},
                      {"problems", listing->problems}}
                     .dump()
              << "\n";
  } else {
    std::cout << fmt::format("{} record(s) shown, each verified against the signed consultation log of {} "
                             "records (checkpoint of {})\n",
                             listing->records.size(), cp.access_size, FormatMicros(cp.time_us));
    for (const auto& p : listing->problems) std::cout << "NOT VERIFIED (not shown): " << p << "\n";
  }
  return listing->problems.empty() ? kExitOk : kExitFailure;
}

}  // namespace

void AddAuditCommands(CLI::App& app, bool* json_output, int* rc) {
  auto f = std::make_shared<AuditFlags>();
  auto* audit = app.add_subcommand(
      "audit", "Auditors: checkpoints, exports with proofs, offline verification, consultations");
  audit->require_subcommand(1);
  auto add_config = [&](CLI::App* c) {
    c->add_option("--config", f->config, "The auditing node's config (identity, keys, broker)")
        ->required();
  };
  auto add_justification = [&](CLI::App* c) {
    c->add_option("--justification", f->justification,
                  "Why (recorded in the broker's consultation log)")
        ->required();
  };

  auto* cp = audit->add_subcommand(
      "checkpoint", "Fetch the broker's signed checkpoint; with --state, check it extends the last one");
  add_config(cp);
  cp->add_option("--broker-key", f->broker_key, "The broker's signing public key (base64 or file)");
  cp->add_option("--state", f->state, "File keeping the latest checkpoint seen (read and updated)");
  cp->callback([f, json_output, rc] { *rc = Checkpoint(*f, *json_output); });

  auto* ex = audit->add_subcommand("export", "Export events with their inclusion proofs and the checkpoint");
  add_config(ex);
  add_justification(ex);
  ex->add_option("--out", f->out, "The export file")->required();
  ex->add_option("--format", f->format, "jsonl (default) or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  ex->add_option("--from", f->from, "Received at or after (microseconds or 2026-11-28T10:00:00Z)");
  ex->add_option("--to", f->to, "Received at or before");
  ex->add_option("--country", f->country, "Events from or to this country (ISO 3166-1 alpha-3)");
  ex->add_option("--agency", f->agency, "Events from or to this agency");
  ex->add_option("--case", f->case_id, "Events of this case");
  ex->callback([f, json_output, rc] { *rc = Export(*f, *json_output); });

  auto* vf = audit->add_subcommand("verify", "Verify an export offline against the broker's public key");
  vf->add_option("file", f->file, "The export file")->required();
  vf->add_option("--broker-key", f->broker_key, "The broker's signing public key (base64 or file)")
      ->required();
  vf->callback([f, json_output, rc] { *rc = Verify(*f, *json_output); });

  auto* pv = audit->add_subcommand("prove", "Show and check one event's inclusion in the signed log");
  pv->add_option("event_id", f->event_id, "The event id (8-4-4-4-12)")->required();
  add_config(pv);
  add_justification(pv);
  pv->add_option("--broker-key", f->broker_key, "The broker's signing public key (base64 or file)");
  pv->callback([f, json_output, rc] { *rc = Prove(*f, *json_output); });

  auto* ac = audit->add_subcommand("access", "List who received or consulted events (of a case)");
  add_config(ac);
  add_justification(ac);
  ac->add_option("--case", f->case_id, "Only consultations of this case's events");
  ac->add_option("--broker-key", f->broker_key, "The broker's signing public key (base64 or file)");
  ac->callback([f, json_output, rc] { *rc = Access(*f, *json_output); });
}

}  // namespace lintas::cli
