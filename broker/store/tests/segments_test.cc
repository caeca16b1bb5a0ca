// Record segments under RocksDbStore: records go to segment files and the
// log family holds pointers; reads check each frame; records stored inline
// stay readable; segments roll. Each test runs with direct (O_DIRECT) and
// buffered segment writes.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>

#include "../src/record_segments.h"
#include "lintas/store/rocksdb_store.h"
#include "testutil/temp_dir.h"

namespace lintas::store {
namespace {

namespace fs = std::filesystem;

class SegmentsTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam() && !dir_.SupportsDirectIo()) GTEST_SKIP() << "no O_DIRECT on " << dir_.path();
  }

  std::unique_ptr<RocksDbStore> Open(bool segments = true, uint64_t segment_bytes = 256u << 20) {
    RocksDbOptions options;
    options.path = dir_.Sub("db");
    options.record_segments = segments;
    options.segment_bytes = segment_bytes;
    options.direct_segment_writes = GetParam();
    auto opened = RocksDbStore::Open(options);
    if (!opened.ok()) {
      ADD_FAILURE() << opened.error().message;
      return nullptr;
    }
    return std::move(opened).value();
  }

  // Appends `n` records of `size` bytes each, in one commit.
  void Append(RocksDbStore& store, size_t n, size_t size = 100) {
    std::vector<AppendEntry> batch;
    for (size_t i = 0; i < n; ++i) {
      AppendEntry e;
      e.offset = store.next_offset() + i;
      e.event_id = ids_.Next();
      e.record =
          std::string(size, static_cast<char>('a' + e.offset % 26)) + std::to_string(e.offset);
      batch.push_back(std::move(e));
    }
    ASSERT_TRUE(store.Append(batch).ok());
    for (auto& e : batch) written_.push_back(std::move(e));
  }

  // Every record reads back as written, one by one and in one run.
  void ExpectAllReadBack(RocksDbStore& store) {
    std::vector<uint64_t> offsets;
    for (const AppendEntry& e : written_) {
      auto record = store.ReadRecord(e.offset);
      ASSERT_TRUE(record.ok()) << record.error().message;
      ASSERT_TRUE(record->has_value()) << e.offset;
      EXPECT_EQ(**record, e.record) << e.offset;
      offsets.push_back(e.offset);
    }
    std::vector<std::optional<std::string>> run;
    ASSERT_TRUE(store.ReadRecords(offsets, &run).ok());
    ASSERT_EQ(run.size(), written_.size());
    for (size_t i = 0; i < run.size(); ++i)
      EXPECT_EQ(run[i].value_or("(none)"), written_[i].record);
  }

  std::vector<fs::path> SegmentFiles() {
    std::vector<fs::path> out;
    for (const auto& f : fs::directory_iterator(dir_.Sub("db") + "/segments")) {
      if (f.path().extension() == ".seg") out.push_back(f.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testutil::TempDir dir_;
  wire::EventIdGenerator ids_;
  std::vector<AppendEntry> written_;
};

TEST_P(SegmentsTest, RecordsGoToSegmentFilesAndTheLogFamilyHoldsPointers) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Append(*store, 10, 1000);
  std::string value;
  ASSERT_TRUE(store->db()
                  ->Get(rocksdb::ReadOptions(), store->log_family(),
                        std::string("\0\0\0\0\0\0\0\3", 8), &value)
                  .ok());
  auto pointer = SegmentPointer::Decode(value);
  ASSERT_TRUE(pointer.has_value()) << "the log family holds " << value.size() << " bytes";
  EXPECT_EQ(pointer->length, written_[2].record.size());
  EXPECT_EQ(pointer->event_id, written_[2].event_id);
  ASSERT_EQ(SegmentFiles().size(), 1u);
  EXPECT_GE(fs::file_size(SegmentFiles()[0]), 10 * (1000 + kFrameHeaderBytes));
  ExpectAllReadBack(*store);
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->next_offset(), 11u);
  ExpectAllReadBack(*store);
}

TEST_P(SegmentsTest, ARecordIsNeverAPointer) {
  EXPECT_FALSE(SegmentPointer::Decode("not a record").has_value());
  EXPECT_FALSE(
      SegmentPointer::Decode(std::string(SegmentPointer::kEncodedBytes, '\0')).has_value());
  SegmentPointer p;
  p.segment = 7;
  p.position = 1u << 30;
  p.length = 1024;
  p.event_id = ids_.Next();
  std::string encoded = p.Encode();
  ASSERT_EQ(encoded.size(), SegmentPointer::kEncodedBytes);
  auto back = SegmentPointer::Decode(encoded);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->segment, 7u);
  EXPECT_EQ(back->position, 1u << 30);
  EXPECT_EQ(back->length, 1024u);
  EXPECT_EQ(back->event_id, p.event_id);
  EXPECT_FALSE(SegmentPointer::Decode(encoded.substr(1)).has_value());
}

TEST_P(SegmentsTest, SegmentsRollAndARunOfReadsCrossesThem) {
  auto store = Open(true, 4096);
  ASSERT_NE(store, nullptr);
  for (int commit = 0; commit < 12; ++commit) Append(*store, 3, 500);
  EXPECT_GE(SegmentFiles().size(), 6u);
  ExpectAllReadBack(*store);
}

TEST_P(SegmentsTest, RecordsStoredInlineStayReadableBesideNewOnes) {
  auto store = Open(false);
  ASSERT_NE(store, nullptr);
  Append(*store, 5);
  store.reset();
  store = Open(true);
  ASSERT_NE(store, nullptr);
  Append(*store, 5);
  ExpectAllReadBack(*store);
  store.reset();
  store = Open(true);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->next_offset(), 11u);
  ExpectAllReadBack(*store);
}

TEST_P(SegmentsTest, ADamagedFrameIsRefusedNamingItsRecord) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Append(*store, 4, 200);
  {
    std::fstream f(SegmentFiles().back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(2 * (kFrameHeaderBytes + written_[0].record.size()) +
                                        kFrameHeaderBytes + 50));
    f.put('#');
  }
  auto record = store->ReadRecord(3);
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.error().code, errc::corruption);
  EXPECT_NE(record.error().message.find("record 3"), std::string::npos) << record.error().message;
  std::vector<std::optional<std::string>> run;
  Status all = store->ReadRecords(std::vector<uint64_t>{1, 2, 3, 4}, &run);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code, errc::corruption);
  auto fine = store->ReadRecord(4);
  ASSERT_TRUE(fine.ok() && fine->has_value());
  EXPECT_EQ(**fine, written_[3].record);
}

TEST_P(SegmentsTest, CommitsEndingInsideABlockFollowEachOtherAndTheFileEndsAtItsLastFrame) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  // Sizes that end commits at every kind of place in a 4 KiB block (a direct
  // write starts again at the last partial block).
  size_t frames = 0;
  for (size_t n : {1, 3, 2, 7, 1, 5}) {
    size_t before = written_.size();
    Append(*store, n, 333 * n + 17);
    for (size_t i = before; i < written_.size(); ++i) frames += kFrameHeaderBytes + written_[i].record.size();
    ExpectAllReadBack(*store);
  }
  store.reset();
  ASSERT_EQ(SegmentFiles().size(), 1u);
  EXPECT_EQ(fs::file_size(SegmentFiles().front()), frames) << "padding left after the last frame";
  store = Open();
  ASSERT_NE(store, nullptr);
  ExpectAllReadBack(*store);
}

INSTANTIATE_TEST_SUITE_P(Writes, SegmentsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Direct" : "Buffered";
                         });

}  // namespace
}  // namespace lintas::store
