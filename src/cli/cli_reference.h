// The command line described from its own definitions (the CLI11 tree that
// main() builds), rendered as man pages and shell completion, so that what
// `--help`, the man pages and completion say cannot drift apart.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace cairn::cli {

struct OptionDoc {
  std::vector<std::string> names;  // "-e", "--env"
  std::string value;               // "" for a flag, else the value's name ("TEXT", "UINT", …)
  std::string description;
  std::string default_text;
};

struct CommandDoc {
  std::string name;  // "" for cairn itself
  std::string description;
  std::string footer;
  std::vector<std::string> positionals;
  std::vector<OptionDoc> options;
};

// cairn itself first, then each command in table order.
std::vector<CommandDoc> describe(const CLI::App& app);

// The option names of COMMAND that take a value (the word after one is
// that value, not a command).
std::vector<std::string> valued_options(const CommandDoc& command);

// roff for man(1): cairn(1) for the first doc, cairn-NAME(1) for a command.
std::string man_page(const CommandDoc& command, const std::vector<CommandDoc>& all);

// A script for `source`: completes commands, then each command's options.
std::string bash_completion(const std::vector<CommandDoc>& all);
// A zsh completion function file (#compdef cairn).
std::string zsh_completion(const std::vector<CommandDoc>& all);

}  // namespace cairn::cli
