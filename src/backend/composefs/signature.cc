#include "backend/composefs/signature.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "util/sha256.h"

namespace cairn::composefs {
namespace {

constexpr std::string_view k_magic = "cairn-composefs-signature 1";
constexpr size_t k_signature_size = 64;

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason ? reason : "unknown OpenSSL error";
}

enum class KeyKind { private_key, public_key };

// Why a key file did not load as KIND: names the other kind when it holds that.
std::string key_problem(const std::string& path, KeyKind kind) {
  bool wanted_private = kind == KeyKind::private_key;
  std::string reason = openssl_reason();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return reason;
  Key other(wanted_private ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)
                           : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!other)
    return "not a PEM " + std::string(wanted_private ? "private" : "public") + " key (" + reason +
           ")";
  return wanted_private ? "a public key; signing needs the private key"
                        : "a private key; give the public key (openssl pkey -pubout)";
}

Result<Key> load_key(const std::string& path, KeyKind kind) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    int err = errno;
    ERR_clear_error();
    return fail_errno(err, "open key " + path);
  }
  Key key(kind == KeyKind::private_key
              ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
              : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return fail(Errc::bad_input, "key " + path + ": " + key_problem(path, kind));
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return fail(Errc::bad_input, "key " + path + ": not an Ed25519 key");
  }
  return key;
}

std::unique_ptr<EVP_MD_CTX, MdCtxFree> new_context() {
  return std::unique_ptr<EVP_MD_CTX, MdCtxFree>(EVP_MD_CTX_new());
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// The hex of the "ed25519 " line, decoded; nullopt if malformed.
std::optional<std::array<unsigned char, k_signature_size>> parse_signature(std::string_view hex) {
  if (hex.size() != 2 * k_signature_size) return std::nullopt;
  std::array<unsigned char, k_signature_size> out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < k_signature_size; ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

Result<std::string> sign_digest(const std::string& key_pem, std::string_view digest_hex) {
  ASSIGN_OR_RETURN(Key key, load_key(key_pem, KeyKind::private_key));
  auto ctx = new_context();
  std::array<std::uint8_t, k_signature_size> signature{};
  size_t length = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature.data(), &length, bytes_of(digest_hex),
                     digest_hex.size()) != 1 ||
      length != k_signature_size) {
    return fail(Errc::bad_input, "sign with " + key_pem + ": " + openssl_reason());
  }
  return std::string(k_magic) + "\ndigest " + std::string(digest_hex) + "\ned25519 " +
         to_hex(signature) + "\n";
}

Result<void> verify_signature(const std::string& pub_pem, std::string_view digest_hex,
                              std::string_view signature_text) {
  const std::string digest_line = "digest " + std::string(digest_hex) + "\n";
  const std::string head = std::string(k_magic) + "\ndigest ";
  if (!signature_text.starts_with(head) || !signature_text.ends_with("\n")) {
    return fail(Errc::corrupt_store, "signature file: bad format");
  }
  size_t sig_at = signature_text.find("\ned25519 ");
  if (sig_at == std::string_view::npos)
    return fail(Errc::corrupt_store, "signature file: bad format");
  auto signature =
      parse_signature(signature_text.substr(sig_at + 9, signature_text.size() - sig_at - 10));
  if (!signature) return fail(Errc::corrupt_store, "signature file: bad signature line");
  if (signature_text.substr(k_magic.size() + 1, sig_at - k_magic.size()) != digest_line) {
    return fail(Errc::digest_mismatch, "signature is for another image digest");
  }
  ASSIGN_OR_RETURN(Key key, load_key(pub_pem, KeyKind::public_key));
  auto ctx = new_context();
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return fail(Errc::bad_input, "verify with " + pub_pem + ": " + openssl_reason());
  }
  int ok = EVP_DigestVerify(ctx.get(), signature->data(), signature->size(), bytes_of(digest_hex),
                            digest_hex.size());
  ERR_clear_error();
  if (ok != 1) return fail(Errc::digest_mismatch, "signature does not verify with " + pub_pem);
  return {};
}

}  // namespace cairn::composefs
