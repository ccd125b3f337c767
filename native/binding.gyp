{
  "targets": [
    {
      "target_name": "nmt_blas",
      "sources": ["blas.c", "small_gemm.c", "softmax_xent.c", "vector_math.c", "add_into.c", "cells.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-lopenblas", "-lmvec", "-lm", "-ldl"],
      "cflags": ["-O3", "-Wall", "-ffp-contract=off", "-fno-math-errno"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
