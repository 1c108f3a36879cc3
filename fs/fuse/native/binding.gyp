{
  "targets": [
    {
      "target_name": "ipcfs_native",
      "sources": ["ipcfs_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
