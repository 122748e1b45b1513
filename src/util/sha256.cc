#include "util/sha256.h"

#include <openssl/evp.h>

#include "util/error.h"

namespace cairn {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_state(std::make_unique<State>()) {
  m_state->ctx = EVP_MD_CTX_new();
  CHECK(m_state->ctx != nullptr);
  CHECK(EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::byte> data) {
  CHECK(EVP_DigestUpdate(m_state->ctx, data.data(), data.size()) == 1);
}

void Sha256::update(std::string_view data) {
  update(std::as_bytes(std::span(data)));
}

Sha256Sum Sha256::finish() {
  Sha256Sum sum{};
  unsigned int len = 0;
  CHECK(EVP_DigestFinal_ex(m_state->ctx, sum.data(), &len) == 1);
  CHECK(len == sum.size());
  return sum;
}

Sha256Sum Sha256::of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s += k_digits[b >> 4];
    s += k_digits[b & 15];
  }
  return s;
}

}  // namespace cairn
