// Inputs the export fuzzer (tests/fuzz/export_fuzz.cc) once crashed on, run
// through the same harness: it aborts if the verifier crashes, throws, or if
// the parallel and sequential verifiers disagree.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

TEST(ExportFuzzRegressionTest, EverySavedInputPasses) {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(std::string(LINTAS_SOURCE_DIR) + "/tests/fuzz/regressions")) {
    if (entry.path().filename().string().rfind("export-", 0) != 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0)
        << entry.path();
    ++n;
  }
  EXPECT_GE(n, 1);
}
