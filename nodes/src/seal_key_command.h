// `lintas-node --print-seal-key` and `--rotate-seal-key`: the node's seal
// keys, offline (docs/SECURITY.md).
#pragma once

#include "lintas/node/config.h"

namespace lintas::node {

// Prints the current public key (after adding a new one in front when
// `rotate`). Returns the process exit code.
int RunSealKeyCommand(const NodeConfig& config, bool rotate);

}  // namespace lintas::node
