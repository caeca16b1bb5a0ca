// Example events of every body type: scenario 1 (THA -> KHM return and
// reintegration), with pseudonyms only.
#include "lintas/wire/examples.h"

#include <memory>

namespace lintas::wire {
namespace {

constexpr int64_t kHourUs = 3600LL * 1000000;
constexpr int64_t kDayUs = 24 * kHourUs;

std::unique_ptr<fb::ConsentScopeT> Consent(int64_t at) {
  auto c = std::make_unique<fb::ConsentScopeT>();
  c->items = {fb::ConsentItem::Identity, fb::ConsentItem::ReturnLogistics};
  c->given_at_us = at;
  c->recorded_by = "officer-th-0031";
  return c;
}

std::unique_ptr<fb::DestinationT> Dest(const std::string& country, const std::string& agency,
                                       fb::Role role) {
  auto d = std::make_unique<fb::DestinationT>();
  d->country = country;
  d->agency = agency;
  d->role = role;
  return d;
}

void SetBody(fb::EventT& e, fb::Body type, int64_t now) {
  switch (type) {
    case fb::Body::ReferralCreated: {
      fb::ReferralCreatedT b;
      b.victim = std::make_unique<fb::VictimBlockT>();
      b.victim->pseudonym = "V-TH-0192";
      b.victim->sex = fb::Sex::Male;
      b.victim->age_years = 17;
      b.victim->minor = true;
      b.victim->nationality_claimed = "KHM";
      b.victim->languages = {"km"};
      b.victim->guardian = std::make_unique<fb::GuardianT>();
      b.victim->guardian->pseudonym = "G-TH-0192-1";
      b.victim->guardian->relationship = "appointed guardian";
      b.victim->guardian->agency = "th-msdhs";
      b.victim->needs = {"interpreter", "shelter"};
      b.consent = Consent(now - kHourUs);
      b.exploitation = fb::ExploitationType::ForcedLabour;
      b.summary = "Presumed victim of forced labour on a fishing vessel.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReferralAcknowledged: {
      fb::ReferralAcknowledgedT b;
      b.officer = "officer-kh-0007";
      b.note = "Received; case officer assigned today.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReferralAccepted: {
      fb::ReferralAcceptedT b;
      b.owner_agency = "kh-mosvy";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReferralDeclined: {
      fb::ReferralDeclinedT b;
      b.reason = fb::DeclineReason::NotCompetent;
      b.note = "Adult case; refer to the police.";
      b.suggested = Dest("KHM", "", fb::Role::Police);
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ClarificationRequested: {
      fb::ClarificationRequestedT b;
      b.questions = {"Which province does he say he is from?"};
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::OwnerAssigned: {
      fb::OwnerAssignedT b;
      b.agency = "kh-mosvy";
      b.officer = "officer-kh-0007";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::DeadlineExtended: {
      fb::DeadlineExtendedT b;
      b.new_due_us = now + 5 * kDayUs;
      b.reason = "Awaiting family tracing.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ConsentChanged: {
      fb::ConsentChangedT b;
      b.consent = Consent(now);
      b.withdrawn = {fb::ConsentItem::Photograph};
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReturnPlanned: {
      fb::ReturnPlannedT b;
      b.checkpoint = "Aranyaprathet-Poipet";
      b.planned_at_us = now + 2 * kDayUs;
      b.escort_agency = "th-msdhs";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReturnExecuted: {
      fb::ReturnExecutedT b;
      b.checkpoint = "Aranyaprathet-Poipet";
      b.executed_at_us = now;
      b.received_by = "kh-mosvy";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReferralClosed: {
      fb::ReferralClosedT b;
      b.outcome = fb::ReferralOutcome::Reintegrated;
      b.note = "Follow-up at 6 months done.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::InformationRequested: {
      fb::InformationRequestedT b;
      b.subject = "R-0044";
      b.questions = {"Known addresses", "Vehicles used"};
      b.legal_basis = "bilateral MoU, art. 5";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::InformationProvided: {
      fb::InformationProvidedT b;
      b.content = "Two addresses on record; details attached by reference.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::InformationRefused: {
      fb::InformationRefusedT b;
      b.reason = fb::RefusalReason::OngoingInvestigation;
      b.note = "May be shared after the hearing.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::InformationDelayed: {
      fb::InformationDelayedT b;
      b.reason = "Records held at a provincial office.";
      b.new_due_us = now + 4 * kDayUs;
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::SpontaneousInformation: {
      fb::SpontaneousInformationT b;
      b.subject = "R-0044";
      b.content = "Seen crossing at a northern checkpoint.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::CasesLinked: {
      fb::CasesLinkedT b;
      b.case_ids = {"TH-2026-0192", "KH-2026-0033"};
      b.note = "Same recruiter.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::AlertPublished: {
      fb::AlertPublishedT b;
      b.category = fb::AlertCategory::ForcedCriminality;
      b.title = "Scam compound: about forty people held";
      b.description = "Nationals of VNM, IDN and PHL reported.";
      b.target_countries = {"VNM", "IDN", "PHL"};
      b.expires_at_us = now + 3 * kDayUs;
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::AlertCancelled: {
      fb::AlertCancelledT b;
      b.reason = "Site taken down.";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::DeliveryReceipt: {
      fb::DeliveryReceiptT b;
      b.delivered_at_us = now;
      b.agency = "kh-mosvy";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::ReadReceipt: {
      fb::ReadReceiptT b;
      b.read_at_us = now;
      b.reader = "officer-kh-0007";
      e.body.Set(std::move(b));
      break;
    }
    case fb::Body::CaseErased: {
      fb::CaseErasedT b;
      b.justification = "the presumed victim asked for erasure; no proceedings pending";
      b.legal_basis = "data-protection law, right to erasure";
      e.body.Set(std::move(b));
      e.schema_version = 3;
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::vector<fb::Body> AllBodyTypes() {
  std::vector<fb::Body> out;
  for (auto t : fb::EnumValuesBody()) {
    if (t != fb::Body::NONE) out.push_back(t);
  }
  return out;
}

fb::EventT ExampleEvent(fb::Body type, const EventId& id, int64_t created_at_us) {
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>(id.ToFb());
  e.schema_version = 1;
  e.created_at_us = created_at_us;
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = "THA";
  e.origin->agency = "th-rtp-atpd";
  if (type == fb::Body::AlertPublished || type == fb::Body::AlertCancelled) {
    e.distribution = std::make_unique<fb::DistributionT>();
    e.distribution->kind = fb::DistributionKind::SelectedCountries;
    e.distribution->countries = {"VNM", "IDN", "PHL"};
    e.priority = fb::Priority::LifeThreatening;
  } else {
    e.destinations.push_back(Dest("KHM", "", fb::Role::SocialWelfare));
    e.destinations.push_back(Dest("KHM", "kh-ncct", fb::Role::Unspecified));
    e.priority = fb::Priority::Urgent;
    e.response_due_us = created_at_us + 3 * kDayUs;
  }
  e.handling = fb::HandlingCode::H1;
  e.source_grade = fb::SourceGrade::B;
  e.info_grade = fb::InfoGrade::KnownToSource;
  e.case_id = "TH-2026-0192";
  auto ref = std::make_unique<fb::NationalReferenceT>();
  ref->country = "THA";
  ref->reference = "RTP-ATPD/2026/0192";
  e.national_refs.push_back(std::move(ref));
  if (type != fb::Body::ReferralCreated && type != fb::Body::AlertPublished &&
      type != fb::Body::InformationRequested && type != fb::Body::SpontaneousInformation &&
      type != fb::Body::CasesLinked && type != fb::Body::CaseErased) {
    auto parent = id.bytes();
    parent[15] ^= 0x5a;  // a different, still valid, v7 id
    e.parent_id = std::make_unique<fb::Uuid>(EventId(parent).ToFb());
  }
  e.language = "en";
  auto att = std::make_unique<fb::AttachmentT>();
  att->sha256.assign(32, 0xab);
  att->size = 48213;
  att->media_type = "application/pdf";
  att->location = "lintas://th-node/attachments/0192-intake";
  e.attachments.push_back(std::move(att));
  SetBody(e, type, created_at_us);
  return e;
}

std::string MinimalReferral(const EventId& id, const std::string& origin_country,
                            const std::string& origin_agency, const std::string& dest_country,
                            const std::string& dest_agency, size_t padding) {
  fb::EventT e;
  e.id = std::make_unique<fb::Uuid>(id.ToFb());
  e.created_at_us = id.UnixMillis() * 1000;
  e.origin = std::make_unique<fb::PartyT>();
  e.origin->country = origin_country;
  e.origin->agency = origin_agency;
  e.destinations.push_back(Dest(dest_country, dest_agency, fb::Role::Unspecified));
  e.case_id = "TEST-0001";
  fb::ReferralCreatedT b;
  b.victim = std::make_unique<fb::VictimBlockT>();
  b.victim->pseudonym = "V-TEST-0001";
  b.consent = Consent(e.created_at_us);
  b.summary.assign(padding, 'x');
  e.body.Set(std::move(b));
  return PackEvent(e);
}

}  // namespace lintas::wire
