add_library(cairn_sanitizers INTERFACE)
if(CAIRN_SANITIZE)
  target_compile_options(cairn_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(cairn_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
