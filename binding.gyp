{
  "targets": [
    {
      "target_name": "contrastive_native",
      "sources": ["csrc/native/addon.c", "csrc/native/conv.c", "csrc/native/eltwise.c"],
      "cflags": ["-O3", "-std=gnu11", "-pthread"],
      "cflags!": ["-O2"],
      "ldflags": ["-pthread"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
