// Finding the missing required field of an event through reflection.
//
// The generated verifier refuses a buffer that lacks a required field in the
// same way as a corrupt one, so the error cannot name the field. On that
// failure path the buffer is verified again against a copy of the schema
// with every `(required)` removed; if it passes, it is structurally sound and
// may be walked, with the real schema, to find the absent field.
#include "required_fields.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <flatbuffers/idl.h>
#include <flatbuffers/reflection.h>
#include <fmt/format.h>

namespace lintas::wire {
namespace internal {
extern const std::string_view k_event_schema;
}  // namespace internal

namespace {

// The binary reflection schema of `text`.
std::string Reflect(const std::string& text) {
  flatbuffers::Parser parser;
  if (!parser.Parse(text.c_str())) std::abort();  // the embedded schema always parses
  parser.Serialize();
  return {reinterpret_cast<const char*>(parser.builder_.GetBufferPointer()),
          parser.builder_.GetSize()};
}

// The schema text with the `required` attribute removed. event.fbs writes it
// only as `(required)`; comments that mention "required" are left alone.
std::string WithoutRequired(std::string text) {
  static constexpr std::string_view kAttr = "(required)";
  for (size_t at = text.find(kAttr); at != std::string::npos; at = text.find(kAttr, at)) {
    text.erase(at, kAttr.size());
  }
  return text;
}

struct EventReflection {
  std::string strict;   // as written
  std::string relaxed;  // without `required`
};

const EventReflection& Schemas() {
  static const EventReflection schemas = [] {
    std::string text(internal::k_event_schema);
    return EventReflection{Reflect(text), Reflect(WithoutRequired(text))};
  }();
  return schemas;
}

// The table a union field points to, or nullptr (NONE or an unknown type,
// which the verifier lets through for forward compatibility).
const reflection::Object* UnionObject(const reflection::Schema& schema,
                                      const reflection::Object& parent,
                                      const reflection::Field& field,
                                      const flatbuffers::Table& table) {
  std::string type_name = field.name()->str() + flatbuffers::UnionTypeFieldSuffix();
  const reflection::Field* type_field = parent.fields()->LookupByKey(type_name.c_str());
  if (type_field == nullptr) return nullptr;
  auto type = flatbuffers::GetFieldI<uint8_t>(table, *type_field);
  if (type == 0) return nullptr;
  const reflection::Enum* def = schema.enums()->Get(field.type()->index());
  const reflection::EnumVal* value = def->values()->LookupByKey(type);
  if (value == nullptr || value->union_type() == nullptr) return nullptr;
  return schema.objects()->Get(value->union_type()->index());
}

// Depth-first, fields in declaration order: the path of the first required
// field absent from `table` or from a table below it.
std::optional<std::string> FindMissing(const reflection::Schema& schema,
                                       const reflection::Object& object,
                                       const flatbuffers::Table& table,
                                       const std::string& prefix) {
  std::vector<const reflection::Field*> fields(object.fields()->begin(), object.fields()->end());
  std::sort(fields.begin(), fields.end(),
            [](const auto* a, const auto* b) { return a->id() < b->id(); });
  for (const reflection::Field* field : fields) {
    std::string path = prefix + field->name()->str();
    if (!table.CheckField(field->offset())) {
      if (field->required()) return path;
      continue;
    }
    const reflection::Type& type = *field->type();
    if (type.base_type() == reflection::Obj) {
      const reflection::Object* sub = schema.objects()->Get(type.index());
      if (sub->is_struct()) continue;
      auto found = FindMissing(schema, *sub, *flatbuffers::GetFieldT(table, *field), path + ".");
      if (found) return found;
    } else if (type.base_type() == reflection::Union) {
      const reflection::Object* sub = UnionObject(schema, object, *field, table);
      if (sub == nullptr) continue;
      auto found = FindMissing(schema, *sub, *flatbuffers::GetFieldT(table, *field), path + ".");
      if (found) return found;
    } else if (type.base_type() == reflection::Vector && type.element() == reflection::Obj) {
      const reflection::Object* sub = schema.objects()->Get(type.index());
      if (sub->is_struct()) continue;
      const auto* vec =
          table.GetPointer<const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::Table>>*>(
              field->offset());
      for (flatbuffers::uoffset_t i = 0; i < vec->size(); ++i) {
        auto found = FindMissing(schema, *sub, *vec->Get(i), fmt::format("{}[{}].", path, i));
        if (found) return found;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

namespace internal {

std::optional<std::string> MissingRequiredEventField(std::span<const uint8_t> buffer,
                                                     const VerifyLimits& limits) {
  if (buffer.size() < sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength) {
    return std::nullopt;
  }
  const EventReflection& schemas = Schemas();
  const reflection::Schema* relaxed = reflection::GetSchema(schemas.relaxed.data());
  if (!flatbuffers::Verify(*relaxed, *relaxed->root_table(), buffer.data(), buffer.size(),
                           limits.max_depth, limits.max_tables)) {
    return std::nullopt;  // malformed, not merely incomplete
  }
  const reflection::Schema* strict = reflection::GetSchema(schemas.strict.data());
  const flatbuffers::Table* root = flatbuffers::GetAnyRoot(buffer.data());
  return FindMissing(*strict, *strict->root_table(), *root, "");
}

}  // namespace internal
}  // namespace lintas::wire
