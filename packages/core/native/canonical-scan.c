/*
 * A first reading of events as canonical JSON, for the offline verifier's events check
 * (src/proof/canonical-scan.ts holds the reading that decides, and explains). This one only ever
 * accepts: an event of the plainest canonical form, whose members are some of the expected keys in
 * their order, gets its members' spans and the flag 1; anything else, canonical or not, gets 0 and
 * is read again by the TypeScript scanner. So it accepts nothing that scanner refuses, and the tests
 * check that the two agree on random and altered events.
 *
 * The plainest form: strings with escapes only as JSON.stringify writes them and no raw control
 * character, object keys with no escape at all in strictly increasing byte order where they differ
 * in ASCII (0 where a non-ASCII byte decides the order), integers of at most 15 digits (0 for
 * longer ones, which the TypeScript checks against 2^53), and at most 32 levels of nesting. Bytes
 * of 0x80 and above inside strings are taken as they are: the caller has checked that the whole
 * file is UTF-8, as the TypeScript does.
 *
 * Every read is inside the span: each function checks its position against the span's end first.
 */
#include <string.h>
#include "latch-native.h"

#define MAX_DEPTH 32

typedef struct {
  const uint8_t *bytes;
  size_t end;
} span_t;

static int value(const span_t *s, size_t *at, int depth);

/*
 * Where the canonical escape at j ends (JSON.stringify's: \" \\ \b \t \n \f \r, and \u00xx in
 * lower-case hex for the other control characters only), or 0 when it is not one.
 */
static size_t escape_end(const uint8_t *b, size_t end, size_t j) {
  if (j + 1 >= end) return 0;
  uint8_t letter = b[j + 1];
  if (letter == '"' || letter == '\\' || letter == 'b' || letter == 't' || letter == 'n' || letter == 'f' || letter == 'r') return j + 2;
  if (letter != 'u' || j + 5 >= end || b[j + 2] != '0' || b[j + 3] != '0' || (b[j + 4] != '0' && b[j + 4] != '1')) return 0;
  uint8_t low = b[j + 5];
  int value = low >= '0' && low <= '9' ? low - '0' : low >= 'a' && low <= 'f' ? low - 'a' + 10 : -1;
  if (value < 0) return 0;
  int code = (b[j + 4] - '0') * 16 + value;
  return code == 0x08 || code == 0x09 || code == 0x0a || code == 0x0c || code == 0x0d ? 0 : j + 6;
}

/*
 * A string at *at with no control character, and escapes only as JSON.stringify writes them (none
 * at all when `escapes` is 0, as for object keys, whose order an escape would change): *at moves
 * past its closing quote.
 */
static int string(const span_t *s, size_t *at, int escapes) {
  const uint8_t *b = s->bytes;
  size_t from = *at + 1;
  for (;;) {
    if (from > s->end) return 0;
    const uint8_t *quote = memchr(b + from, '"', s->end - from);
    if (quote == NULL) return 0;
    size_t length = (size_t)(quote - (b + from));
    /* One pass with no early exit, which the compiler turns into vector instructions. */
    unsigned special = 0;
    for (size_t k = 0; k < length; k++) special |= (b[from + k] < 0x20) | (b[from + k] == '\\');
    if (!special) {
      *at = from + length + 1;
      return 1;
    }
    /* The first control character or escape: the quote found may be an escaped one. */
    size_t j = from;
    while (b[j] >= 0x20 && b[j] != '\\') j++;
    if (b[j] < 0x20 || !escapes) return 0;
    from = escape_end(b, s->end, j);
    if (from == 0) return 0;
  }
}

/* The key [k, k_end) sorts strictly after [a, a_end) (both quoted, without escapes) where ASCII decides it. */
static int ascending(const uint8_t *b, size_t a, size_t a_end, size_t k, size_t k_end) {
  size_t a_length = a_end - a - 2, k_length = k_end - k - 2;
  for (size_t j = 1; j <= a_length && j <= k_length; j++) {
    uint8_t x = b[a + j], y = b[k + j];
    if (x == y) continue;
    if (x >= 0x80 || y >= 0x80) return 0;
    return x < y;
  }
  return a_length < k_length;
}

static int object(const span_t *s, size_t *at, int depth) {
  const uint8_t *b = s->bytes;
  size_t i = *at + 1, end = s->end;
  if (i < end && b[i] == '}') {
    *at = i + 1;
    return 1;
  }
  size_t previous = 0, previous_end = 0;
  for (int first = 1;; first = 0) {
    if (i >= end || b[i] != '"') return 0;
    size_t key = i;
    if (!string(s, &i, 0)) return 0;
    if (!first && !ascending(b, previous, previous_end, key, i)) return 0;
    previous = key;
    previous_end = i;
    if (i >= end || b[i] != ':') return 0;
    i++;
    if (!value(s, &i, depth + 1)) return 0;
    if (i >= end) return 0;
    if (b[i] == '}') {
      *at = i + 1;
      return 1;
    }
    if (b[i] != ',') return 0;
    i++;
  }
}

static int array(const span_t *s, size_t *at, int depth) {
  const uint8_t *b = s->bytes;
  size_t i = *at + 1, end = s->end;
  if (i < end && b[i] == ']') {
    *at = i + 1;
    return 1;
  }
  for (;;) {
    if (!value(s, &i, depth + 1)) return 0;
    if (i >= end) return 0;
    if (b[i] == ']') {
      *at = i + 1;
      return 1;
    }
    if (b[i] != ',') return 0;
    i++;
  }
}

static int literal(const span_t *s, size_t *at, const char *word, size_t length) {
  if (s->end - *at < length || memcmp(s->bytes + *at, word, length) != 0) return 0;
  *at += length;
  return 1;
}

/* An integer: no leading zero, no -0, at most 15 digits. A fraction or exponent is left at *at, which no caller accepts. */
static int number(const span_t *s, size_t *at) {
  const uint8_t *b = s->bytes;
  size_t i = *at, end = s->end;
  int negative = i < end && b[i] == '-';
  if (negative) i++;
  if (i >= end || b[i] < '0' || b[i] > '9') return 0;
  size_t digits = i;
  if (b[i] == '0') {
    if (negative) return 0;
    i++;
  } else {
    while (i < end && b[i] >= '0' && b[i] <= '9') i++;
  }
  if (i - digits > 15) return 0;
  *at = i;
  return 1;
}

static int value(const span_t *s, size_t *at, int depth) {
  if (depth > MAX_DEPTH || *at >= s->end) return 0;
  switch (s->bytes[*at]) {
    case '"': return string(s, at, 1);
    case '{': return object(s, at, depth);
    case '[': return array(s, at, depth);
    case 't': return literal(s, at, "true", 4);
    case 'f': return literal(s, at, "false", 5);
    case 'n': return literal(s, at, "null", 4);
    default: return number(s, at);
  }
}

/* The plainest canonical value at *at of bytes [0, end): *at moves past it (latch-native.h). */
int canonical_value(const uint8_t *bytes, size_t end, size_t *at) {
  span_t s = {bytes, end};
  return value(&s, at, 1);
}

/*
 * One event: an object whose members are some of the keys (quoted, in keys[key_bounds[2j],
 * key_bounds[2j+1])), in the keys' order. Writes each key's value start at spans[j] and end at
 * spans[key_count + j], relative to the event (-1 where absent); 1 when the whole event is read.
 */
static int scan_object(const span_t *s, const uint8_t *keys, const int32_t *key_bounds, size_t key_count, int32_t *spans) {
  const uint8_t *b = s->bytes;
  size_t end = s->end;
  for (size_t j = 0; j < 2 * key_count; j++) spans[j] = -1;
  if (end < 2 || b[0] != '{') return 0;
  if (b[1] == '}') return end == 2;
  size_t i = 1;
  for (size_t next = 0;;) {
    size_t j = next;
    size_t length = 0;
    for (; j < key_count; j++) {
      length = (size_t)(key_bounds[2 * j + 1] - key_bounds[2 * j]);
      if (end - i > length && memcmp(b + i, keys + key_bounds[2 * j], length) == 0 && b[i + length] == ':') break;
    }
    if (j == key_count) return 0;
    i += length + 1;
    spans[j] = (int32_t)i;
    if (!value(s, &i, 1)) return 0;
    spans[key_count + j] = (int32_t)i;
    next = j + 1;
    if (i >= end) return 0;
    if (b[i] == '}') return i + 1 == end;
    if (b[i] != ',') return 0;
    i++;
  }
}

/*
 * scanObjects(bytes, bounds, keys, keyBounds, out): for each span k = [bounds[2k], bounds[2k+1])
 * of bytes, writes at out[k * (1 + 2K)] (K keys) the flag, then the K value starts, then the K
 * value ends, as scan_object gives them. False, and nothing written, when an argument is out of
 * range.
 */
napi_value ScanObjects(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *bytes, *keys;
  size_t bytes_length, keys_length, bounds_length, key_bounds_length, out_length;
  int32_t *bounds, *key_bounds, *out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return boolean(env, 0);
  if (!buffer_arg(env, argv[0], &bytes, &bytes_length) || !int32_array_arg(env, argv[1], &bounds, &bounds_length) ||
      !buffer_arg(env, argv[2], &keys, &keys_length) || !int32_array_arg(env, argv[3], &key_bounds, &key_bounds_length) ||
      !int32_array_arg(env, argv[4], &out, &out_length)) {
    return boolean(env, 0);
  }
  size_t count = bounds_length / 2, key_count = key_bounds_length / 2, stride = 1 + 2 * key_count;
  if (bounds_length % 2 != 0 || key_bounds_length % 2 != 0 || key_count == 0 || out_length / stride < count) return boolean(env, 0);
  for (size_t k = 0; k < count; k++) {
    if (bounds[2 * k] < 0 || bounds[2 * k + 1] < bounds[2 * k] || (size_t)bounds[2 * k + 1] > bytes_length) return boolean(env, 0);
  }
  for (size_t j = 0; j < key_count; j++) {
    if (key_bounds[2 * j] < 0 || key_bounds[2 * j + 1] <= key_bounds[2 * j] || (size_t)key_bounds[2 * j + 1] > keys_length) return boolean(env, 0);
  }
  for (size_t k = 0; k < count; k++) {
    span_t s = {bytes + bounds[2 * k], (size_t)(bounds[2 * k + 1] - bounds[2 * k])};
    int32_t *event = out + k * stride;
    event[0] = scan_object(&s, keys, key_bounds, key_count, event + 1);
  }
  return boolean(env, 1);
}
