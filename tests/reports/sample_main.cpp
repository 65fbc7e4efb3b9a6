// Writes the sample run's reports into the folder given as the only argument;
// used by render_html.sh to get a page to render.

#include <iostream>

#include "reports/write_all.hpp"
#include "tests/reports/sample_report.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: candor_reports_sample <output-folder>\n";
    return 2;
  }

  auto const outcome = candor::reports::write_all(candor::reports::make_sample_run(), argv[1]);
  if (!outcome.ok()) {
    std::cerr << "candor_reports_sample: " << outcome.error << '\n';
    return 1;
  }
  for (auto const& path : outcome.written) {
    std::cout << path.string() << '\n';
  }
  return 0;
}
