// Signed acknowledgements ("receipts", docs/AUDIT.md section 2a): the
// broker's signed statement that it stored an event, exactly these bytes, at
// an offset of its log. One signature covers the entries of one Ack message:
// each entry is a leaf of a small RFC 9162 tree whose root the statement
// signs, so that every event keeps a receipt of its own (entry, path,
// statement, signature) that anyone can check with the broker's key alone.
//
//   entry        = event id (16 bytes) || offset (8 bytes, big-endian)
//                  || SHA-256(event bytes as stored) || the stored record's leaf hash
//   entry leaf   = SHA-256(0x00 || entry)                 (88 bytes hashed)
//   statement    = "lintas-receipt/1\n" "log_id <broker id>\n" "node <node id>\n"
//                  "count <entries>\n" "root <hex MTH of the entry leaves>\n"
//                  "time_us <Unix microseconds>\n"
//
// signed with Ed25519 over exactly the statement's bytes. Thread safety:
// free functions and const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lintas/audit/checkpoint.h"
#include "lintas/audit/hash.h"
#include "lintas/common/result.h"

namespace lintas::audit {

struct ReceiptEntry {
  std::array<uint8_t, 16> event_id{};  // the UUID's bytes
  uint64_t offset = 0;
  Hash event_hash{};  // SHA-256 of the event's bytes as stored
  Hash leaf{};        // the stored record's Merkle leaf in the event log

  // SHA-256(0x00 || the 88 entry bytes)
  Hash LeafHash() const;
};

struct ReceiptStatement {
  std::string log_id;
  std::string node;
  uint64_t count = 0;
  Hash root{};
  int64_t time_us = 0;

  std::string Body() const;
  // Refuses anything but the exact format (the error names the line).
  static Result<ReceiptStatement> Parse(std::string_view body);
};

// The root a statement signs: MTH over the entries' leaves.
Hash ReceiptRoot(std::span<const ReceiptEntry> entries);

// One event's receipt: self-contained evidence.
struct Receipt {
  ReceiptEntry entry;
  uint64_t index = 0;      // of the entry among the statement's `count`
  std::vector<Hash> path;  // RFC 9162 audit path of the entry leaf, sibling first
  std::string statement;   // the signed text
  Signature signature{};

  // Whether the path leads from the entry to the statement's root and the
  // signature is `key`'s; the error says which check failed.
  [[nodiscard]] Status Verify(const PublicKey& key) const;
  // JSON, one object (docs/AUDIT.md 2a): what `lintas audit prove-receipt
  // --save` writes and reads back.
  std::string ToJson() const;
  static Result<Receipt> FromJson(std::string_view text);
};

// The receipts of every entry of one signed statement.
std::vector<Receipt> MakeReceipts(std::span<const ReceiptEntry> entries, const std::string& statement,
                                  const Signature& signature);

}  // namespace lintas::audit
