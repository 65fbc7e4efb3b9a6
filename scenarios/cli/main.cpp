#include <iostream>
#include <string>
#include <vector>

#include "scenarios/cli/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return candor::scenarios::cli::run_cli(args, std::cout, std::cerr);
}
