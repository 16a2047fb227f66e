{
  "targets": [
    {
      "target_name": "brainmap_native",
      "sources": ["native/brainmap_native.c", "native/nn_kernels.c", "native/ridge_kernels.c", "native/search_maps.c"],
      "defines": ["NAPI_VERSION=8"],
      "include_dirs": ["/usr/include/openblas"],
      "cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_c": ["-std=c11"],
      "libraries": ["-lopenblas", "-lm", "-lpthread"],
      "conditions": [
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"],
          "libraries": ["-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib"]
        }]
      ]
    }
  ]
}
