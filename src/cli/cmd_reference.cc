// `cairn completion bash|zsh` prints a completion script; `cairn man DIR`
// writes cairn.1 and cairn-COMMAND.1 there. Both are generated from the
// command definitions (cli/cli_reference.h); the build installs them.
#include <cstdio>

#include "cli/cli_reference.h"
#include "cli/command.h"
#include "util/sys.h"

namespace cairn::cli {

Action define_completion(CLI::App& command, const GlobalOptions&) {
  auto shell = std::make_shared<std::string>();
  command.add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  return [shell, &command]() -> Result<void> {
    auto docs = describe(*command.get_parent());
    std::string script = *shell == "bash" ? bash_completion(docs) : zsh_completion(docs);
    std::fwrite(script.data(), 1, script.size(), stdout);
    return {};
  };
}

Action define_man(CLI::App& command, const GlobalOptions&) {
  auto dir = std::make_shared<std::string>();
  command.add_option("dir", *dir, "Directory to write the man pages into")->required();
  return [dir, &command]() -> Result<void> {
    auto docs = describe(*command.get_parent());
    TRY(sys::make_dirs(*dir, 0755));
    for (const CommandDoc& doc : docs) {
      std::string name = doc.name.empty() ? "cairn.1" : "cairn-" + doc.name + ".1";
      TRY(sys::write_file_atomic(*dir + "/" + name, man_page(doc, docs)));
    }
    std::printf("%zu man pages in %s\n", docs.size(), dir->c_str());
    return {};
  };
}

}  // namespace cairn::cli
