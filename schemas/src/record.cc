// Stored record encoding.
#include "lintas/wire/record.h"

#include "lintas/fb/record_generated.h"

namespace lintas::wire {
namespace {

// Above this a record's builder buffer is released after use.
constexpr size_t kKeptBuilderBytes = 64u << 10;

}  // namespace

std::string EncodeRecord(uint64_t offset, int64_t received_at_us, const PublisherInfo& publisher,
                         std::span<const uint8_t> event, std::span<const uint8_t> chain_hash) {
  // One builder per thread, cleared between records: its buffer is kept, so
  // that a record costs one allocation (the string returned), not two.
  thread_local flatbuffers::FlatBufferBuilder fbb(4096);
  fbb.Clear();
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> hash;
  if (!chain_hash.empty()) hash = fbb.CreateVector(chain_hash.data(), chain_hash.size());
  // The event is itself a FlatBuffer with 8-byte scalars: align its start.
  fbb.ForceVectorAlignment(event.size(), sizeof(uint8_t), 8);
  auto bytes = fbb.CreateVector(event.data(), event.size());
  auto pub = fb::CreatePublisherDirect(fbb, publisher.node_id.c_str(), publisher.country.c_str(),
                                       publisher.public_key.empty() ? nullptr
                                                                    : publisher.public_key.c_str());
  fbb.Finish(fb::CreateStoredRecord(fbb, offset, received_at_us, pub, bytes, hash),
             fb::StoredRecordIdentifier());
  std::string out(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  if (out.size() > kKeptBuilderBytes) fbb.Reset();  // a rare large event does not stay
  return out;
}

}  // namespace lintas::wire
