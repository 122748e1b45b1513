// What a command says when it is interrupted (Ctrl-C, SIGTERM, SIGHUP)
// before it is done: the progress line is ended and one line says what
// became of the work, then the process dies of the signal as it would have
// (the shell sees 128 + N). The store needs nothing more: what a killed
// command leaves is removed by the next one that writes the store
// (doc/store-format.md "Durability and crashes").
#pragma once

#include <string>

namespace cairn::cli {

// Installs the handlers; MESSAGE (e.g. "cairn: import interrupted; nothing
// was added") is copied once and written with write(2) from the handler.
// Call once, from the main thread, before the work starts.
void announce_interrupts(const std::string& message);

}  // namespace cairn::cli
