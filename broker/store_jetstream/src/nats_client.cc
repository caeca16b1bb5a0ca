// NatsClient: the nats.c calls of the JetStream store and the lease.
#include "nats_client.h"

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "lintas/store/errc.h"

namespace lintas::store {
namespace {

constexpr int64_t kNanosPerMilli = 1000000;

std::string LastErrorText() {
  const char* text = nats_GetLastError(nullptr);
  return text != nullptr ? text : "";
}

}  // namespace

Error NatsError(natsStatus s, std::string_view what, jsErrCode jerr) {
  std::string detail = LastErrorText();
  std::string message = fmt::format("{}: {}", what, natsStatus_GetText(s));
  if (jerr != 0) message += fmt::format(" (JetStream error {})", static_cast<int>(jerr));
  if (!detail.empty() && detail != natsStatus_GetText(s)) message += ": " + detail;
  errc code = errc::unavailable;
  if (jerr == JSStreamWrongLastSequenceErr) code = errc::conflict;
  return Error{code, std::move(message)};
}

Result<natsMsg*> NewLogMessage(const std::string& subject, std::string_view data,
                               const std::string& msg_id, uint64_t expected_last) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(),
                                static_cast<int>(data.size()));
  // Set by hand, not through jsPubOptions: nats.c leaves the header out for
  // 0, and "the stream must be empty" is the first append's condition.
  std::string last = std::to_string(expected_last);
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Sequence", last.c_str());
  if (s == NATS_OK && !msg_id.empty()) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id.c_str());
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    return NatsError(s, "build message");
  }
  return msg;
}

Result<std::unique_ptr<NatsClient>> NatsClient::Connect(const JetStreamOptions& options,
                                                        AckHandler on_ack, void* ack_closure) {
  auto client = std::unique_ptr<NatsClient>(new NatsClient());
  client->options_ = options;
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> servers;
  for (const auto& url : options.servers) servers.push_back(url.c_str());
  if (s == NATS_OK) {
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  }
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, options.connect_timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // for ever: the cluster comes back
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, 2000);
  if (s == NATS_OK) s = natsOptions_SetName(opts, "lintas-broker");
  if (s == NATS_OK) s = natsConnection_Connect(&client->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    std::string urls;
    for (const auto& u : options.servers) urls += (urls.empty() ? "" : ", ") + u;
    return NatsError(s, fmt::format("connect to the JetStream cluster [{}]", urls));
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.request_timeout_ms;
  jo.PublishAsync.MaxPending = options.max_pending;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = ack_closure;
  jo.PublishAsync.StallWait = options.request_timeout_ms;
  s = natsConnection_JetStream(&client->js_, client->nc_, &jo);
  if (s != NATS_OK) return NatsError(s, "JetStream context");
  return client;
}

NatsClient::~NatsClient() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

std::string NatsClient::ConnectedUrl() {
  char buffer[256] = {0};
  if (natsConnection_GetConnectedUrl(nc_, buffer, sizeof buffer) != NATS_OK) return "?";
  return buffer;
}

Status NatsClient::EnsureStream(const std::string& name, int replicas, int64_t duplicate_window_ms) {
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, name.c_str(), nullptr, &jerr);
  if (s == NATS_OK) {
    const jsStreamConfig* c = info->Config;
    std::string problem;
    if (c->Replicas != replicas) {
      problem = fmt::format("has {} replicas, the configuration says {}", c->Replicas, replicas);
    } else if (c->MaxAge > 0 || c->MaxMsgs > 0 || c->MaxBytes > 0 || c->MaxMsgsPerSubject > 0) {
      problem = "has a limit (max age, messages or bytes) that would drop records";
    } else if (c->Retention != js_LimitsPolicy) {
      problem = "does not keep every message (retention is not 'limits')";
    }
    jsStreamInfo_Destroy(info);
    if (!problem.empty()) {
      return Error{errc::other, fmt::format("stream {} {}; fix it or name another stream", name,
                                            problem)};
    }
    return OkStatus();
  }
  if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
    return NatsError(s, fmt::format("stream info {}", name), jerr);
  }
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  std::string subject = name + ".rec";
  const char* subjects[] = {subject.c_str()};
  config.Name = name.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Retention = js_LimitsPolicy;
  config.Replicas = replicas;
  config.Duplicates = duplicate_window_ms * kNanosPerMilli;
  config.DenyDelete = true;
  config.DenyPurge = true;
  config.Discard = js_DiscardNew;
  jerr = static_cast<jsErrCode>(0);
  s = js_AddStream(&info, js_, &config, nullptr, &jerr);
  if (s != NATS_OK) return NatsError(s, fmt::format("create stream {}", name), jerr);
  jsStreamInfo_Destroy(info);
  return OkStatus();
}

Result<kvStore*> NatsClient::EnsureBucket(const std::string& name, int replicas, int64_t ttl_ms) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js_, name.c_str());
  if (s == NATS_OK) return kv;
  if (s != NATS_NOT_FOUND) return NatsError(s, fmt::format("open bucket {}", name));
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = name.c_str();
  config.History = 1;
  config.StorageType = js_FileStorage;
  config.Replicas = replicas;
  config.TTL = ttl_ms * kNanosPerMilli;
  s = js_CreateKeyValue(&kv, js_, &config);
  if (s != NATS_OK) return NatsError(s, fmt::format("create bucket {}", name));
  return kv;
}

Result<uint64_t> NatsClient::LastSeq(const std::string& stream) {
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return NatsError(s, fmt::format("stream info {}", stream), jerr);
  uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return last;
}

namespace {

StreamMessage FromMsg(natsMsg* msg, uint64_t seq) {
  StreamMessage out;
  out.seq = seq;
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) out.msg_id = id;
  out.data.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  return out;
}

}  // namespace

Result<std::optional<StreamMessage>> NatsClient::GetMessage(const std::string& stream, uint64_t seq) {
  natsMsg* msg = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&msg, js_, stream.c_str(), seq, nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) return std::optional<StreamMessage>();
  if (s != NATS_OK) return NatsError(s, fmt::format("get {} #{}", stream, seq), jerr);
  StreamMessage out = FromMsg(msg, seq);
  natsMsg_Destroy(msg);
  return std::optional<StreamMessage>(std::move(out));
}

Status NatsClient::ReadRange(const std::string& stream, uint64_t first, uint64_t last,
                             const std::function<Status(StreamMessage&&)>& each) {
  if (first > last) return OkStatus();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = first;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  std::string subject = stream + ".rec";
  natsStatus s = js_SubscribeSync(&sub, js_, subject.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) {
    // No consumer now (it is placed by the meta leader, which may be being
    // elected): one request per message instead, each to the stream leader.
    for (uint64_t seq = first; seq <= last; ++seq) {
      Result<std::optional<StreamMessage>> m = GetMessage(stream, seq);
      for (int attempt = 0; attempt < 3 && !m.ok(); ++attempt) m = GetMessage(stream, seq);
      if (!m.ok()) return std::move(m).error();
      if (!m->has_value()) {
        return Error{errc::corruption, fmt::format("stream {} has no #{} (a gap?)", stream, seq)};
      }
      if (auto st = each(std::move(**m)); !st.ok()) return st;
    }
    return OkStatus();
  }
  Status result = OkStatus();
  uint64_t next = first;
  while (next <= last) {
    natsMsg* msg = nullptr;
    s = natsSubscription_NextMsg(&msg, sub, options_.request_timeout_ms);
    if (s != NATS_OK) {
      result = NatsError(s, fmt::format("read {} #{} of {}", stream, next, last));
      break;
    }
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {  // a heartbeat or flow control
      natsMsg_Destroy(msg);
      continue;
    }
    uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    if (seq != next) {
      natsMsg_Destroy(msg);
      result = Error{errc::corruption,
                     fmt::format("stream {} gave #{} where #{} was expected (a gap?)", stream, seq, next)};
      break;
    }
    StreamMessage m = FromMsg(msg, seq);
    natsMsg_Destroy(msg);
    if (auto st = each(std::move(m)); !st.ok()) {
      result = st;
      break;
    }
    ++next;
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return result;
}

Result<uint64_t> NatsClient::PublishSync(const std::string& subject, std::string_view data,
                                         const std::string& msg_id, uint64_t expected_last) {
  auto msg = NewLogMessage(subject, data, msg_id, expected_last);
  if (!msg.ok()) return std::move(msg).error();
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = options_.request_timeout_ms;
  natsStatus s = js_PublishMsg(&ack, js_, *msg, &po, &jerr);
  natsMsg_Destroy(*msg);
  if (s != NATS_OK) return NatsError(s, fmt::format("publish to {}", subject), jerr);
  uint64_t seq = ack->Sequence;
  bool duplicate = ack->Duplicate;
  jsPubAck_Destroy(ack);
  if (duplicate) {
    return Error{errc::conflict,
                 fmt::format("publish to {}: message id {} is already stored at #{}", subject, msg_id, seq)};
  }
  return seq;
}

}  // namespace lintas::store
