/*
 * A first reading of disclosures.json, for the offline verifier (src/proof/bundle-disclosures.ts
 * holds the same reading in TypeScript, and the general one that decides and explains). It reads
 * only the layout the builder writes, one `"<commitment>":{"salt":"<hex>","value":<value>}` per
 * line with the commitments in increasing order, and values of the plainest canonical form
 * (canonical-scan.c); for anything else it gives -1 and the TypeScript reads the file. It writes
 * each commitment's place and each input to hash (salt bytes, then the value's text); the
 * TypeScript hashes them and compares. The caller has checked that the file is UTF-8.
 */
#include <string.h>
#include "latch-native.h"

static int at_text(const uint8_t *b, size_t end, size_t at, const char *text) {
  size_t n = strlen(text);
  return end - at >= n && memcmp(b + at, text, n) == 0;
}

/* Each lower-case hex digit's value, or -1 (a table: which digit comes next is random, and a branch on it mispredicts). */
static const int8_t HEX_VALUE[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* The end of the run of lower-case hex digits at `at`. */
static size_t hex_end(const uint8_t *b, size_t end, size_t at) {
  while (at < end && HEX_VALUE[b[at]] >= 0) at++;
  return at;
}

/*
 * readDisclosures(bytes, keys, inputs, inputBounds): for entry k, keys[k] = where its commitment's
 * 64 hex digits start, and inputs[inputBounds[2k], inputBounds[2k+1]) = its salt's bytes then its
 * value's text. The number of entries, or -1 (nothing to use) when the file is not laid out so, or
 * an output is too small.
 */
napi_value ReadDisclosures(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  uint8_t *b, *inputs;
  size_t end, inputs_length, key_capacity, bounds_length;
  int32_t *keys, *bounds;
  int32_t count = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 4 && buffer_arg(env, argv[0], &b, &end) &&
      int32_array_arg(env, argv[1], &keys, &key_capacity) && buffer_arg(env, argv[2], &inputs, &inputs_length) &&
      int32_array_arg(env, argv[3], &bounds, &bounds_length) && end <= INT32_MAX && inputs_length >= end && at_text(b, end, 0, "{\n")) {
    size_t i = 2, written = 0, k = 0, previous = 0;
    for (;;) {
      size_t key = i + 1;
      if (k == key_capacity || 2 * k + 1 >= bounds_length) break;
      if (!at_text(b, end, i, "\"") || hex_end(b, end, key) != key + 64 || !at_text(b, end, key + 64, "\":{\"salt\":\"")) break;
      if (k > 0 && memcmp(b + previous, b + key, 64) >= 0) break;
      size_t salt = key + 64 + 11, salt_end = hex_end(b, end, salt);
      if (salt_end == salt || (salt_end - salt) % 2 != 0 || !at_text(b, end, salt_end, "\",\"value\":")) break;
      size_t value = salt_end + 10, value_end = value;
      if (!canonical_value(b, end, &value_end)) break;
      /* salt bytes then the value's text: never more than the file, as a salt's bytes are half its digits. */
      bounds[2 * k] = (int32_t)written;
      for (size_t d = salt; d < salt_end; d += 2) inputs[written++] = (uint8_t)(HEX_VALUE[b[d]] * 16 + HEX_VALUE[b[d + 1]]);
      memcpy(inputs + written, b + value, value_end - value);
      written += value_end - value;
      bounds[2 * k + 1] = (int32_t)written;
      keys[k++] = (int32_t)key;
      previous = key;
      if (value_end + 4 == end && at_text(b, end, value_end, "}\n}\n")) {
        count = (int32_t)k;
        break;
      }
      if (!at_text(b, end, value_end, "},\n")) break;
      i = value_end + 3;
    }
  }
  napi_create_int32(env, count, &result);
  return result;
}
