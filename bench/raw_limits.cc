// Raw RocksDB synced write-batch limit.
#include "raw_limits.h"

#include <chrono>
#include <memory>
#include <stdexcept>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace lintas::bench {

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
  auto start = std::chrono::steady_clock::now();
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
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  db->Close();
  return static_cast<double>(written) / elapsed;
}

}  // namespace lintas::bench
