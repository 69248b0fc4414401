/*
 * What the addon's files share: the functions addon.c exports, and reading their arguments. Every
 * function checks its arguments and returns false, having written nothing, for any it can't use.
 */
#ifndef LATCH_NATIVE_H
#define LATCH_NATIVE_H
#include <node_api.h>
#include <stdint.h>

napi_value HashSpans(napi_env env, napi_callback_info info);
napi_value HashNodes(napi_env env, napi_callback_info info);
napi_value ScanObjects(napi_env env, napi_callback_info info);
napi_value DecodeHashLines(napi_env env, napi_callback_info info);
napi_value MultiproofWalk(napi_env env, napi_callback_info info);
napi_value ReadDisclosures(napi_env env, napi_callback_info info);

/* canonical-scan.c: whether a value of the plainest canonical form starts at *at of bytes [0, end); *at moves past it. */
int canonical_value(const uint8_t *bytes, size_t end, size_t *at);

static inline int buffer_arg(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is;
  if (napi_is_buffer(env, value, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, value, (void **)data, length) == napi_ok;
}

/* A typed array of the given type: its data and its length in elements. */
static inline int typed_array_arg(napi_env env, napi_value value, napi_typedarray_type expected, void **data, size_t *length) {
  bool is;
  napi_typedarray_type type;
  napi_value array_buffer;
  size_t offset;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, value, &type, length, data, &array_buffer, &offset) != napi_ok) return 0;
  return type == expected;
}

static inline int int32_array_arg(napi_env env, napi_value value, int32_t **data, size_t *length) {
  return typed_array_arg(env, value, napi_int32_array, (void **)data, length);
}

static inline int float64_array_arg(napi_env env, napi_value value, double **data, size_t *length) {
  return typed_array_arg(env, value, napi_float64_array, (void **)data, length);
}

static inline int uint32_arg(napi_env env, napi_value value, uint32_t *out) {
  return napi_get_value_uint32(env, value, out) == napi_ok;
}

static inline napi_value boolean(napi_env env, int value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

#endif
