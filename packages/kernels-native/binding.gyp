{
  "targets": [
    {
      "target_name": "contrastive_adam",
      "type": "static_library",
      "sources": ["csrc/native/adam.c"],
      "cflags": ["-O3", "-std=gnu11", "-fPIC", "-ffp-contract=off", "-fno-math-errno"],
      "cflags!": ["-O2"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno"] }
    },
    {
      "target_name": "contrastive_native",
      "dependencies": ["contrastive_adam"],
      "sources": ["csrc/native/addon.c", "csrc/native/conv.c", "csrc/native/eltwise.c"],
      "cflags": ["-O3", "-std=gnu11", "-pthread"],
      "cflags!": ["-O2"],
      "ldflags": ["-pthread"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
