// CaseStore / CaseTxn: the case model's rules on a real NodeStore in a
// temporary directory, no sockets. Events are built with the FlatBuffers
// object API; each is applied in its own transaction and committed the way
// the node does (an outgoing step only when allowed, an incoming batch
// whatever happened to it). Time is passed in, never slept.
#include "lintas/node/case_store.h"

#include <gtest/gtest.h>

#include "lintas/node/errc.h"
#include "lintas/node/node_store.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"
#include "testutil/temp_dir.h"

namespace lintas::node {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1'790'000'000'000'000;  // 2026-09, Unix microseconds
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kHour = 3600 * kSecond;

struct Agency {
  std::string country;
  std::string id;
};
const Agency kThPolice{"THA", "th-rtp-atpd"};
const Agency kKhWelfare{"KHM", "kh-mosvy"};
const Agency kKhPolice{"KHM", "kh-ahtjp"};
const Agency kVnPolice{"VNM", "vn-mps-cpd"};
const Agency kLaPolice{"LAO", "la-mps-aht"};

errc CodeOf(const Status& s) {
  EXPECT_FALSE(s.ok());
  if (s.ok()) return errc::success;
  EXPECT_EQ(s.error().code.category(), NodeCategory()) << s.error().message;
  return static_cast<errc>(s.error().code.value());
}

Principal Person(const std::string& id, const std::string& agency,
                 std::vector<std::string> roles = {"officer"}) {
  Principal p;
  p.user.id = id;
  p.user.agency = agency;
  p.user.roles = std::move(roles);
  p.token_id = "t-" + id;
  p.session = true;
  return p;
}

std::unique_ptr<fb::DestinationT> To(const std::string& country, const std::string& agency,
                                     fb::Role role = fb::Role::Unspecified) {
  auto d = std::make_unique<fb::DestinationT>();
  d->country = country;
  d->agency = agency;
  d->role = role;
  return d;
}

// An event of `type` (the library's example body) with this envelope.
fb::EventT Envelope(fb::Body type, const wire::EventId& id, const Agency& from,
                    const std::string& officer, const std::string& case_id, int64_t at) {
  fb::EventT e = wire::ExampleEvent(type, id, at);
  e.origin->country = from.country;
  e.origin->agency = from.id;
  e.officer = officer;
  e.case_id = case_id;
  e.destinations.clear();
  e.national_refs.clear();
  e.parent_id.reset();
  e.response_due_us = 0;
  e.attachments.clear();
  return e;
}

// A new referral (or information request with `type`) to `to`.
std::string Opening(const wire::EventId& id, const Agency& from,
                    std::unique_ptr<fb::DestinationT> to, const std::string& case_id, int64_t at,
                    int64_t due, const std::string& officer, const std::string& reference = "",
                    fb::Body type = fb::Body::ReferralCreated) {
  fb::EventT e = Envelope(type, id, from, officer, case_id, at);
  e.destinations.push_back(std::move(to));
  e.response_due_us = due;
  if (!reference.empty()) {
    auto r = std::make_unique<fb::NationalReferenceT>();
    r->country = from.country;
    r->reference = reference;
    e.national_refs.push_back(std::move(r));
  }
  return wire::PackEvent(e);
}

// A step on the item opened by `parent`, from `from` to `to`.
std::string Step(fb::Body type, const wire::EventId& id, const wire::EventId& parent,
                 const Agency& from, const Agency& to, const std::string& case_id, int64_t at,
                 const std::string& officer, const std::string& reference = "") {
  fb::EventT e = Envelope(type, id, from, officer, case_id, at);
  e.destinations.push_back(To(to.country, to.id));
  e.parent_id = std::make_unique<fb::Uuid>(parent.ToFb());
  if (!reference.empty()) {
    auto r = std::make_unique<fb::NationalReferenceT>();
    r->country = from.country;
    r->reference = reference;
    e.national_refs.push_back(std::move(r));
  }
  return wire::PackEvent(e);
}

// One node's case model: a NodeStore and a CaseStore over it.
struct Side {
  Side(const testutil::TempDir& dir, const std::string& name, CaseOptions options) {
    auto s = NodeStore::Open(dir.Sub(name));
    if (!s.ok()) throw std::runtime_error(s.error().message);
    store = std::move(s).value();
    cases = std::make_unique<CaseStore>(store.get(), std::move(options));
  }

  // An event this node's officer (`who`) or the node itself (nullptr) sends:
  // committed only when the case model allows it, as Node::SubmitAs does.
  Status Send(const std::string& bytes, const Principal* who, int64_t now) {
    return ApplyOne(bytes, Direction::kOutgoing, 0, who, now, /*commit_on_error=*/false);
  }
  // An event the broker delivers: the batch is committed whatever the case
  // model says of it (the event stays in the inbox), as BrokerLink does.
  Status Receive(const std::string& bytes, int64_t now) {
    return ApplyOne(bytes, Direction::kIncoming, ++offset, nullptr, now, /*commit_on_error=*/true);
  }

  json Item(const wire::EventId& item_id, int64_t now) {
    auto ref = cases->FindItem(item_id.ToString());
    EXPECT_TRUE(ref.ok() && ref->has_value()) << item_id.ToString();
    if (!ref.ok() || !ref->has_value()) return json();
    auto item = cases->Item(**ref, now);
    EXPECT_TRUE(item.ok() && item->has_value());
    return item.ok() && item->has_value() ? **item : json();
  }
  std::string State(const wire::EventId& item_id, int64_t now) {
    return Item(item_id, now).value("state", "");
  }
  json Case(const std::string& case_id, int64_t now) {
    auto view = cases->CaseView(case_id, now);
    EXPECT_TRUE(view.ok());
    return view.ok() && view->has_value() ? **view : json();
  }
  size_t Writes(const std::string& bytes, Direction d, const Principal* who, int64_t now) {
    auto txn = cases->Begin();
    auto e = wire::VerifyEvent(wire::AsBytes(bytes));
    EXPECT_TRUE(e.ok());
    (void)txn->Apply(**e, d, 0, who, now);
    return txn->writes().size();
  }

  std::unique_ptr<NodeStore> store;
  std::unique_ptr<CaseStore> cases;
  uint64_t offset = 0;

 private:
  Status ApplyOne(const std::string& bytes, Direction d, uint64_t at_offset, const Principal* who,
                  int64_t now, bool commit_on_error) {
    auto e = wire::VerifyEvent(wire::AsBytes(bytes));
    if (!e.ok()) return std::move(e).error();
    auto txn = cases->Begin();
    Status s = txn->Apply(**e, d, at_offset, who, now);
    if (s.ok() || commit_on_error) {
      if (auto w = store->Write(txn->writes(), true); !w.ok()) return w;
    }
    return s;
  }
};

CaseOptions ThaOptions() {
  CaseOptions o;
  o.country = "THA";
  o.agencies = {"th-rtp-atpd"};
  o.default_agency = "th-rtp-atpd";
  o.local_roles = {{"th-rtp-atpd", {"police"}}};
  return o;
}

CaseOptions KhmOptions() {
  CaseOptions o;
  o.country = "KHM";
  o.agencies = {"kh-mosvy", "kh-ahtjp"};
  o.default_agency = "kh-ahtjp";
  o.local_roles = {
      {"kh-ahtjp", {"police"}}, {"kh-mosvy", {"social_welfare"}}, {"kh-ncct", {"focal_point"}}};
  return o;
}

CaseOptions Options(const std::string& country, const std::string& agency) {
  CaseOptions o;
  o.country = country;
  o.agencies = {agency};
  o.default_agency = agency;
  return o;
}

class CaseStoreTest : public ::testing::Test {
 protected:
  testutil::TempDir dir_;
  wire::EventIdGenerator ids_;
  const Principal th_officer_ = Person("officer-th-0001", "th-rtp-atpd");
  const Principal kh_officer_ = Person("officer-kh-0007", "kh-mosvy", {"officer", "supervisor"});
};

TEST_F(CaseStoreTest, AReferralMovesThroughEveryStateOnBothSides) {
  Side th(dir_, "th", ThaOptions());
  Side kh(dir_, "kh", KhmOptions());
  const std::string kCase = "TH-2026-0192";
  int64_t t = kT0;
  auto ref = ids_.Next();
  std::string created = Opening(ref, kThPolice, To("KHM", "", fb::Role::SocialWelfare), kCase, t,
                                t + 72 * kHour, "officer-th-0001", "TH-RTP-2026-0192");
  ASSERT_TRUE(th.Send(created, &th_officer_, t).ok());
  EXPECT_EQ(th.State(ref, t), "sent");
  ASSERT_TRUE(kh.Receive(created, t).ok());
  // Addressed by role: the local agency with that role gets it.
  json incoming = kh.Item(ref, t);
  EXPECT_EQ(incoming["state"], "received");
  EXPECT_EQ(incoming["local_agency"], "kh-mosvy");
  EXPECT_EQ(incoming["direction"], "incoming");
  EXPECT_TRUE(incoming["awaiting_answer"].get<bool>());
  auto party = kh.cases->IsParty(kCase, "kh-mosvy");
  ASSERT_TRUE(party.ok());
  EXPECT_TRUE(*party);
  party = kh.cases->IsParty(kCase, "kh-ahtjp");
  ASSERT_TRUE(party.ok());
  EXPECT_FALSE(*party);

  // Each step: sent by one side, delivered to the other; the state on both.
  struct Move {
    fb::Body type;
    bool from_kh;
    std::string state_after;
    std::string reference;
  };
  const std::vector<Move> moves = {
      {fb::Body::DeliveryReceipt, true, "delivered", ""},
      {fb::Body::ReferralAcknowledged, true, "acknowledged", "KH-MOSVY-2026-0077"},
      {fb::Body::ReferralAccepted, true, "accepted", ""},
      {fb::Body::ReturnPlanned, true, "return_planned", ""},
      {fb::Body::ReturnExecuted, true, "returned", ""},
      {fb::Body::ReferralClosed, true, "returned", ""},  // one side closed: not yet closed
      {fb::Body::ReferralClosed, false, "closed", ""},   // both sides closed
  };
  for (const auto& m : moves) {
    t += kSecond;
    bool receipt = m.type == fb::Body::DeliveryReceipt;
    const Principal* who = receipt ? nullptr : (m.from_kh ? &kh_officer_ : &th_officer_);
    std::string officer = receipt ? "" : who->user.id;
    std::string bytes =
        m.from_kh
            ? Step(m.type, ids_.Next(), ref, kKhWelfare, kThPolice, kCase, t, officer, m.reference)
            : Step(m.type, ids_.Next(), ref, kThPolice, kKhWelfare, kCase, t, officer);
    Side& sender = m.from_kh ? kh : th;
    Side& receiver = m.from_kh ? th : kh;
    ASSERT_TRUE(sender.Send(bytes, who, t).ok()) << wire::BodyName(m.type);
    ASSERT_TRUE(receiver.Receive(bytes, t).ok()) << wire::BodyName(m.type);
    // The sending side's own receipt leaves it "received"; the sender of the
    // referral sees "delivered".
    if (receipt) {
      EXPECT_EQ(kh.State(ref, t), "received");
      EXPECT_EQ(th.State(ref, t), "delivered");
    } else {
      EXPECT_EQ(kh.State(ref, t), m.state_after) << wire::BodyName(m.type);
      EXPECT_EQ(th.State(ref, t), m.state_after) << wire::BodyName(m.type);
    }
  }
  for (Side* side : {&th, &kh}) {
    json c = side->Case(kCase, t);
    EXPECT_EQ(c["state"], "closed");
    EXPECT_EQ(c["references"]["THA"], "TH-RTP-2026-0192");
    EXPECT_EQ(c["references"]["KHM"], "KH-MOSVY-2026-0077");
    ASSERT_EQ(c["items"].size(), 1u);
    const json& item = c["items"][0];
    ASSERT_EQ(item["closed_by"].size(), 2u);
    EXPECT_EQ(item["closed_by"][0]["agency"], "kh-mosvy");
    EXPECT_EQ(item["closed_by"][1]["agency"], "th-rtp-atpd");
    EXPECT_EQ(item["state_before_close"], "returned");
    ASSERT_EQ(item["acks"].size(), 1u);
    EXPECT_EQ(item["acks"][0]["officer"], "officer-kh-0007");
    EXPECT_FALSE(item["awaiting_answer"].get<bool>());
    // The whole thread, in order, with who did each step.
    ASSERT_EQ(c["events"].size(), 8u);
    EXPECT_EQ(c["events"][0]["type"], "ReferralCreated");
    EXPECT_EQ(c["events"][0]["officer"], "officer-th-0001");
    EXPECT_EQ(c["events"][1]["type"], "DeliveryReceipt");
    EXPECT_EQ(c["events"][1]["officer"], "");
    EXPECT_EQ(c["events"][2]["officer"], "officer-kh-0007");
    EXPECT_EQ(c["events"][7]["type"], "ReferralClosed");
    EXPECT_EQ(c["events"][7]["officer"], "officer-th-0001");
  }
  // Closed: a further step of the sender's is refused.
  t += kSecond;
  EXPECT_EQ(CodeOf(kh.Send(Step(fb::Body::ReturnPlanned, ids_.Next(), ref, kKhWelfare, kThPolice,
                                kCase, t, "officer-kh-0007"),
                           &kh_officer_, t)),
            errc::conflict);
}

TEST_F(CaseStoreTest, TheSendingAgencyCannotAcknowledgeItsOwnReferral) {
  Side th(dir_, "th", ThaOptions());
  auto ref = ids_.Next();
  ASSERT_TRUE(th.Send(Opening(ref, kThPolice, To("KHM", "kh-mosvy"), "TH-1", kT0, kT0 + kHour,
                              "officer-th-0001"),
                      &th_officer_, kT0)
                  .ok());
  std::string self_ack = Step(fb::Body::ReferralAcknowledged, ids_.Next(), ref, kThPolice,
                              kKhWelfare, "TH-1", kT0 + kSecond, "officer-th-0001");
  EXPECT_EQ(th.Writes(self_ack, Direction::kOutgoing, &th_officer_, kT0 + kSecond), 0u)
      << "nothing applied";
  EXPECT_EQ(CodeOf(th.Send(self_ack, &th_officer_, kT0 + kSecond)), errc::forbidden);
  json item = th.Item(ref, kT0 + kSecond);
  EXPECT_EQ(item["state"], "sent");
  EXPECT_TRUE(item["acks"].empty());
  EXPECT_EQ(th.Case("TH-1", kT0)["events"].size(), 1u);
  // Nor accept it, which is the addressee's decision.
  EXPECT_EQ(CodeOf(th.Send(Step(fb::Body::ReferralAccepted, ids_.Next(), ref, kThPolice, kKhWelfare,
                                "TH-1", kT0 + kSecond, "officer-th-0001"),
                           &th_officer_, kT0 + kSecond)),
            errc::forbidden);
}

TEST_F(CaseStoreTest, ASecondAcknowledgementBySameAgencyIsRefused) {
  Side kh(dir_, "kh", KhmOptions());
  auto ref = ids_.Next();
  ASSERT_TRUE(kh.Receive(Opening(ref, kThPolice, To("KHM", "kh-mosvy"), "TH-2", kT0, kT0 + kHour,
                                 "officer-th-0001"),
                         kT0)
                  .ok());
  std::string ack = Step(fb::Body::ReferralAcknowledged, ids_.Next(), ref, kKhWelfare, kThPolice,
                         "TH-2", kT0 + kSecond, "officer-kh-0007");
  ASSERT_TRUE(kh.Send(ack, &kh_officer_, kT0 + kSecond).ok());
  // Another officer of the same agency: still one acknowledgement per agency.
  Principal colleague = Person("officer-kh-0008", "kh-mosvy");
  EXPECT_EQ(CodeOf(kh.Send(Step(fb::Body::ReferralAcknowledged, ids_.Next(), ref, kKhWelfare,
                                kThPolice, "TH-2", kT0 + 2 * kSecond, "officer-kh-0008"),
                           &colleague, kT0 + 2 * kSecond)),
            errc::conflict);
  json item = kh.Item(ref, kT0 + 2 * kSecond);
  ASSERT_EQ(item["acks"].size(), 1u);
  EXPECT_EQ(item["acks"][0]["officer"], "officer-kh-0007");
  EXPECT_EQ(kh.Case("TH-2", kT0)["events"].size(), 2u);
  // The same acknowledgement again (a resubmission, a redelivery: same id)
  // is not a second one, and changes nothing.
  EXPECT_TRUE(kh.Send(ack, &kh_officer_, kT0 + 3 * kSecond).ok());
  EXPECT_TRUE(kh.Receive(ack, kT0 + 3 * kSecond).ok());
  EXPECT_EQ(kh.Item(ref, kT0)["acks"].size(), 1u);
  EXPECT_EQ(kh.Case("TH-2", kT0)["events"].size(), 2u);
}

TEST_F(CaseStoreTest,
       OwnStepsOutOfSequenceAreRefusedWhileAPartnersAreRecordedWithoutMovingTheState) {
  Side th(dir_, "th", ThaOptions());
  Side kh(dir_, "kh", KhmOptions());
  auto ref = ids_.Next();
  std::string created =
      Opening(ref, kThPolice, To("KHM", "kh-mosvy"), "TH-3", kT0, kT0 + kHour, "officer-th-0001");
  ASSERT_TRUE(th.Send(created, &th_officer_, kT0).ok());
  ASSERT_TRUE(kh.Receive(created, kT0).ok());
  // The addressee cannot confirm a return that was never planned.
  std::string early = Step(fb::Body::ReturnExecuted, ids_.Next(), ref, kKhWelfare, kThPolice,
                           "TH-3", kT0 + kSecond, "officer-kh-0007");
  EXPECT_EQ(kh.Writes(early, Direction::kOutgoing, &kh_officer_, kT0 + kSecond), 0u)
      << "nothing applied";
  Status refused = kh.Send(early, &kh_officer_, kT0 + kSecond);
  EXPECT_EQ(CodeOf(refused), errc::conflict);
  EXPECT_EQ(refused.error().field, "body_type");
  EXPECT_EQ(kh.State(ref, kT0 + kSecond), "received");
  EXPECT_EQ(kh.Case("TH-3", kT0)["events"].size(), 1u);
  // The same event from the partner (a buggy or out-of-order node) is kept
  // in the thread, and the state does not move.
  ASSERT_TRUE(th.Receive(early, kT0 + kSecond).ok());
  json item = th.Item(ref, kT0 + kSecond);
  EXPECT_EQ(item["state"], "sent");
  EXPECT_EQ(item["out_of_sequence"], 1);
  EXPECT_FALSE(item.contains("return"));
  json c = th.Case("TH-3", kT0 + kSecond);
  ASSERT_EQ(c["events"].size(), 2u);
  EXPECT_EQ(c["events"][1]["type"], "ReturnExecuted");
  EXPECT_EQ(c["events"][1]["direction"], "incoming");
  // An event from an agency that is no party is not added at all.
  std::string stranger = Step(fb::Body::ReferralAccepted, ids_.Next(), ref, kVnPolice, kThPolice,
                              "TH-3", kT0 + 2 * kSecond, "officer-vn-0003");
  EXPECT_EQ(CodeOf(th.Receive(stranger, kT0 + 2 * kSecond)), errc::forbidden);
  EXPECT_EQ(th.State(ref, kT0 + 2 * kSecond), "sent");
  EXPECT_EQ(th.Case("TH-3", kT0)["events"].size(), 2u);
}

TEST_F(CaseStoreTest, ALateAnswerLeavesAMissedDeadlineRecord) {
  Side vn(dir_, "vn", Options("VNM", "vn-mps-cpd"));
  Side la(dir_, "la", Options("LAO", "la-mps-aht"));
  const int64_t due = kT0 + 10 * kSecond;
  auto req = ids_.Next();
  std::string request = Opening(req, kVnPolice, To("LAO", "la-mps-aht"), "VN-2026-0044", kT0, due,
                                "officer-vn-0003", "", fb::Body::InformationRequested);
  Principal vn_officer = Person("officer-vn-0003", "vn-mps-cpd");
  Principal la_officer = Person("officer-la-0002", "la-mps-aht");
  ASSERT_TRUE(vn.Send(request, &vn_officer, kT0).ok());
  ASSERT_TRUE(la.Receive(request, kT0).ok());
  EXPECT_EQ(la.State(req, kT0), "requested");
  // Before the deadline: nothing overdue, nothing missed.
  auto overdue = la.cases->Overdue("la-mps-aht", false, due - kSecond);
  ASSERT_TRUE(overdue.ok());
  EXPECT_TRUE(overdue->empty());
  // Past it: overdue on both sides, for the agency that owes the answer
  // and the one that waits for it.
  overdue = la.cases->Overdue("la-mps-aht", false, due + kSecond);
  ASSERT_TRUE(overdue.ok());
  ASSERT_EQ(overdue->size(), 1u);
  EXPECT_EQ((*overdue)[0]["item_id"], req.ToString());
  overdue = la.cases->Overdue("vn-mps-cpd", false, due + kSecond);
  ASSERT_TRUE(overdue.ok());
  EXPECT_TRUE(overdue->empty()) << "the index is by local agency";
  // The answer comes late.
  const int64_t answered = due + 20 * kSecond;
  std::string provided = Step(fb::Body::InformationProvided, ids_.Next(), req, kLaPolice, kVnPolice,
                              "VN-2026-0044", answered, "officer-la-0002");
  ASSERT_TRUE(la.Send(provided, &la_officer, answered).ok());
  ASSERT_TRUE(vn.Receive(provided, answered).ok());
  for (Side* side : {&la, &vn}) {
    EXPECT_EQ(side->State(req, answered), "provided");
    EXPECT_FALSE(side->Item(req, answered)["overdue"].get<bool>());
  }
  overdue = la.cases->Overdue("la-mps-aht", false, answered + kSecond);
  ASSERT_TRUE(overdue.ok());
  EXPECT_TRUE(overdue->empty());
  // The miss stays, with when it was answered, on both sides (the receiving
  // side never listed it as overdue: its record comes from the late answer).
  auto missed = la.cases->Missed("la-mps-aht");
  ASSERT_TRUE(missed.ok());
  ASSERT_EQ(missed->size(), 1u);
  EXPECT_EQ((*missed)[0]["item_id"], req.ToString());
  EXPECT_EQ((*missed)[0]["due_us"], due);
  EXPECT_EQ((*missed)[0]["answered_at_us"], answered);
  EXPECT_EQ((*missed)[0]["kind"], "request");
  missed = vn.cases->Missed("vn-mps-cpd");
  ASSERT_TRUE(missed.ok());
  ASSERT_EQ(missed->size(), 1u);
  EXPECT_EQ((*missed)[0]["answered_at_us"], answered);
  missed = vn.cases->Missed("other-agency");
  ASSERT_TRUE(missed.ok());
  EXPECT_TRUE(missed->empty());
  // An answer in time leaves none.
  auto req2 = ids_.Next();
  std::string request2 = Opening(req2, kVnPolice, To("LAO", "la-mps-aht"), "VN-2026-0045", kT0, due,
                                 "officer-vn-0003", "", fb::Body::InformationRequested);
  ASSERT_TRUE(la.Receive(request2, kT0).ok());
  ASSERT_TRUE(la.Send(Step(fb::Body::InformationProvided, ids_.Next(), req2, kLaPolice, kVnPolice,
                           "VN-2026-0045", due - kSecond, "officer-la-0002"),
                      &la_officer, due - kSecond)
                  .ok());
  missed = la.cases->Missed("");
  ASSERT_TRUE(missed.ok());
  EXPECT_EQ(missed->size(), 1u);
}

TEST_F(CaseStoreTest, ADelayNoticeMovesTheDeadlineAndAProvidedAnswerClosesTheWait) {
  Side la(dir_, "la", Options("LAO", "la-mps-aht"));
  Principal la_officer = Person("officer-la-0002", "la-mps-aht");
  auto req = ids_.Next();
  ASSERT_TRUE(la.Receive(Opening(req, kVnPolice, To("LAO", "la-mps-aht"), "VN-1", kT0, kT0 + kHour,
                                 "officer-vn-0003", "", fb::Body::InformationRequested),
                         kT0)
                  .ok());
  fb::EventT delay = Envelope(fb::Body::InformationDelayed, ids_.Next(), kLaPolice,
                              "officer-la-0002", "VN-1", kT0 + kSecond);
  delay.destinations.push_back(To("VNM", "vn-mps-cpd"));
  delay.parent_id = std::make_unique<fb::Uuid>(req.ToFb());
  const int64_t new_due = kT0 + 48 * kHour;
  delay.body.AsInformationDelayed()->new_due_us = new_due;
  ASSERT_TRUE(la.Send(wire::PackEvent(delay), &la_officer, kT0 + kSecond).ok());
  json item = la.Item(req, kT0 + kSecond);
  EXPECT_EQ(item["state"], "delayed");
  EXPECT_EQ(item["due_us"], new_due);
  EXPECT_EQ(item["delay"]["new_due_us"], new_due);
  EXPECT_TRUE(item["awaiting_answer"].get<bool>());
  // The old deadline passing is no longer overdue; the new one is.
  auto overdue = la.cases->Overdue("", false, kT0 + 2 * kHour);
  ASSERT_TRUE(overdue.ok());
  EXPECT_TRUE(overdue->empty());
  overdue = la.cases->Overdue("", false, new_due + kSecond);
  ASSERT_TRUE(overdue.ok());
  EXPECT_EQ(overdue->size(), 1u);
  // Only the addressee sends a delay notice.
  Side vn(dir_, "vn", Options("VNM", "vn-mps-cpd"));
  Principal vn_officer = Person("officer-vn-0003", "vn-mps-cpd");
  auto req2 = ids_.Next();
  ASSERT_TRUE(vn.Send(Opening(req2, kVnPolice, To("LAO", "la-mps-aht"), "VN-2", kT0, kT0 + kHour,
                              "officer-vn-0003", "", fb::Body::InformationRequested),
                      &vn_officer, kT0)
                  .ok());
  EXPECT_EQ(CodeOf(vn.Send(Step(fb::Body::InformationDelayed, ids_.Next(), req2, kVnPolice,
                                kLaPolice, "VN-2", kT0 + kSecond, "officer-vn-0003"),
                           &vn_officer, kT0 + kSecond)),
            errc::forbidden);
}

TEST_F(CaseStoreTest, APartnerAgencyPastItsCaseLimitIsNotAdded) {
  CaseOptions o = KhmOptions();
  o.max_cases_per_partner = 2;
  Side kh(dir_, "kh", o);
  for (int i = 0; i < 2; ++i) {
    std::string case_id = "TH-" + std::to_string(i);
    ASSERT_TRUE(kh.Receive(Opening(ids_.Next(), kThPolice, To("KHM", "kh-mosvy"), case_id, kT0,
                                   kT0 + kHour, "o"),
                           kT0)
                    .ok());
    EXPECT_FALSE(kh.Case(case_id, kT0).is_null());
  }
  Status refused = kh.Receive(
      Opening(ids_.Next(), kThPolice, To("KHM", "kh-mosvy"), "TH-2", kT0, kT0 + kHour, "o"), kT0);
  EXPECT_EQ(CodeOf(refused), errc::limit_exceeded);
  EXPECT_TRUE(kh.Case("TH-2", kT0).is_null()) << "the case is not added";
  auto list = kh.cases->ListCases("kh-mosvy", "", 100, kT0);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  // A new item in a case it already opened is not a new case.
  EXPECT_TRUE(kh.Receive(Opening(ids_.Next(), kThPolice, To("KHM", "kh-mosvy"), "TH-0", kT0,
                                 kT0 + kHour, "o"),
                         kT0)
                  .ok());
  EXPECT_EQ(kh.Case("TH-0", kT0)["items"].size(), 2u);
  // Another partner has its own count.
  const Agency vn{"VNM", "vn-mps-cpd"};
  EXPECT_TRUE(
      kh.Receive(Opening(ids_.Next(), vn, To("KHM", "kh-mosvy"), "VN-0", kT0, kT0 + kHour, "o"),
                 kT0)
          .ok());
  // The node's own officers are not bound by it.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(kh.Send(Opening(ids_.Next(), kKhWelfare, To("THA", "th-rtp-atpd"),
                                "KH-" + std::to_string(i), kT0, kT0 + kHour, "officer-kh-0007"),
                        &kh_officer_, kT0)
                    .ok());
  }
}

TEST_F(CaseStoreTest, ACaseHoldsAtMostMaxEventsPerCase) {
  CaseOptions o = ThaOptions();
  o.max_events_per_case = 3;
  Side th(dir_, "th", o);
  auto ref = ids_.Next();
  ASSERT_TRUE(th.Send(Opening(ref, kThPolice, To("KHM", "kh-mosvy"), "TH-9", kT0, kT0 + kHour,
                              "officer-th-0001"),
                      &th_officer_, kT0)
                  .ok());
  ASSERT_TRUE(th.Receive(Step(fb::Body::DeliveryReceipt, ids_.Next(), ref, kKhWelfare, kThPolice,
                              "TH-9", kT0 + 1, ""),
                         kT0)
                  .ok());
  ASSERT_TRUE(th.Receive(Step(fb::Body::ReferralAcknowledged, ids_.Next(), ref, kKhWelfare,
                              kThPolice, "TH-9", kT0 + 2, "officer-kh-0007"),
                         kT0)
                  .ok());
  EXPECT_EQ(th.State(ref, kT0), "acknowledged");
  // The fourth event, incoming: kept out of the case model.
  Status full = th.Receive(Step(fb::Body::ReferralAccepted, ids_.Next(), ref, kKhWelfare, kThPolice,
                                "TH-9", kT0 + 3, "officer-kh-0007"),
                           kT0);
  EXPECT_EQ(CodeOf(full), errc::limit_exceeded);
  EXPECT_EQ(th.State(ref, kT0), "acknowledged");
  // Outgoing: refused.
  EXPECT_EQ(CodeOf(th.Send(Step(fb::Body::ReadReceipt, ids_.Next(), ref, kThPolice, kKhWelfare,
                                "TH-9", kT0 + 4, "officer-th-0001"),
                           &th_officer_, kT0)),
            errc::limit_exceeded);
  // A new item in the full case too.
  EXPECT_EQ(CodeOf(th.Send(Opening(ids_.Next(), kThPolice, To("KHM", "kh-ahtjp"), "TH-9", kT0 + 5,
                                   kT0 + kHour, "officer-th-0001"),
                           &th_officer_, kT0)),
            errc::limit_exceeded);
  json c = th.Case("TH-9", kT0);
  EXPECT_EQ(c["events_total"], 3);
  EXPECT_EQ(c["events"].size(), 3u);
  EXPECT_EQ(c["items"].size(), 1u);
}

TEST_F(CaseStoreTest, OneCaseHoldsManyItemsEachWithItsOwnStateAndCounterpart) {
  Side th(dir_, "th", ThaOptions());
  const std::string kCase = "TH-2026-0300";
  const Agency kh_police{"KHM", "kh-ahtjp"};
  std::vector<std::pair<wire::EventId, Agency>> items;
  const std::vector<Agency> addressees = {kKhWelfare, kh_police, kVnPolice, kLaPolice};
  int64_t t = kT0;
  for (int i = 0; i < 40; ++i) {
    const Agency& to = addressees[i % addressees.size()];
    auto id = ids_.Next();
    t += kSecond;
    ASSERT_TRUE(th.Send(Opening(id, kThPolice, To(to.country, to.id), kCase, t, t + kHour,
                                "officer-th-0001"),
                        &th_officer_, t)
                    .ok())
        << i;
    items.emplace_back(id, to);
  }
  // Answers to some: only the item each answers moves.
  for (size_t i = 0; i < items.size(); i += 3) {
    t += kSecond;
    ASSERT_TRUE(th.Receive(Step(fb::Body::ReferralDeclined, ids_.Next(), items[i].first,
                                items[i].second, kThPolice, kCase, t, "officer-x"),
                           t)
                    .ok());
  }
  // An agency answering another agency's item is refused, and moves nothing.
  EXPECT_EQ(CodeOf(th.Receive(Step(fb::Body::ReferralAccepted, ids_.Next(), items[1].first,
                                   kVnPolice, kThPolice, kCase, t, "officer-vn-0003"),
                              t)),
            errc::forbidden);
  json c = th.Case(kCase, t);
  ASSERT_EQ(c["items"].size(), 40u);
  EXPECT_EQ(c["state"], "open");
  // Parties: the originator and the four addressee agencies, once each.
  EXPECT_EQ(c["parties"].size(), 5u);
  for (size_t i = 0; i < items.size(); ++i) {
    const json& item = c["items"][i];  // in creation order
    EXPECT_EQ(item["item_id"], items[i].first.ToString());
    EXPECT_EQ(item["counterpart"]["agency"], items[i].second.id);
    EXPECT_EQ(item["state"], i % 3 == 0 ? "declined" : "sent") << i;
    if (i % 3 == 0) {
      EXPECT_EQ(item["decline"]["reason"], "NotCompetent");
    }
    auto ref = th.cases->FindItem(items[i].first.ToString());
    ASSERT_TRUE(ref.ok() && ref->has_value());
    EXPECT_EQ((*ref)->case_id, kCase);
  }
  EXPECT_EQ(c["events_total"], 40 + 14);
  // The case's item bound.
  CaseOptions small = ThaOptions();
  small.max_items_per_case = 2;
  Side bounded(dir_, "bounded", small);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(bounded
                    .Send(Opening(ids_.Next(), kThPolice, To("KHM", "kh-mosvy"), "B", kT0,
                                  kT0 + kHour, "o1"),
                          &th_officer_, kT0)
                    .ok());
  }
  EXPECT_EQ(CodeOf(bounded.Send(
                Opening(ids_.Next(), kThPolice, To("KHM", "kh-mosvy"), "B", kT0, kT0 + kHour, "o1"),
                &th_officer_, kT0)),
            errc::limit_exceeded);
  EXPECT_EQ(bounded.Case("B", kT0)["items"].size(), 2u);
}

TEST_F(CaseStoreTest, AuditorsReadButDoNotActAndAnotherAgencyCannotJoinACase) {
  Side kh(dir_, "kh", KhmOptions());
  auto ref = ids_.Next();
  ASSERT_TRUE(
      kh.Receive(Opening(ref, kThPolice, To("KHM", "kh-mosvy"), "TH-5", kT0, kT0 + kHour, "o"), kT0)
          .ok());
  Principal auditor = Person("dpo-kh-01", "kh-mosvy", {"auditor"});
  EXPECT_EQ(CodeOf(kh.Send(Step(fb::Body::ReferralAcknowledged, ids_.Next(), ref, kKhWelfare,
                                kThPolice, "TH-5", kT0 + 1, "dpo-kh-01"),
                           &auditor, kT0 + 1)),
            errc::forbidden);
  EXPECT_EQ(CodeOf(kh.Send(Opening(ids_.Next(), kKhWelfare, To("THA", "th-rtp-atpd"), "KH-5", kT0,
                                   kT0 + kHour, "dpo-kh-01"),
                           &auditor, kT0)),
            errc::forbidden);
  EXPECT_EQ(kh.State(ref, kT0 + 1), "received");
  // kh-ahtjp (served by the node, but not a party) may not open an item in
  // TH-5: the case id belongs to other agencies.
  Principal police = Person("officer-kh-0100", "kh-ahtjp");
  EXPECT_EQ(CodeOf(kh.Send(Opening(ids_.Next(), kKhPolice, To("THA", "th-rtp-atpd"), "TH-5", kT0,
                                   kT0 + kHour, "officer-kh-0100"),
                           &police, kT0)),
            errc::forbidden);
  EXPECT_EQ(kh.Case("TH-5", kT0)["items"].size(), 1u);
}

}  // namespace
}  // namespace lintas::node
