// A committed record shared, not copied, by the recent records and the held
// batches of every subscription that takes it. Internal to lintas::broker.
#pragma once

#include <memory>
#include <string>

namespace lintas::broker {

// Immutable once shared. The loop thread and the log reader (catch-up reads)
// make and drop references (the count is atomic); a record leaves memory
// when the recent records, the catch-up read and every held batch that
// names it have let go of it. (Handing the bytes to ZeroMQ without a copy
// too, through zmq_msg_init_data, was slower: ZeroMQ's I/O thread then
// freed each record and fan-out fell 10%; docs/PERFORMANCE.md.)
using SharedRecord = std::shared_ptr<const std::string>;

inline SharedRecord ShareRecord(std::string&& record) {
  return std::make_shared<const std::string>(std::move(record));
}

}  // namespace lintas::broker
