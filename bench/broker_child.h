// lintas-broker as a child process of the load generator, configured with the
// benchmark's own nodes and agencies, so that its peak RSS is its own and its
// figures come from its /metrics endpoint, as an operator would read them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace lintas::bench {

// One benchmark node: its id, country and the one agency it serves; with a
// CURVE key pair (Z85) in curve mode.
struct BenchNode {
  std::string id;       // "bench-p0"
  std::string country;  // "THA"
  std::string agency;   // "th-bench-p0"
  bool publish = false;
  bool subscribe = false;
  std::string public_key;
  std::string secret_key;
  // The node's seal public key (base64), registered in its [[nodes]] entry
  // (seal_public_key) when set: the key the broker checks sealed events
  // against. Default: empty
  std::string seal_public_key;
};

// The broker's commit counters, from lintas_broker_commit_* on /metrics.
struct CommitStats {
  double commits = 0;
  double events = 0;
  double seconds = 0;
  double bytes = 0;  // record bytes committed (lintas_broker_committed_bytes_total)
  double reads_deferred = 0;  // reads the loop handed to its log reader (lintas_broker_log_reads_deferred_total)
};

// How the broker child is configured beyond its nodes.
struct BrokerChildOptions {
  // security.mode = "curve" (a broker key generated for the run) instead of
  // "plaintext". Default: false
  bool curve = false;
  // security.require_sealed. Default: false (the generator's referrals are
  // in clear unless it runs with --sealed)
  bool require_sealed = false;
  // A routing policy as a deployment has one: default "deny" and one rule
  // letting Thailand send referrals and alerts to Cambodia, so that every
  // delivery of a distributed event is checked against it. Default: false
  // (no [policy]: everything allowed, nothing checked)
  bool enforce_policy = false;
  // TOML appended to the configuration (a [store] section). Default: ""
  std::string extra_toml;
};

// Operation: the constructor writes the configuration (see
// BrokerChildOptions; and in curve mode the
// broker's key) into `dir`, starts `binary`, and waits (polling with a
// deadline) for its endpoint file; it throws std::runtime_error when the
// broker does not start. The destructor stops it (SIGTERM, then SIGKILL
// after a bounded wait).
//
// Ownership: owns the child process. Thread safety: none; one owner.
class BrokerChild {
 public:
  BrokerChild(const std::string& binary, const std::string& dir, const std::vector<BenchNode>& nodes,
              const BrokerChildOptions& options);
  ~BrokerChild();
  BrokerChild(const BrokerChild&) = delete;
  BrokerChild& operator=(const BrokerChild&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  // Z85; empty in plaintext mode.
  const std::string& public_key() const { return public_key_; }
  pid_t pid() const { return pid_; }

  // The child's peak resident set (VmHWM), in bytes; 0 if unreadable.
  uint64_t PeakRssBytes() const;
  // Reads /metrics; zeros when it cannot.
  CommitStats Commits() const;
  // SIGTERM and wait; returns the exit status (-1 if not running).
  int Terminate();

 private:
  pid_t pid_ = -1;
  int metrics_port_ = 0;
  std::string endpoint_;
  std::string public_key_;
};

// Generates a CURVE key pair (Z85). Throws if libzmq lacks CURVE.
void NewCurveKeys(std::string* public_key, std::string* secret_key);

}  // namespace lintas::bench
