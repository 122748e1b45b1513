// Incremental SHA-256 (OpenSSL libcrypto).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace cairn {

using Sha256Sum = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  // Ends the computation; the object must not be updated afterwards.
  Sha256Sum finish();

  static Sha256Sum of(std::string_view data);

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Lowercase hex of bytes.
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace cairn
