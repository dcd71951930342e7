{
  "targets": [
    {
      "target_name": "durable_file",
      "sources": ["native/durable_file.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "sigv4_hmac",
      "sources": ["native/sigv4_hmac.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
