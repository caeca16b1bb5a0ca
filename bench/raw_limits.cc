// Raw limits: RocksDB synced write batches, ZeroMQ DEALER -> ROUTER
// throughput, the latency of one fsync.
#include "raw_limits.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>
#include <zmq.hpp>

#include "relay_sockets.h"
#include "stats.h"

namespace lintas::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

double SyncedWriteBatchRate(const std::string& dir, size_t batch, size_t value_bytes,
                            double seconds) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) throw std::runtime_error("open " + dir);
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value(value_bytes, 'v');
  rocksdb::WriteOptions wo;
  wo.sync = true;
  uint64_t key = 0;
  uint64_t written = 0;
  auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    rocksdb::WriteBatch wb;
    for (size_t i = 0; i < batch; ++i) {
      ++key;
      char k[8];
      for (int b = 0; b < 8; ++b) k[b] = static_cast<char>(key >> (56 - 8 * b));
      wb.Put(rocksdb::Slice(k, 8), value);
    }
    if (!db->Write(wo, &wb).ok()) throw std::runtime_error("write");
    written += batch;
    elapsed = SecondsSince(start);
  }
  (void)db->Close();
  return static_cast<double>(written) / elapsed;
}

namespace {

// Sends `payload` on `dealer` until `stop`, 256 at a time, blocking (with a
// timeout, to see `stop`) at the high-water mark.
void SendUntilStopped(zmq::socket_t& dealer, const std::string& payload, const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLOUT, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    if (!(item.revents & ZMQ_POLLOUT)) continue;
    for (int i = 0; i < 256; ++i) {
      if (!dealer.send(zmq::buffer(payload), zmq::send_flags::dontwait)) break;
    }
  }
}

}  // namespace

double ZmqDealerRouterRate(size_t message_bytes, double seconds, bool curve) {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  // The same high-water marks as the broker's and the client's sockets.
  router.set(zmq::sockopt::rcvhwm, 100000);
  dealer.set(zmq::sockopt::sndhwm, 100000);
  dealer.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::linger, 0);
  if (curve) {
    char server_pub[41], server_sec[41], client_pub[41], client_sec[41];
    if (zmq_curve_keypair(server_pub, server_sec) != 0 ||
        zmq_curve_keypair(client_pub, client_sec) != 0) {
      throw std::runtime_error("zmq_curve_keypair: no CURVE in this libzmq");
    }
    router.set(zmq::sockopt::curve_server, true);
    router.set(zmq::sockopt::curve_secretkey, std::string(server_sec));
    dealer.set(zmq::sockopt::curve_serverkey, std::string(server_pub));
    dealer.set(zmq::sockopt::curve_publickey, std::string(client_pub));
    dealer.set(zmq::sockopt::curve_secretkey, std::string(client_sec));
  }
  router.bind("tcp://127.0.0.1:*");
  dealer.connect(router.get(zmq::sockopt::last_endpoint));
  std::atomic<bool> stop{false};
  std::string payload(message_bytes, 'm');
  std::thread sender([&] { SendUntilStopped(dealer, payload, stop); });
  double rate = ReceiveRate(router, seconds);
  stop = true;
  sender.join();
  return rate;
}

double ZmqRelayRate(size_t message_bytes, double seconds) {
  RelaySockets sockets;
  zmq::socket_t& in = sockets.in;
  zmq::socket_t& out = sockets.out;
  zmq::socket_t& dealer = sockets.dealer;
  std::atomic<bool> stop{false};
  std::string payload(message_bytes, 'm');
  std::thread sender([&] { SendUntilStopped(dealer, payload, stop); });
  std::thread relay([&] {
    in.set(zmq::sockopt::rcvtimeo, 50);
    zmq::message_t id;
    zmq::message_t body;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!in.recv(id) || !in.recv(body)) continue;
      // Blocks at the high-water mark like a broker waiting for credit.
      while (!stop.load(std::memory_order_relaxed) && !out.send(body, zmq::send_flags::dontwait)) {
        zmq::pollitem_t item{out.handle(), 0, ZMQ_POLLOUT, 0};
        zmq::poll(&item, 1, std::chrono::milliseconds(50));
      }
    }
  });
  double rate = ReceiveRate(sockets.sink, seconds);
  stop = true;
  sender.join();
  relay.join();
  return rate;
}

FsyncLatency Fsync4KiB(const std::string& dir, double seconds) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/fsync-4k";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  if (fd < 0) throw std::runtime_error("open " + path);
  std::vector<char> block(4096, 'f');
  Latencies latencies;
  uint64_t done = 0;
  auto start = Clock::now();
  while (SecondsSince(start) < seconds) {
    auto t0 = Clock::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fsync(fd) != 0) {
      ::close(fd);
      throw std::runtime_error("write/fsync " + path);
    }
    latencies.Add(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    ++done;
  }
  FsyncLatency out;
  out.per_second = static_cast<double>(done) / SecondsSince(start);
  out.p50_ms = latencies.Percentile(0.50);
  out.p99_ms = latencies.Percentile(0.99);
  ::close(fd);
  std::filesystem::remove(path);
  return out;
}

}  // namespace lintas::bench
