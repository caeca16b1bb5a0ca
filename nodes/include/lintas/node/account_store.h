// Node-local accounts (officers, supervisors, auditors / data-protection
// officers, administrators, and agency systems), their passwords (Argon2id,
// libsodium crypto_pwhash_str) and their bearer tokens (login sessions and
// API tokens, stored as SHA-256 of the token, shown once), with failed-login
// lockout and a per-address login rate limit.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lintas/common/result.h"
#include "lintas/node/config.h"
#include "lintas/node/node_store.h"

namespace lintas::node {

// Roles are node-local (not the directory's agency roles).
//   officer     works cases of their agency (send, acknowledge, decide, close)
//   supervisor  an officer who also sees escalations of their agency
//   auditor     data-protection officer: reads with a justification, exports
//               the node's consultation log; cannot send or act on cases
//   admin       manages accounts and tokens; no case access by itself
//   dpo         data-protection officer: erases a case of their agency at
//               every holder (docs/ERASURE.md); reads nothing by itself
//               (give them auditor too to read with a justification)
inline constexpr const char* kRoleNames[] = {"officer", "supervisor", "auditor", "admin", "dpo"};

struct User {
  std::string id;        // [a-z0-9._-], 1-64 characters; the officer id in events
  std::string agency;    // one the node serves
  std::vector<std::string> roles;
  std::string language = "en";  // ISO 639-1 (fil for Filipino): the user's console language
  std::string display_name;     // optional, shown to local users only, never sent
  bool system = false;          // an agency system: tokens only, no password login
  bool disabled = false;
  int64_t created_us = 0;
  // Lockout state (kept in the account record).
  uint32_t failed_logins = 0;
  int64_t locked_until_us = 0;

  bool Has(std::string_view role) const;
};

// The caller of an API request, as its token proves.
struct Principal {
  User user;
  std::string token_id;  // the token's public id (first 12 hex of its hash)
  bool session = false;  // a login session (true) or an API token
  // Set by the HTTP API: the token came in the console's session cookie,
  // and the CSRF token its state changes must carry.
  bool via_cookie = false;
  std::string csrf_token;
};

struct IssuedToken {
  std::string token;  // "lnt_" + 43 base64url characters; shown once, never stored
  std::string id;
  int64_t expires_us = 0;
};

struct TokenInfo {
  std::string id;
  std::string user;
  std::string name;  // what the token is for ("kh-cms import"); "login" for sessions
  bool session = false;
  int64_t created_us = 0;
  int64_t expires_us = 0;  // sessions: moved forward on use (idle timeout)
  int64_t last_used_us = 0;
  bool revoked = false;

  // Its form in API replies and listings (never the token or its hash).
  nlohmann::json ToJson() const;
};

struct AccountOptions {
  // Agencies accounts may belong to (the node's). Empty: any agency id.
  // Default: {}
  std::vector<std::string> agencies;
  // A login session ends after this long without use, and in any case after
  // session_max_us. Default: 30 min idle, 12 h absolute
  int64_t session_idle_us = 30LL * 60 * 1000000;
  int64_t session_max_us = 12LL * 3600 * 1000000;
  // API tokens, when created without an explicit lifetime. Default: 365 days
  int64_t api_token_ttl_us = 365LL * 86400 * 1000000;
  // Failed logins before an account is locked, and for how long.
  // Default: 5, 15 min
  uint32_t max_failed_logins = 5;
  int64_t lockout_us = 15LL * 60 * 1000000;
  // Failed logins from one address within the window before it is refused
  // (rate_limited). Default: 20 per 5 min
  uint32_t max_failures_per_address = 20;
  int64_t address_window_us = 5LL * 60 * 1000000;
  // Passwords shorter than this are refused. Default: 12
  size_t min_password_length = 12;
};

// Ownership: borrows the store (must outlive it).
// Thread safety: every method is safe from any thread (mu_ serialises
// read-modify-write of an account; password hashing runs outside it).
// Errors: node::errc (bad_input naming the field, not_found, conflict,
// unauthenticated, locked_out, rate_limited), or the store's.
class AccountStore {
 public:
  AccountStore(NodeStore* store, AccountOptions options);

  // Creates an account. `password` may be empty only for a system account.
  // Errors: bad_input (id, agency, roles, language, password: named),
  // conflict (the id exists).
  [[nodiscard]] Status AddUser(User user, const std::string& password, int64_t now_us);
  [[nodiscard]] Result<std::optional<User>> GetUser(const std::string& id);
  [[nodiscard]] Result<std::vector<User>> ListUsers();
  // Disabling revokes every token of the account at once.
  [[nodiscard]] Status SetDisabled(const std::string& id, bool disabled);
  // Sets a new password, lifts a lockout and revokes every token of the
  // account (sessions and API tokens: a reset after a theft ends them all).
  [[nodiscard]] Status SetPassword(const std::string& id, const std::string& password);
  [[nodiscard]] Status SetLanguage(const std::string& id, const std::string& language);

  // Checks the password and issues a session token. Refused with
  // rate_limited when `address` failed too often, locked_out while the
  // account is locked, unauthenticated otherwise (one message for unknown
  // user, wrong password, disabled or system account: no user enumeration).
  [[nodiscard]] Result<IssuedToken> Login(const std::string& user_id, const std::string& password,
                                          const std::string& address, int64_t now_us);
  // A long-lived token for an agency system or a script (0 ttl: default).
  [[nodiscard]] Result<IssuedToken> IssueApiToken(const std::string& user_id, const std::string& name,
                                                  int64_t ttl_us, int64_t now_us);
  // The account behind a bearer token; unauthenticated if unknown, expired,
  // revoked, or the account is disabled. Moves a session's idle deadline.
  [[nodiscard]] Result<Principal> Authenticate(const std::string& token, int64_t now_us);
  // Revokes one token by its id.
  [[nodiscard]] Status Revoke(const std::string& token_id);
  // Tokens of one account (or every account when empty), newest first.
  [[nodiscard]] Result<std::vector<TokenInfo>> Tokens(const std::string& user_id);
  [[nodiscard]] Result<std::optional<TokenInfo>> Token(const std::string& token_id);

 private:
  NodeStore* store_;
  AccountOptions options_;
  std::mutex mu_;
  // Failed logins per address: times within the window. Guarded by mu_.
  std::map<std::string, std::vector<int64_t>> failures_by_address_;
  // Failed logins to names that are no account, counted and locked like an
  // account's so that a lockout does not tell which names exist (failures,
  // locked until). Guarded by mu_; bounded by kMaxTrackedAddresses.
  std::map<std::string, std::pair<uint32_t, int64_t>> unknown_names_;
  // Password checks running now: each takes 64 MiB (Argon2id), so at most
  // kMaxConcurrentHashes run at once; more logins are refused (rate_limited).
  static constexpr int kMaxConcurrentHashes = 4;
  std::atomic<int> hashing_{0};
};

// The options for a node's configuration: accounts may belong to the
// agencies it serves (its default agency when it lists none).
AccountOptions AccountOptionsFor(const NodeConfig& config);

// Known role names: officer, supervisor, auditor, admin, dpo.
bool IsRoleName(std::string_view role);

}  // namespace lintas::node
