// Validation names the field that is wrong and never quotes free text.
#include "lintas/wire/validate.h"

#include <functional>

#include <gtest/gtest.h>

#include "lintas/wire/errc.h"
#include "lintas/wire/json_codec.h"
#include "lintas/wire/verify.h"
#include "testutil/sample_events.h"

namespace lintas::wire {
namespace {

constexpr int64_t kNow = 1793491200000000;

class ValidateTest : public ::testing::Test {
 protected:
  // Builds a sample of `type`, lets `mutate` break it, and returns the error.
  Status Check(fb::Body type, const std::function<void(fb::EventT&)>& mutate) {
    fb::EventT e = testutil::SampleEvent(type, ids_.Next(), kNow);
    mutate(e);
    std::string buf = testutil::PackEvent(e);
    auto event = VerifyEvent(AsBytes(buf));
    if (!event.ok()) return std::move(event).error();
    return ValidateEvent(**event);
  }
  void ExpectField(const Status& s, const std::string& field) {
    ASSERT_FALSE(s.ok()) << "expected a refusal naming " << field;
    EXPECT_EQ(s.error().code, errc::event_invalid);
    EXPECT_EQ(s.error().field, field) << s.error().message;
    EXPECT_EQ(s.error().message.rfind(field, 0), 0u) << s.error().message;
  }
  EventIdGenerator ids_;
};

TEST_F(ValidateTest, EverySampleIsValid) {
  for (fb::Body type : testutil::AllBodyTypes()) {
    Status s = Check(type, [](fb::EventT&) {});
    EXPECT_TRUE(s.ok()) << fb::EnumNameBody(type) << ": " << s.error().message;
  }
}

TEST_F(ValidateTest, UnknownOriginCountry) {
  ExpectField(Check(fb::Body::ReferralCreated, [](auto& e) { e.origin->country = "XYZ"; }),
              "origin.country");
  ExpectField(Check(fb::Body::ReferralCreated, [](auto& e) { e.origin->country = "tha"; }),
              "origin.country");
}

TEST_F(ValidateTest, RegionalPseudoCodeIsAParty) {
  EXPECT_TRUE(Check(fb::Body::ReferralCreated, [](auto& e) {
                e.origin->country = "ASE";
                e.origin->agency = "asean-sec";
              }).ok());
}

TEST_F(ValidateTest, BadAgencyId) {
  ExpectField(Check(fb::Body::ReferralCreated, [](auto& e) { e.origin->agency = "TH RTP"; }),
              "origin.agency");
}

TEST_F(ValidateTest, AddressedEventWithoutDestination) {
  ExpectField(Check(fb::Body::ReferralCreated, [](auto& e) { e.destinations.clear(); }),
              "destinations");
}

TEST_F(ValidateTest, DestinationWithBothAgencyAndRole) {
  ExpectField(Check(fb::Body::ReferralCreated,
                    [](auto& e) { e.destinations[0]->agency = "kh-mosvy"; }),
              "destinations[0]");
}

TEST_F(ValidateTest, DestinationCountry) {
  ExpectField(Check(fb::Body::ReferralCreated,
                    [](auto& e) { e.destinations[1]->country = "KH"; }),
              "destinations[1].country");
}

TEST_F(ValidateTest, SelectedCountriesNeedCountries) {
  ExpectField(Check(fb::Body::AlertPublished, [](auto& e) { e.distribution->countries.clear(); }),
              "distribution.countries");
}

TEST_F(ValidateTest, H3NeedsText) {
  ExpectField(Check(fb::Body::ReferralCreated,
                    [](auto& e) { e.handling = fb::HandlingCode::H3; }),
              "handling_text");
}

TEST_F(ValidateTest, MinorNeedsGuardian) {
  ExpectField(Check(fb::Body::ReferralCreated,
                    [](auto& e) { e.body.AsReferralCreated()->victim->guardian.reset(); }),
              "body.victim.guardian");
}

TEST_F(ValidateTest, DeadlineBeforeCreation) {
  ExpectField(Check(fb::Body::ReferralCreated,
                    [](auto& e) { e.response_due_us = e.created_at_us - 1; }),
              "response_due_us");
}

TEST_F(ValidateTest, LifecycleEventNeedsParent) {
  ExpectField(Check(fb::Body::ReferralAccepted, [](auto& e) { e.parent_id.reset(); }),
              "parent_id");
}

TEST_F(ValidateTest, ReferralNeedsCaseId) {
  ExpectField(Check(fb::Body::ReferralCreated, [](auto& e) { e.case_id.clear(); }), "case_id");
}

TEST_F(ValidateTest, AlertExpiryInThePast) {
  ExpectField(Check(fb::Body::AlertPublished,
                    [](auto& e) { e.body.AsAlertPublished()->expires_at_us = e.created_at_us; }),
              "body.expires_at_us");
}

TEST_F(ValidateTest, IdMustBeV7) {
  ExpectField(Check(fb::Body::ReferralCreated,
                    [](auto& e) {
                      auto bytes = EventId::FromFb(*e.id).bytes();
                      bytes[6] = 0x40;  // version 4
                      e.id = std::make_unique<fb::Uuid>(EventId(bytes).ToFb());
                    }),
              "id");
}

TEST_F(ValidateTest, UnknownSchemaVersion) {
  ExpectField(Check(fb::Body::ReferralCreated, [](auto& e) { e.schema_version = 99; }),
              "schema_version");
}

TEST_F(ValidateTest, MessagesNeverQuoteFreeText) {
  Status s = Check(fb::Body::ReferralCreated, [](auto& e) {
    e.body.AsReferralCreated()->victim->pseudonym = "";
    e.body.AsReferralCreated()->summary = "SECRET-SUMMARY";
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace lintas::wire
