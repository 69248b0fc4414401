{
  "targets": [
    {
      "target_name": "latch_native",
      "sources": ["addon.c", "sha256-batch.c", "canonical-scan.c", "multiproof.c", "disclosures.c"],
      "cflags": ["-O3", "-Wall", "-Wextra"]
    }
  ]
}
