// lintas-node configuration (TOML); ops/node-*.example.toml show every field.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "lintas/common/toml_reader.h"

namespace lintas::node {

using NodeConfigError = lintas::ConfigError;

// A named subscription to distributed events (alerts, regional broadcasts).
struct SubscriptionConfig {
  std::string name;
  std::vector<std::string> origin_countries;  // Default: all
  std::vector<std::string> alert_categories;  // AlertCategory names; Default: all
  std::vector<std::string> body_types;        // Body names; Default: all
  std::string min_priority = "Routine";       // Default: "Routine"
};

// One agency of the directory (the broker's CSV).
struct DirectoryAgency {
  std::string country;       // ISO 3166-1 alpha-3
  std::string country_name;  // as the directory spells it
  std::string agency;        // agency id
  std::string name;
  std::vector<std::string> roles;  // directory roles (police, social_welfare, ...)
  // The roles it is its country's designated counterpart for (the CSV's
  // optional `counterpart` column): COUNTRY/role resolves to it.
  std::vector<std::string> counterpart_for;
};

struct NodeConfig {
  // Required: the node id the broker knows ("th-node") and its country.
  std::string id;
  std::string country;
  // Agencies this node serves: a submitted event's origin agency must be one
  // of them. The broker's directory has the last word.
  // Default: [] (any agency id; the broker checks)
  std::vector<std::string> agencies;
  // The agency used as origin when a submitted event names none.
  // Default: "" (events must name their origin agency)
  std::string default_agency;
  // The agency directory (the broker's CSV: country_iso3, ..., agency_id,
  // ..., roles, languages, counterpart) for the roles of the agencies this
  // node serves, so that an event addressed to a role reaches the right
  // local agency's officers, and so that a sender sees which agencies a
  // role resolves to before sending.
  // Default: "" (role-addressed events go to default_agency)
  std::string directory_csv;
  // Filled from directory_csv by LoadNodeConfig / ParseNodeConfig only: a
  // config built in code sets agency_roles itself.
  std::map<std::string, std::vector<std::string>> agency_roles;
  // Filled from directory_csv likewise: role -> this country's designated
  // counterpart agency for it.
  std::map<std::string, std::string> local_counterparts;
  // Every agency of directory_csv, for the console's address book.
  std::vector<DirectoryAgency> directory;
  // Required. The node's RocksDB directory (outbox, inbox, cases, accounts).
  std::string data_dir;
  // The node's seal keys (docs/SECURITY.md): X25519 secret keys, newest
  // first, 0600; created with one key when absent. Rotate with
  // `lintas-node --config FILE --rotate-seal-key`; keep the file backed up:
  // without its keys, the cases sealed to them cannot be read.
  // Default: "" (<data_dir>/seal.key)
  std::string seal_key_file;
  // Local HTTP API. Never expose it beyond the host without a proxy that
  // authenticates officers.
  // Default: "127.0.0.1", 7480 (0 picks a free port)
  std::string api_address = "127.0.0.1";
  uint16_t api_port = 7480;
  // Written with the bound API port once listening. Default: "" (none)
  std::string api_port_file;
  // TLS for the API and the console (PEM files): needed beyond localhost,
  // and what makes the session cookie Secure. Both or neither.
  // Default: "", "" (plain HTTP)
  std::string api_tls_cert;
  std::string api_tls_key;
  bool api_tls() const { return !api_tls_cert.empty(); }
  // The config file of this node's auditor identity (another node id, that
  // the broker lists with the audit permission), through which the console's
  // audit page reads the broker's consultation log (GET /v1/audit/broker).
  // Default: "" (the page shows this node's log only)
  std::string audit_identity;
  // The broker, and fallbacks tried in turn when a connection fails
  // (broker.endpoints in the file; broker.endpoint for just one).
  // Default: "tcp://127.0.0.1:7400"
  std::string broker_endpoint = "tcp://127.0.0.1:7400";
  std::vector<std::string> broker_fallbacks;
  // Reconnect backoff: doubles from the initial delay up to the maximum.
  // Default: 100 ms, 5000 ms
  uint32_t retry_initial_ms = 100;
  uint32_t retry_max_ms = 5000;
  // Events in flight to the broker (sent, not yet acknowledged).
  // Default: 1024
  uint32_t max_in_flight = 1024;
  // Credit granted to the broker per subscription.
  // Default: 256
  uint32_t credit = 256;
  // Send a DeliveryReceipt automatically when a referral reaches the inbox.
  // Default: true
  bool auto_delivery_receipt = true;
  // Default: "info", false
  std::string log_level = "info";
  bool log_json = false;
  // "curve" (production: CurveZMQ, the broker's key pinned) or "plaintext"
  // (tests and demos on loopback only, loudly logged).
  // Default: "curve"
  std::string security = "curve";
  // curve: this node's secret key file (as `lintas keygen` writes it) and the
  // broker's public key (Z85, 40 characters).
  // Default: "" (both required in curve mode)
  std::string secret_key_file;
  std::string broker_public_key;
  std::vector<SubscriptionConfig> subscriptions;
  // [cases]: bounds on what one case or one partner agency can make this
  // node store in its case model (docs/API.md, "Bounds").
  // Default: 256 items, 20000 events, 32 parties per case; 10000 cases per
  // partner agency
  uint64_t max_items_per_case = 256;
  uint64_t max_events_per_case = 20000;
  uint64_t max_parties_per_case = 32;
  uint64_t max_cases_per_partner = 10000;
  // [retention] (docs/ERASURE.md): cases erased here automatically, as
  // `lintas case erase` does but at this node only, once they are past
  // their category's period, counted from the case's last update
  // (durations: "5y", "18w", "90d"). closed_cases: every item closed,
  // declined, refused or answered; inactive_cases: any case.
  // Default: 0, 0 (kept until erased by hand); checked every hour
  int64_t retention_closed_us = 0;
  int64_t retention_inactive_us = 0;
  int64_t retention_check_every_us = 3600LL * 1000000;
  // [audit] (docs/AUDIT.md): the broker's checkpoint signing key (base64 of
  // 32 bytes, its audit-signing.key.pub), distributed out of band: every
  // checkpoint, directory and signed acknowledgement must verify with it.
  // Default: "" (trust on first use: the first key seen is pinned, with a
  // warning in the log and in /v1/health)
  std::string broker_signing_key;
  // Every event the broker acknowledged is checked to be in its signed log
  // (an inclusion proof against a fresh checkpoint) within this long of the
  // ack; past it, an alarm names the event ("30s", "10m", "1h").
  // Default: "10m"
  int64_t verify_within_us = 600LL * 1000000;
  // How often a fresh checkpoint is asked for (and the pending events
  // checked against it); at most a third of verify_within is used.
  // Default: "60s"
  int64_t checkpoint_every_us = 60LL * 1000000;
  // This node's witness key (Ed25519), with which it co-signs the broker
  // checkpoints it verified (docs/AUDIT.md 3b); created on first start, its
  // public half in <file>.pub for the other nodes' operators.
  // Default: "" (<data_dir>/witness.key)
  std::string witness_key_file;
  // [audit.witness_keys]: the other nodes' witness keys (node id = base64),
  // distributed out of band. A node not listed is pinned on first use, with
  // a warning in the log.
  // Default: empty
  std::map<std::string, std::string> witness_keys;
};

// Throws NodeConfigError naming the field.
NodeConfig LoadNodeConfig(const std::string& path);
NodeConfig ParseNodeConfig(const std::string& text, const std::string& base_dir);

}  // namespace lintas::node
