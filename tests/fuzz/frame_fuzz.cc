// libFuzzer harness: the frame decoder and everything the broker does with a
// decoded message's payloads before trusting them. Input: a sequence of
// frames, each a 2-byte little-endian length then that many bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lintas/wire/frame.h"
#include "lintas/wire/validate.h"
#include "lintas/wire/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::span<const uint8_t>> frames;
  size_t pos = 0;
  while (pos + 2 <= size && frames.size() < 300) {
    size_t len = data[pos] | (static_cast<size_t>(data[pos + 1]) << 8);
    pos += 2;
    len = std::min(len, size - pos);
    frames.emplace_back(data + pos, len);
    pos += len;
  }
  auto message = lintas::wire::DecodeMessage(frames);
  if (!message.ok()) return 0;
  for (const auto& payload : message->payloads) {
    if (message->command == lintas::proto::Command::Publish) {
      auto event = lintas::wire::VerifyEvent(payload);
      if (event.ok()) (void)lintas::wire::ValidateEvent(**event);
    } else {
      (void)lintas::wire::VerifyRecord(payload);
    }
  }
  return 0;
}
