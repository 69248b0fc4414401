/*
 * The verifier's native addon (src/proof/native-addon.ts loads it): SHA-256 in batches
 * (sha256-batch.c), a first reading of canonical JSON events (canonical-scan.c), and the multiproof's
 * walk and hash decoding (multiproof.c), and a first reading of disclosures.json (disclosures.c).
 * Each does work
 * the TypeScript also does, with the same results, when the addon is not built.
 */
#include "latch-native.h"

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"hashSpans", NULL, HashSpans, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashNodes", NULL, HashNodes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanObjects", NULL, ScanObjects, NULL, NULL, NULL, napi_enumerable, NULL},
      {"decodeHashLines", NULL, DecodeHashLines, NULL, NULL, NULL, napi_enumerable, NULL},
      {"multiproofWalk", NULL, MultiproofWalk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readDisclosures", NULL, ReadDisclosures, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
