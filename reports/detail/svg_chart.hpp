#pragma once

// Inline SVG charts for the HTML report: horizontal bars, stacked columns over
// time and lines over time. Each chart is one <svg role="img"> element with a
// <title> and <desc> for screen readers, axis labels, a legend, and a <title> on
// every bar or point so that hovering shows the exact value without script.
// All text is escaped here; callers pass plain text.

#include <string>
#include <vector>

namespace candor::reports::detail {

/// The accessible text of a chart. `id` must be unique in the page and safe in
/// an attribute (letters, digits, '-').
struct ChartText {
  std::string id;
  std::string title;
  std::string description;
};

/// One horizontal bar.
struct Bar {
  std::string label;
  double value = 0;
  /// CSS colour, e.g. "#0072B2".
  std::string color;
  /// Shown after the value, e.g. "40 %".
  std::string note;
};

/// One series of a time chart: one value per x label.
struct Series {
  std::string name;
  std::string color;
  std::vector<double> values;
};

/// Horizontal bar chart, one row per bar, scaled to the largest value.
std::string svg_bar_chart(ChartText const& text, std::vector<Bar> const& bars);

/// Stacked column chart: one column per x label, one segment per series.
std::string svg_stacked_columns(ChartText const& text, std::vector<std::string> const& x_labels,
                                std::vector<Series> const& series, std::string const& y_label);

/// Line chart: one polyline with point markers per series.
std::string svg_line_chart(ChartText const& text, std::vector<std::string> const& x_labels,
                           std::vector<Series> const& series, std::string const& y_label);

/// The colour of a status in every chart and badge (colour-blind safe palette).
std::string status_color(std::string const& status);

}  // namespace candor::reports::detail
