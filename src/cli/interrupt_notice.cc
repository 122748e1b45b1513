#include "cli/interrupt_notice.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace cairn::cli {
namespace {

// Written by announce_interrupts() before any handler can run, read only by it.
char g_message[512];
size_t g_message_size = 0;

void write_all(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(STDERR_FILENO, data, size);
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Async-signal-safe only: write(2), isatty(3), raise(3).
void on_interrupt(int signal_number) {
  if (::isatty(STDERR_FILENO)) write_all("\n", 1);  // ends a progress line left open
  write_all(g_message, g_message_size);
  ::raise(signal_number);  // SA_RESETHAND: now the default action
}

}  // namespace

void announce_interrupts(const std::string& message) {
  g_message_size = std::min(message.size() + 1, sizeof g_message);
  std::memcpy(g_message, message.data(), g_message_size - 1);
  g_message[g_message_size - 1] = '\n';
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  action.sa_flags = SA_RESETHAND;
  ::sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal_number, &action, nullptr);
}

}  // namespace cairn::cli
