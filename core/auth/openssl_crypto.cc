#include "core/auth/openssl_crypto.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <climits>

#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"

namespace rapport::auth::internal {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;

// The oldest error on this thread's OpenSSL error queue, and clears the queue so a later call
// does not report a stale error.
std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

BioPtr ReadOnlyBio(std::string_view bytes) {
  if (bytes.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// Passphrase callback that refuses: an encrypted PEM fails instead of prompting on a terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::Status CheckRsa(EVP_PKEY* key, std::string_view what) {
  if (!EVP_PKEY_is_a(key, "RSA")) {
    const char* type_name = EVP_PKEY_get0_type_name(key);
    return absl::InvalidArgumentError(absl::StrCat(AV(what), " is a ",
                                                   type_name != nullptr ? type_name : "non-RSA",
                                                   " key; RS256 needs an RSA key"));
  }
  const int bits = EVP_PKEY_get_bits(key);
  if (bits < kMinRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat(
        AV(what), " is a ", bits, "-bit RSA key; at least ", kMinRsaBits, " bits are required"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> ParseRsaPublicKeyPem(std::string_view pem) {
  BioPtr bio = ReadOnlyBio(pem);
  if (bio == nullptr) return absl::InvalidArgumentError("RSA public key: too large");
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RSA public key: not a PEM \"-----BEGIN PUBLIC KEY-----\" block (make one with "
        "`openssl pkey -in private.pem -pubout`): ",
        TakeOpenSslError()));
  }
  if (absl::Status s = CheckRsa(key.get(), "the public key"); !s.ok()) return s;
  return key;
}

absl::StatusOr<EvpPkeyPtr> ParseRsaPrivateKeyPem(std::string_view pem) {
  BioPtr bio = ReadOnlyBio(pem);
  if (bio == nullptr) return absl::InvalidArgumentError("RSA private key: too large");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RSA private key: not an unencrypted PEM private key (make one with `openssl genpkey "
        "-algorithm RSA -pkeyopt rsa_keygen_bits:3072`): ",
        TakeOpenSslError()));
  }
  if (absl::Status s = CheckRsa(key.get(), "the private key"); !s.ok()) return s;
  return key;
}

absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return absl::InternalError(absl::StrCat("writing a public key: ", TakeOpenSslError()));
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data) {
  if (key.size() > INT_MAX) return absl::InvalidArgumentError("HMAC key too large");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &mac_size) == nullptr) {
    return absl::InternalError(absl::StrCat("HMAC-SHA-256: ", TakeOpenSslError()));
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

bool MacEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<std::string> RsaSha256Sign(EVP_PKEY* private_key, std::string_view data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, private_key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return absl::InternalError(absl::StrCat("RS256 signing: ", TakeOpenSslError()));
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return absl::InternalError(absl::StrCat("RS256 signing: ", TakeOpenSslError()));
  }
  signature.resize(size);
  return signature;
}

bool RsaSha256Verify(EVP_PKEY* public_key, std::string_view data, std::string_view signature) {
  // PKCS#1 v1.5 signatures are exactly as long as the modulus; anything else is not one.
  if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(public_key))) return false;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  ERR_clear_error();  // a bad signature leaves an error queued; it is an answer, not a fault
  return ok;
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (n > INT_MAX ||
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError(
        absl::StrCat("the random number generator failed: ", TakeOpenSslError()));
  }
  return bytes;
}

}  // namespace rapport::auth::internal
