// Pre-sealed events for the load generator.
#include "sealed_pool.h"

#include "event_template.h"
#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/verify.h"

namespace lintas::bench {

size_t SealedPool::size() const {
  size_t n = 0;
  for (const auto& d : per_destination) n += d.size();
  return n;
}

double SealedPool::AverageBytes() const {
  double bytes = 0;
  for (const auto& d : per_destination) {
    for (const auto& e : d) bytes += static_cast<double>(e.size());
  }
  size_t n = size();
  return n > 0 ? bytes / static_cast<double>(n) : 0;
}

Result<SealedPool> BuildSealedPool(const std::string& origin_country,
                                   const std::string& origin_agency, const std::string& own_node,
                                   const seal::PublicKey& own_key,
                                   const std::vector<SealTarget>& destinations, size_t events,
                                   size_t event_bytes) {
  SealedPool pool;
  pool.per_destination.resize(destinations.size());
  if (destinations.empty()) return pool;
  wire::EventIdGenerator ids;
  for (size_t d = 0; d < destinations.size(); ++d) {
    const SealTarget& to = destinations[d];
    EventTemplate referral(origin_country, origin_agency, to.country, to.agency, event_bytes);
    const std::vector<seal::Recipient> recipients{{to.node, to.key}, {own_node, own_key}};
    size_t n = events / destinations.size() + (d < events % destinations.size() ? 1 : 0);
    auto& out = pool.per_destination[d];
    out.reserve(n);
    std::string plain = referral.bytes();
    for (size_t i = 0; i < n; ++i) {
      // No send-time stamp: it would be inside the ciphertext, where the
      // subscriber (which does not open events) cannot read it.
      referral.Patch(plain, ids.Next(), 0);
      auto event = wire::VerifyEvent(wire::AsBytes(plain));
      if (!event.ok()) return event.error();
      auto sealed = seal::SealEvent(**event, wire::AsBytes(plain), recipients);
      if (!sealed.ok()) return sealed.error();
      out.push_back(std::move(*sealed));
    }
  }
  return pool;
}

}  // namespace lintas::bench
