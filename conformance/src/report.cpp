// Writing a conformance Report: JSON (nlohmann-json), SVG plots (plain SVG text), a terminal summary.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "wavert/conformance/conformance.hpp"

namespace wavert::conformance {
namespace {

using client::Status;

std::string file_name_part(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  return out;
}

// A line chart or a bar chart in a 720x360 SVG, axes labelled.
struct Svg {
  static constexpr double W = 720, H = 360, L = 70, R = 20, T = 40, B = 50;
  std::ostringstream o;
  double x0, x1, y0, y1;
  Svg(const std::string& title, const std::string& xlabel, const std::string& ylabel, double xa, double xb, double ya,
      double yb)
      : x0(xa), x1(xb == xa ? xa + 1 : xb), y0(ya), y1(yb == ya ? ya + 1 : yb) {
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << W / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">" << title << "</text>\n"
      << "<text x=\"" << W / 2 << "\" y=\"" << H - 10 << "\" text-anchor=\"middle\">" << xlabel << "</text>\n"
      << "<text x=\"15\" y=\"" << H / 2 << "\" transform=\"rotate(-90 15 " << H / 2 << ")\" text-anchor=\"middle\">"
      << ylabel << "</text>\n"
      << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\"" << H - T - B
      << "\" fill=\"none\" stroke=\"black\"/>\n";
    for (int i = 0; i <= 4; ++i) {
      const double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
      o << "<text x=\"" << px(xv) << "\" y=\"" << H - B + 15 << "\" text-anchor=\"middle\">" << label(xv) << "</text>\n"
        << "<text x=\"" << L - 5 << "\" y=\"" << py(yv) + 4 << "\" text-anchor=\"end\">" << label(yv) << "</text>\n";
    }
  }
  static std::string label(double v) {
    std::ostringstream s;
    s.precision(3);
    s << v;
    return s.str();
  }
  double px(double x) const { return L + (x - x0) / (x1 - x0) * (W - L - R); }
  double py(double y) const { return H - B - (y - y0) / (y1 - y0) * (H - T - B); }
  std::string finish() {
    o << "</svg>\n";
    return o.str();
  }
};

Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.close();
  if (!f) return Status::failure(STATUS_UNSUCCESSFUL, "cannot write '" + path.string() + "'");
  return Status::success();
}

}  // namespace

Status write_json(const Report& report, const std::string& path) {
  nlohmann::json j;
  j["clock"] = report.clock;
  j["passed"] = report.passed();
  j["failures"] = report.failures();
  for (const Check& c : report.checks)
    j["checks"].push_back({{"endpoint", c.endpoint}, {"name", c.name}, {"passed", c.passed}, {"message", c.message}});
  for (const EndpointReport& e : report.endpoints) {
    nlohmann::json je{{"name", e.name},
                      {"direction", client::direction_name(e.direction)},
                      {"format", e.format},
                      {"buffer_frames", e.buffer_frames}};
    for (const PositionFigures& p : e.positions) {
      je["position"][p.source] = {{"pairs", p.pairs},
                                  {"seconds", p.seconds},
                                  {"rate_error_ppm", p.rate_error_ppm},
                                  {"sigma_ms", p.sigma_ms},
                                  {"max_deviation_ms", p.max_deviation_ms},
                                  {"granularity_ms", p.granularity_ms},
                                  {"frame_floor_sigma_ms", p.frame_floor_sigma_ms}};
    }
    const NotificationFigures& n = e.notifications;
    je["notifications"] = {{"expected_ms", n.expected_ms},     {"intervals", n.intervals},
                           {"mean_ms", n.mean_ms},             {"jitter_sigma_ms", n.jitter_sigma_ms},
                           {"max_deviation_ms", n.max_deviation_ms}};
    j["endpoints"].push_back(je);
  }
  const GlitchFigures& g = report.glitch;
  j["zero_glitch"] = {{"render_streams", g.render_streams}, {"capture_streams", g.capture_streams},
                      {"seconds", g.seconds},               {"busy_cores", g.busy_cores},
                      {"frames_checked", g.frames_checked}, {"discontinuities", g.discontinuities},
                      {"client_glitches", g.client_glitches}};
  return write_text(path, j.dump(2) + "\n");
}

Status write_plots(const Report& report, const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return Status::failure(STATUS_UNSUCCESSFUL, "cannot create '" + directory + "': " + ec.message());
  for (const EndpointReport& e : report.endpoints) {
    for (const PositionFigures& p : e.positions) {
      if (p.error_over_time.empty()) continue;
      double lo = 0, hi = 0;
      for (auto [t, v] : p.error_over_time) lo = std::min(lo, v), hi = std::max(hi, v);
      const double span = std::max(hi - lo, 1e-6);
      Svg svg(e.name + ": " + p.source + " position error (sigma " + Svg::label(p.sigma_ms) + " ms)", "time (s)",
              "error (ms)", 0, p.error_over_time.back().first, lo - span * 0.05, hi + span * 0.05);
      svg.o << "<polyline fill=\"none\" stroke=\"steelblue\" stroke-width=\"1\" points=\"";
      for (auto [t, v] : p.error_over_time) svg.o << svg.px(t) << ',' << svg.py(v) << ' ';
      svg.o << "\"/>\n";
      if (Status s = write_text(std::filesystem::path(directory) /
                                    ("position-" + file_name_part(e.name) + "-" + file_name_part(p.source) + ".svg"),
                                svg.finish());
          !s)
        return s;
    }
    const NotificationFigures& n = e.notifications;
    if (n.intervals_ms.empty()) continue;
    const auto [mn, mx] = std::minmax_element(n.intervals_ms.begin(), n.intervals_ms.end());
    const double lo = std::min(*mn, n.expected_ms) - 0.5, hi = std::max(*mx, n.expected_ms) + 0.5;
    constexpr int kBins = 40;
    std::vector<std::size_t> bins(kBins);
    for (double v : n.intervals_ms) bins[std::min(kBins - 1, static_cast<int>((v - lo) / (hi - lo) * kBins))]++;
    const std::size_t top = *std::max_element(bins.begin(), bins.end());
    Svg svg(e.name + ": notification intervals (expected " + Svg::label(n.expected_ms) + " ms)", "interval (ms)",
            "count", lo, hi, 0, static_cast<double>(top));
    for (int b = 0; b < kBins; ++b) {
      const double xa = lo + (hi - lo) * b / kBins, xb = lo + (hi - lo) * (b + 1) / kBins;
      svg.o << "<rect x=\"" << svg.px(xa) << "\" y=\"" << svg.py(static_cast<double>(bins[b])) << "\" width=\""
            << svg.px(xb) - svg.px(xa) << "\" height=\"" << svg.py(0) - svg.py(static_cast<double>(bins[b]))
            << "\" fill=\"steelblue\"/>\n";
    }
    svg.o << "<line x1=\"" << svg.px(n.expected_ms) << "\" x2=\"" << svg.px(n.expected_ms) << "\" y1=\"" << svg.py(0)
          << "\" y2=\"" << svg.py(static_cast<double>(top)) << "\" stroke=\"red\"/>\n";
    if (Status s = write_text(std::filesystem::path(directory) / ("notifications-" + file_name_part(e.name) + ".svg"),
                              svg.finish());
        !s)
      return s;
  }
  return Status::success();
}

std::string summary(const Report& report) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  for (const Check& c : report.checks)
    o << (c.passed ? "PASS " : "FAIL ") << (c.endpoint.empty() ? "" : c.endpoint + ": ") << c.name << ": " << c.message
      << "\n";
  o << "\nendpoint        source       pairs  rate error (ppm)  sigma (ms)  max dev (ms)  granularity (ms)  "
       "1-frame floor (ms)\n";
  for (const EndpointReport& e : report.endpoints)
    for (const PositionFigures& p : e.positions) {
      o.precision(4);
      o << e.name << std::string(e.name.size() < 16 ? 16 - e.name.size() : 1, ' ') << p.source
        << std::string(p.source.size() < 13 ? 13 - p.source.size() : 1, ' ') << p.pairs << "  " << p.rate_error_ppm
        << "  " << p.sigma_ms << "  " << p.max_deviation_ms << "  " << p.granularity_ms << "  "
        << p.frame_floor_sigma_ms << "\n";
    }
  o << "\nendpoint        notification expected (ms)  mean (ms)  jitter sigma (ms)  max dev (ms)\n";
  for (const EndpointReport& e : report.endpoints) {
    const NotificationFigures& n = e.notifications;
    o.precision(4);
    o << e.name << std::string(e.name.size() < 16 ? 16 - e.name.size() : 1, ' ') << n.expected_ms << "  " << n.mean_ms
      << "  " << n.jitter_sigma_ms << "  " << n.max_deviation_ms << "\n";
  }
  o << "\n" << report.checks.size() - report.failures() << " of " << report.checks.size() << " checks passed ("
    << report.clock << " clock)\n";
  return o.str();
}

}  // namespace wavert::conformance
