/*
 * Many SHA-256 hashes in one call, for the offline verifier (src/proof/sha256-batch.ts). node:crypto
 * spends most of a call on set-up for the small messages a bundle holds (a 65-byte tree node, a
 * 460-byte event); this calls the SHA-256 of the OpenSSL that Node itself links, once per message,
 * with no set-up between them. It decides nothing: which bytes to hash, and what the hashes mean,
 * stay in TypeScript, which also does the same work through node:crypto when this is not built.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <string.h>
#include "latch-native.h"

static const char HEX[] = "0123456789abcdef";

/*
 * hashSpans(bytes, bounds, prefix, out, hex): for each k, SHA-256 of the prefix byte (none when
 * prefix is 256) and bytes[bounds[2k], bounds[2k+1]), into out at 32k (or at 64k as lower-case hex
 * when hex is 1). False, and nothing written, when an argument is out of range.
 */
napi_value HashSpans(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *bytes, *out;
  size_t bytes_length, out_length, bounds_length;
  int32_t *bounds;
  uint32_t prefix, hex;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return boolean(env, 0);
  if (!buffer_arg(env, argv[0], &bytes, &bytes_length) || !int32_array_arg(env, argv[1], &bounds, &bounds_length) ||
      !uint32_arg(env, argv[2], &prefix) || !buffer_arg(env, argv[3], &out, &out_length) || !uint32_arg(env, argv[4], &hex)) {
    return boolean(env, 0);
  }
  size_t count = bounds_length / 2;
  size_t size = hex ? 64 : 32;
  if (bounds_length % 2 != 0 || prefix > 256 || hex > 1 || out_length / size < count) return boolean(env, 0);
  for (size_t k = 0; k < count; k++) {
    int32_t start = bounds[2 * k], end = bounds[2 * k + 1];
    if (start < 0 || end < start || (size_t)end > bytes_length) return boolean(env, 0);
  }
  uint8_t lead = (uint8_t)prefix;
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX context;
  for (size_t k = 0; k < count; k++) {
    SHA256_Init(&context);
    if (prefix < 256) SHA256_Update(&context, &lead, 1);
    SHA256_Update(&context, bytes + bounds[2 * k], (size_t)(bounds[2 * k + 1] - bounds[2 * k]));
    if (!hex) {
      SHA256_Final(out + 32 * k, &context);
      continue;
    }
    SHA256_Final(digest, &context);
    uint8_t *to = out + 64 * k;
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
      to[2 * i] = (uint8_t)HEX[digest[i] >> 4];
      to[2 * i + 1] = (uint8_t)HEX[digest[i] & 15];
    }
  }
  return boolean(env, 1);
}

/*
 * hashNodes(slots, ops, count): slots holds 32-byte hashes; op j is the triple ops[3j..3j+2] =
 * (left, right, to), and sets slot `to` to the RFC 6962 node hash SHA-256(0x01 || left || right),
 * in order, so an op may use what an earlier one wrote. False, and nothing written, when a slot
 * is outside slots.
 */
napi_value HashNodes(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *slots;
  size_t slots_length, ops_length;
  int32_t *ops;
  uint32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return boolean(env, 0);
  if (!buffer_arg(env, argv[0], &slots, &slots_length) || !int32_array_arg(env, argv[1], &ops, &ops_length) || !uint32_arg(env, argv[2], &count)) {
    return boolean(env, 0);
  }
  size_t slot_count = slots_length / 32;
  if ((size_t)count > ops_length / 3) return boolean(env, 0);
  for (size_t j = 0; j < 3 * (size_t)count; j++) {
    if (ops[j] < 0 || (size_t)ops[j] >= slot_count) return boolean(env, 0);
  }
  /* OpenSSL 3's one-shot SHA256() fetches the algorithm on every call: the context functions do not. */
  SHA256_CTX context;
  uint8_t input[65];
  input[0] = 0x01;
  for (size_t j = 0; j < count; j++) {
    memcpy(input + 1, slots + 32 * (size_t)ops[3 * j], 32);
    memcpy(input + 33, slots + 32 * (size_t)ops[3 * j + 1], 32);
    SHA256_Init(&context);
    SHA256_Update(&context, input, sizeof input);
    SHA256_Final(slots + 32 * (size_t)ops[3 * j + 2], &context);
  }
  return boolean(env, 1);
}
