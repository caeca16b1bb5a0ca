// JetStreamStore: opening, appending, catching up with the streams.
#include "lintas/store/jetstream_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "../../store/src/keys.h"
#include "lintas/common/logging.h"
#include "lintas/store/rocksdb_store.h"
#include "nats_client.h"
#include "publish_tracker.h"

namespace lintas::store {
namespace {

std::shared_ptr<spdlog::logger> Log() { return GetLogger("store"); }

constexpr size_t kCatchUpChunk = 1024;  // records written to the cache at a time
constexpr size_t kLeafBytes = 32;
// How long ReopenAfterFailedWrite retries reading the stream before it gives
// up (and the broker aborts, so that a restart recovers).
constexpr auto kReopenPatience = std::chrono::seconds(60);       // a consultation message: the leaf, then the record

}  // namespace

JetStreamStore::JetStreamStore() = default;

JetStreamStore::~JetStreamStore() {
  if (client_ != nullptr) {
    // Cursor changes not yet flushed: one last try (a loss only redelivers).
    std::lock_guard<std::mutex> lock(publish_mu_);
    tracker_->Begin({});
    QueueCursorFlush();
    (void)AwaitPublishes();
  }
  if (state_kv_ != nullptr) kvStore_Destroy(state_kv_);
}

Result<std::unique_ptr<JetStreamStore>> JetStreamStore::Open(const JetStreamOptions& options) {
  if (options.servers.empty()) return Error{errc::other, "store.jetstream.servers: is empty"};
  if (options.cache_dir.empty()) return Error{errc::other, "store.jetstream: no cache directory"};
  auto store = std::unique_ptr<JetStreamStore>(new JetStreamStore());
  store->options_ = options;
  store->log_subject_ = options.stream + ".rec";
  store->access_subject_ = options.access_stream + ".rec";
  store->kv_prefix_ = "$KV." + options.bucket + ".";
  store->tracker_ = std::make_unique<PublishTracker>(store->kv_prefix_);
  auto client = NatsClient::Connect(options, &PublishTracker::OnAck, store->tracker_.get());
  if (!client.ok()) return std::move(client).error();
  store->client_ = std::move(*client);
  RocksDbOptions cache;
  cache.path = options.cache_dir;
  cache.cache_of_replicated_log = true;
  std::error_code ec;
  std::filesystem::create_directories(options.cache_dir, ec);
  auto opened = RocksDbStore::Open(cache);
  if (!opened.ok()) return std::move(opened).error();
  store->cache_ = std::move(*opened);
  // Retried for a while: right after a server's loss the cluster answers
  // some requests with timeouts until its leaders are elected again.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.append_retry_ms);
  for (;;) {
    Status s = store->OpenStreams();
    if (s.ok()) s = store->CatchUp();
    if (s.ok()) s = store->CatchUpAccess();
    if (s.ok()) s = store->LoadState();
    if (s.ok()) break;
    if (s.error().code == errc::corruption || s.error().code == errc::other ||
        std::chrono::steady_clock::now() > give_up) {
      return s.error();
    }
    Log()->warn("opening the JetStream store: {}; retrying", s.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  Log()->info("JetStream store: {} on {} ({} replicas), {} records, {} consultation records, cache {}",
              options.stream, store->client_->ConnectedUrl(), options.replicas,
              store->cache_->size(), store->cache_->access_size(), options.cache_dir);
  return store;
}

Status JetStreamStore::OpenStreams() {
  for (const auto* name : {&options_.stream, &options_.access_stream}) {
    if (auto s = client_->EnsureStream(*name, options_.replicas, options_.duplicate_window_ms); !s.ok()) {
      return s;
    }
  }
  if (state_kv_ != nullptr) return OkStatus();
  auto kv = client_->EnsureBucket(options_.bucket, options_.replicas, 0);
  if (!kv.ok()) return std::move(kv).error();
  state_kv_ = *kv;
  return OkStatus();
}

Result<uint64_t> JetStreamStore::StreamLastSeq() { return client_->LastSeq(options_.stream); }

Status JetStreamStore::CatchUp() {
  auto last = client_->LastSeq(options_.stream);
  if (!last.ok()) return std::move(last).error();
  uint64_t cached = cache_->size();
  auto foreign = [&](std::string why) {
    return Error{errc::corruption,
                 fmt::format("the local cache {} is not a copy of stream {} ({}): it belongs to "
                             "another stream or the stream was recreated; move the cache away "
                             "and start again to rebuild it from the stream",
                             options_.cache_dir, options_.stream, why)};
  };
  if (cached > *last) {
    return foreign(fmt::format("the cache holds {} records, the stream {}", cached, *last));
  }
  if (cached > 0) {
    auto theirs = client_->GetMessage(options_.stream, cached);
    if (!theirs.ok()) return std::move(theirs).error();
    auto ours = cache_->ReadRecord(cached);
    if (!ours.ok()) return std::move(ours).error();
    if (!theirs->has_value() || !ours->has_value() || (*theirs)->data != **ours) {
      return foreign(fmt::format("record {} differs", cached));
    }
  }
  if (cached == *last) return OkStatus();
  Log()->info("catching up the cache with stream {}: records {} .. {}", options_.stream, cached + 1,
              *last);
  std::vector<AppendEntry> chunk;
  auto flush = [&]() -> Status {
    if (chunk.empty()) return OkStatus();
    Status s = cache_->Append(chunk);
    chunk.clear();
    return s;
  };
  Status read = client_->ReadRange(options_.stream, cached + 1, *last, [&](StreamMessage&& m) {
    auto id = wire::EventId::Parse(m.msg_id);
    if (!id.ok()) {
      return Status(Error{errc::corruption,
                          fmt::format("stream {} #{} has no event id (Nats-Msg-Id '{}')",
                                      options_.stream, m.seq, m.msg_id)});
    }
    AppendEntry e;
    e.offset = m.seq;
    e.event_id = *id;
    e.record = std::move(m.data);
    chunk.push_back(std::move(e));
    return chunk.size() == kCatchUpChunk ? flush() : OkStatus();
  });
  if (!read.ok()) return read;
  return flush();
}

Status JetStreamStore::CatchUpAccess() {
  auto last = client_->LastSeq(options_.access_stream);
  if (!last.ok()) return std::move(last).error();
  uint64_t cached = cache_->access_size();
  if (cached > *last) {
    return Error{errc::corruption,
                 fmt::format("the local cache {} holds {} consultation records, stream {} only {}; "
                             "move the cache away to rebuild it", options_.cache_dir, cached,
                             options_.access_stream, *last)};
  }
  std::vector<AccessEntry> chunk;
  auto flush = [&]() -> Status {
    if (chunk.empty()) return OkStatus();
    Status s = cache_->AppendAccess(chunk);
    chunk.clear();
    return s;
  };
  Status read = client_->ReadRange(options_.access_stream, cached + 1, *last, [&](StreamMessage&& m) {
    if (m.data.size() < kLeafBytes) {
      return Status(Error{errc::corruption, fmt::format("stream {} #{} is shorter than a leaf",
                                                        options_.access_stream, m.seq)});
    }
    chunk.push_back({m.seq, m.data.substr(kLeafBytes), m.data.substr(0, kLeafBytes)});
    return chunk.size() == kCatchUpChunk ? flush() : OkStatus();
  });
  if (!read.ok()) return read;
  return flush();
}

Status JetStreamStore::Append(std::span<const AppendEntry> entries) {
  if (entries.empty()) return OkStatus();
  std::lock_guard<std::mutex> lock(publish_mu_);
  if (failed_.load(std::memory_order_acquire)) {
    return Error{errc::io_error, "append: an earlier append failed; reopen the store first"};
  }
  const uint64_t first = cache_->next_offset();
  std::vector<std::string> ids;
  ids.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].offset != first + i) {
      return Error{errc::invalid_append,
                   fmt::format("append at offset {} does not continue the log", entries[i].offset)};
    }
    ids.push_back(entries[i].event_id.ToString());
  }
  const uint64_t last = entries.back().offset;
  uint64_t stored = first - 1;  // every offset up to here is in the stream, ours
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.append_retry_ms);
  for (int attempt = 0;; ++attempt) {
    auto out = PublishRange(entries, ids, stored + 1, attempt == 0);
    // Ours for certain: the acknowledged prefix without a hole. Past a hole
    // the stream is asked (ResolveFromStream): a record of another broker
    // there is a conflict.
    while (out.acked.count(stored + 1) != 0) ++stored;
    Status failure = OkStatus();
    if (out.conflict) failure = Error{errc::conflict, "append: " + out.error};
    // What the unacknowledged records did (a lost ack, a leader change) the
    // stream says; the rest are published again, same ids, same chain.
    if (failure.ok() && stored < last) failure = ResolveFromStream(ids, first, &stored);
    if (failure.ok() && stored == last) break;
    if (failure.ok() && std::chrono::steady_clock::now() < deadline) {
      Log()->warn("append: offsets {}..{} not acknowledged ({}); publishing them again", stored + 1,
                  last, out.error.empty() ? "no ack" : out.error);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a leader election's pace
      continue;
    }
    if (failure.ok()) {
      failure = Error{errc::unavailable,
                      fmt::format("append: offsets {}..{} not acknowledged within {} ms: {}", stored + 1,
                                  last, options_.append_retry_ms, out.error.empty() ? "no ack" : out.error)};
    }
    failed_.store(true, std::memory_order_release);
    return failure;
  }
  // Stored in the stream: the cache follows (unsynced; a lost tail is read
  // again from the stream at the next start).
  if (auto s = cache_->Append(entries); !s.ok()) {
    failed_.store(true, std::memory_order_release);
    return s;
  }
  return OkStatus();
}

PublishTracker::Outcome JetStreamStore::PublishRange(std::span<const AppendEntry> entries,
                                                     const std::vector<std::string>& ids,
                                                     uint64_t from, bool with_cursors) {
  const uint64_t first = entries.front().offset;
  std::map<std::string, uint64_t> expected;
  for (uint64_t o = from; o <= entries.back().offset; ++o) expected.emplace(ids[o - first], o);
  tracker_->Begin(std::move(expected));
  if (with_cursors) QueueCursorFlush();
  std::string error;
  for (uint64_t o = from; o <= entries.back().offset && error.empty(); ++o) {
    const AppendEntry& e = entries[o - first];
    auto msg = NewLogMessage(log_subject_, e.record, ids[o - first], o - 1);
    if (!msg.ok()) {
      error = msg.error().message;
      break;
    }
    natsMsg* m = *msg;
    natsStatus s = js_PublishMsgAsync(client_->js(), &m, nullptr);
    natsMsg_Destroy(m);  // nullptr once nats.c owns it
    if (s != NATS_OK) error = fmt::format("publish offset {}: {}", o, natsStatus_GetText(s));
  }
  auto out = AwaitPublishes();
  if (out.error.empty()) out.error = error;
  return out;
}

Status JetStreamStore::ResolveFromStream(const std::vector<std::string>& ids, uint64_t first,
                                         uint64_t* stored) {
  const uint64_t last = first + ids.size() - 1;
  auto stream_last = client_->LastSeq(options_.stream);
  if (!stream_last.ok()) return OkStatus();  // no answer yet: publish again
  for (uint64_t o = *stored + 1; o <= *stream_last; ++o) {
    if (o > last) {
      return Error{errc::conflict, fmt::format("append: stream {} holds #{} past this broker's "
                                               "offsets: another broker appended", options_.stream, o)};
    }
    auto m = client_->GetMessage(options_.stream, o);
    if (!m.ok()) return OkStatus();
    if (!m->has_value() || (*m)->msg_id != ids[o - first]) {
      return Error{errc::conflict, fmt::format("append: stream {} #{} holds another record: "
                                               "another broker appended", options_.stream, o)};
    }
    *stored = o;  // ours: its ack was lost
  }
  return OkStatus();
}

PublishTracker::Outcome JetStreamStore::AwaitPublishes() {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = options_.request_timeout_ms;
  natsStatus s = js_PublishAsyncComplete(client_->js(), &po);
  if (s != NATS_OK) {
    // Whatever is still unacknowledged is given up (late acks are dropped);
    // the stream says what those records did.
    natsMsgList pending;
    if (js_PublishAsyncGetPendingList(&pending, client_->js()) == NATS_OK) {
      natsMsgList_Destroy(&pending);
    }
  }
  PublishTracker::Outcome out = tracker_->Take();
  if (out.cursor_errors > 0) {
    Log()->warn("{} cursor updates were not stored in bucket {} (a redelivery at worst)",
                out.cursor_errors, options_.bucket);
  }
  if (out.error.empty() && s != NATS_OK) out.error = natsStatus_GetText(s);
  return out;
}

Status JetStreamStore::Sync() {
  if (failed_.load(std::memory_order_acquire)) {
    return Error{errc::io_error, "sync: an append failed; the store must be reopened first"};
  }
  // Records, consultation records, metadata and checkpoints are in the
  // cluster once their calls returned: only cursor changes wait, and a lost
  // one only redelivers. So the loop never waits here for an Append that is
  // republishing through a leader election: that Append, or the next, sends
  // them.
  std::unique_lock<std::mutex> lock(publish_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return OkStatus();
  tracker_->Begin({});
  QueueCursorFlush();
  (void)AwaitPublishes();
  return OkStatus();
}

Status JetStreamStore::ReopenAfterFailedWrite() {
  std::lock_guard<std::mutex> lock(publish_mu_);
  // The cache, if its own write failed (RocksDB wants a reopen then).
  if (auto s = cache_->ReopenAfterFailedWrite(); !s.ok()) return s;
  if (!failed_.load(std::memory_order_acquire)) return OkStatus();
  // The stream decides: the failed batch's records that it holds (a prefix
  // of the batch, the expected-sequence chain allows nothing else) become
  // the cache's; their resent events are then duplicates of them.
  // Retried for a while: a failed append is often a leader election in
  // progress, which also fails the reads for a few seconds.
  auto give_up = std::chrono::steady_clock::now() + kReopenPatience;
  for (Status s = CatchUp(); !s.ok(); s = CatchUp()) {
    if (s.error().code == errc::corruption || std::chrono::steady_clock::now() > give_up) return s;
    Log()->warn("catching up after a failed append: {}; retrying", s.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  failed_.store(false, std::memory_order_release);
  Log()->warn("JetStream store reopened after a failed append: next offset {}", cache_->next_offset());
  return OkStatus();
}

}  // namespace lintas::store
