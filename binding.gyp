{
  "targets": [
    {
      "target_name": "durable_file",
      "sources": ["native/durable_file.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
