// lintas audit prove-receipt: does the broker's log still hold the event it
// acknowledged, exactly, at the offset it signed? (docs/AUDIT.md 2a)
#include "receipt_command.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "client.h"
#include "credentials.h"
#include "lintas/audit/export_format.h"
#include "lintas/audit/merkle.h"
#include "lintas/audit/receipt.h"
#include "lintas/node/audit_client.h"
#include "lintas/node/audit_connection.h"
#include "lintas/node/config.h"

namespace lintas::cli {
namespace {

using nlohmann::json;

struct ReceiptFlags {
  std::string event_id;
  std::string receipt_file;  // a saved receipt instead of the node's
  std::string save;          // write the receipt here
  std::string export_file;   // offline: a saved export
  std::string config;        // online: a node identity that may see the event
  std::string broker_key;
  std::string justification = "check of a signed acknowledgement";
};

// What the log says about the receipt's offset.
struct Finding {
  bool held = false;
  std::string what;
};

Finding Judge(const audit::Receipt& r, uint64_t size, const audit::Hash& root, const std::vector<audit::Hash>* path,
              const std::string& source) {
  if (size < r.entry.offset) {
    return {false, fmt::format("NOT HELD: the broker's signed log ({}) has {} records, fewer than offset {}: the "
                               "event it acknowledged is gone (truncated or rolled back)",
                               source, size, r.entry.offset)};
  }
  if (path != nullptr && audit::VerifyInclusion(r.entry.leaf, r.entry.offset - 1, size, *path, root)) {
    return {true, fmt::format("HELD: the broker's signed log ({}, {} records) holds exactly this event at offset {}",
                              source, size, r.entry.offset)};
  }
  return {false, fmt::format("NOT HELD: the broker's signed log ({}, {} records) holds ANOTHER record at offset {}: "
                             "the broker dropped or replaced the event it acknowledged. The receipt and the "
                             "checkpoint, both signed by the broker's key, are the evidence",
                             source, size, r.entry.offset)};
}

Result<audit::Receipt> LoadReceipt(const ReceiptFlags& f, const std::string& node_url) {
  std::string text;
  if (!f.receipt_file.empty()) {
    std::ifstream in(f.receipt_file);
    if (!in) return Error{std::make_error_code(std::errc::no_such_file_or_directory), "cannot read " + f.receipt_file};
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    NodeClient node(node_url, ResolveToken(node_url));
    Reply r = node.Get("/v1/events/" + f.event_id + "/broker-receipt");
    if (r.status != 200) {
      return Error{std::make_error_code(std::errc::no_such_file_or_directory),
                   r.status == 0 ? "no node at " + node_url
                                 : r.body.value("message", "the node holds no receipt of " + f.event_id)};
    }
    text = r.body.dump();
  }
  return audit::Receipt::FromJson(text);
}

// The broker's key: --broker-key, else the config's audit.broker_signing_key.
Result<audit::PublicKey> KeyFor(const ReceiptFlags& f) {
  if (!f.broker_key.empty()) return audit::LoadPublicKey(f.broker_key);
  if (!f.config.empty()) {
    try {
      auto c = node::LoadNodeConfig(f.config);
      if (!c.broker_signing_key.empty()) return audit::KeyFromBase64(c.broker_signing_key);
    } catch (const std::exception& e) {
      return Error{std::make_error_code(std::errc::invalid_argument), e.what()};
    }
  }
  return Error{std::make_error_code(std::errc::invalid_argument),
               "--broker-key: the broker's signing key (base64 or file) is needed to check the receipt"};
}

// The offline check: the record at the receipt's offset in a saved export,
// which must verify as a whole against the same key.
Result<Finding> CheckExport(const audit::Receipt& r, const audit::PublicKey& key, const std::string& file) {
  audit::VerifyReport report = audit::VerifyExportFile(file, key, 1);
  if (!report.ok) {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 fmt::format("the export does not verify (line {}: {})", report.line, report.problem)};
  }
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  json header = json::parse(line, nullptr, false);
  auto cp = audit::Checkpoint::Parse(header.value("checkpoint", ""));
  if (!cp.ok()) return cp.error();
  std::string source = fmt::format("export {} signed at time_us {}", file, cp->time_us);
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("type", "") != "record" || j.value("offset", uint64_t{0}) != r.entry.offset) {
      continue;
    }
    std::vector<audit::Hash> path;
    for (const auto& h : j["proof"]) path.push_back(*audit::FromHex(h.get<std::string>()));
    return Judge(r, cp->size, cp->root, &path, source);
  }
  if (report.complete || cp->size < r.entry.offset) return Judge(r, cp->size, cp->root, nullptr, source);
  return Error{std::make_error_code(std::errc::invalid_argument),
               fmt::format("the export is filtered and has no record at offset {}: export everything", r.entry.offset)};
}

Result<Finding> CheckOnline(const audit::Receipt& r, const ReceiptFlags& f, const audit::PublicKey& key) {
  node::NodeConfig config;
  try {
    config = node::LoadNodeConfig(f.config);
  } catch (const std::exception& e) {
    return Error{std::make_error_code(std::errc::invalid_argument), e.what()};
  }
  auto conn = node::ConnectAuditor(config, "lintas-audit/0.1.0");
  if (!conn.ok()) return conn.error();
  node::AuditClient audit_client((*conn)->client.get());
  auto p = audit_client.ProveOffset(r.entry.offset, f.justification);
  if (!p.ok()) return p.error();
  const auto& cp = p->checkpoint;
  if (!audit::VerifySignature(cp.checkpoint.body, cp.checkpoint.signature, key)) {
    return Error{std::make_error_code(std::errc::permission_denied),
                 "SECURITY: the broker's checkpoint does not verify with its key"};
  }
  std::string source = fmt::format("checkpoint signed at time_us {}", cp.parsed.time_us);
  return Judge(r, cp.parsed.size, cp.parsed.root, p->beyond ? nullptr : &p->path, source);
}

int ProveReceipt(const ReceiptFlags& f, const std::string& node_url) {
  auto receipt = LoadReceipt(f, node_url);
  if (!receipt.ok()) {
    std::cerr << "error: " << receipt.error().message << "\n";
    return kExitNotFound;
  }
  if (!f.save.empty()) std::ofstream(f.save) << receipt->ToJson() << "\n";
  auto key = KeyFor(f);
  if (!key.ok()) {
    std::cerr << "error: " << key.error().message << "\n";
    return kExitBadInput;
  }
  auto statement = audit::ReceiptStatement::Parse(receipt->statement);
  if (auto s = receipt->Verify(*key); !s.ok() || !statement.ok()) {
    std::cout << "RECEIPT INVALID: " << (s.ok() ? statement.error().message : s.error().message) << "\n";
    return kExitFailure;
  }
  std::cout << fmt::format("RECEIPT VALID: broker {} signed (time_us {}) that it stored this event for {} at offset "
                           "{}, event SHA-256 {}, record leaf {}\n",
                           statement->log_id, statement->time_us, statement->node, receipt->entry.offset,
                           audit::ToHex(receipt->entry.event_hash), audit::ToHex(receipt->entry.leaf));
  if (f.export_file.empty() && f.config.empty()) {
    std::cout << "(no --export or --config: the broker's log was not consulted)\n";
    return kExitOk;
  }
  auto finding = f.export_file.empty() ? CheckOnline(*receipt, f, *key) : CheckExport(*receipt, *key, f.export_file);
  if (!finding.ok()) {
    std::cerr << "error: " << finding.error().message << "\n";
    return kExitFailure;
  }
  std::cout << finding->what << "\n";
  return finding->held ? kExitOk : kExitFailure;
}

}  // namespace

void AddReceiptCommand(CLI::App* audit, const std::string* node_url, int* rc) {
  auto f = std::make_shared<ReceiptFlags>();
  auto* pr = audit->add_subcommand(
      "prove-receipt", "Check the broker's signed acknowledgement of an event against its log (online or offline)");
  pr->add_option("event_id", f->event_id, "The event id (8-4-4-4-12); its receipt comes from the node")->required();
  pr->add_option("--receipt", f->receipt_file, "A saved receipt (JSON) instead of the node's");
  pr->add_option("--save", f->save, "Write the receipt to this file (evidence to keep)");
  pr->add_option("--export", f->export_file, "Offline: check against a saved export (lintas audit export)");
  pr->add_option("--config", f->config, "Online: a node identity that may see the event (the auditor's)");
  pr->add_option("--broker-key", f->broker_key,
                 "The broker's signing public key (base64 or file); else --config's audit.broker_signing_key");
  pr->add_option("--justification", f->justification, "Why (recorded in the broker's consultation log)");
  pr->callback([f, node_url, rc] { *rc = ProveReceipt(*f, *node_url); });
}

}  // namespace lintas::cli
