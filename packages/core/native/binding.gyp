{
  "targets": [
    {
      "target_name": "latch_sha256",
      "sources": ["sha256-batch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
