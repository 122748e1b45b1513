// Ed25519 signatures of composefs image digests (OpenSSL), kept as
// ROOT/composefs/signatures/<top>.sig (doc/composefs-backend.md):
//
//   cairn-composefs-signature 1
//   digest <image digest, hex>
//   ed25519 <signature, 128 hex digits>
//
// The signed message is the 64 ASCII hex digits of the image digest
// (integrity.h). Keys are PEM files: a private key (PKCS#8, e.g.
// `openssl genpkey -algorithm ed25519`) to sign, its public key
// (`openssl pkey -pubout`) to verify.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace cairn::composefs {

// The signature file's text for DIGEST_HEX signed with the private key in
// KEY_PEM. Errc::bad_input if the key cannot be read or is not Ed25519.
Result<std::string> sign_digest(const std::string& key_pem, std::string_view digest_hex);

// Checks SIGNATURE_TEXT (a signature file) against DIGEST_HEX and the public
// key in PUB_PEM: Errc::digest_mismatch if the signature is for another
// digest or does not verify with that key; Errc::corrupt_store if the text is
// malformed; Errc::bad_input for an unusable key.
Result<void> verify_signature(const std::string& pub_pem, std::string_view digest_hex,
                              std::string_view signature_text);

}  // namespace cairn::composefs
