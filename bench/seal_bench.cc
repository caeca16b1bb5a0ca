// lintas-seal-bench: what sealing costs per event (docs/SECURITY.md,
// docs/PERFORMANCE.md). Seals the 1 KB referral of the broker benchmarks to
// N recipient nodes and opens it again, on one core, beside the raw cost of
// its parts measured in the same run: one crypto_box_seal of a 32-byte key,
// and XChaCha20-Poly1305 over the event's bytes.
#include <chrono>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>
#include <sodium.h>

#include "lintas/seal/sealer.h"
#include "lintas/wire/bytes.h"
#include "lintas/wire/event_id.h"
#include "lintas/wire/examples.h"
#include "lintas/wire/verify.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename F>
double MicrosPerCall(int n, F&& f) {
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) f();
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lintas-seal-bench: the cost of sealing and opening one event"};
  int n = 20000;
  int recipients = 2;
  size_t bytes = 1024;
  app.add_option("-n,--events", n, "Events sealed and opened (default 20000)");
  app.add_option("-r,--recipients", recipients, "Recipient nodes, the sender's own included (default 2)");
  app.add_option("-w,--bytes", bytes, "Approximate event size in bytes (default 1024)");
  CLI11_PARSE(app, argc, argv);
  if (sodium_init() < 0) return 1;
  lintas::wire::EventIdGenerator ids;
  std::string plain = lintas::wire::MinimalReferral(ids.Next(), "THA", "th-rtp-atpd", "KHM", "kh-mosvy",
                                                    bytes > 300 ? bytes - 300 : 0);
  const lintas::fb::Event* event = *lintas::wire::VerifyEvent(lintas::wire::AsBytes(plain));
  std::vector<lintas::seal::Recipient> to;
  lintas::seal::SealKeyring mine;
  for (int i = 0; i < recipients; ++i) {
    auto k = lintas::seal::SealKeyring::Generate();
    if (i == 1) mine.Add(k);
    to.push_back({"node-" + std::to_string(i), k.public_key});
  }
  std::string sealed;
  double seal_us = MicrosPerCall(n, [&] { sealed = *lintas::seal::SealEvent(*event, lintas::wire::AsBytes(plain), to); });
  const lintas::fb::Event* envelope = *lintas::wire::VerifyEvent(lintas::wire::AsBytes(sealed));
  double open_us = MicrosPerCall(n, [&] { (void)lintas::seal::OpenEvent(*envelope, "node-1", mine); });
  // The raw parts, in the same run.
  unsigned char key[32], wrapped[80], nonce[24];
  randombytes_buf(key, sizeof key);
  randombytes_buf(nonce, sizeof nonce);
  double box_us = MicrosPerCall(n, [&] { crypto_box_seal(wrapped, key, 32, to[0].key.data()); });
  std::vector<unsigned char> ct(plain.size() + 16);
  double aead_us = MicrosPerCall(n, [&] {
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct.data(), nullptr, reinterpret_cast<const unsigned char*>(plain.data()),
                                               plain.size(), nullptr, 0, nullptr, nonce, key);
  });
  std::printf("event: %zu bytes plain, %zu bytes sealed to %d nodes (+%zu)\n", plain.size(), sealed.size(),
              recipients, sealed.size() - plain.size());
  std::printf("%-44s %10s %14s\n", "", "us/event", "events/s/core");
  std::printf("%-44s %10.1f %14.0f\n", "seal (lintas::seal::SealEvent)", seal_us, 1e6 / seal_us);
  std::printf("%-44s %10.1f %14.0f\n", "open (lintas::seal::OpenEvent, with checks)", open_us, 1e6 / open_us);
  std::printf("%-44s %10.1f %14.0f\n", "raw: crypto_box_seal of the key, x1", box_us, 1e6 / box_us);
  std::printf("%-44s %10.1f %14.0f\n", "raw: XChaCha20-Poly1305 over the event", aead_us, 1e6 / aead_us);
  return 0;
}
