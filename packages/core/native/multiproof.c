/*
 * The multiproof's walk and the decoding of its hashes, for the offline verifier (src/proof/
 * multiproof.ts holds the same in TypeScript, which runs when this is not built, and the tests hold
 * the two to the same results). Neither hashes nor decides: the walk only numbers slots and writes,
 * for each node, the two slots it joins; the TypeScript checks what it used and hashes the nodes.
 */
#include <string.h>
#include "latch-native.h"

/* Each base64 digit's value, or 64 for a byte that is not one (a constant: threads share it). */
static const uint8_t DIGIT[256] = {
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64, 64, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 64,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
};

/* Line i of the hashes (44 characters of canonical base64 and '\n') into out: 0 when not canonical. */
static int decode_line(const uint8_t *line, uint8_t *out) {
  if (line[43] != '=' || line[44] != '\n') return 0;
  unsigned bad = 0;
  for (int j = 0; j < 40; j += 4) {
    uint8_t a = DIGIT[line[j]], b = DIGIT[line[j + 1]], c = DIGIT[line[j + 2]], d = DIGIT[line[j + 3]];
    bad |= a | b | c | d;
    uint32_t n = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | d;
    *out++ = (uint8_t)(n >> 16);
    *out++ = (uint8_t)(n >> 8);
    *out++ = (uint8_t)n;
  }
  uint8_t a = DIGIT[line[40]], b = DIGIT[line[41]], c = DIGIT[line[42]];
  bad |= a | b | c;
  uint32_t n = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6);
  out[0] = (uint8_t)(n >> 16);
  out[1] = (uint8_t)(n >> 8);
  /* Every digit below 64, and the last one's two spare bits zero: one spelling per hash. */
  return (bad & 64) == 0 && (c & 3) == 0;
}

/*
 * decodeHashLines(hashes, count, slots, at): decodes lines 0..count-1 of hashes (45 bytes each)
 * into slots at 32 * (at + line); the first line that is not canonical base64 of 32 bytes, or
 * count. -1, and nothing written, when an argument is out of range.
 */
napi_value DecodeHashLines(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  uint8_t *hashes, *slots;
  size_t hashes_length, slots_length;
  uint32_t count, at;
  int32_t first_bad = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 4 && buffer_arg(env, argv[0], &hashes, &hashes_length) &&
      uint32_arg(env, argv[1], &count) && buffer_arg(env, argv[2], &slots, &slots_length) && uint32_arg(env, argv[3], &at) &&
      (uint64_t)count * 45 <= hashes_length && ((uint64_t)at + count) * 32 <= slots_length && count <= INT32_MAX) {
    first_bad = (int32_t)count;
    for (uint32_t line = 0; line < count; line++) {
      if (!decode_line(hashes + 45 * (size_t)line, slots + 32 * ((size_t)at + line)) && first_bad == (int32_t)count) first_bad = (int32_t)line;
    }
  }
  napi_create_int32(env, first_bad, &result);
  return result;
}

typedef struct {
  const double *indices;
  int32_t *ops;
  size_t op_capacity;
  size_t nodes;
  uint64_t leaf_count, proof_slots, next, free;
  int too_few;
} walk_t;

/* RFC 6962's split point: the largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n) { return (uint64_t)1 << (63 - __builtin_clzll(n - 1)); }

/* The first k in [first, last) with indices[k] >= mid (last if none). */
static size_t split_index(const double *indices, size_t first, size_t last, uint64_t mid) {
  while (first < last) {
    size_t m = first + (last - first) / 2;
    if ((uint64_t)indices[m] < mid) first = m + 1;
    else last = m;
  }
  return first;
}

/* The slot of the hash of [lo, hi), which holds the listed leaves first..last-1 (as multiproof.ts's walk). */
static uint64_t walk(walk_t *w, uint64_t lo, uint64_t hi, size_t first, size_t last) {
  if (first == last) {
    if (w->next == w->proof_slots) w->too_few = 1;
    return w->too_few ? 0 : w->leaf_count + w->next++;
  }
  if (hi - lo == 1) return first;
  uint64_t mid = lo + split_point(hi - lo);
  size_t k = split_index(w->indices, first, last, mid);
  uint64_t left = walk(w, lo, mid, first, k);
  uint64_t right = w->too_few ? 0 : walk(w, mid, hi, k, last);
  if (w->too_few || w->nodes == w->op_capacity) {
    w->too_few = 1;
    return 0;
  }
  w->ops[3 * w->nodes] = (int32_t)left;
  w->ops[3 * w->nodes + 1] = (int32_t)right;
  w->ops[3 * w->nodes + 2] = (int32_t)w->free;
  w->nodes++;
  return w->free++;
}

/*
 * multiproofWalk(indices, size, proofSlots, ops, result): walks the tree of `size` leaves over the
 * listed leaves `indices` (strictly increasing, each below size: the caller checked), numbering the
 * leaves' slots 0..n-1, the proof's hashes n.., and the nodes after n + proofSlots, and writes each
 * node as (left, right, to) into ops. result gets the root's slot, the number of nodes and the
 * proof hashes used; when it needs more than proofSlots, the last is proofSlots + 1 and the rest is
 * not to be used. False, and nothing written, when an argument is out of range.
 */
napi_value MultiproofWalk(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  double *indices, *result, size;
  size_t index_count, ops_length, result_length;
  int32_t *ops;
  uint32_t proof_slots;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return boolean(env, 0);
  if (!float64_array_arg(env, argv[0], &indices, &index_count) || napi_get_value_double(env, argv[1], &size) != napi_ok ||
      !uint32_arg(env, argv[2], &proof_slots) || !int32_array_arg(env, argv[3], &ops, &ops_length) ||
      !float64_array_arg(env, argv[4], &result, &result_length)) {
    return boolean(env, 0);
  }
  /* Slots are int32 in ops: the leaves, the proof's hashes and the nodes must all be numbered so. */
  if (index_count == 0 || result_length < 3 || !(size >= 1 && size <= 9007199254740991.0) || size != (double)(uint64_t)size ||
      2 * ((uint64_t)index_count + proof_slots) > INT32_MAX) {
    return boolean(env, 0);
  }
  for (size_t k = 0; k < index_count; k++) {
    double i = indices[k];
    if (!(i >= 0 && i < size) || i != (double)(uint64_t)i || (k > 0 && !(indices[k - 1] < i))) return boolean(env, 0);
  }
  walk_t w = {indices, ops, ops_length / 3, 0, index_count, proof_slots, 0, index_count + proof_slots, 0};
  uint64_t root = walk(&w, 0, (uint64_t)size, 0, index_count);
  result[0] = (double)root;
  result[1] = (double)w.nodes;
  result[2] = w.too_few ? (double)proof_slots + 1 : (double)w.next;
  return boolean(env, 1);
}
