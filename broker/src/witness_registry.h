// The checkpoints the nodes co-signed (docs/AUDIT.md 3b): each node's latest,
// kept in the store's metadata ("witness/<node id>", the cosigned
// checkpoint's JSON) so that a node that is offline still shows the others
// what the broker showed it. Internal to lintas::broker.
//
// Ownership: borrows the store. Thread safety: the loop thread only.
#pragma once

#include <map>
#include <string>

#include "lintas/audit/witness.h"
#include "lintas/common/result.h"
#include "lintas/store/store.h"

namespace lintas::broker {

class WitnessRegistry {
 public:
  // Reads every stored witness; an unreadable entry is logged and skipped
  // (the node sends its witness again at its next checkpoint).
  [[nodiscard]] Status Load(store::Store* store);
  // Keeps `witness` as its node's latest: a synced write when the
  // checkpoint it co-signs changed (once per checkpoint a node sees; its
  // periodic repeats of one checkpoint write nothing).
  [[nodiscard]] Status Record(store::Store* store, const audit::CosignedCheckpoint& witness);
  // Every node's latest, by node id.
  const std::map<std::string, audit::CosignedCheckpoint>& all() const { return latest_; }

 private:
  std::map<std::string, audit::CosignedCheckpoint> latest_;
};

}  // namespace lintas::broker
