// Witnessed checkpoints: a cosigned checkpoint verifies with the broker's key
// and its witness key, and any change to it does not; the JSON form reads
// back the same; two checkpoints of one size with different roots are a
// fork, and checkpoints of two sizes agree exactly when a consistency proof
// of the larger tree shows the smaller as its prefix.
#include <gtest/gtest.h>
#include <sodium.h>

#include "lintas/audit/merkle.h"
#include "lintas/audit/witness.h"
#include "test_key.h"

namespace lintas::audit {
namespace {

using Broker = TestKey;  // signs checkpoints as the broker would

std::vector<Hash> Leaves(size_t n, const std::string& tag) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash(tag + std::to_string(i)));
  return out;
}

Checkpoint Of(const std::vector<Hash>& leaves, size_t n, const std::vector<Hash>& access, size_t an) {
  Checkpoint c;
  c.log_id = "asean-broker";
  c.size = n;
  c.root = RootOf(std::span<const Hash>(leaves.data(), n));
  c.access_size = an;
  c.access_root = RootOf(std::span<const Hash>(access.data(), an));
  c.time_us = 1700000000000000 + static_cast<int64_t>(n);
  return c;
}

std::vector<Hash> Proof(const std::vector<Hash>& leaves, uint64_t m, uint64_t n) {
  auto proof = ConsistencyProof(m, n, [&](uint64_t b, uint64_t e) -> Result<Hash> {
    return RootOf(std::span<const Hash>(leaves.data() + b, e - b));
  });
  EXPECT_TRUE(proof.ok());
  return proof.ok() ? *proof : std::vector<Hash>{};
}

TEST(WitnessTest, ACosignedCheckpointVerifiesAndAnyChangeIsRefused) {
  Broker broker;
  WitnessKey key = WitnessKey::Generate();
  auto leaves = Leaves(10, "e");
  auto access = Leaves(3, "a");
  std::string body = Of(leaves, 10, access, 3).Body();
  CosignedCheckpoint c = key.Cosign("kh-node", body, broker.Sign(body), 1700000000000123);
  EXPECT_TRUE(c.Verify(broker.pub).ok());
  auto back = CosignedCheckpoint::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->Verify(broker.pub).ok());
  EXPECT_EQ(back->ToJson(), c.ToJson());

  Broker other;
  EXPECT_FALSE(c.Verify(other.pub).ok());  // another broker's key
  CosignedCheckpoint renamed = c;
  renamed.node = "vn-node";  // another node claims the co-signature
  EXPECT_FALSE(renamed.Verify(broker.pub).ok());
  CosignedCheckpoint later = c;
  later.time_us += 1;
  EXPECT_FALSE(later.Verify(broker.pub).ok());
  CosignedCheckpoint swapped = c;
  swapped.checkpoint = Of(leaves, 9, access, 3).Body();
  EXPECT_FALSE(swapped.Verify(broker.pub).ok());
  EXPECT_FALSE(CosignedCheckpoint::FromJson(R"({"type":"cosigned-checkpoint","node":"kh-node"})").ok());
  auto statement = WitnessStatement::Parse(c.Statement().Body());
  ASSERT_TRUE(statement.ok());
  EXPECT_EQ(statement->node, "kh-node");
}

TEST(WitnessTest, TheWireFormReadsBackAndAMissingFieldIsNamed) {
  Broker broker;
  WitnessKey key = WitnessKey::Generate();
  auto leaves = Leaves(4, "e");
  std::string body = Of(leaves, 4, leaves, 0).Body();
  CosignedCheckpoint c = key.Cosign("th-node", body, broker.Sign(body), 42);
  auto wire = ToWire(c);
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(proto::CosignedCheckpoint::Pack(fbb, wire.get()));
  auto back = FromWire(*flatbuffers::GetRoot<proto::CosignedCheckpoint>(fbb.GetBufferPointer()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->Verify(broker.pub).ok());
  EXPECT_EQ(back->ToJson(), c.ToJson());

  wire->witness_signature.pop_back();
  flatbuffers::FlatBufferBuilder short_fbb;
  short_fbb.Finish(proto::CosignedCheckpoint::Pack(short_fbb, wire.get()));
  auto refused = FromWire(*flatbuffers::GetRoot<proto::CosignedCheckpoint>(short_fbb.GetBufferPointer()));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "witness.witness_signature");
}

TEST(WitnessTest, OneSizeTwoRootsIsAForkAndTwoSizesNeedAConsistencyProof) {
  auto ours = Leaves(20, "e");
  auto theirs = ours;
  theirs[12] = LeafHash("another event");  // a fork after 12 records
  auto access = Leaves(4, "a");
  EXPECT_EQ(Compare(Of(ours, 15, access, 4), Of(ours, 15, access, 4)), Agreement::kSame);
  EXPECT_EQ(Compare(Of(ours, 15, access, 4), Of(theirs, 15, access, 4)), Agreement::kFork);
  EXPECT_EQ(Compare(Of(ours, 12, access, 4), Of(theirs, 12, access, 4)), Agreement::kSame);
  auto altered_access = access;
  altered_access[1] = LeafHash("forged consultation");
  EXPECT_EQ(Compare(Of(ours, 15, access, 4), Of(ours, 16, altered_access, 4)), Agreement::kFork);
  EXPECT_EQ(Compare(Of(ours, 10, access, 2), Of(ours, 15, access, 4)), Agreement::kNeedsProof);

  // Two sizes of one history: the proof of the larger tree shows it.
  EXPECT_TRUE(VerifyConsistent(Of(ours, 10, access, 2), Of(ours, 15, access, 4), Proof(ours, 10, 15),
                               Proof(access, 2, 4))
                  .ok());
  // A fork's checkpoint: no proof from the other history leads to it.
  auto fork = VerifyConsistent(Of(ours, 13, access, 2), Of(theirs, 15, access, 4), Proof(theirs, 13, 15),
                               Proof(access, 2, 4));
  ASSERT_FALSE(fork.ok());
  EXPECT_NE(fork.error().message.find("event log of 13 records"), std::string::npos) << fork.error().message;
  auto shorter = VerifyConsistent(Of(ours, 15, access, 4), Of(ours, 10, access, 2), {}, {});
  EXPECT_FALSE(shorter.ok());
}

}  // namespace
}  // namespace lintas::audit
