// The consultation section of an export (version 2, docs/AUDIT.md 4a): the
// consultation records that disclosed the exported events, each with its
// inclusion proof in the checkpoint's consultation-log tree, written right
// after the header and verified before the event records. Internal to
// lintas::audit (export_format.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lintas/audit/access_proof.h"
#include "lintas/audit/checkpoint.h"

namespace lintas::audit::detail {

// One line of the section, without its newline.
std::string AccessLine(const AccessProof& proof, bool csv);
std::string AccessMissingLine(uint64_t seq, bool csv);
std::string AccessEndLine(uint64_t count, bool csv);

// Whether a line belongs to the section (JSON Lines: its type starts with
// "access"; CSV: it starts with "#access").
bool IsAccessLine(std::string_view line, bool csv);
bool IsAccessEnd(std::string_view line, bool csv);

struct AccessVerdict {
  bool ok = true;
  uint64_t records = 0;  // consultation records verified
  uint64_t line = 0;     // the first problem's line
  uint64_t seq = 0;      // and the record it names
  std::string problem;
};

// Verifies the section's lines (line number, text; the end line last):
// every record in the canonical form, seqs strictly increasing (1..access_size
// with none missing when `complete`), each proof leading to cp.access_root,
// no access-missing line, the end line's count.
AccessVerdict VerifyAccessLines(const std::vector<std::pair<uint64_t, std::string_view>>& lines,
                                const Checkpoint& cp, bool csv, bool complete);

}  // namespace lintas::audit::detail
