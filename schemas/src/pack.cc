// Event serialisation from the object API.
#include "lintas/wire/pack.h"

namespace lintas::wire {

std::string PackEvent(const fb::EventT& event) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  fbb.Finish(fb::Event::Pack(fbb, &event), fb::EventIdentifier());
  return {reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()};
}

}  // namespace lintas::wire
