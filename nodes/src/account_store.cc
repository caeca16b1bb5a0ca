// Accounts, passwords and bearer tokens in the node's RocksDB (users, tokens).
//
// Layout. users: <user id> -> account JSON (with "pwhash", an Argon2id string).
// tokens: <hex SHA-256 of the token> -> token JSON, and "id/<token id>" ->
// that hash, so that a token is found by its public id in one read. The token
// itself is never stored: a stolen database gives no usable token.
#include "lintas/node/account_store.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "lintas/common/clock.h"
#include "lintas/node/errc.h"

namespace lintas::node {
namespace {

using nlohmann::json;

constexpr const char* kLanguages[] = {"en", "th", "km", "lo", "vi", "id", "ms", "fil", "my"};
constexpr const char* kTokenPrefix = "lnt_";
constexpr size_t kTokenBytes = 32;
constexpr size_t kTokenIdHex = 12;
constexpr const char* kIdIndex = "id/";
// A session's stored deadline is rewritten only when it would move by more
// than this: a busy console does not cost a disk write per request.
constexpr int64_t kRefreshSlackUs = 60LL * 1000000;
// Bounds on free-text fields and passwords (a longer password only costs
// hashing time). Not options: nobody needs to tune them.
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxDisplayName = 128;
constexpr size_t kMaxTokenName = 100;
constexpr size_t kMaxPasswordBytes = 1024;
constexpr size_t kScanChunk = 1000;
// Addresses kept in the login rate limiter before old entries are swept.
constexpr size_t kMaxTrackedAddresses = 10000;
constexpr const char* kWrongLogin = "user or password is wrong";

struct Account {
  User user;
  std::string pwhash;  // empty for system accounts
};

Error BadInput(const std::string& field, const std::string& reason) {
  return Error{errc::bad_input, field + ": " + reason, field};
}

Error NotFound(const std::string& field, const std::string& what) {
  return Error{errc::not_found, field + ": " + what, field};
}

Error Damaged(const std::string& what) { return Error{errc::storage, what + ": stored record is damaged"}; }

std::string Join(const auto& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::string Seconds(int64_t micros) {
  std::string full = FormatMicros(micros);  // 2026-11-28T19:04:05.123456Z
  return full.size() > 19 ? full.substr(0, 19) + "Z" : full;
}

// UTF-8 characters (not bytes): a Thai or Khmer password is not penalised.
size_t Utf8Length(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

json AccountToJson(const Account& a) {
  const User& u = a.user;
  return {{"id", u.id},
          {"agency", u.agency},
          {"roles", u.roles},
          {"language", u.language},
          {"display_name", u.display_name},
          {"system", u.system},
          {"disabled", u.disabled},
          {"created_us", u.created_us},
          {"failed_logins", u.failed_logins},
          {"locked_until_us", u.locked_until_us},
          {"pwhash", a.pwhash}};
}

std::optional<Account> AccountFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    Account a;
    User& u = a.user;
    u.id = j.at("id").get<std::string>();
    u.agency = j.value("agency", "");
    u.roles = j.value("roles", std::vector<std::string>{});
    u.language = j.value("language", "en");
    u.display_name = j.value("display_name", "");
    u.system = j.value("system", false);
    u.disabled = j.value("disabled", false);
    u.created_us = j.value("created_us", int64_t{0});
    u.failed_logins = j.value("failed_logins", uint32_t{0});
    u.locked_until_us = j.value("locked_until_us", int64_t{0});
    a.pwhash = j.value("pwhash", "");
    return a;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}


// The stored form (the display form is TokenInfo::ToJson).
json TokenToJson(const TokenInfo& t) {
  return {{"id", t.id},
          {"user", t.user},
          {"name", t.name},
          {"session", t.session},
          {"created_us", t.created_us},
          {"expires_us", t.expires_us},
          {"last_used_us", t.last_used_us},
          {"revoked", t.revoked}};
}

std::optional<TokenInfo> TokenFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    TokenInfo t;
    t.id = j.at("id").get<std::string>();
    t.user = j.at("user").get<std::string>();
    t.name = j.value("name", "");
    t.session = j.value("session", false);
    t.created_us = j.value("created_us", int64_t{0});
    t.expires_us = j.value("expires_us", int64_t{0});
    t.last_used_us = j.value("last_used_us", int64_t{0});
    t.revoked = j.value("revoked", false);
    return t;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string Sha256Hex(const std::string& text) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data());
}

std::string NewTokenString() {
  std::array<unsigned char, kTokenBytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  constexpr size_t kLen = sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::array<char, kLen> b64{};
  sodium_bin2base64(b64.data(), b64.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw.data(), raw.size());
  std::string token = kTokenPrefix + std::string(b64.data());
  sodium_memzero(b64.data(), b64.size());
  return token;
}

// Argon2id; runs for ~0.1 s and 64 MiB: callers never hold mu_ meanwhile.
Result<std::string> HashPassword(const std::string& password) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Error{errc::storage, "password: cannot hash (out of memory)"};
  }
  return std::string(out.data());
}

bool VerifyPassword(const std::string& pwhash, const std::string& password) {
  if (pwhash.empty() || pwhash.size() >= crypto_pwhash_STRBYTES) return false;
  std::array<char, crypto_pwhash_STRBYTES> str{};
  std::memcpy(str.data(), pwhash.data(), pwhash.size());
  return crypto_pwhash_str_verify(str.data(), password.data(), password.size()) == 0;
}

// A hash that matches nothing a user can type, so that a login for an unknown,
// disabled or system account costs the same time as a wrong password.
const std::string& DummyHash() {
  static const std::string hash = [] {
    auto h = HashPassword(NewTokenString());
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

Status ValidateId(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdLength) return BadInput("id", "must be 1 to 64 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return BadInput("id", "use only lower-case letters a-z, digits and . _ -");
  }
  return OkStatus();
}

Status ValidateLanguage(const std::string& language) {
  for (const char* l : kLanguages) {
    if (language == l) return OkStatus();
  }
  return BadInput("language", "'" + language + "' is not a console language; use one of " + Join(kLanguages));
}

Status ValidatePassword(const std::string& password, size_t min_length) {
  if (Utf8Length(password) < min_length) {
    return BadInput("password", fmt::format("must be at least {} characters long", min_length));
  }
  if (password.size() > kMaxPasswordBytes) return BadInput("password", "must be at most 1024 bytes long");
  return OkStatus();
}

}  // namespace

bool User::Has(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool IsRoleName(std::string_view role) {
  return std::any_of(std::begin(kRoleNames), std::end(kRoleNames), [&](const char* r) { return role == r; });
}

AccountStore::AccountStore(NodeStore* store, AccountOptions options)
    : store_(store), options_(std::move(options)) {
  // Idempotent and thread-safe; fails only if the system has no entropy.
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot initialise");
}

namespace {

Result<std::optional<Account>> LoadAccount(NodeStore* store, const std::string& id) {
  auto raw = store->Get(Cf::kUsers, id);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<Account>();
  auto a = AccountFromJson(**raw);
  if (!a) return Damaged("users/" + id);
  return a;
}

Result<Account> RequireAccount(NodeStore* store, const std::string& id) {
  auto a = LoadAccount(store, id);
  if (!a.ok()) return std::move(a).error();
  if (!a->has_value()) return NotFound("user", "no account '" + id + "'");
  return std::move(**a);
}

// Every token record (not the id index), in key order.
Result<std::vector<std::pair<std::string, TokenInfo>>> AllTokens(NodeStore* store) {
  std::vector<std::pair<std::string, TokenInfo>> out;
  std::string after;
  for (;;) {
    auto chunk = store->Scan(Cf::kTokens, "", kScanChunk, after);
    if (!chunk.ok()) return std::move(chunk).error();
    for (auto& [key, value] : *chunk) {
      if (key.rfind(kIdIndex, 0) == 0) continue;
      auto t = TokenFromJson(value);
      if (!t) return Damaged("tokens/" + key.substr(0, kTokenIdHex));
      out.emplace_back(key, std::move(*t));
    }
    if (chunk->size() < kScanChunk) break;
    after = chunk->back().first;
  }
  return out;
}

// Adds the revocation of `user`'s live tokens (sessions only, or all) to `w`.
Status RevokeTokensOf(NodeStore* store, const std::string& user, bool sessions_only, WriteSet* w) {
  auto all = AllTokens(store);
  if (!all.ok()) return std::move(all).error();
  for (auto& [key, t] : *all) {
    if (t.user != user || t.revoked || (sessions_only && !t.session)) continue;
    t.revoked = true;
    w->Put(Cf::kTokens, key, TokenToJson(t).dump());
  }
  return OkStatus();
}

}  // namespace

Status AccountStore::AddUser(User user, const std::string& password, int64_t now_us) {
  if (auto s = ValidateId(user.id); !s.ok()) return s;
  if (!options_.agencies.empty() &&
      std::find(options_.agencies.begin(), options_.agencies.end(), user.agency) == options_.agencies.end()) {
    return BadInput("agency", (user.agency.empty() ? "missing" : "'" + user.agency + "' is not served by this node") +
                                  "; use one of " + Join(options_.agencies));
  }
  if (user.agency.empty()) return BadInput("agency", "missing");
  if (user.roles.empty()) return BadInput("roles", "give at least one of " + Join(kRoleNames));
  std::vector<std::string> roles;
  for (const auto& r : user.roles) {
    if (!IsRoleName(r)) return BadInput("roles", "'" + r + "' is not a role; use " + Join(kRoleNames));
    if (std::find(roles.begin(), roles.end(), r) == roles.end()) roles.push_back(r);
  }
  user.roles = std::move(roles);
  if (auto s = ValidateLanguage(user.language); !s.ok()) return s;
  if (user.display_name.size() > kMaxDisplayName) return BadInput("display_name", "must be at most 128 bytes");
  if (std::any_of(user.display_name.begin(), user.display_name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return BadInput("display_name", "must not contain control characters");
  }
  Account account;
  if (user.system) {
    if (!password.empty()) return BadInput("password", "a system account has no password (it uses API tokens)");
  } else {
    if (auto s = ValidatePassword(password, options_.min_password_length); !s.ok()) return s;
    auto h = HashPassword(password);  // outside mu_: slow by design
    if (!h.ok()) return std::move(h).error();
    account.pwhash = std::move(*h);
  }
  user.created_us = now_us;
  user.failed_logins = 0;
  user.locked_until_us = 0;
  account.user = std::move(user);

  std::lock_guard lock(mu_);
  auto existing = store_->Get(Cf::kUsers, account.user.id);
  if (!existing.ok()) return std::move(existing).error();
  if (existing->has_value()) {
    return Error{errc::conflict, "id: an account '" + account.user.id + "' exists already", "id"};
  }
  WriteSet w;
  w.Put(Cf::kUsers, account.user.id, AccountToJson(account).dump());
  return store_->Write(w, true);
}

Result<std::optional<User>> AccountStore::GetUser(const std::string& id) {
  auto a = LoadAccount(store_, id);
  if (!a.ok()) return std::move(a).error();
  if (!a->has_value()) return std::optional<User>();
  return std::optional<User>(std::move((*a)->user));
}

Result<std::vector<User>> AccountStore::ListUsers() {
  std::vector<User> out;
  std::string after;
  for (;;) {
    auto chunk = store_->Scan(Cf::kUsers, "", kScanChunk, after);
    if (!chunk.ok()) return std::move(chunk).error();
    for (auto& [key, value] : *chunk) {
      auto a = AccountFromJson(value);
      if (!a) return Damaged("users/" + key);
      out.push_back(std::move(a->user));
    }
    if (chunk->size() < kScanChunk) break;
    after = chunk->back().first;
  }
  return out;
}

Status AccountStore::SetDisabled(const std::string& id, bool disabled) {
  std::lock_guard lock(mu_);
  auto a = RequireAccount(store_, id);
  if (!a.ok()) return std::move(a).error();
  a->user.disabled = disabled;
  WriteSet w;
  w.Put(Cf::kUsers, id, AccountToJson(*a).dump());
  if (disabled) {
    if (auto s = RevokeTokensOf(store_, id, false, &w); !s.ok()) return s;
  }
  return store_->Write(w, true);
}

Status AccountStore::SetPassword(const std::string& id, const std::string& password) {
  {
    auto a = LoadAccount(store_, id);
    if (!a.ok()) return std::move(a).error();
    if (!a->has_value()) return NotFound("user", "no account '" + id + "'");
    if ((*a)->user.system) return BadInput("password", "a system account has no password (it uses API tokens)");
  }
  if (auto s = ValidatePassword(password, options_.min_password_length); !s.ok()) return s;
  auto h = HashPassword(password);  // outside mu_
  if (!h.ok()) return std::move(h).error();

  std::lock_guard lock(mu_);
  auto a = RequireAccount(store_, id);
  if (!a.ok()) return std::move(a).error();
  a->pwhash = std::move(*h);
  a->user.failed_logins = 0;
  a->user.locked_until_us = 0;
  WriteSet w;
  w.Put(Cf::kUsers, id, AccountToJson(*a).dump());
  if (auto s = RevokeTokensOf(store_, id, false, &w); !s.ok()) return s;
  return store_->Write(w, true);
}

Status AccountStore::SetLanguage(const std::string& id, const std::string& language) {
  if (auto s = ValidateLanguage(language); !s.ok()) return s;
  std::lock_guard lock(mu_);
  auto a = RequireAccount(store_, id);
  if (!a.ok()) return std::move(a).error();
  a->user.language = language;
  WriteSet w;
  w.Put(Cf::kUsers, id, AccountToJson(*a).dump());
  return store_->Write(w, true);
}

namespace {

// A new token record for `user`, added to `w` (record and id index). Caller
// holds mu_ (the id-collision check and the write must not interleave).
Result<IssuedToken> NewToken(NodeStore* store, const std::string& user, const std::string& name, bool session,
                             int64_t expires_us, int64_t now_us, WriteSet* w) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    IssuedToken issued;
    issued.token = NewTokenString();
    std::string hash = Sha256Hex(issued.token);
    issued.id = hash.substr(0, kTokenIdHex);
    auto clash = store->Get(Cf::kTokens, kIdIndex + issued.id);
    if (!clash.ok()) return std::move(clash).error();
    if (clash->has_value()) continue;  // 48-bit ids: never in practice
    TokenInfo t;
    t.id = issued.id;
    t.user = user;
    t.name = name;
    t.session = session;
    t.created_us = now_us;
    t.expires_us = expires_us;
    t.last_used_us = 0;
    w->Put(Cf::kTokens, hash, TokenToJson(t).dump());
    w->Put(Cf::kTokens, kIdIndex + issued.id, hash);
    issued.expires_us = expires_us;
    return issued;
  }
  return Error{errc::storage, "token: cannot pick a fresh token id"};
}

}  // namespace

Result<IssuedToken> AccountStore::Login(const std::string& user_id, const std::string& password,
                                        const std::string& address, int64_t now_us) {
  std::string pwhash;
  bool can_log_in = false;
  {
    std::lock_guard lock(mu_);
    auto& times = failures_by_address_[address];
    std::erase_if(times, [&](int64_t t) { return t <= now_us - options_.address_window_us; });
    if (times.size() >= options_.max_failures_per_address) {
      return Error{errc::rate_limited, "too many failed logins from this address; try again in a few minutes",
                   "address"};
    }
    if (times.empty()) failures_by_address_.erase(address);
    auto a = LoadAccount(store_, user_id);
    if (!a.ok()) return std::move(a).error();
    if (!a->has_value()) {
      auto it = unknown_names_.find(user_id);
      if (it != unknown_names_.end() && it->second.second > now_us) {
        return Error{errc::locked_out,
                     "user: this account is locked after too many failed logins, until " +
                         Seconds(it->second.second) + " (UTC); an administrator can lift it by setting a new password",
                     "user"};
      }
    }
    if (a->has_value()) {
      const Account& acc = **a;
      if (acc.user.locked_until_us > now_us) {
        return Error{errc::locked_out,
                     "user: this account is locked after too many failed logins, until " +
                         Seconds(acc.user.locked_until_us) + " (UTC); an administrator can lift it by setting a new password",
                     "user"};
      }
      can_log_in = !acc.user.disabled && !acc.user.system && !acc.pwhash.empty();
      pwhash = acc.pwhash;
    }
  }
  // Outside mu_: Argon2id is slow by design. Refused accounts are checked
  // against a dummy hash so that timing does not tell which accounts exist.
  if (hashing_.fetch_add(1) >= kMaxConcurrentHashes) {
    hashing_.fetch_sub(1);
    return Error{errc::rate_limited, "the node is checking other logins; try again in a moment", "user"};
  }
  bool ok = VerifyPassword(can_log_in ? pwhash : DummyHash(), password) && can_log_in;
  hashing_.fetch_sub(1);

  std::lock_guard lock(mu_);
  auto a = LoadAccount(store_, user_id);
  if (!a.ok()) return std::move(a).error();
  if (!ok || !a->has_value() || (*a)->pwhash != pwhash) {
    auto& times = failures_by_address_[address];
    times.push_back(now_us);
    if (times.size() > options_.max_failures_per_address) times.erase(times.begin());
    if (failures_by_address_.size() > kMaxTrackedAddresses) {
      std::erase_if(failures_by_address_, [&](const auto& entry) {
        return entry.second.empty() || entry.second.back() <= now_us - options_.address_window_us;
      });
    }
    if (!a->has_value()) {
      if (unknown_names_.size() > kMaxTrackedAddresses) unknown_names_.clear();
      auto& [failed, locked_until] = unknown_names_[user_id];
      if (++failed >= options_.max_failed_logins) {
        locked_until = now_us + options_.lockout_us;
        failed = 0;
      }
    }
    if (a->has_value()) {
      Account& acc = **a;
      if (++acc.user.failed_logins >= options_.max_failed_logins) {
        acc.user.locked_until_us = now_us + options_.lockout_us;
        acc.user.failed_logins = 0;
      }
      WriteSet w;
      w.Put(Cf::kUsers, acc.user.id, AccountToJson(acc).dump());
      if (auto s = store_->Write(w, true); !s.ok()) return std::move(s).error();
    }
    return Error{errc::unauthenticated, kWrongLogin, "password"};
  }
  Account& acc = **a;
  if (acc.user.disabled) return Error{errc::unauthenticated, kWrongLogin, "password"};
  if (acc.user.locked_until_us > now_us) {  // locked while we were hashing
    return Error{errc::locked_out, "user: this account is locked until " + Seconds(acc.user.locked_until_us) + " (UTC)",
                 "user"};
  }
  WriteSet w;
  if (acc.user.failed_logins != 0) {
    acc.user.failed_logins = 0;
    w.Put(Cf::kUsers, acc.user.id, AccountToJson(acc).dump());
  }
  int64_t expires = std::min(now_us + options_.session_idle_us, now_us + options_.session_max_us);
  auto issued = NewToken(store_, acc.user.id, "login", true, expires, now_us, &w);
  if (!issued.ok()) return issued;
  if (auto s = store_->Write(w, true); !s.ok()) return std::move(s).error();
  return issued;
}

Result<IssuedToken> AccountStore::IssueApiToken(const std::string& user_id, const std::string& name, int64_t ttl_us,
                                                int64_t now_us) {
  if (name.empty()) return BadInput("name", "say what the token is for (\"kh-cms import\")");
  if (name.size() > kMaxTokenName) return BadInput("name", "must be at most 100 bytes");
  if (ttl_us < 0) return BadInput("expires", "must be a positive duration");
  std::lock_guard lock(mu_);
  auto a = RequireAccount(store_, user_id);
  if (!a.ok()) return std::move(a).error();
  if (a->user.disabled) return Error{errc::conflict, "user: the account '" + user_id + "' is disabled", "user"};
  WriteSet w;
  auto issued = NewToken(store_, user_id, name, false, now_us + (ttl_us != 0 ? ttl_us : options_.api_token_ttl_us),
                         now_us, &w);
  if (!issued.ok()) return issued;
  if (auto s = store_->Write(w, true); !s.ok()) return std::move(s).error();
  return issued;
}

Result<Principal> AccountStore::Authenticate(const std::string& token, int64_t now_us) {
  const Error refused{errc::unauthenticated, "token: unknown, revoked or expired; log in again", "token"};
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 128) return refused;
  std::string hash = Sha256Hex(token);
  // Under mu_: a refresh written from a stale read would undo a revocation.
  std::lock_guard lock(mu_);
  auto raw = store_->Get(Cf::kTokens, hash);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return refused;
  auto t = TokenFromJson(**raw);
  if (!t) return Damaged("tokens/" + hash.substr(0, kTokenIdHex));
  if (t->revoked) return refused;
  if (t->expires_us <= now_us) {
    return Error{errc::unauthenticated,
                 t->session ? "token: the session has ended; log in again" : "token: the token has expired",
                 "token"};
  }
  auto a = LoadAccount(store_, t->user);
  if (!a.ok()) return std::move(a).error();
  if (!a->has_value() || (*a)->user.disabled) return refused;

  bool rewrite = false;
  if (t->session) {
    int64_t moved = std::min(now_us + options_.session_idle_us, t->created_us + options_.session_max_us);
    if (moved - t->expires_us > kRefreshSlackUs) {
      t->expires_us = moved;
      rewrite = true;
    }
  } else if (now_us - t->last_used_us > kRefreshSlackUs) {
    rewrite = true;  // keeps "last used" of API tokens to the minute
  }
  if (rewrite) {
    t->last_used_us = now_us;
    WriteSet w;
    w.Put(Cf::kTokens, hash, TokenToJson(*t).dump());
    // Not synced: losing a refresh in a crash only shortens a session.
    if (auto s = store_->Write(w, false); !s.ok()) return std::move(s).error();
  }
  Principal p;
  p.user = std::move((*a)->user);
  p.token_id = t->id;
  p.session = t->session;
  return p;
}

Status AccountStore::Revoke(const std::string& token_id) {
  std::lock_guard lock(mu_);
  auto hash = store_->Get(Cf::kTokens, kIdIndex + token_id);
  if (!hash.ok()) return std::move(hash).error();
  if (!hash->has_value()) return NotFound("token", "no token '" + token_id + "'");
  auto raw = store_->Get(Cf::kTokens, **hash);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return NotFound("token", "no token '" + token_id + "'");
  auto t = TokenFromJson(**raw);
  if (!t) return Damaged("tokens/" + token_id);
  if (t->revoked) return OkStatus();
  t->revoked = true;
  WriteSet w;
  w.Put(Cf::kTokens, **hash, TokenToJson(*t).dump());
  return store_->Write(w, true);
}

Result<std::vector<TokenInfo>> AccountStore::Tokens(const std::string& user_id) {
  auto all = AllTokens(store_);
  if (!all.ok()) return std::move(all).error();
  std::vector<TokenInfo> out;
  for (auto& [key, t] : *all) {
    if (user_id.empty() || t.user == user_id) out.push_back(std::move(t));
  }
  std::stable_sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) {
    return a.created_us != b.created_us ? a.created_us > b.created_us : a.id < b.id;
  });
  return out;
}

Result<std::optional<TokenInfo>> AccountStore::Token(const std::string& token_id) {
  auto hash = store_->Get(Cf::kTokens, kIdIndex + token_id);
  if (!hash.ok()) return std::move(hash).error();
  if (!hash->has_value()) return std::optional<TokenInfo>();
  auto raw = store_->Get(Cf::kTokens, **hash);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<TokenInfo>();
  auto t = TokenFromJson(**raw);
  if (!t) return Damaged("tokens/" + token_id);
  return std::optional<TokenInfo>(std::move(*t));
}

nlohmann::json TokenInfo::ToJson() const {
  return {{"id", id},
          {"user", user},
          {"name", name},
          {"session", session},
          {"created_at_us", created_us},
          {"expires_at_us", expires_us},
          {"last_used_at_us", last_used_us},
          {"revoked", revoked}};
}

AccountOptions AccountOptionsFor(const NodeConfig& c) {
  AccountOptions o;
  o.agencies = c.agencies;
  if (o.agencies.empty() && !c.default_agency.empty()) o.agencies = {c.default_agency};
  return o;
}

}  // namespace lintas::node
