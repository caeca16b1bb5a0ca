// PublishTracker: matching asynchronous acks to the records of a batch.
#include "publish_tracker.h"

#include <fmt/format.h>

#include <cstring>

namespace lintas::store {

void PublishTracker::OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* err, void* closure) {
  static_cast<PublishTracker*>(closure)->Record(msg, ack, err);
  natsMsg_Destroy(msg);  // the handler owns it (nats.c)
}

void PublishTracker::Begin(std::map<std::string, uint64_t> expected) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_ = std::move(expected);
  outcome_ = Outcome{};
}

PublishTracker::Outcome PublishTracker::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  Outcome out = outcome_;
  outcome_ = Outcome{};
  expected_.clear();
  return out;
}

void PublishTracker::Record(natsMsg* msg, jsPubAck* ack, jsPubAckErr* err) {
  const char* subject = natsMsg_GetSubject(msg);
  std::lock_guard<std::mutex> lock(mu_);
  if (subject != nullptr && std::strncmp(subject, kv_prefix_.c_str(), kv_prefix_.size()) == 0) {
    if (ack == nullptr) ++outcome_.cursor_errors;
    return;
  }
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr) return;
  auto it = expected_.find(id);
  if (it == expected_.end()) return;  // not this batch's
  uint64_t offset = it->second;
  expected_.erase(it);
  auto fail = [&](std::string message, bool conflict) {
    if (outcome_.error.empty()) outcome_.error = std::move(message);
    outcome_.conflict = outcome_.conflict || conflict;
  };
  if (ack == nullptr) {
    bool conflict = err != nullptr && err->ErrCode == JSStreamWrongLastSequenceErr;
    fail(fmt::format("record at offset {} refused: {}{}", offset,
                     err != nullptr ? natsStatus_GetText(err->Err) : "no ack",
                     err != nullptr && err->ErrText != nullptr ? fmt::format(" ({})", err->ErrText) : ""),
         conflict);
    return;
  }
  if (ack->Sequence != offset) {
    fail(fmt::format("event {} is in the stream at #{}, offset {} expected: the log moved under "
                     "this broker", id, ack->Sequence, offset), true);
    return;
  }
  // Stored here, now or by an earlier attempt (ack->Duplicate).
  outcome_.acked.insert(offset);
}

}  // namespace lintas::store
