// The consent scope and its view filter, without sockets: what each piece of
// an event needs, the check before sending, how changes move a case's
// record, and what views hide afterwards.
#include "consent_scope.h"

#include <gtest/gtest.h>

#include "consent_filter.h"
#include "lintas/node/errc.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/pack.h"

namespace lintas::node {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1767225600000000;  // 2026-01-01 00:00 UTC

std::string Packed(fb::EventT e) { return wire::PackEvent(e); }

fb::EventT Example(fb::Body type) {
  wire::EventIdGenerator ids;
  return wire::ExampleEvent(type, ids.Next(), kNow);
}

void Attach(fb::EventT& e, const std::string& media_type) {
  auto a = std::make_unique<fb::AttachmentT>();
  a->sha256.assign(32, 0xab);
  a->media_type = media_type;
  a->location = "lintas://th-node/attachments/x";
  e.attachments.push_back(std::move(a));
}

json Record(std::vector<std::string> items) {
  return {{"items", items}, {"withdrawn", json::array()}, {"withdrawn_all", nullptr}};
}

TEST(ConsentScopeTest, MediaTypesMapToTheirItems) {
  EXPECT_EQ(consent::ItemForMediaType("image/jpeg"), fb::ConsentItem::Photograph);
  EXPECT_EQ(consent::ItemForMediaType("Video/MP4"), fb::ConsentItem::Photograph);
  EXPECT_EQ(consent::ItemForMediaType("image/x-wsq"), fb::ConsentItem::Biometrics);
  EXPECT_EQ(consent::ItemForMediaType("application/x-biometric-template"), fb::ConsentItem::Biometrics);
  EXPECT_EQ(consent::ItemForMediaType("audio/ogg"), fb::ConsentItem::Testimony);
  EXPECT_EQ(consent::ItemForMediaType("application/pdf"), std::nullopt);
}

TEST(ConsentScopeTest, PhotographOutsideTheReferralsScopeIsRefusedNamingTheField) {
  fb::EventT e = Example(fb::Body::ReferralCreated);  // consent: Identity, ReturnLogistics
  Attach(e, "image/jpeg");                             // attachments[1] (the example has a PDF first)
  std::string bytes = Packed(std::move(e));
  const fb::Event* ev = fb::GetEvent(bytes.data());
  Status s = consent::Check(*ev, json());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(errc::outside_consent));
  EXPECT_EQ(s.error().field, "attachments[1]");
  EXPECT_NE(s.error().message.find("Photograph"), std::string::npos) << s.error().message;
}

TEST(ConsentScopeTest, TheExampleReferralIsWithinItsScope) {
  std::string bytes = Packed(Example(fb::Body::ReferralCreated));
  EXPECT_TRUE(consent::Check(*fb::GetEvent(bytes.data()), json()).ok());
}

TEST(ConsentScopeTest, HealthNeedsNeedHealth) {
  fb::EventT e = Example(fb::Body::ReferralCreated);
  e.body.AsReferralCreated()->victim->needs.push_back("Health: insulin");
  std::string bytes = Packed(std::move(e));
  Status s = consent::Check(*fb::GetEvent(bytes.data()), json());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "body.victim.needs[2]");
}

TEST(ConsentScopeTest, LaterEventsAreJudgedByTheCasesCurrentConsent) {
  fb::EventT e = Example(fb::Body::ReturnPlanned);
  std::string bytes = Packed(std::move(e));
  const fb::Event* ev = fb::GetEvent(bytes.data());
  EXPECT_TRUE(consent::Check(*ev, Record({"Identity", "ReturnLogistics"})).ok());
  Status s = consent::Check(*ev, Record({"Identity"}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "body_type");
}

TEST(ConsentScopeTest, WithdrawalIsRecordedWithWhoAndWhenAndRefusesLaterData) {
  fb::EventT change = Example(fb::Body::ConsentChanged);
  change.body.AsConsentChanged()->consent.reset();
  change.body.AsConsentChanged()->withdrawn = {fb::ConsentItem::Photograph};
  std::string bytes = Packed(std::move(change));
  json record = consent::AfterChange(Record({"Identity", "Photograph"}), *fb::GetEvent(bytes.data()));
  EXPECT_EQ(record["items"], json::array({"Identity"}));
  ASSERT_EQ(record["withdrawn"].size(), 1u);
  EXPECT_EQ(record["withdrawn"][0]["item"], "Photograph");
  EXPECT_EQ(record["withdrawn"][0]["at_us"], kNow);
  EXPECT_EQ(record["withdrawn"][0]["by"]["country"], "THA");

  fb::EventT answer = Example(fb::Body::SpontaneousInformation);
  Attach(answer, "image/png");
  std::string a = Packed(std::move(answer));
  Status s = consent::Check(*fb::GetEvent(a.data()), record);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("withdrawn (2026-01-01 00:00 UTC by THA/"), std::string::npos) << s.error().message;
}

TEST(ConsentScopeTest, AfterWithdrawingEverythingOnlyClosingStepsMayBeSent) {
  fb::EventT change = Example(fb::Body::ConsentChanged);
  change.body.AsConsentChanged()->consent.reset();
  change.body.AsConsentChanged()->withdrawn_all = true;
  std::string bytes = Packed(std::move(change));
  json record = consent::AfterChange(Record({"Identity"}), *fb::GetEvent(bytes.data()));
  EXPECT_TRUE(record["withdrawn_all"].is_object());
  std::string info = Packed(Example(fb::Body::SpontaneousInformation));
  EXPECT_EQ(consent::Check(*fb::GetEvent(info.data()), record).error().field, "case_id");
  std::string close = Packed(Example(fb::Body::ReferralClosed));
  EXPECT_TRUE(consent::Check(*fb::GetEvent(close.data()), record).ok());
}

TEST(ConsentFilterTest, EventViewsLoseWithdrawnDataAndSayWhoWithdrewIt) {
  json record = Record({"ReturnLogistics"});
  record["withdrawn"].push_back({{"item", "Photograph"}, {"at_us", kNow}, {"by", {{"country", "THA"}, {"agency", "th-a"}}}});
  record["withdrawn"].push_back({{"item", "Identity"}, {"at_us", kNow}, {"by", {{"country", "THA"}, {"agency", "th-a"}}}});
  json event = {{"body_type", "ReferralCreated"},
                {"attachments", {{{"media_type", "application/pdf"}}, {{"media_type", "image/jpeg"}}}},
                {"body", {{"victim", {{"pseudonym", "V-1"}, {"age_years", 17}, {"languages", {"km"}}}},
                          {"consent", {{"items", {"Identity", "ReturnLogistics", "Photograph"}}}}}}};
  json notes = consent::FilterEvent(event, record);
  EXPECT_EQ(event["attachments"].size(), 1u);
  EXPECT_EQ(event["attachments"][0]["media_type"], "application/pdf");
  EXPECT_EQ(event["body"]["victim"], json({{"pseudonym", "V-1"}}));
  EXPECT_EQ(event["body"]["consent"]["items"], json::array({"ReturnLogistics"}));
  bool photo = false;
  for (const auto& n : notes) photo = photo || (n["field"] == "attachments[1]" && n["by"]["agency"] == "th-a");
  EXPECT_TRUE(photo) << notes.dump();
}

TEST(ConsentFilterTest, WithdrawnAllLeavesThePseudonymOnly) {
  json record = Record({});
  record["withdrawn_all"] = {{"at_us", kNow}, {"by", {{"country", "THA"}, {"agency", "th-a"}}}};
  json item = {{"kind", "referral"}, {"consent", {"Identity"}}, {"victim", "V-1"},
               {"victim_details", {{"sex", "Male"}}}, {"attachments", {{{"media_type", "application/pdf"}}}}};
  consent::FilterItem(item, record);
  EXPECT_EQ(item["victim"], "V-1");
  EXPECT_FALSE(item.contains("victim_details"));
  EXPECT_TRUE(item["attachments"].empty());
  EXPECT_EQ(item["consent_withdrawn_all"]["by"]["agency"], "th-a");
}

}  // namespace
}  // namespace lintas::node
