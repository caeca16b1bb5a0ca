// Handling codes through a thread, without sockets: an answer keeps its
// parent's code or a stricter one; below an H2 event only its parties may be
// addressed, at any depth, and only a party of the parent may answer; the H2
// event's originator may share it onward.
#include "../src/thread_rules.h"

#include <gtest/gtest.h>

#include "lintas/wire/errc.h"
#include "lintas/wire/event_id.h"
#include "testutil/sample_events.h"

namespace lintas::broker {
namespace {

class ThreadRulesTest : public ::testing::Test {
 protected:
  // A packed referral with handling `h`; kept alive by the fixture.
  const fb::Event& Event(fb::HandlingCode h, fb::DistributionKind kind = fb::DistributionKind::Addressed) {
    fb::EventT e = testutil::SampleEvent(fb::Body::ReferralCreated, ids_.Next(), 1);
    e.handling = h;
    if (h == fb::HandlingCode::H3) e.handling_text = "court use only with consent";
    if (kind != fb::DistributionKind::Addressed) {
      e.destinations.clear();
      e.distribution = std::make_unique<fb::DistributionT>();
      e.distribution->kind = kind;
    }
    packed_.push_back(testutil::PackEvent(e));
    return *fb::GetEvent(packed_.back().data());
  }

  static void ExpectDenied(const Status& s, const std::string& field) {
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, wire::errc::policy_denied);
    EXPECT_EQ(s.error().field, field) << s.error().message;
  }

  wire::EventIdGenerator ids_;
  std::vector<std::string> packed_;
};

TEST_F(ThreadRulesTest, AnAnswerWeakerThanItsParentIsRefusedAndAStricterOneAllowed) {
  using H = fb::HandlingCode;
  ParentFacts h1 = FactsAsParent(Event(H::H1), "th-node", {"vn-node"}, std::nullopt);
  ExpectDenied(CheckAnswer("vn-node", Event(H::H0), h1, {"th-node"}), "handling");
  EXPECT_TRUE(CheckAnswer("vn-node", Event(H::H1), h1, {"th-node"}).ok());
  EXPECT_TRUE(CheckAnswer("vn-node", Event(H::H3), h1, {"th-node"}).ok());
  ParentFacts h3 = FactsAsParent(Event(H::H3), "th-node", {"vn-node"}, std::nullopt);
  ExpectDenied(CheckAnswer("vn-node", Event(H::H2), h3, {"th-node"}), "handling");
  // Without H2, anyone may answer and address anyone.
  EXPECT_TRUE(CheckAnswer("kh-node", Event(H::H1), h1, {"la-node"}).ok());
}

TEST_F(ThreadRulesTest, H2BindsEveryDepthOfItsThread) {
  using H = fb::HandlingCode;
  // Thailand asks Viet Nam and Laos (H2); Viet Nam answers Thailand (H2);
  // the grandchild hangs below that answer.
  ParentFacts request = FactsAsParent(Event(H::H2), "th-node", {"la-node", "vn-node"}, std::nullopt);
  ASSERT_EQ(request.h2_threads.size(), 1u);
  ParentFacts answer = FactsAsParent(Event(H::H3), "vn-node", {"th-node"}, request);
  ASSERT_EQ(answer.h2_threads.size(), 1u) << "an H3 answer inherits the thread, adding none of its own";
  EXPECT_EQ(answer.h2_threads[0].originator, "th-node");

  // Thailand answers Viet Nam's answer (H3 too), copying Laos: all parties of the request.
  EXPECT_TRUE(CheckAnswer("th-node", Event(H::H3), answer, {"la-node", "vn-node"}).ok());
  // Thailand, the request's originator, may share it onward.
  EXPECT_TRUE(CheckAnswer("th-node", Event(H::H3), answer, {"kh-node"}).ok());
  // Anyone else below it may not, at any depth.
  ExpectDenied(CheckAnswer("vn-node", Event(H::H2), request, {"kh-node"}), "destinations");
  ParentFacts reply = FactsAsParent(Event(H::H3), "th-node", {"vn-node"}, answer);
  ASSERT_EQ(reply.h2_threads.size(), 1u);
  ExpectDenied(CheckAnswer("vn-node", Event(H::H3), reply, {"kh-node"}), "destinations");
  ExpectDenied(CheckAnswer("vn-node", Event(H::H3, fb::DistributionKind::Regional), reply, {}), "distribution");
  EXPECT_TRUE(CheckAnswer("vn-node", Event(H::H3), reply, {"la-node"}).ok());
  // Laos received the request but not Viet Nam's answer: it may not answer that.
  ExpectDenied(CheckAnswer("la-node", Event(H::H3), answer, {"th-node"}), "parent_id");
  // Cambodia never received anything of the thread.
  ExpectDenied(CheckAnswer("kh-node", Event(H::H2), request, {"th-node"}), "parent_id");
  // Laos may answer the request itself, to its parties.
  EXPECT_TRUE(CheckAnswer("la-node", Event(H::H2), request, {"th-node"}).ok());
}

}  // namespace
}  // namespace lintas::broker
