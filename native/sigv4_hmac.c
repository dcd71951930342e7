// HMAC-SHA256 of a string, as lower-case hex: the last step of every SigV4 verification (the
// request's signature, each aws-chunked chunk's). Node's createHmac builds a JavaScript Hmac object
// around a fresh OpenSSL MAC context for each call; in a busy server's profile that was ~6 us per
// request, and this addon cut a small GET's server CPU by ~17 % measured A/B (docs/adr/0007). Here it is one call:
// HMAC as RFC 2104 defines it, over SHA-256 from the OpenSSL that Node itself links (its headers
// ship with Node's, and Node exports its symbols to addons), with a digest fetched once.
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 64  // SHA-256's block size: the HMAC key is padded (or first hashed) to it
#define DIGEST 32

static EVP_MD *sha256;  // fetched once per process: fetching per call is most of createHmac's cost
static pthread_once_t fetched = PTHREAD_ONCE_INIT;
static void fetch_sha256(void) { sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); }

static const char HEX[] = "0123456789abcdef";

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

// H(a || b) into out; 0 on failure.
static int digest2(EVP_MD_CTX *c, const unsigned char *a, size_t al, const unsigned char *b, size_t bl,
                   unsigned char *out) {
  unsigned int n;
  return EVP_DigestInit_ex2(c, sha256, NULL) && EVP_DigestUpdate(c, a, al) && EVP_DigestUpdate(c, b, bl) &&
         EVP_DigestFinal_ex(c, out, &n);
}

// hmacSha256Hex(key: Buffer, data: string): string (data taken as UTF-8, as update(data, 'utf8'))
static napi_value hmac_sha256_hex(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return throw_type(env, "hmacSha256Hex(key, data) takes two arguments");
  bool is_buffer;
  napi_valuetype dt;
  napi_is_buffer(env, argv[0], &is_buffer);
  napi_typeof(env, argv[1], &dt);
  if (!is_buffer || dt != napi_string) return throw_type(env, "key must be a Buffer and data a string");
  unsigned char *key;
  size_t key_len;
  napi_get_buffer_info(env, argv[0], (void **)&key, &key_len);

  // The string's UTF-8 bytes: on the stack for the usual few hundred bytes.
  char stack[4096];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &len) != napi_ok) return throw_type(env, "data must be a string");
  char *data = len < sizeof stack ? stack : malloc(len + 1);
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  if (data == NULL || c == NULL || sha256 == NULL) {
    if (data != stack) free(data);
    EVP_MD_CTX_free(c);
    napi_throw_error(env, NULL, "hmacSha256Hex: out of memory or SHA-256 unavailable");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[1], data, len + 1, &len);

  unsigned char k[BLOCK] = {0}, pad[BLOCK], inner[DIGEST], out[DIGEST];
  int ok = 1;
  if (key_len > BLOCK) {
    unsigned int n;  // RFC 2104: a key longer than a block is replaced by its hash
    ok = EVP_DigestInit_ex2(c, sha256, NULL) && EVP_DigestUpdate(c, key, key_len) && EVP_DigestFinal_ex(c, k, &n);
  } else {
    memcpy(k, key, key_len);
  }
  for (int i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x36;
  ok = ok && digest2(c, pad, BLOCK, (unsigned char *)data, len, inner);
  for (int i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x5c;
  ok = ok && digest2(c, pad, BLOCK, inner, DIGEST, out);
  // The padded key is the signing key's material: leave none of it on the stack.
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  EVP_MD_CTX_free(c);
  if (data != stack) free(data);
  if (!ok) {
    napi_throw_error(env, NULL, "hmacSha256Hex: the SHA-256 digest failed");
    return NULL;
  }
  char hex[2 * DIGEST];
  for (int i = 0; i < DIGEST; i++) {
    hex[2 * i] = HEX[out[i] >> 4];
    hex[2 * i + 1] = HEX[out[i] & 15];
  }
  napi_value v;
  napi_create_string_latin1(env, hex, 2 * DIGEST, &v);
  return v;
}

NAPI_MODULE_INIT() {
  // The provider's implementation, shared by every thread that loads the addon and never freed (it
  // lives as long as the process, like the addon itself).
  pthread_once(&fetched, fetch_sha256);
  if (sha256 == NULL) {
    napi_throw_error(env, NULL, "SHA-256 is not available from this Node's OpenSSL");
    return NULL;
  }
  napi_value fn;
  napi_create_function(env, "hmacSha256Hex", NAPI_AUTO_LENGTH, hmac_sha256_hex, NULL, &fn);
  napi_set_named_property(env, exports, "hmacSha256Hex", fn);
  return exports;
}
