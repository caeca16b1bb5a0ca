// Skeleton bodies for sealed envelopes.
#include "skeleton.h"

namespace lintas::seal {

fb::BodyUnion SkeletonBody(const fb::BodyUnion& body) {
  fb::BodyUnion out;
  switch (body.type) {
    case fb::Body::ReferralCreated: {
      fb::ReferralCreatedT r;
      r.victim = std::make_unique<fb::VictimBlockT>();
      r.consent = std::make_unique<fb::ConsentScopeT>();
      out.Set(std::move(r));
      break;
    }
    case fb::Body::ReferralAcknowledged: out.Set(fb::ReferralAcknowledgedT{}); break;
    case fb::Body::ReferralAccepted: out.Set(fb::ReferralAcceptedT{}); break;
    case fb::Body::ReferralDeclined: out.Set(fb::ReferralDeclinedT{}); break;
    case fb::Body::ClarificationRequested: out.Set(fb::ClarificationRequestedT{}); break;
    case fb::Body::OwnerAssigned: out.Set(fb::OwnerAssignedT{}); break;
    case fb::Body::DeadlineExtended: out.Set(fb::DeadlineExtendedT{}); break;
    case fb::Body::ConsentChanged: out.Set(fb::ConsentChangedT{}); break;
    case fb::Body::ReturnPlanned: out.Set(fb::ReturnPlannedT{}); break;
    case fb::Body::ReturnExecuted: out.Set(fb::ReturnExecutedT{}); break;
    case fb::Body::ReferralClosed: out.Set(fb::ReferralClosedT{}); break;
    case fb::Body::InformationRequested: out.Set(fb::InformationRequestedT{}); break;
    case fb::Body::InformationProvided: out.Set(fb::InformationProvidedT{}); break;
    case fb::Body::InformationRefused: out.Set(fb::InformationRefusedT{}); break;
    case fb::Body::InformationDelayed: out.Set(fb::InformationDelayedT{}); break;
    case fb::Body::SpontaneousInformation: out.Set(fb::SpontaneousInformationT{}); break;
    case fb::Body::CasesLinked: out.Set(fb::CasesLinkedT{}); break;
    case fb::Body::AlertPublished: {
      fb::AlertPublishedT a;
      a.category = body.AsAlertPublished()->category;
      out.Set(std::move(a));
      break;
    }
    case fb::Body::AlertCancelled: out.Set(fb::AlertCancelledT{}); break;
    case fb::Body::DeliveryReceipt: out.Set(fb::DeliveryReceiptT{}); break;
    case fb::Body::ReadReceipt: out.Set(fb::ReadReceiptT{}); break;
    case fb::Body::CaseErased: out.Set(fb::CaseErasedT{}); break;
    default: break;
  }
  return out;
}

}  // namespace lintas::seal
