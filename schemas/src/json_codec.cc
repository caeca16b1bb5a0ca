// JSON conversion through flatbuffers::Parser.
#include "lintas/wire/json_codec.h"

#include <cstdio>
#include <stdexcept>

#include <flatbuffers/idl.h>
#include <fmt/format.h>

#include "lintas/wire/errc.h"
#include "lintas/wire/limits.h"
#include "lintas/wire/verify.h"

namespace lintas::wire {
namespace internal {
extern const std::string_view k_event_schema;
extern const std::string_view k_protocol_schema;
extern const std::string_view k_record_schema;
extern const std::string_view k_audit_schema;
}  // namespace internal

namespace {

// flatbuffers reports "1: 29: error: expecting ..."; say where in words.
std::string DescribeParseError(const std::string& raw) {
  unsigned line = 0;
  unsigned column = 0;
  int consumed = 0;
  if (std::sscanf(raw.c_str(), "%u: %u: error: %n", &line, &column, &consumed) == 2 &&
      consumed > 0) {
    return fmt::format("at line {}, column {}: {}", line, column, raw.substr(consumed));
  }
  return raw;
}

std::string_view SchemaText(SchemaKind kind) {
  switch (kind) {
    case SchemaKind::kEvent: return internal::k_event_schema;
    case SchemaKind::kControl: return internal::k_protocol_schema;
    case SchemaKind::kRecord: return internal::k_record_schema;
    case SchemaKind::kAccess: return internal::k_audit_schema;
  }
  return {};
}

// The FlatBuffers verifier accepts a union whose type is NONE or unknown
// (forward compatibility); flatbuffers' JSON printer then reads the value with
// no type to guide it and crashes (found by tests/fuzz/event_fuzz). So the
// union type is checked before any printing.
Status VerifyKind(SchemaKind kind, std::span<const uint8_t> buffer) {
  switch (kind) {
    case SchemaKind::kEvent: {
      auto r = VerifyEvent(buffer);
      if (!r.ok()) return std::move(r).error();
      fb::Body type = (*r)->body_type();
      if (type == fb::Body::NONE || type > fb::Body::MAX) {
        return Error{errc::event_unverifiable, "body_type: missing or unknown", "body_type"};
      }
      return OkStatus();
    }
    case SchemaKind::kControl: {
      auto r = VerifyControl(buffer);
      if (!r.ok()) return std::move(r).error();
      proto::Command type = (*r)->command_type();
      if (type == proto::Command::NONE || type > proto::Command::MAX) {
        return Error{errc::malformed_message, "command_type: missing or unknown", "command_type"};
      }
      return OkStatus();
    }
    case SchemaKind::kRecord: {
      auto r = VerifyRecord(buffer);
      if (!r.ok()) return std::move(r).error();
      return OkStatus();
    }
    case SchemaKind::kAccess: {
      auto r = VerifyAccessRecord(buffer);
      if (!r.ok()) return std::move(r).error();
      return OkStatus();
    }
  }
  return Error{errc::internal, "unknown schema kind"};
}

// With natural_utf8, FlatBuffers copies every valid UTF-8 character into a
// string as it is, control characters included (an ESC in free text from
// another country), which JSON forbids: every parser then refuses the whole
// event. Outside strings the one-line output has no control characters, so
// each one is written as \u00XX.
std::string EscapeControls(const std::string& text) {
  size_t controls = 0;
  for (unsigned char c : text) controls += c < 0x20;
  if (controls == 0) return text;
  std::string out;
  out.reserve(text.size() + 5 * controls);
  for (unsigned char c : text) {
    if (c < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

JsonCodec::JsonCodec(SchemaKind kind) : kind_(kind) {
  flatbuffers::IDLOptions options;
  options.strict_json = true;
  options.indent_step = -1;  // one line
  options.output_enum_identifiers = true;
  options.output_default_scalars_in_json = false;
  options.natural_utf8 = true;
  parser_ = std::make_unique<flatbuffers::Parser>(options);
  std::string text(SchemaText(kind));
  if (!parser_->Parse(text.c_str())) {
    throw std::runtime_error("embedded schema does not parse: " + parser_->error_);
  }
}

JsonCodec::~JsonCodec() = default;

Result<std::string> JsonCodec::FromJson(std::string_view json) {
  if (json.size() > kMaxJsonBytes) {
    return Error{errc::message_too_large,
                 fmt::format("JSON of {} bytes exceeds the limit of {} bytes", json.size(),
                             kMaxJsonBytes)};
  }
  std::string text(json);  // the parser wants a NUL-terminated string
  if (!parser_->ParseJson(text.c_str())) {
    return Error{errc::json_invalid,
                 "JSON does not match the schema " + DescribeParseError(parser_->error_)};
  }
  const auto& builder = parser_->builder_;
  std::string out(reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize());
  if (auto s = VerifyKind(kind_, AsBytes(out)); !s.ok()) {
    Error error = std::move(s).error();
    error.code = errc::json_invalid;
    return error;
  }
  return out;
}

Result<std::string> JsonCodec::ToJson(std::span<const uint8_t> buffer) {
  if (auto s = VerifyKind(kind_, buffer); !s.ok()) return std::move(s).error();
  std::string out;
  if (!flatbuffers::GenerateText(*parser_, buffer.data(), &out)) {
    return Error{errc::json_invalid, "buffer holds a string that is not valid UTF-8"};
  }
  return EscapeControls(out);
}

}  // namespace lintas::wire
