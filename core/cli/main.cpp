// `attn` entry point: see attn_cli.h.
#include <iostream>

#include "cli/attn_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return ap::attn_main(args, std::cout, std::cerr);
}
