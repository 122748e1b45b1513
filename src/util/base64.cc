#include "util/base64.h"

namespace cairn {

void append_base64(std::string& out, std::string_view data) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.reserve(out.size() + (data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&data](size_t at) { return static_cast<unsigned char>(data[at]); };
  for (; i + 3 <= data.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += k_alphabet[v >> 18];
    out += k_alphabet[(v >> 12) & 63];
    out += k_alphabet[(v >> 6) & 63];
    out += k_alphabet[v & 63];
  }
  size_t left = data.size() - i;
  if (left == 0) return;
  unsigned v = byte(i) << 16;
  if (left == 2) v |= byte(i + 1) << 8;
  out += k_alphabet[v >> 18];
  out += k_alphabet[(v >> 12) & 63];
  out += left == 2 ? k_alphabet[(v >> 6) & 63] : '=';
  out += '=';
}

}  // namespace cairn
