// The fault-injecting file system itself, under a RocksDbStore: a power cut
// keeps what was synced and drops what was not; an injected error fails an
// Append with io_error and leaves the log unchanged.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "lintas/store/rocksdb_store.h"
#include "lintas/wire/event_id.h"
#include "testutil/fault_injection_fs.h"
#include "testutil/temp_dir.h"

namespace lintas::testutil {
namespace {

class FaultInjectionFsTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::RocksDbStore> Open(bool unsafe_skip_sync) {
    store::RocksDbOptions options;
    options.path = dir_.Sub("db");
    options.file_system = fs_;
    options.unsafe_skip_sync_for_tests = unsafe_skip_sync;
    auto opened = store::RocksDbStore::Open(options);
    if (!opened.ok()) {
      ADD_FAILURE() << opened.error().message;
      return nullptr;
    }
    return std::move(opened).value();
  }

  Status AppendOne(store::Store& s) {
    store::AppendEntry e;
    e.offset = s.next_offset();
    e.event_id = ids_.Next();
    e.record = "record " + std::to_string(e.offset);
    e.index.received_at_us = static_cast<int64_t>(e.offset);
    return s.Append(std::span(&e, 1));
  }

  PowerCutReport CutPower(std::unique_ptr<store::RocksDbStore> s) {
    fs_->CutPower();
    s.reset();
    PowerCutReport report = fs_->RestorePower();
    EXPECT_EQ(report.errors, std::vector<std::string>{});
    return report;
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectionFs> fs_ = std::make_shared<FaultInjectionFs>();
  wire::EventIdGenerator ids_;
};

TEST_F(FaultInjectionFsTest, SyncedAppendsSurviveAPowerCut) {
  auto s = Open(false);
  ASSERT_NE(s, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendOne(*s).ok());
  CutPower(std::move(s));
  s = Open(false);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->next_offset(), 4u);
  auto record = s->ReadRecord(3);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ(**record, "record 3");
}

TEST_F(FaultInjectionFsTest, UnsyncedAppendsAreDroppedByAPowerCut) {
  auto s = Open(false);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(AppendOne(*s).ok());  // synced
  s.reset();
  s = Open(true);
  ASSERT_NE(s, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendOne(*s).ok());  // not synced
  EXPECT_EQ(s->next_offset(), 5u);
  PowerCutReport cut = CutPower(std::move(s));
  EXPECT_GT(cut.bytes_dropped, 0u);
  s = Open(false);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->next_offset(), 2u);
}

TEST_F(FaultInjectionFsTest, InjectedWalErrorFailsTheAppendWithIoError) {
  for (FaultOp op : {FaultOp::kAppend, FaultOp::kSync}) {
    fs_ = std::make_shared<FaultInjectionFs>();
    auto s = Open(false);
    ASSERT_NE(s, nullptr);
    uint64_t next = s->next_offset();
    fs_->InjectError(op, ".log", 1);
    Status status = AppendOne(*s);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, store::errc::io_error) << status.error().message;
    EXPECT_EQ(s->next_offset(), next);
    EXPECT_EQ(fs_->errors_injected(), 1);
  }
}

// The file level, as a direct segment write uses it: bytes written over
// synced ones come back after a power cut unless they were synced too.
TEST_F(FaultInjectionFsTest, BytesWrittenOverSyncedOnesAreDurableOnlyOnceSynced) {
  std::string path = dir_.Sub("file");
  std::unique_ptr<rocksdb::FSWritableFile> f;
  ASSERT_TRUE(fs_->NewWritableFile(path, rocksdb::FileOptions(), &f, nullptr).ok());
  std::unique_ptr<rocksdb::FSDirectory> dir;  // the file's name, durable
  ASSERT_TRUE(fs_->NewDirectory(dir_.path().string(), {}, &dir, nullptr).ok());
  ASSERT_TRUE(dir->Fsync({}, nullptr).ok());
  auto write = [&](std::string_view data, uint64_t at) {
    return f->PositionedAppend(rocksdb::Slice(data.data(), data.size()), at, {}, nullptr).ok();
  };
  auto content = [&] {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  ASSERT_TRUE(write("aaaaaaaa", 0));
  ASSERT_TRUE(f->Sync({}, nullptr).ok());
  ASSERT_TRUE(write("dd", 6));  // over synced bytes, then synced: they stay
  ASSERT_TRUE(f->Sync({}, nullptr).ok());
  ASSERT_TRUE(write("bbbb", 1));  // over synced bytes, unsynced
  ASSERT_TRUE(write("cccc", 3));  // over them again
  ASSERT_EQ(content(), "abbccccd");
  fs_->CutPower();
  f.reset();
  PowerCutReport cut = fs_->RestorePower();
  EXPECT_EQ(cut.errors, std::vector<std::string>{});
  EXPECT_EQ(content(), "aaaaaadd");
  EXPECT_GT(cut.bytes_dropped, 0u);
}

}  // namespace
}  // namespace lintas::testutil
