#include "reports/detail/svg_chart.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "reports/detail/text.hpp"

namespace candor::reports::detail {
namespace {

constexpr double kWidth = 640;
constexpr double kTimeHeight = 280;
constexpr double kPlotLeft = 60;
constexpr double kPlotRight = kWidth - 16;
constexpr double kPlotTop = 44;
constexpr double kPlotBottom = kTimeHeight - 52;
constexpr std::string_view kAxisColor = "#6b7280";
constexpr std::string_view kGridColor = "#e5e7eb";
constexpr std::string_view kTextColor = "#1f2937";

/// Short decimal text: "12", "2.5", "0.005" (four significant digits at most).
std::string number(double value) {
  if (std::abs(value - std::round(value)) < 1e-9) {
    return fmt::format("{}", static_cast<long long>(std::llround(value)));
  }
  return fmt::format("{:.4g}", value);
}

std::string coord(double value) {
  return fmt::format("{:.1f}", value);
}

std::string open_svg(ChartText const& text, double height) {
  auto const id = escape_html(text.id);
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" aria-labelledby=\"{}-title {}-desc\" font-family=\"system-ui, -apple-system, "
      "'Segoe UI', Roboto, sans-serif\" font-size=\"13\" fill=\"{}\">\n"
      "<title id=\"{}-title\">{}</title>\n<desc id=\"{}-desc\">{}</desc>\n",
      coord(kWidth), coord(height), id, id, kTextColor, id, escape_html(text.title), id,
      escape_html(text.description));
}

std::string no_data(double height) {
  return fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\" font-size=\"14\">No data"
      "</text>\n",
      coord(kWidth / 2), coord(height / 2), kAxisColor);
}

/// A round step for about four gridlines up to `max_value`, and the axis top.
struct Scale {
  double step = 1;
  double top = 1;
};

Scale nice_scale(double max_value) {
  if (max_value <= 0) {
    return {};
  }
  auto const raw = max_value / 4;
  auto const magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * magnitude >= raw) {
      step = factor * magnitude;
      break;
    }
  }
  return Scale{.step = step, .top = std::ceil(max_value / step - 1e-9) * step};
}

double plot_y(double value, Scale const& scale) {
  return kPlotBottom - (kPlotBottom - kPlotTop) * value / scale.top;
}

std::string legend(std::vector<Series> const& series) {
  std::string out;
  double x = kPlotLeft;
  for (auto const& s : series) {
    out += fmt::format(
        "<rect x=\"{}\" y=\"14\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"24\">{}</text>\n",
        coord(x), escape_html(s.color), coord(x + 16), escape_html(s.name));
    x += 16 + 7.0 * static_cast<double>(display_width(s.name)) + 18;
  }
  return out;
}

/// Gridlines, y tick labels, the y axis caption, x labels and the x caption.
std::string axes(Scale const& scale, std::vector<std::string> const& x_labels,
                 std::string const& y_label) {
  std::string out;
  for (double v = 0; v <= scale.top + scale.step / 2; v += scale.step) {
    auto const y = plot_y(v, scale);
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{}\">{}</text>\n",
        coord(kPlotLeft), coord(y), coord(kPlotRight), coord(y), kGridColor, coord(kPlotLeft - 6),
        coord(y + 4), kAxisColor, number(v));
  }
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\"/>\n",
                     coord(kPlotLeft), coord(kPlotBottom), coord(kPlotRight), kAxisColor);

  // At most about eight x labels, so they never overlap.
  auto const n = x_labels.size();
  auto const every = std::max<std::size_t>(1, (n + 7) / 8);
  auto const slot = (kPlotRight - kPlotLeft) / static_cast<double>(std::max<std::size_t>(n, 1));
  for (std::size_t i = 0; i < n; i += every) {
    auto const x = kPlotLeft + slot * (static_cast<double>(i) + 0.5);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
                       coord(x), coord(kPlotBottom + 16), kAxisColor, escape_html(x_labels[i]));
  }

  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">virtual time since start"
      "</text>\n",
      coord((kPlotLeft + kPlotRight) / 2), coord(kTimeHeight - 10), kAxisColor);
  out += fmt::format(
      "<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"{}\">{}"
      "</text>\n",
      coord((kPlotTop + kPlotBottom) / 2), kAxisColor, escape_html(y_label));
  return out;
}

bool all_zero(std::vector<Series> const& series) {
  return std::all_of(series.begin(), series.end(), [](Series const& s) {
    return std::all_of(s.values.begin(), s.values.end(), [](double v) { return v == 0; });
  });
}

}  // namespace

std::string svg_bar_chart(ChartText const& text, std::vector<Bar> const& bars) {
  // Rows grow up to 40 px so that a short chart fills its half of a figure row.
  constexpr double kTop = 10;
  auto const row_height = std::clamp(
      (kTimeHeight - 2 * kTop) / static_cast<double>(std::max<std::size_t>(bars.size(), 1)), 30.0,
      40.0);
  constexpr double kLabelRight = 150;
  constexpr double kBarLeft = 158;
  constexpr double kBarMax = kWidth - 150;
  auto const height =
      kTop * 2 + row_height * static_cast<double>(std::max<std::size_t>(bars.size(), 2));

  auto out = open_svg(text, height);
  auto max_value = 0.0;
  for (auto const& bar : bars) {
    max_value = std::max(max_value, bar.value);
  }
  if (bars.empty()) {
    out += no_data(height);
    return out + "</svg>\n";
  }

  for (std::size_t i = 0; i < bars.size(); ++i) {
    auto const& bar = bars[i];
    auto const y = kTop + row_height * static_cast<double>(i);
    auto const length = max_value > 0 ? (kBarMax - kBarLeft) * bar.value / max_value : 0.0;
    auto const value_text =
        bar.note.empty() ? number(bar.value) : fmt::format("{} ({})", number(bar.value), bar.note);
    out += fmt::format(
        "<g><title>{}: {}</title>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text></g>\n",
        escape_html(bar.label), escape_html(value_text), coord(kLabelRight),
        coord(y + row_height / 2 + 4), escape_html(bar.label), coord(kBarLeft), coord(y + 3),
        coord(std::max(length, 1.0)), coord(row_height - 6), escape_html(bar.color),
        coord(kBarLeft + length + 6), coord(y + row_height / 2 + 4), kAxisColor,
        escape_html(value_text));
  }
  return out + "</svg>\n";
}

std::string svg_stacked_columns(ChartText const& text, std::vector<std::string> const& x_labels,
                                std::vector<Series> const& series, std::string const& y_label) {
  auto out = open_svg(text, kTimeHeight);
  if (x_labels.empty() || series.empty() || all_zero(series)) {
    out += no_data(kTimeHeight);
    return out + "</svg>\n";
  }

  auto const n = x_labels.size();
  double max_total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double total = 0;
    for (auto const& s : series) {
      total += i < s.values.size() ? s.values[i] : 0;
    }
    max_total = std::max(max_total, total);
  }
  auto const scale = nice_scale(max_total);
  out += legend(series);
  out += axes(scale, x_labels, y_label);

  auto const slot = (kPlotRight - kPlotLeft) / static_cast<double>(n);
  auto const width = std::max(1.0, slot * 0.72);
  for (std::size_t i = 0; i < n; ++i) {
    auto const x = kPlotLeft + slot * static_cast<double>(i) + (slot - width) / 2;
    double base = 0;
    for (auto const& s : series) {
      auto const value = i < s.values.size() ? s.values[i] : 0;
      if (value <= 0) {
        continue;
      }
      auto const top = plot_y(base + value, scale);
      auto const bottom = plot_y(base, scale);
      out += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">"
          "<title>{} at {}: {}</title></rect>\n",
          coord(x), coord(top), coord(width), coord(bottom - top), escape_html(s.color),
          escape_html(s.name), escape_html(x_labels[i]), number(value));
      base += value;
    }
  }
  return out + "</svg>\n";
}

std::string svg_line_chart(ChartText const& text, std::vector<std::string> const& x_labels,
                           std::vector<Series> const& series, std::string const& y_label) {
  auto out = open_svg(text, kTimeHeight);
  if (x_labels.empty() || series.empty() || all_zero(series)) {
    out += no_data(kTimeHeight);
    return out + "</svg>\n";
  }

  double max_value = 0;
  for (auto const& s : series) {
    for (auto v : s.values) {
      max_value = std::max(max_value, v);
    }
  }
  auto const scale = nice_scale(max_value);
  out += legend(series);
  out += axes(scale, x_labels, y_label);

  auto const n = x_labels.size();
  auto const slot = (kPlotRight - kPlotLeft) / static_cast<double>(n);
  for (auto const& s : series) {
    std::string points;
    std::string markers;
    for (std::size_t i = 0; i < n && i < s.values.size(); ++i) {
      auto const x = kPlotLeft + slot * (static_cast<double>(i) + 0.5);
      auto const y = plot_y(s.values[i], scale);
      points += fmt::format("{}{},{}", points.empty() ? "" : " ", coord(x), coord(y));
      markers += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{} at {}: {}</title></circle>\n",
          coord(x), coord(y), escape_html(s.color), escape_html(s.name), escape_html(x_labels[i]),
          number(s.values[i]));
    }
    out += fmt::format(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
        "stroke-linejoin=\"round\"/>\n",
        points, escape_html(s.color));
    out += markers;
  }
  return out + "</svg>\n";
}

std::string status_color(std::string const& status) {
  // Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
  static std::map<std::string, std::string, std::less<>> const kColors{
      {"queued", "#999999"},   {"sent", "#0072B2"},     {"delivered", "#009E73"},
      {"failed", "#D55E00"},   {"received", "#CC79A7"}, {"blocked", "#E69F00"},
      {"admitted", "#56B4E9"}, {"new", "#BBBBBB"}};
  std::string lower = status;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto const it = kColors.find(lower);
  return it == kColors.end() ? "#4B5563" : it->second;
}

}  // namespace candor::reports::detail
