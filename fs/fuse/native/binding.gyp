{
  "targets": [
    {
      "target_name": "ipcfs_native",
      "sources": ["ipcfs_native.c", "early_replies.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
