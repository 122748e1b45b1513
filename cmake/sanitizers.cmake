add_library(cairn_sanitizers INTERFACE)
if(CAIRN_SANITIZE)
  target_compile_options(cairn_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(cairn_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
if(CAIRN_FUZZ)
  # Coverage for libFuzzer in everything, plus ASan and UBSan; the fuzz targets
  # link the fuzzer's main (fuzz/CMakeLists.txt).
  target_compile_options(cairn_sanitizers INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(cairn_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
