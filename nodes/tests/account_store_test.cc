// AccountStore: accounts, login, lockout, rate limit and tokens on a real
// NodeStore in a temporary directory. Time is passed in, never slept.
#include "lintas/node/account_store.h"

#include <gtest/gtest.h>

#include "lintas/node/errc.h"
#include "lintas/node/node_store.h"
#include "testutil/temp_dir.h"

namespace lintas::node {
namespace {

constexpr int64_t kNow = 1'790'000'000'000'000;  // 2026-09, Unix microseconds
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
const std::string kPassword = "correct horse battery";

errc CodeOf(const Error& e) {
  EXPECT_EQ(e.code.category(), NodeCategory()) << e.message;
  return static_cast<errc>(e.code.value());
}

User Officer(const std::string& id, const std::string& agency = "th-dsdw") {
  User u;
  u.id = id;
  u.agency = agency;
  u.roles = {"officer"};
  u.language = "th";
  u.display_name = "Officer " + id;
  return u;
}

class AccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = NodeStore::Open(dir_.Sub("db"));
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    AccountOptions o;
    o.agencies = {"th-dsdw", "th-police"};
    o.max_failed_logins = 5;
    o.max_failures_per_address = 8;
    accounts_ = std::make_unique<AccountStore>(store_.get(), o);
  }

  Error AddError(User u, const std::string& password = kPassword) {
    auto s = accounts_->AddUser(std::move(u), password, kNow);
    EXPECT_FALSE(s.ok());
    return s.ok() ? Error{} : s.error();
  }

  testutil::TempDir dir_;
  std::unique_ptr<NodeStore> store_;
  std::unique_ptr<AccountStore> accounts_;
};

TEST_F(AccountStoreTest, AddedAccountsAreListedAndFound) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  User admin = Officer("admin-1", "th-police");
  admin.roles = {"admin", "supervisor"};
  ASSERT_TRUE(accounts_->AddUser(admin, kPassword, kNow).ok());

  auto list = accounts_->ListUsers();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  auto got = accounts_->GetUser("somchai.k");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->agency, "th-dsdw");
  EXPECT_EQ((*got)->language, "th");
  EXPECT_EQ((*got)->created_us, kNow);
  EXPECT_TRUE((*got)->Has("officer"));
  EXPECT_FALSE((*got)->Has("admin"));
  auto missing = accounts_->GetUser("nobody");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(AccountStoreTest, FieldErrorsNameTheField) {
  Error e = AddError(Officer("Bad Id"));
  EXPECT_EQ(CodeOf(e), errc::bad_input);
  EXPECT_EQ(e.field, "id");

  e = AddError(Officer("ok", "kh-mosvy"));
  EXPECT_EQ(e.field, "agency");
  EXPECT_NE(e.message.find("th-police"), std::string::npos) << e.message;  // lists the allowed ones

  User u = Officer("ok");
  u.roles = {};
  EXPECT_EQ(AddError(u).field, "roles");
  u.roles = {"officer", "boss"};
  e = AddError(u);
  EXPECT_EQ(e.field, "roles");
  EXPECT_NE(e.message.find("auditor"), std::string::npos) << e.message;

  u = Officer("ok");
  u.language = "fr";
  EXPECT_EQ(AddError(u).field, "language");

  e = AddError(Officer("ok"), "short");
  EXPECT_EQ(CodeOf(e), errc::bad_input);
  EXPECT_EQ(e.field, "password");
  EXPECT_EQ(e.message.rfind("password: ", 0), 0u) << e.message;

  auto list = accounts_->ListUsers();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(AccountStoreTest, DuplicateIdIsAConflict) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  Error e = AddError(Officer("somchai.k", "th-police"));
  EXPECT_EQ(CodeOf(e), errc::conflict);
  EXPECT_EQ(e.field, "id");
}

TEST_F(AccountStoreTest, LoginIssuesATokenForThatUser) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  ASSERT_TRUE(accounts_->AddUser(Officer("other"), kPassword, kNow).ok());
  auto t = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->token.rfind("lnt_", 0), 0u);
  EXPECT_EQ(t->token.size(), 4u + 43u);
  EXPECT_EQ(t->id.size(), 12u);
  EXPECT_GT(t->expires_us, kNow);

  auto who = accounts_->Authenticate(t->token, kNow + kSecond);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->user.id, "somchai.k");
  EXPECT_EQ(who->token_id, t->id);
  EXPECT_TRUE(who->session);

  auto info = accounts_->Token(t->id);
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->user, "somchai.k");
  EXPECT_EQ((*info)->name, "login");

  auto bogus = accounts_->Authenticate("lnt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", kNow);
  ASSERT_FALSE(bogus.ok());
  EXPECT_EQ(CodeOf(bogus.error()), errc::unauthenticated);
}

TEST_F(AccountStoreTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  auto wrong = accounts_->Login("somchai.k", "not the password", "10.0.0.1", kNow);
  auto unknown = accounts_->Login("nobody", kPassword, "10.0.0.1", kNow);
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(CodeOf(wrong.error()), errc::unauthenticated);
  EXPECT_EQ(CodeOf(unknown.error()), errc::unauthenticated);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
  EXPECT_EQ(wrong.error().message, "user or password is wrong");
}

TEST_F(AccountStoreTest, FiveWrongPasswordsLockTheAccountEvenForTheRightOne) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  for (int i = 0; i < 5; ++i) {
    auto r = accounts_->Login("somchai.k", "wrong password " + std::to_string(i), "10.0.0.1", kNow + i);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(CodeOf(r.error()), errc::unauthenticated);
  }
  auto locked = accounts_->Login("somchai.k", kPassword, "10.0.0.2", kNow + 10);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(CodeOf(locked.error()), errc::locked_out);
  EXPECT_NE(locked.error().message.find("until 20"), std::string::npos) << locked.error().message;
  auto user = accounts_->GetUser("somchai.k");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_GT((*user)->locked_until_us, kNow);  // persisted

  // After the lockout the right password works again, and resets the count.
  auto later = accounts_->Login("somchai.k", kPassword, "10.0.0.2", kNow + 16 * kMinute);
  ASSERT_TRUE(later.ok()) << later.error().message;
  user = accounts_->GetUser("somchai.k");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->failed_logins, 0u);
}

TEST_F(AccountStoreTest, SuccessResetsTheFailureCount) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(accounts_->Login("somchai.k", "wrong", "10.0.0.1", kNow).ok());
  ASSERT_TRUE(accounts_->Login("somchai.k", kPassword, "10.0.0.1", kNow).ok());
  // (another address: the first has used half its budget)
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(accounts_->Login("somchai.k", "wrong", "10.0.0.2", kNow).ok());
  EXPECT_TRUE(accounts_->Login("somchai.k", kPassword, "10.0.0.2", kNow).ok());
}

TEST_F(AccountStoreTest, AnAddressWithTooManyFailuresIsRateLimited) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  // Unknown users: no account lockout, only the address limit (8 here).
  for (int i = 0; i < 8; ++i) {
    auto r = accounts_->Login("guess" + std::to_string(i), "password guess", "203.0.113.9", kNow + i);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(CodeOf(r.error()), errc::unauthenticated);
  }
  auto limited = accounts_->Login("somchai.k", kPassword, "203.0.113.9", kNow + 100);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(CodeOf(limited.error()), errc::rate_limited);
  // Other addresses are not affected, and the window passes.
  EXPECT_TRUE(accounts_->Login("somchai.k", kPassword, "198.51.100.1", kNow + 100).ok());
  EXPECT_TRUE(accounts_->Login("somchai.k", kPassword, "203.0.113.9", kNow + 6 * kMinute).ok());
}

TEST_F(AccountStoreTest, RevokedTokenIsRefused) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  auto t = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(accounts_->Revoke(t->id).ok());
  auto who = accounts_->Authenticate(t->token, kNow + kSecond);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(CodeOf(who.error()), errc::unauthenticated);
  auto info = accounts_->Token(t->id);
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_TRUE((*info)->revoked);
  auto unknown = accounts_->Revoke("000000000000");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(CodeOf(unknown.error()), errc::not_found);
}

TEST_F(AccountStoreTest, SessionEndsWhenIdleAndIsExtendedByUse) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  auto t = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  ASSERT_TRUE(t.ok());
  // Used every 20 minutes it stays alive past the 30 min idle timeout...
  for (int64_t at = kNow + 20 * kMinute; at < kNow + 2 * 60 * kMinute; at += 20 * kMinute) {
    ASSERT_TRUE(accounts_->Authenticate(t->token, at).ok()) << (at - kNow) / kMinute << " min";
  }
  // ...but 31 minutes without use end it.
  auto idle = accounts_->Authenticate(t->token, kNow + 100 * kMinute + 31 * kMinute);
  ASSERT_FALSE(idle.ok());
  EXPECT_EQ(CodeOf(idle.error()), errc::unauthenticated);
}

TEST_F(AccountStoreTest, SessionEndsAfterItsMaximumLifetime) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  auto t = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  ASSERT_TRUE(t.ok());
  const int64_t kTwelveHours = 12 * 60 * kMinute;
  for (int64_t at = kNow; at <= kNow + kTwelveHours - 20 * kMinute; at += 25 * kMinute) {
    ASSERT_TRUE(accounts_->Authenticate(t->token, at).ok()) << (at - kNow) / kMinute << " min";
  }
  // Used a minute ago, yet 12 hours after login it ends.
  ASSERT_TRUE(accounts_->Authenticate(t->token, kNow + kTwelveHours - kMinute).ok());
  auto ended = accounts_->Authenticate(t->token, kNow + kTwelveHours + kSecond);
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(CodeOf(ended.error()), errc::unauthenticated);
}

TEST_F(AccountStoreTest, DisabledAccountIsRefusedAndItsTokensRevoked) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  auto session = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  auto api = accounts_->IssueApiToken("somchai.k", "script", 0, kNow);
  ASSERT_TRUE(session.ok() && api.ok());
  ASSERT_TRUE(accounts_->SetDisabled("somchai.k", true).ok());
  EXPECT_FALSE(accounts_->Authenticate(session->token, kNow + kSecond).ok());
  EXPECT_FALSE(accounts_->Authenticate(api->token, kNow + kSecond).ok());
  auto login = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(CodeOf(login.error()), errc::unauthenticated);
  EXPECT_EQ(login.error().message, "user or password is wrong");

  auto tokens = accounts_->Tokens("somchai.k");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 2u);
  for (const auto& t : *tokens) EXPECT_TRUE(t.revoked) << t.id;

  ASSERT_TRUE(accounts_->SetDisabled("somchai.k", false).ok());
  EXPECT_TRUE(accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow).ok());
  EXPECT_EQ(CodeOf(accounts_->SetDisabled("nobody", true).error()), errc::not_found);
}

TEST_F(AccountStoreTest, NewPasswordRevokesEveryTokenOfThePerson) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  auto session = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  auto api = accounts_->IssueApiToken("somchai.k", "script", 0, kNow);
  ASSERT_TRUE(session.ok() && api.ok());
  EXPECT_EQ(accounts_->SetPassword("somchai.k", "short").error().field, "password");
  ASSERT_TRUE(accounts_->SetPassword("somchai.k", "a brand new passphrase").ok());
  EXPECT_FALSE(accounts_->Authenticate(session->token, kNow + kSecond).ok());
  // A reset after a stolen session must not leave a token minted with it.
  EXPECT_FALSE(accounts_->Authenticate(api->token, kNow + kSecond).ok());
  EXPECT_FALSE(accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow).ok());
  EXPECT_TRUE(accounts_->Login("somchai.k", "a brand new passphrase", "127.0.0.1", kNow).ok());
}

TEST_F(AccountStoreTest, NewPasswordLiftsALockout) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(accounts_->Login("somchai.k", "wrong", "10.0.0.1", kNow).ok());
  ASSERT_EQ(CodeOf(accounts_->Login("somchai.k", kPassword, "10.0.0.1", kNow).error()), errc::locked_out);
  ASSERT_TRUE(accounts_->SetPassword("somchai.k", "a brand new passphrase").ok());
  EXPECT_TRUE(accounts_->Login("somchai.k", "a brand new passphrase", "10.0.0.1", kNow).ok());
}

TEST_F(AccountStoreTest, TokensAreStoredOnlyAsHashes) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  auto session = accounts_->Login("somchai.k", kPassword, "127.0.0.1", kNow);
  auto api = accounts_->IssueApiToken("somchai.k", "script", 0, kNow);
  ASSERT_TRUE(session.ok() && api.ok());
  ASSERT_TRUE(accounts_->Authenticate(session->token, kNow + 5 * kMinute).ok());  // a refresh write too

  auto rows = store_->Scan(Cf::kTokens, "", 1000);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 4u);  // two records, two id index entries
  for (const auto& [key, value] : *rows) {
    for (const auto* token : {&session->token, &api->token}) {
      std::string secret = token->substr(4);  // without the lnt_ prefix
      EXPECT_EQ(key.find(secret), std::string::npos) << key;
      EXPECT_EQ(value.find(secret), std::string::npos) << value;
    }
  }
  auto users = store_->Scan(Cf::kUsers, "", 1000);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ(users->front().second.find(kPassword), std::string::npos);
  EXPECT_NE(users->front().second.find("$argon2id$"), std::string::npos);
}

TEST_F(AccountStoreTest, SystemAccountCannotLogInButGetsApiTokens) {
  User sys = Officer("kh-cms", "th-police");
  sys.system = true;
  EXPECT_EQ(AddError(sys, kPassword).field, "password");  // no password for a system
  ASSERT_TRUE(accounts_->AddUser(sys, "", kNow).ok());
  auto login = accounts_->Login("kh-cms", "", "127.0.0.1", kNow);
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(CodeOf(login.error()), errc::unauthenticated);

  auto t = accounts_->IssueApiToken("kh-cms", "cms import", 0, kNow);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->expires_us, kNow + 365LL * 86400 * kSecond);  // the default lifetime
  auto who = accounts_->Authenticate(t->token, kNow + 100 * 86400 * kSecond);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->user.id, "kh-cms");
  EXPECT_FALSE(who->session);
  EXPECT_FALSE(accounts_->Authenticate(t->token, kNow + 366LL * 86400 * kSecond).ok());

  auto short_lived = accounts_->IssueApiToken("kh-cms", "one hour", 3600 * kSecond, kNow);
  ASSERT_TRUE(short_lived.ok());
  EXPECT_EQ(short_lived->expires_us, kNow + 3600 * kSecond);
  EXPECT_EQ(accounts_->IssueApiToken("kh-cms", "", 0, kNow).error().field, "name");
  EXPECT_EQ(CodeOf(accounts_->IssueApiToken("nobody", "x", 0, kNow).error()), errc::not_found);
}

TEST_F(AccountStoreTest, TokensAreListedNewestFirstPerUser) {
  ASSERT_TRUE(accounts_->AddUser(Officer("a"), kPassword, kNow).ok());
  ASSERT_TRUE(accounts_->AddUser(Officer("b"), kPassword, kNow).ok());
  ASSERT_TRUE(accounts_->IssueApiToken("a", "first", 0, kNow).ok());
  ASSERT_TRUE(accounts_->IssueApiToken("a", "second", 0, kNow + kSecond).ok());
  ASSERT_TRUE(accounts_->IssueApiToken("b", "other", 0, kNow).ok());
  auto a = accounts_->Tokens("a");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].name, "second");
  EXPECT_EQ((*a)[1].name, "first");
  auto all = accounts_->Tokens("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST_F(AccountStoreTest, LanguageIsValidatedAndStored) {
  ASSERT_TRUE(accounts_->AddUser(Officer("somchai.k"), kPassword, kNow).ok());
  EXPECT_EQ(accounts_->SetLanguage("somchai.k", "xx").error().field, "language");
  ASSERT_TRUE(accounts_->SetLanguage("somchai.k", "km").ok());
  auto u = accounts_->GetUser("somchai.k");
  ASSERT_TRUE(u.ok() && u->has_value());
  EXPECT_EQ((*u)->language, "km");
}

TEST(RoleNamesTest, KnownRoles) {
  EXPECT_TRUE(IsRoleName("officer"));
  EXPECT_TRUE(IsRoleName("admin"));
  EXPECT_FALSE(IsRoleName("root"));
}

}  // namespace
}  // namespace lintas::node
