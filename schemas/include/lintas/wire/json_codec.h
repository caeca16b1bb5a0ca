// JSON <-> FlatBuffers through the schemas themselves (flatbuffers::Parser on
// the embedded .fbs text), so that the CLI and the HTTP API take JSON and the
// broker only ever sees verified binary.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "lintas/common/result.h"
#include "lintas/wire/bytes.h"

namespace flatbuffers {
class Parser;
}

namespace lintas::wire {

// kAccess: the consultation record (AccessRecord, schemas/audit.fbs).
enum class SchemaKind { kEvent, kControl, kRecord, kAccess };

// Converts between JSON and binary for one schema.
//
// Ownership: holds its own parser. Thread safety: none; a JsonCodec is used
// by one thread at a time (make one per thread).
// Construction parses the embedded schema and throws on failure (start-up).
class JsonCodec {
 public:
  explicit JsonCodec(SchemaKind kind = SchemaKind::kEvent);
  ~JsonCodec();
  JsonCodec(const JsonCodec&) = delete;
  JsonCodec& operator=(const JsonCodec&) = delete;

  // JSON -> binary buffer with the schema's file identifier, verified.
  // Errors: message_too_large (over kMaxJsonBytes), json_invalid with the
  // parser's line and column. Not validated: call ValidateEvent for that.
  [[nodiscard]] Result<std::string> FromJson(std::string_view json);

  // Binary -> JSON (one line, strict JSON), after verifying the buffer.
  [[nodiscard]] Result<std::string> ToJson(std::span<const uint8_t> buffer);

 private:
  SchemaKind kind_;
  std::unique_ptr<flatbuffers::Parser> parser_;
};

}  // namespace lintas::wire
