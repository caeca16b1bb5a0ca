// The audit export: a file an auditor verifies offline against the broker's
// public signing key (docs/AUDIT.md). JSON Lines (or CSV with the same
// content):
//
//   {"type":"lintas-audit-export","version":1,"checkpoint":"<body>",
//    "signature":"<base64>","public_key":"<base64>","complete":<bool>,
//    "filter":{...},"justification":"...","exported_at_us":<int>}
//   {"type":"record","offset":<n>,"event_id":"<uuid>","received_at_us":<int>,
//    "origin":"<country>/<agency>","body":"<type>","case_id":"<id>",
//    "record":"<base64 StoredRecord>","proof":["<hex>",...]}
//   ...
//   {"type":"end","count":<records>}
//
// `complete` means every record 1..size of the checkpoint is in the file.
// Version 2 adds, right after the header, the consultation section: the
// consultation records that disclosed the exported events (all of them in a
// complete export), each with its proof in the consultation log's tree,
// then {"type":"access-end","count":<records>} (docs/AUDIT.md 4a).
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/audit/access_proof.h"
#include "lintas/audit/checkpoint.h"
#include "lintas/audit/hash.h"

namespace lintas::audit {

enum class ExportFormat { kJsonLines, kCsv };

struct ExportHeader {
  SignedCheckpoint checkpoint;
  PublicKey public_key{};
  bool complete = false;
  std::string filter_json = "{}";  // the criteria, as a JSON object
  std::string justification;
  int64_t exported_at_us = 0;
  // Version 2: a consultation section follows the header (Access,
  // AccessMissing, closed by the first Record or End).
  bool with_access = false;
};

struct ExportRecord {
  std::string record;  // StoredRecord bytes
  std::vector<Hash> proof;
  // The offset the log gave it: the line names it even when the record is
  // damaged (no readable fields), never offset 0.
  uint64_t offset = 0;
};

// Writes an export. Not thread-safe; one per file.
class ExportWriter {
 public:
  ExportWriter(std::ostream& out, ExportFormat format) : out_(out), format_(format) {}
  void Header(const ExportHeader& header);
  // Version 2, before the first Record: a consultation record with its
  // proof, written as it is even if it does not verify (never replaced).
  void Access(const AccessProof& record);
  // A consultation record the broker could no longer give (the export will
  // not verify, naming it).
  void AccessMissing(uint64_t seq);
  // `record` must verify as a StoredRecord (else its metadata is left empty).
  void Record(const ExportRecord& record);
  void End();

 private:
  std::ostream& out_;
  void CloseAccess();

  ExportFormat format_;
  uint64_t count_ = 0;
  bool access_open_ = false;
  uint64_t access_count_ = 0;
};

struct VerifyReport {
  bool ok = false;
  uint64_t records = 0;        // records checked
  uint64_t access_records = 0; // consultation records checked (version 2)
  uint64_t access_seq = 0;     // the consultation record a problem names
  uint64_t checkpoint_size = 0;
  bool complete = false;
  // The first inconsistency: where (line, offset) and what.
  uint64_t line = 0;
  uint64_t offset = 0;
  std::string problem;
};

// Verifies an export read from `in` against `key` (the broker's signing key,
// obtained out of band): the checkpoint's signature; every record's
// structure, its offset order and its inclusion proof against the
// checkpoint's root; the end line's count; for a complete export, that no
// offset is missing. Stops at the first inconsistency.
VerifyReport VerifyExport(std::istream& in, const PublicKey& key);
// The same on text in memory, cut into `threads` slices verified in
// parallel (the report is the same as with one) when the text is at least
// `min_parallel_bytes` long.
VerifyReport VerifyExportText(std::string_view text, const PublicKey& key, size_t threads,
                              size_t min_parallel_bytes = 1u << 20);
// The same on a file, mapped into memory. `problem` says if it cannot be read.
VerifyReport VerifyExportFile(const std::string& path, const PublicKey& key, size_t threads);

}  // namespace lintas::audit
