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
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

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
};

struct ExportRecord {
  std::string record;  // StoredRecord bytes
  std::vector<Hash> proof;
};

// Writes an export. Not thread-safe; one per file.
class ExportWriter {
 public:
  ExportWriter(std::ostream& out, ExportFormat format) : out_(out), format_(format) {}
  void Header(const ExportHeader& header);
  // `record` must verify as a StoredRecord (else its metadata is left empty).
  void Record(const ExportRecord& record);
  void End();

 private:
  std::ostream& out_;
  ExportFormat format_;
  uint64_t count_ = 0;
};

struct VerifyReport {
  bool ok = false;
  uint64_t records = 0;        // records checked
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
